// SPDX-License-Identifier: GPL-2.0
/*
 * What the close-path hooks learn beyond the counters: which destinations
 * hold this netns's ephemeral ports, which ports close first, and how long
 * sockets dwell in the states that end a connection.
 *
 * Destinations.  A row per remote endpoint this netns connect()ed to from
 * an ephemeral port (no explicit bind() to a port: the port came from
 * ip_local_port_range), counting its live connections (SYN_SENT up to
 * CLOSE, or up to the minisock that takes over) and its minisocks
 * (TIME_WAIT and FIN_WAIT2, as sockstat's tw).
 * Together they are the 4-tuples towards that endpoint connect() cannot
 * use again from one local address.  Server-side TIME-WAIT, towards the
 * clients' ports, does not cost the server ports: the ports table shows it.
 * Whether a socket counts is decided once, at connect(), and kept in its
 * word (stamp.h), then carried to its minisock: every decrement matches
 * an increment, and sockets that were there before twguard count nowhere.
 *
 * Ports.  Every close is attributed when the first FIN goes or comes
 * (the moments close_active and close_passive count): to the local port
 * for a connection accepted from a listener, to the remote port for one
 * this host opened.
 *
 * Dwell.  A full socket's word holds when it entered FIN_WAIT2,
 * CLOSE_WAIT or LAST_ACK, by twg_sk_clock_ms(); the hook for the state it leaves adds the time
 * to that state's histogram.  A minisock's word holds when it entered
 * TIME_WAIT, or, for a FIN_WAIT2 minisock, when its connection entered
 * FIN_WAIT2, so one connection's FIN_WAIT2 is one sample however it ends.
 *
 * Cost.  Dwell times: a clock read where a timed state begins or ends
 * (no other move reads one), and a per-CPU add.  Tables: a hash lookup
 * under RCU and a compare-and-exchange of the row's counts, no lock
 * (table.c takes its lock only where a table's shape changes), and an
 * allocation from a kmem_cache when a destination is new; only at
 * connect(), at the first FIN, and when a counted connection or minisock
 * ends.  The pressure alert, when set, costs a division when a row
 * changes, and the lock and a kernfs_notify() when it crosses the
 * threshold.
 */
#include <linux/kernfs.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "netns.h"
#include "twguard.h"
#include "observe.h"
#include "snapshot.h"
#include "stamp.h"

int twg_observe_module_init(void)
{
	return twg_table_module_init();
}

void twg_observe_module_exit(void)
{
	twg_table_module_exit();
}

int twg_observe_init(struct twg_observe *o)
{
	int err;

	o->dwell = alloc_percpu_gfp(struct twg_dwell_hist, GFP_KERNEL_ACCOUNT);
	if (!o->dwell)
		return -ENOMEM;
	err = twg_table_init(&o->dest, TWG_TABLE_DEFAULT, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_dwell;
	err = twg_table_init(&o->ports, TWG_TABLE_DEFAULT, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_dest;
	return 0;

err_dest:
	twg_table_destroy(&o->dest);
err_dwell:
	free_percpu(o->dwell);
	o->dwell = NULL;
	return err;
}

/* Once no hook can run for the netns any more. */
void twg_observe_destroy(struct twg_observe *o)
{
	twg_table_destroy(&o->ports);
	twg_table_destroy(&o->dest);
	free_percpu(o->dwell);
	o->dwell = NULL;
	if (o->alert_kn)
		kernfs_put(o->alert_kn);
	o->alert_kn = NULL;
}

/* The number of ports connect() may choose from in @net. */
u32 twg_observe_range(const struct net *net)
{
	int lo, hi;

	inet_get_local_port_range(net, &lo, &hi);
	return hi >= lo ? hi - lo + 1 : 1;
}

/* The remote endpoint of a socket or minisock, IPv4-mapped as IPv4. */
static void twg_dest_key(struct twg_row_key *key, const struct sock_common *c)
{
	memset(key, 0, sizeof(*key));
	key->kind = TWG_KEY_DEST;
	key->port = c->skc_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (twg_skc_is_ipv6(c)) {
		key->family = AF_INET6;
		key->addr = c->skc_v6_daddr;
		return;
	}
#endif
	key->family = AF_INET;
	key->addr.s6_addr32[3] = c->skc_daddr;
}

/* "addr:port" or "[addr]:port" for a destination, "port" for a port. */
void twg_observe_key_format(const struct twg_row_key *key, char *buf, size_t len)
{
	u16 port = ntohs(key->port);

	if (key->kind != TWG_KEY_DEST)
		snprintf(buf, len, "%u", port);
	else if (key->family == AF_INET6)
		snprintf(buf, len, "[%pI6c]:%u", &key->addr, port);
	else
		snprintf(buf, len, "%pI4:%u", &key->addr.s6_addr32[3], port);
}

/* Under o->dest.lock: make @key, at @pct, the alert. */
static void twg_alert_raise(struct twg_observe *o, const struct twg_row_key *key,
			    u32 pct, bool above, bool exhausted)
{
	o->alert.key = *key;
	o->alert.pressure = pct;
	o->alert.above = above;
	o->alert.exhausted = exhausted;
	o->alert.valid = true;
}

/*
 * Under o->dest.lock: whether the row @e, about to hold @tw and @live, crosses
 * the alert threshold (either way); if so, make it the alert.
 */

bool twg_alert_check(struct twg_observe *o, struct twg_entry *e, u32 tw,
		     u32 live, u32 range)
{
	u32 pct = twg_pressure_pct(tw, live, range);
	bool above = o->alert_pct && pct >= o->alert_pct;

	if (above == e->alerting)
		return false;
	WRITE_ONCE(e->alerting, above);
	twg_alert_raise(o, &e->key, pct, above, false);
	return true;
}

/*
 * Whether @e, holding @counts, is on the other side of the alert
 * threshold from where it was: if so, under the lock, where the alert
 * lives, it crosses, and the caller notifies.
 */
static bool twg_alert_update(struct twg_netns *ns, struct twg_entry *e,
			     u64 counts)
{
	struct twg_observe *o = &ns->obs;
	u32 range = twg_observe_range(ns->net), pct = READ_ONCE(o->alert_pct);
	bool notify;

	if ((pct && twg_pressure_pct(twg_counts_a(counts), twg_counts_b(counts),
				     range) >= pct) == READ_ONCE(e->alerting))
		return false;
	spin_lock(&o->dest.lock);
	counts = atomic64_read(&e->counts);
	notify = twg_alert_check(o, e, twg_counts_a(counts),
				 twg_counts_b(counts), range);
	spin_unlock(&o->dest.lock);
	return notify;
}

/*
 * Add @dtw minisocks and @dlive connections to the destination of @c,
 * whose row is made if there is none and one of them is positive.
 * Return whether a row counted it.  Bottom halves are off.
 */
static bool twg_dest_add(struct twg_netns *ns, const struct sock_common *c,
			 int dtw, int dlive)
{
	struct twg_observe *o = &ns->obs;
	struct twg_row_key key;
	struct twg_entry *e;
	bool notify = false;
	u64 counts;

	twg_dest_key(&key, c);
	rcu_read_lock();
	e = twg_table_add(&o->dest, &key, dtw, dlive,
			  GFP_ATOMIC | __GFP_NOWARN, &counts);
	if (e) {
		if (dtw > 0)
			twg_rate_event(&o->dest, e, ktime_get_seconds());
		/* No alert set, none raised: nothing to compute. */
		if (READ_ONCE(o->alert_pct) || READ_ONCE(e->alerting))
			notify = twg_alert_update(ns, e, counts);
	}
	rcu_read_unlock();
	if (notify && o->alert_kn)
		kernfs_notify(o->alert_kn);
	return e;
}

/*
 * A connect() from the ephemeral range found no free 4-tuple towards the
 * destination of @c: count it on its row (made if there is none), and
 * raise the alert, if it is set, the first time in a row it is for this.
 * Return whether the destination held TIME-WAIT minisocks then: a reuse
 * decision refused each of them (the port search tries every port of the
 * range, and only those it may not reuse are left).  Bottom halves are off.
 */
static bool twg_dest_refused(struct twg_netns *ns, const struct sock_common *c)
{
	struct twg_observe *o = &ns->obs;
	struct twg_entry *e;
	struct twg_row_key key;
	bool notify = false, tw = false;
	u64 counts;

	twg_dest_key(&key, c);
	spin_lock(&o->dest.lock);
	e = twg_table_count_locked(&o->dest, &key, false,
				   GFP_ATOMIC | __GFP_NOWARN, &counts);
	if (e) {
		tw = twg_counts_a(counts) > 0;
		if (o->alert_pct && !(o->alert.valid && o->alert.exhausted &&
				      !memcmp(&o->alert.key, &key, sizeof(key)))) {
			twg_alert_raise(o, &key,
					twg_pressure_pct(twg_counts_a(counts),
							 twg_counts_b(counts),
							 twg_observe_range(ns->net)),
					true, true);
			notify = true;
		}
	}
	spin_unlock(&o->dest.lock);
	if (notify && o->alert_kn)
		kernfs_notify(o->alert_kn);
	return tw;
}

/*
 * A connect() that moved to SYN_SENT closes before its socket was ever
 * hashed: inet_hash_connect() found no 4-tuple for it.  From a port the
 * socket holds already (bind()), the one 4-tuple it may use is taken;
 * otherwise every port of the range is (tcp_v4_connect(), and
 * tcp_v6_connect(), return EADDRNOTAVAIL, and close the socket before
 * they reset its destination).
 */
static void twg_connect_refused(struct twg_netns *ns, const struct sock *sk)
{
	bool bound = READ_ONCE(inet_sk(sk)->inet_num) != 0, tw = false;

	if (!bound)
		tw = twg_dest_refused(ns, &sk->__sk_common);
	twg_account_connect_refused(this_cpu_ptr(ns->stats), bound, tw);
}

/*
 * A bind() or listen() on @port refused by TIME-WAIT (@refused), or a
 * bind() let through over it by SO_REUSEADDR: counted, and on the port's
 * server row, made if there is none.  Bottom halves are off.
 */
void twg_observe_bind(struct twg_netns *ns, struct twg_stats *s, u16 port,
		      bool refused)
{
	struct twg_observe *o = &ns->obs;
	struct twg_row_key key = {
		.kind = TWG_KEY_SERVER, .port = htons(port),
	};
	u64 counts;

	twg_account_bind(s, refused);
	spin_lock(&o->ports.lock);
	twg_table_count_locked(&o->ports, &key, !refused,
			       GFP_ATOMIC | __GFP_NOWARN, &counts);
	spin_unlock(&o->ports.lock);
}

/* A close, with this host as the active closer or not. */
static void twg_ports_close(struct twg_netns *ns, const struct sock *sk,
			    enum twg_origin origin, bool active)
{
	struct twg_observe *o = &ns->obs;
	struct twg_row_key key = {};
	u64 counts;

	if (origin == TWG_ORIGIN_UNKNOWN) {
		atomic64_inc(&o->unattributed[active]);
		return;
	}
	if (origin == TWG_ORIGIN_PASSIVE) {
		key.kind = TWG_KEY_SERVER;
		key.port = htons(sk->sk_num);
	} else {
		key.kind = TWG_KEY_CLIENT;
		key.port = sk->sk_dport;
	}
	rcu_read_lock();
	twg_table_add(&o->ports, &key, active, !active,
		      GFP_ATOMIC | __GFP_NOWARN, &counts);
	rcu_read_unlock();
}

static void twg_dwell_add(struct twg_netns *ns, enum twg_dwell d, u32 ms)
{
	twg_account_dwell(this_cpu_ptr(ns->obs.dwell), d, ms);
}

/*
 * A full socket moves from @oldstate to @newstate (a move
 * twg_state_observed() lets through).  Bottom halves are off.
 */
void twg_observe_state(struct twg_netns *ns, struct sock *sk, int oldstate,
		       int newstate)
{
	u32 *wp = twg_sk_word(sk), word = READ_ONCE(*wp);
	int dold = twg_dwell_of_state(oldstate);
	int dnew = twg_dwell_of_state(newstate);
	bool timed_exit = dold >= 0 && (word & TWG_SK_STAMPED);
	u32 now = 0;

	/* The clock is read only where a state is timed. */
	if (timed_exit || dnew >= 0)
		now = twg_sk_clock_ms();
	if (timed_exit)
		twg_dwell_add(ns, dold, twg_ms_since(now, word, TWG_SK_MS_MASK));
	word &= ~(TWG_SK_STAMPED | TWG_SK_MS_MASK);

	switch (newstate) {
	case TCP_SYN_SENT:
		/* While the load-time walk runs, as if opened before: snapshot.c. */
		if (!twg_snapshot_settled()) {
			word = 0;
			break;
		}
		word = twg_sk_with_origin(0, TWG_ORIGIN_ACTIVE);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK) &&
		    twg_dest_add(ns, &sk->__sk_common, 0, 1))
			word = twg_sk_with_origin(0, TWG_ORIGIN_ACTIVE_DEST);
		break;
	case TCP_SYN_RECV:
		if (oldstate == TCP_LISTEN)
			word = twg_snapshot_settled() ?
			       twg_sk_with_origin(0, TWG_ORIGIN_PASSIVE) : 0;
		break;
	case TCP_FIN_WAIT1:
		twg_ports_close(ns, sk, twg_sk_origin(word), true);
		break;
	case TCP_CLOSE_WAIT:
		twg_ports_close(ns, sk, twg_sk_origin(word), false);
		break;
	case TCP_CLOSE:
		if (twg_sk_origin(word) == TWG_ORIGIN_ACTIVE_DEST) {
			twg_dest_add(ns, &sk->__sk_common, 0, -1);
			word = twg_sk_with_origin(word, TWG_ORIGIN_ACTIVE);
		}
		/* Counted without itself: its row shows what refused it. */
		if (oldstate == TCP_SYN_SENT && sk_unhashed(sk))
			twg_connect_refused(ns, sk);
		break;
	}

	if (dnew >= 0)
		word |= TWG_SK_STAMPED | (now & TWG_SK_MS_MASK);
	WRITE_ONCE(*wp, word);
}

/*
 * @tw takes over from @sk, whose TIME_WAIT or FIN_WAIT2 it continues;
 * reuse.c has stamped it already.  Bottom halves are off.
 */
void twg_observe_tw_enter(struct twg_netns *ns, struct inet_timewait_sock *tw,
			  struct sock *sk)
{
	u32 *skp = twg_sk_word(sk), skw = READ_ONCE(*skp), was = skw;
	u32 *twp = twg_tw_word(tw), tww = READ_ONCE(*twp);

	/*
	 * The connection's live count becomes a TIME-WAIT count in one step,
	 * so the socket's CLOSE, which follows, has nothing left to take.  A
	 * row evicted since SYN_SENT comes back counting the minisock only.
	 */
	if (twg_sk_origin(skw) == TWG_ORIGIN_ACTIVE_DEST) {
		if (twg_dest_add(ns, &tw->__tw_common, 1, -1))
			tww |= TWG_TW_DEST;
		skw = twg_sk_with_origin(skw, TWG_ORIGIN_ACTIVE);
	}

	/* Its FIN_WAIT2 goes on in the minisock: time it from there. */
	if (tw->tw_substate == TCP_FIN_WAIT2 &&
	    sk->sk_state == TCP_FIN_WAIT2 && (skw & TWG_SK_STAMPED)) {
		u32 since = twg_ms_since(twg_sk_clock_ms(), skw, TWG_SK_MS_MASK);
		/* The minisock's clock: the tcp clock reuse.c just stamped. */
		u32 tcp_now = tww & TWG_TW_MS_MASK;

		tww &= ~TWG_TW_MS_MASK;
		if (since < TWG_FW2_CARRY_MS) {
			tww |= (tcp_now - since) & TWG_TW_MS_MASK;
		} else {
			twg_dwell_add(ns, TWG_DWELL_FIN_WAIT2, since);
			tww |= TWG_TW_NODWELL;
		}
		skw &= ~(TWG_SK_STAMPED | TWG_SK_MS_MASK);
	}
	if (skw != was)
		WRITE_ONCE(*skp, skw);
	WRITE_ONCE(*twp, tww);
}

/* @tw ends, however.  Bottom halves are off. */
void twg_observe_tw_end(struct twg_netns *ns,
			const struct inet_timewait_sock *tw)
{
	u32 tww = READ_ONCE(*twg_tw_word(tw));

	if (tww & TWG_TW_DEST)
		twg_dest_add(ns, &tw->__tw_common, -1, 0);
	if (!(tww & TWG_TW_NODWELL))
		twg_dwell_add(ns, tw->tw_substate == TCP_TIME_WAIT ?
				  TWG_DWELL_TIME_WAIT : TWG_DWELL_FIN_WAIT2,
			      twg_ms_since(twg_tcp_clock_ms(), tww, TWG_TW_MS_MASK));
}

/*
 * A FIN turned FIN_WAIT2 minisock @tw into a TIME_WAIT one at tcp clock
 * @now_ms; reuse.c is about to restamp it.  Bottom halves are off.
 */
void twg_observe_fin_wait2_done(struct twg_netns *ns,
				const struct inet_timewait_sock *tw, u32 now_ms)
{
	u32 tww = READ_ONCE(*twg_tw_word(tw));

	if (!(tww & TWG_TW_NODWELL))
		twg_dwell_add(ns, TWG_DWELL_FIN_WAIT2,
			      twg_ms_since(now_ms, tww, TWG_TW_MS_MASK));
}

/*
 * A full socket that was there before twguard, at load: whatever an
 * earlier load left in its word goes; it counts in no table.
 */
void twg_observe_existing(struct sock *sk)
{
	WRITE_ONCE(*twg_sk_word(sk), 0);
}
