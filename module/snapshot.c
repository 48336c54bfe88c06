// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets that exist when twguard loads, counted without stopping the
 * machine for the count: the established hash (the shared one, and the
 * private ones that namespaces with net.ipv4.tcp_child_ehash_entries
 * have) is walked bucket by bucket under each bucket's own lock, as
 * inet_diag walks it.  Past one rendezvous when the hooks go live, no CPU
 * waits longer than one bucket's walk, however many sockets the host has.
 *
 * The counts stay exact, with traffic during the walk, because every
 * socket is counted once, by the walk or by its hooks:
 *
 *   - The hooks are live while the walk runs.  Before a hook counts a
 *     change to a socket, it makes sure the socket's bucket has been
 *     walked (twg_snapshot_ensure()), and walks it itself, under the
 *     bucket's lock, if not.  The change a hook announces is made after
 *     the hook: to a socket in that bucket (a state change), or under
 *     that bucket's lock (a minisock hashed or unhashed).  So the walk
 *     of the bucket comes first, and reads the state the change starts
 *     from; a change no hook saw is already in what the walk reads.
 *   - Two changes are made under the bucket's lock before the hook that
 *     counts them: a full socket's unhash before its move to CLOSE
 *     (inet_unhash(), then tcp_set_state()'s tracepoint), and a
 *     minisock's unhash when connect() takes its 4-tuple over (in
 *     __inet_check_established(), after tcp_twsk_unique(), under the lock
 *     already).  While the walk runs, hooks on the entry of those two
 *     functions walk the bucket first (hooks.c).
 *   - The hooks go live at one instant that no hook straddles: hooks.c
 *     turns them on in a stop_machine() that does nothing else, so no
 *     CPU is between a hook that did not count and the change it
 *     announced (but see hooks.c on preempt=full).  A grace period would
 *     not do: while it runs, hooks that saw them off may still be short
 *     of their change, and hooks already on would walk buckets before it.
 *     That costs every CPU the rendezvous, whatever the number of
 *     sockets; the walk itself runs after, on one CPU.
 *
 * A socket that was there before twguard has whatever an earlier load
 * left in its word: the walk rewrites it.  The walk cannot tell a socket
 * that connect() or accept() opened a moment earlier from one that was
 * there before, so until the walk is over (twg_snapshot_settled()) the
 * hooks open connections as if they had been there before: in no table.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "hooks.h"
#include "netns.h"
#include "observe.h"
#include "reuse.h"
#include "snapshot.h"

bool twg_walk_done __read_mostly;
static bool twg_walk_settled __read_mostly;

static struct twg_walk_map twg_walk_shared;

/* What the walk found and what it cost, for the message at load. */
static atomic_t twg_found_tw, twg_found_closing, twg_walked_by_hooks;
static atomic64_t twg_walk_longest_ns;

static struct inet_hashinfo *twg_ehash_of(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}

static unsigned long *twg_walk_bitmap(const struct inet_hashinfo *h, gfp_t gfp)
{
	return kvcalloc(BITS_TO_LONGS(h->ehash_mask + 1), sizeof(long), gfp);
}

/* A namespace with its own established hash, made before the walk ends. */
int twg_snapshot_netns_init(struct twg_netns *ns)
{
	struct inet_hashinfo *h = twg_ehash_of(ns->net);
	struct twg_walk_map *m;

	/* Pairs with twg_snapshot_take()'s release: no map once it is over. */
	if (smp_load_acquire(&twg_walk_done) ||
	    h == twg_ehash_of(&init_net))
		return 0;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	m->h = h;
	m->walked = twg_walk_bitmap(h, GFP_KERNEL_ACCOUNT);
	if (!m->walked) {
		kfree(m);
		return -ENOMEM;
	}
	ns->walk = m;
	return 0;
}

/* No hook uses @ns's map any more: the walk is over, or @ns is gone. */
void twg_snapshot_netns_free(struct twg_netns *ns)
{
	struct twg_walk_map *m = xchg(&ns->walk, NULL);

	if (m) {
		kvfree(m->walked);
		kfree(m);
	}
}

/* Count one socket of a bucket being walked, its lock held. */
static void twg_walk_sock(struct sock *sk)
{
	struct twg_netns *ns = twg_netns_of_hook(sock_net(sk));
	struct twg_tw_info info;
	struct twg_stats *s;

	if (!ns)
		return;
	s = this_cpu_ptr(ns->stats);
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_TIME_WAIT:
		twg_reuse_stamp_existing(inet_twsk(sk));
		twg_tw_info_of(inet_twsk(sk), &info);
		twg_account_tw_existing(s, &info);
		atomic64_inc(&ns->tw_at_load);
		atomic_inc(&twg_found_tw);
		break;
	case TCP_NEW_SYN_RECV:
		break;
	default:
		twg_observe_existing(sk);
		twg_account_state_existing(s, sk->sk_state);
		if ((1 << sk->sk_state) & TWG_STATES_COUNTED)
			atomic_inc(&twg_found_closing);
		break;
	}
}

static void twg_walk_bucket(struct twg_walk_map *m, unsigned int slot)
{
	struct hlist_nulls_node *node;
	struct sock *sk;

	sk_nulls_for_each(sk, node, &m->h->ehash[slot].chain)
		twg_walk_sock(sk);
	/* Pairs with test_bit_acquire(): who sees the bit sees the words. */
	smp_mb__before_atomic();
	set_bit(slot, m->walked);
}

static void twg_walk_held(u64 ns)
{
	s64 old = atomic64_read(&twg_walk_longest_ns);

	while (ns > old &&
	       !atomic64_try_cmpxchg(&twg_walk_longest_ns, &old, ns))
		;
}

static struct twg_walk_map *twg_walk_map_of(const struct net *net)
{
	struct twg_netns *ns;

	if (twg_ehash_of(net) == twg_walk_shared.h)
		return &twg_walk_shared;
	ns = twg_netns_of_hook(net);
	return ns ? READ_ONCE(ns->walk) : NULL;
}

/* A hook walks bucket @slot of @m, whose lock is held, unless walked. */
static void twg_walk_on_demand(struct twg_walk_map *m, unsigned int slot)
{
	u64 t;

	if (test_bit(slot, m->walked))
		return;
	t = local_clock();
	twg_walk_bucket(m, slot);
	twg_walk_held(local_clock() - t);
	atomic_inc(&twg_walked_by_hooks);
}

void __twg_snapshot_ensure(const struct net *net, u32 hash, bool locked)
{
	struct twg_walk_map *m;
	unsigned int slot;
	spinlock_t *lock;	/* the bucket's, the kernel's own */

	/* A tracepoint may call with preemption on (7.x): the maps go after a grace period. */
	rcu_read_lock();
	m = twg_walk_map_of(net);
	/* No map: a netns made after the walk began has nothing from before. */
	if (!m)
		goto out;
	slot = hash & m->h->ehash_mask;
	if (test_bit_acquire(slot, m->walked))
		goto out;
	lock = inet_ehash_lockp(m->h, hash);
	if (locked) {
		lockdep_assert_held(lock);
		twg_walk_on_demand(m, slot);
		goto out;
	}
	spin_lock_bh(lock);
	twg_walk_on_demand(m, slot);
	spin_unlock_bh(lock);
out:
	rcu_read_unlock();
}

static void twg_walk_table(struct twg_walk_map *m)
{
	unsigned int slot;

	for (slot = 0; slot <= m->h->ehash_mask; slot++) {
		spinlock_t *lock = inet_ehash_lockp(m->h, slot);
		u64 t;

		if (test_bit(slot, m->walked))
			continue;
		spin_lock_bh(lock);
		t = local_clock();
		if (!test_bit(slot, m->walked))
			twg_walk_bucket(m, slot);
		twg_walk_held(local_clock() - t);
		spin_unlock_bh(lock);
		if (!(slot % 256))
			cond_resched();
	}
}

/* Before the hooks: the map of the shared established hash. */
int twg_snapshot_prepare(void)
{
	struct inet_hashinfo *h = twg_ehash_of(&init_net);

	twg_walk_shared.walked = twg_walk_bitmap(h, GFP_KERNEL);
	if (!twg_walk_shared.walked)
		return -ENOMEM;
	twg_walk_shared.h = h;
	return 0;
}

/* The hooks did not go live: nothing was walked. */
void twg_snapshot_cancel(void)
{
	/* Pairs with twg_snapshot_netns_init(): no more maps. */
	smp_store_release(&twg_walk_done, true);
	kvfree(twg_walk_shared.walked);
	twg_walk_shared.walked = NULL;
}

/*
 * The hooks are live, since a stop_machine() of @live_ns: walk every
 * bucket no hook has walked yet.  Process context; the hooks' counts are
 * exact once this returns.
 */
void twg_snapshot_take(u64 live_ns)
{
	unsigned int buckets = twg_walk_shared.h->ehash_mask + 1;
	u64 walk_ns = ktime_get_ns();
	struct twg_netns *ns;

	twg_walk_table(&twg_walk_shared);
	for (ns = twg_netns_next_live(NULL); ns; ns = twg_netns_next_live(ns))
		if (ns->walk)
			twg_walk_table(ns->walk);
	walk_ns = ktime_get_ns() - walk_ns;
	/* Pairs with twg_snapshot_ensure(): the hooks see every word written. */
	smp_store_release(&twg_walk_done, true);
	/* Every hook that saw the walk unfinished is done with the maps. */
	synchronize_rcu();
	WRITE_ONCE(twg_walk_settled, true);
	kvfree(twg_walk_shared.walked);
	twg_walk_shared.walked = NULL;
	for (ns = twg_netns_next_live(NULL); ns; ns = twg_netns_next_live(ns))
		twg_snapshot_netns_free(ns);

	pr_info("found %u TIME-WAIT minisocks and %u closing connections at load; hooks live in a %llu us stop_machine(), then %u buckets of the shared established hash (and any private ones) walked in %llu ms (%u first by a hook), no bucket lock held over %llu us\n",
		atomic_read(&twg_found_tw), atomic_read(&twg_found_closing),
		div_u64(live_ns, NSEC_PER_USEC), buckets,
		div_u64(walk_ns, NSEC_PER_MSEC),
		atomic_read(&twg_walked_by_hooks),
		div_u64(atomic64_read(&twg_walk_longest_ns), NSEC_PER_USEC));
}

/* Whether a connection opened now can be told from one that was there. */
bool twg_snapshot_settled(void)
{
	return READ_ONCE(twg_walk_settled);
}
