// SPDX-License-Identifier: GPL-2.0
/*
 * Connections in CLOSE_WAIT, by port: the peer has closed, the
 * application has not.  A service that never calls close() piles them up
 * on its port; a slow one passes through.
 *
 * Counted when the ports file is read, not on the hot path: the walk
 * goes over the netns's established hash bucket by bucket, under each
 * bucket's own lock, as inet_diag's dump (and so ss) does, and counts
 * the netns's full sockets in CLOSE_WAIT.  Nothing is kept per socket
 * beyond the word hooks.c keeps already: it says how the connection was
 * opened (so which row of the ports table it belongs to) and, for a
 * socket twguard saw enter CLOSE_WAIT, when.
 *
 *   opened by accept()     server row of its local port
 *   opened by connect()    client row of its remote port
 *   open before twguard    server row of its local port
 *
 * A connection twguard saw enter CLOSE_WAIT has its age from its word.
 * One in CLOSE_WAIT since before twguard has the larger of two ages it
 * has at least: since twguard began in the netns, and since the last
 * segment the kernel took an ACK from (the peer's FIN, if the
 * application sent nothing since).
 *
 * Ages are in seconds, from a millisecond clock kept modulo 2^29 ms in
 * the word: exact for CLOSE_WAIT younger than 6.2 days.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <net/inet_hashtables.h>
#include <net/tcp.h>

#include "closewait.h"
#include "netns.h"
#include "stamp.h"

/*
 * A connection in CLOSE_WAIT since before twguard: the seconds since the
 * last segment whose ACK it took (tcp_ack() keeps that time for
 * keepalives), which is the peer's FIN unless the application sent data
 * since.  Less than its age, or equal: never more.
 */
static u32 twg_close_wait_since_ack(const struct sock *sk)
{
	u32 ticks = tcp_jiffies32 - READ_ONCE(tcp_sk(sk)->rcv_tstamp);

	return jiffies_to_msecs(ticks) / MSEC_PER_SEC;
}

static void twg_close_wait_sock(const struct sock *sk,
				struct twg_close_wait *cw, u32 now_ms,
				u32 since_s)
{
	u32 word = READ_ONCE(*twg_sk_word(sk)), age;
	struct twg_close_wait *c;

	if (twg_sk_origin(word) == TWG_ORIGIN_ACTIVE ||
	    twg_sk_origin(word) == TWG_ORIGIN_ACTIVE_DEST)
		c = &cw[twg_close_wait_index(TWG_KEY_CLIENT,
					     ntohs(sk->sk_dport))];
	else
		c = &cw[twg_close_wait_index(TWG_KEY_SERVER, sk->sk_num)];
	if (word & TWG_SK_STAMPED)
		age = twg_ms_since(now_ms, word, TWG_SK_MS_MASK) / MSEC_PER_SEC;
	else
		age = max(since_s, twg_close_wait_since_ack(sk));
	c->n++;
	c->oldest_s = max(c->oldest_s, age);
}

/*
 * Count @ns's connections in CLOSE_WAIT, by port, into a new array of
 * 2 * TWG_CW_PORTS (twg_close_wait_index()), for the caller to kvfree().
 * NULL if there is no memory for it.
 */
struct twg_close_wait *twg_close_wait_scan(struct twg_netns *ns)
{
	struct net *net = ns->net;
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	u32 since_s = ktime_get_boottime_seconds() - ns->since;
	struct twg_close_wait *cw;
	unsigned int slot;

	cw = kvcalloc(2 * TWG_CW_PORTS, sizeof(*cw), GFP_KERNEL_ACCOUNT);
	if (!cw)
		return NULL;
	for (slot = 0; slot <= h->ehash_mask; slot++) {
		struct inet_ehash_bucket *head = &h->ehash[slot];
		spinlock_t *lock = inet_ehash_lockp(h, slot);
		struct hlist_nulls_node *node;
		struct sock *sk;
		u32 now_ms;

		if (hlist_nulls_empty(&head->chain))
			continue;
		now_ms = twg_sk_clock_ms();
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, &head->chain)
			if (sk->sk_state == TCP_CLOSE_WAIT &&
			    net_eq(sock_net(sk), net))
				twg_close_wait_sock(sk, cw, now_ms, since_s);
		spin_unlock_bh(lock);
		cond_resched();
	}
	return cw;
}

/*
 * The indexes of the at most @max entries of @cw (2 * TWG_CW_PORTS) with
 * connections in CLOSE_WAIT, into @top, most first (the lower index
 * first among equals); return how many.  O(entries x @max) at worst,
 * O(entries) when few ports have any.
 */
unsigned int twg_close_wait_top(const struct twg_close_wait *cw,
				unsigned int *top, unsigned int max)
{
	unsigned int i, j, nr = 0;

	if (!max)
		return 0;
	for (i = 0; i < 2 * TWG_CW_PORTS; i++) {
		if (!cw[i].n || (nr == max && cw[top[nr - 1]].n >= cw[i].n))
			continue;
		/* Into its place, the last one falling off if full. */
		j = nr < max ? nr++ : nr - 1;
		for (; j > 0 && cw[top[j - 1]].n < cw[i].n; j--)
			top[j] = top[j - 1];
		top[j] = i;
	}
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(twg_close_wait_top);
