// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcing the TIME-WAIT reuse policy at tcp_twsk_unique().
 *
 * __inet_check_established() and __inet6_check_established() ask
 * tcp_twsk_unique() whether a connect() may take over the 4-tuple of a
 * TIME-WAIT minisock, with the bucket lock held and bottom halves off.
 * twguard replaces that function as livepatch does: an ftrace callback
 * with FTRACE_OPS_FL_IPMODIFY sends the call to twg_twsk_unique(), which
 * returns to the caller in its place.  Our replacement does exactly what
 * the kernel's does on success (a reference on the minisock, write_seq
 * past the old sequence space, ts_recent copied for PAWS) and nothing at
 * all on failure, so a deny leaves no trace and an allow is the kernel's
 * own.  Without a policy in force (mode=kernel, no rule matching) it
 * decides as tcp_twsk_unique() does, line for line.
 *
 * Registering the ftrace_ops switches every CPU over at once; unregistering
 * waits until no CPU can still be in the callback or the replacement
 * (ftrace's RCU-tasks synchronisation for dynamic ops), so no call ever
 * sees a half-installed hook.  FTRACE_OPS_FL_PERMANENT keeps anyone from
 * turning ftrace off under an enforced policy.  If the hook cannot be
 * placed (a livepatch or another IPMODIFY user owns the function, or the
 * kernel has no suitable ftrace), twguard keeps accounting and says it
 * does not enforce: in dmesg, and in policy/enforcing.
 *
 * Entry time.  A minisock of 6.1 or 6.12 does not record when it entered
 * TIME-WAIT (6.14 added tw_entry_stamp); tw_ts_recent_stamp is the last
 * *received* timestamp, in seconds, and the timer's expiry has one-jiffy
 * precision.  twguard keeps its own stamp, with the connection's RTT, in
 * a hole of the minisock (stamp.h), written by the entry and rearm hooks
 * before the minisock is found by connect().  The stamp is (re)written
 * whenever the kernel (re)starts the 2MSL timer: on entry, on FIN_WAIT2
 * -> TIME_WAIT, and when the minisock acknowledges a retransmitted FIN.
 * Each of these is the last segment the old connection sent, up to the
 * out-of-window ACKs the kernel rate-limits with tw_last_oow_ack_time,
 * which ts_order accounts for.  Minisocks already there at load get an
 * entry time from their timer, one jiffy conservative, and no RTT.  No
 * per-socket allocation, no lookup: the decision reads the minisock it is
 * given.
 */
#include <linux/ftrace.h>
#include <linux/rcupdate.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/secure_seq.h>
#include <net/tcp.h>

#include "netns.h"
#include "policy.h"
#include "reuse.h"
#include "stamp.h"

static bool twg_enforcing;

static u32 twg_stamp_make(u32 now_ms, u32 rtt_ms)
{
	return (now_ms & TWG_TW_MS_MASK) |
	       min_t(u32, rtt_ms, TWG_RTT_MS_MAX) << TWG_TW_RTT_SHIFT;
}

/* @tw takes over from @sk: the 2MSL (or FIN_WAIT2) timer starts now. */
void twg_reuse_stamp(struct inet_timewait_sock *tw, const struct sock *sk)
{
	u32 srtt_us = tcp_sk(sk)->srtt_us >> 3;

	BUILD_BUG_ON((TWG_TW_RTT_MASK >> TWG_TW_RTT_SHIFT) < TWG_RTT_MS_MAX);
	WRITE_ONCE(*twg_tw_word(tw),
		   twg_stamp_make(twg_tcp_clock_ms(),
				  DIV_ROUND_UP(srtt_us, USEC_PER_MSEC)));
}

/*
 * @tw's 2MSL timer restarts at tcp clock @now_ms: FIN_WAIT2 -> TIME_WAIT,
 * or a FIN was resent.  Its dwell in TIME_WAIT counts from here.
 */
void twg_reuse_restamp(struct inet_timewait_sock *tw, u32 now_ms)
{
	u32 old = READ_ONCE(*twg_tw_word(tw));

	WRITE_ONCE(*twg_tw_word(tw),
		   (old & (TWG_TW_RTT_MASK | TWG_TW_DEST)) |
		   (now_ms & TWG_TW_MS_MASK));
}

/*
 * @tw was there before twguard: its timer was armed TCP_TIMEWAIT_LEN
 * before it expires, at some instant of that jiffy; assume the latest.
 * It counts in no table and has no dwell time to record.
 */
void twg_reuse_stamp_existing(struct inet_timewait_sock *tw)
{
	long ticks = (long)(jiffies - (tw->tw_timer.expires - TCP_TIMEWAIT_LEN));
	u32 age_ms = 0;

	if (tw->tw_substate == TCP_TIME_WAIT && ticks > 1)
		age_ms = jiffies_to_msecs(min_t(long, ticks - 1, TCP_TIMEWAIT_LEN));
	WRITE_ONCE(*twg_tw_word(tw),
		   twg_stamp_make(twg_tcp_clock_ms() - age_ms, 0) |
		   TWG_TW_NODWELL);
}

/* What tcp_twsk_unique() calls loopback, for tcp_tw_reuse=2. */
static bool twg_tw_loopback(const struct inet_timewait_sock *tw)
{
	if (tw->tw_bound_dev_if == LOOPBACK_IFINDEX)
		return true;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6)
		return ipv6_addr_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_loopback(&tw->tw_v6_rcv_saddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_rcv_saddr);
#endif
	return ipv4_is_loopback(tw->tw_daddr) ||
	       ipv4_is_loopback(tw->tw_rcv_saddr);
}

/*
 * The TSval offset the new connection will get: the 4-tuple is the
 * minisock's, and tcp_v[46]_connect() derive the offset from it.
 */
static u32 twg_new_ts_off(const struct net *net,
			  const struct inet_timewait_sock *tw, bool ipv6)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (ipv6)
		return secure_tcpv6_seq_and_ts_off(net,
						   tw->tw_v6_rcv_saddr.s6_addr32,
						   tw->tw_v6_daddr.s6_addr32,
						   tw->tw_sport,
						   tw->tw_dport).ts_off;
#endif
	return secure_tcp_seq_and_ts_off(net, tw->tw_rcv_saddr, tw->tw_daddr,
					 tw->tw_sport, tw->tw_dport).ts_off;
}

/*
 * How long ago, at least, the old connection sent its last TSval: its
 * last (re)arm, less the 1 ms the ACK may have gone out after the stamp,
 * or its last out-of-window ACK, in whole jiffies.
 */
static u32 twg_since_last_send(const struct tcp_timewait_sock *tcptw,
			       u32 age_ms)
{
	u32 since = age_ms ? age_ms - 1 : 0;
	u32 oow = READ_ONCE(tcptw->tw_last_oow_ack_time);

	if (oow) {
		s32 ticks = (s32)(tcp_jiffies32 - oow);

		since = min_t(u32, since,
			      ticks > 1 ? jiffies_to_msecs(ticks - 1) : 0);
	}
	return since;
}

/* Gather the facts of one decision. */
static void twg_reuse_ctx_fill(struct twg_reuse_ctx *c, const struct sock *sk,
			       const struct sock *sktw, const void *twp)
{
	const struct inet_timewait_sock *tw = inet_twsk(sktw);
	const struct tcp_timewait_sock *tcptw = tcp_twsk(sktw);
	const struct net *net = sock_net(sk);
	int ts_recent_stamp = READ_ONCE(tcptw->tw_ts_recent_stamp);
	u32 stamp = READ_ONCE(*twg_tw_word(tw));
	bool ipv6 = false;

	memset(c, 0, sizeof(*c));
#if IS_ENABLED(CONFIG_IPV6)
	ipv6 = tw->tw_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&tw->tw_v6_daddr);
	if (ipv6)
		c->daddr.v6 = tw->tw_v6_daddr;
#endif
	c->family = ipv6 ? AF_INET6 : AF_INET;
	if (!ipv6)
		c->daddr.v4 = tw->tw_daddr;
	c->dport = ntohs(tw->tw_dport);
	c->loopback = twg_tw_loopback(tw);
	c->bound = !twp;
	c->fin_wait2 = READ_ONCE(tw->tw_substate) == TCP_FIN_WAIT2;
	c->old_ts = ts_recent_stamp != 0;
	c->sysctl_reuse = READ_ONCE(net->ipv4.sysctl_tcp_tw_reuse);
	c->kernel_age_ok = time_after32(ktime_get_seconds(), ts_recent_stamp);
	c->age_ms = (twg_tcp_clock_ms() - stamp) & TWG_TW_MS_MASK;
	c->rtt_ms = (stamp & TWG_TW_RTT_MASK) >> TWG_TW_RTT_SHIFT;
}

/*
 * Order the TSvals of the old connection and the new one, for a strict
 * policy.  Both count clock + offset.  The clocks are one (ms, unless the
 * old one negotiated usec), and the offsets are one unless
 * net.ipv4.tcp_timestamps changed in between: only then does the
 * difference of the clocks order the TSvals.
 */
static void twg_reuse_ctx_fill_ts(struct twg_reuse_ctx *c,
				  const struct sock *sk,
				  const struct sock *sktw)
{
	const struct inet_timewait_sock *tw = inet_twsk(sktw);
	const struct tcp_timewait_sock *tcptw = tcp_twsk(sktw);
	const struct net *net = sock_net(sk);

	c->ts_comparable = READ_ONCE(net->ipv4.sysctl_tcp_timestamps) &&
			   !twg_tw_usec_ts(tw) &&
			   twg_new_ts_off(net, tw, c->family == AF_INET6) ==
			   READ_ONCE(tcptw->tw_ts_offset);
	c->ts_delta = min_t(u32, twg_since_last_send(tcptw, c->age_ms), S32_MAX);
}

static void twg_reuse_count(const struct net *net, enum twg_verdict v,
			    enum twg_verdict would, bool dry_run)
{
	BUILD_BUG_ON(TWG_REUSE_DENIED_FIN_WAIT2 - TWG_REUSE_ALLOWED !=
		     TWG_VERDICT_DENIED_FIN_WAIT2);
	BUILD_BUG_ON(TWG_WOULD_DENIED_FIN_WAIT2 - TWG_WOULD_ALLOWED !=
		     TWG_VERDICT_DENIED_FIN_WAIT2);
	twg_account(net, ({
		s->counter[TWG_REUSE_ALLOWED + v]++;
		if (dry_run)
			s->counter[TWG_WOULD_ALLOWED + would]++;
	}));
}

/*
 * tcp_twsk_unique(), under twguard's policy: 1 if @sk may take over the
 * 4-tuple of @sktw.  Called with the ehash bucket lock held.
 */
static int twg_twsk_unique(struct sock *sk, struct sock *sktw, void *twp)
{
	const struct tcp_timewait_sock *tcptw = tcp_twsk(sktw);
	const struct net *net = sock_net(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	const struct twg_policy *p;
	enum twg_verdict v, would;
	struct twg_reuse_ctx c;
	bool dry_run = false;

	twg_reuse_ctx_fill(&c, sk, sktw, twp);

	rcu_read_lock();
	p = twg_netns_policy(net);
	if (p && twg_policy_orders_ts(p))
		twg_reuse_ctx_fill_ts(&c, sk, sktw);
	v = p ? twg_policy_decide(p, &c) : twg_decide_kernel(&c);
	would = v;
	if (p && p->dry_run) {
		dry_run = true;
		v = twg_decide_kernel(&c);
	}
	rcu_read_unlock();

	/*
	 * From here on, tcp_twsk_unique() as the kernel has it: the minisock
	 * may be on its way out (inet_twsk_hashdance() publishes it before
	 * setting its refcount), and is then no decision at all; the new
	 * connection starts its sequence space past the old one's, and PAWS
	 * on it starts from the old ts_recent.
	 */
	if (v == TWG_VERDICT_ALLOWED &&
	    unlikely(!refcount_inc_not_zero(&sktw->sk_refcnt)))
		return 0;
	twg_reuse_count(net, v, would, dry_run);
	if (v != TWG_VERDICT_ALLOWED)
		return 0;
	if (likely(!tp->repair)) {
		u32 seq = tcptw->tw_snd_nxt + 65535 + 2;

		if (!seq)
			seq = 1;
		WRITE_ONCE(tp->write_seq, seq);
		tp->rx_opt.ts_recent = READ_ONCE(tcptw->tw_ts_recent);
		tp->rx_opt.ts_recent_stamp = READ_ONCE(tcptw->tw_ts_recent_stamp);
	}
	return 1;
}

#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)

static void notrace twg_reuse_ftrace(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op,
				     struct ftrace_regs *fregs)
{
	twg_fregs_set_ip(fregs, (unsigned long)twg_twsk_unique);
}

static struct ftrace_ops twg_reuse_ops = {
	.func = twg_reuse_ftrace,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

/*
 * By name: 6.12 exports tcp_twsk_unique() only when IPv6 is a module, and
 * ftrace resolves names itself.
 */
static int twg_reuse_hook(void)
{
	char target[] = "tcp_twsk_unique";
	int err;

	err = ftrace_set_filter(&twg_reuse_ops, target, strlen(target), 1);
	if (err)
		return err;
	err = register_ftrace_function(&twg_reuse_ops);
	if (err)
		ftrace_free_filter(&twg_reuse_ops);
	return err;
}

static void twg_reuse_unhook(void)
{
	unregister_ftrace_function(&twg_reuse_ops);
	ftrace_free_filter(&twg_reuse_ops);
}

#else

static int twg_reuse_hook(void)
{
	return -EOPNOTSUPP;	/* needs CONFIG_DYNAMIC_FTRACE_WITH_ARGS */
}

static void twg_reuse_unhook(void)
{
}

#endif

/*
 * Take over tcp_twsk_unique(), if the minisock hooks that stamp entry
 * times are in place (@stamps).  Failing that, twguard loads anyway and
 * observes only.
 */
void twg_reuse_init(bool stamps)
{
	int err;

	if (!stamps) {
		pr_warn("TIME-WAIT reuse policy not enforced: the TIME-WAIT hooks are missing; policy/enforcing reads 0\n");
		return;
	}
	err = twg_reuse_hook();
	if (err) {
		pr_warn("TIME-WAIT reuse policy not enforced: cannot take over tcp_twsk_unique() (%d), is a livepatch or another ftrace user modifying it? policy/enforcing reads 0\n",
			err);
		return;
	}
	twg_enforcing = true;
	pr_info("TIME-WAIT reuse policy enforced at tcp_twsk_unique()\n");
}

void twg_reuse_exit(void)
{
	if (twg_enforcing)
		twg_reuse_unhook();
	twg_enforcing = false;
}

bool twg_reuse_enforcing(void)
{
	return twg_enforcing;
}
