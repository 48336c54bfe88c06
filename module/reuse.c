// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcing the TIME-WAIT reuse policy at tcp_twsk_unique().
 *
 * __inet_check_established() and __inet6_check_established() ask
 * tcp_twsk_unique() whether a connect() may take over the 4-tuple of a
 * TIME-WAIT minisock, with the bucket lock held and bottom halves off.
 *
 * The kernel decides wherever no namespace asks otherwise.  While no
 * namespace has a policy in force (twg_policy_in_force(): a mode other
 * than kernel, a rule, or a dry run), nothing of twguard is on
 * tcp_twsk_unique(): the kernel's function runs as it is, stable fixes
 * and livepatches included.  The first policy put in force places the
 * hook, the last one cleared removes it (twg_reuse_get() and
 * twg_reuse_put(), counted per namespace under twg_reuse_mutex).  While
 * it is in place, its callback looks at the connecting socket's
 * namespace and leaves the call alone unless that namespace's policy is
 * in force: the kernel's own code still decides for every other one.
 *
 * Where a policy is in force, the call goes to twg_twsk_unique() instead,
 * as livepatch redirects a function: an ftrace callback with
 * FTRACE_OPS_FL_IPMODIFY that returns to the caller in its place.  Our
 * replacement does exactly what the kernel's does on success (a reference
 * on the minisock, write_seq past the old sequence space, ts_recent
 * copied) and nothing at all on failure, so a deny leaves no trace and an
 * allow is the kernel's own.
 *
 * Registering the ftrace_ops switches every CPU over at once; unregistering
 * waits until no CPU can still be in the callback or the replacement
 * (ftrace's RCU-tasks synchronisation for dynamic ops), so no call ever
 * sees a half-installed hook.  FTRACE_OPS_FL_PERMANENT keeps anyone from
 * turning ftrace off under an enforced policy.  If the hook cannot be
 * placed (a livepatch or another IPMODIFY user owns the function), the
 * write that asked for a policy fails with EBUSY and changes nothing: a
 * policy is never shown as set while the kernel decides.
 *
 * Entry time.  A minisock of 6.1 or 6.12 does not record when it entered
 * TIME-WAIT (6.14 added tw_entry_stamp); tw_ts_recent_stamp is the last
 * *received* timestamp, in seconds.  twguard keeps its own stamp, with the
 * connection's RTT, in a free word of the minisock (stamp.h), written by
 * the entry and rearm hooks before connect() can find the minisock, and
 * (re)written whenever the kernel (re)starts the 2MSL timer: on entry, on
 * FIN_WAIT2 -> TIME_WAIT, and when the minisock acknowledges a
 * retransmitted FIN.  Each of these is the last segment the old
 * connection sent, up to the out-of-window ACKs the kernel rate-limits
 * with tw_last_oow_ack_time, which ts_order accounts for.
 *
 * The policy never trusts that word further than the kernel's own state
 * vouches for it: a minisock hashed around the load may carry what the
 * slab object held before.  The stamp's age is used, to the ms, only
 * while it is no older than the 2MSL timer (armed TCP_TIMEWAIT_LEN before
 * it expires, under the bucket lock connect() takes, so always set by the
 * time a connect() sees the minisock) and, from 6.14 on, the kernel's
 * tw_entry_stamp allow; otherwise the least age they prove, one jiffy
 * conservative (twg_vouched_age()).  No per-socket allocation, no lookup:
 * the decision reads the minisock it is given.
 */
#include <linux/ftrace.h>
#include <linux/rcupdate.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/secure_seq.h>
#include <net/tcp.h>

#include "netns.h"
#include "twguard.h"
#include "policy.h"
#include "reuse.h"
#include "stamp.h"

/* Namespaces whose policy is in force, and whether the hook is placed. */
static DEFINE_MUTEX(twg_reuse_mutex);
static unsigned int twg_reuse_users;
static bool twg_reuse_hooked;
static bool twg_reuse_closed;	/* unloading: the hook is gone for good */

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

/*
 * The age of @tw in TIME_WAIT that a decision may use: @stamp_age, the
 * age by twguard's word, when the kernel's own state allows it; else the
 * least age that state proves.  The 2MSL timer was armed at some instant
 * of the jiffy TCP_TIMEWAIT_LEN before its expiry: the age is less than
 * one jiffy more, and more than one jiffy less, than the jiffies since.
 * From 6.14 on, the kernel's tw_entry_stamp (ms, at or before the entry)
 * bounds it too.  A word left by the slab object's last user is caught
 * here, and gives way to what the kernel proves.
 */
static u32 twg_vouched_age(const struct inet_timewait_sock *tw, u32 stamp_age)
{
	long ticks = (long)(jiffies - (READ_ONCE(tw->tw_timer.expires) -
				       TCP_TIMEWAIT_LEN));
	u32 most, least;

	if (READ_ONCE(tw->tw_substate) != TCP_TIME_WAIT)
		return stamp_age;	/* never reused: see twg_policy_decide() */
	ticks = clamp_t(long, ticks, 0, TCP_TIMEWAIT_LEN);
	most = jiffies_to_msecs(ticks + 1);
	least = ticks > 1 ? jiffies_to_msecs(ticks - 1) : 0;
#ifdef TWG_HAVE_TW_ENTRY_STAMP
	most = min(most, twg_tcp_clock_ms() - twg_tw_entry_stamp(tw) + 1);
	least = min(least, most);
#endif
	return stamp_age <= most ? stamp_age : least;
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
	bool ipv6 = twg_skc_is_ipv6(&tw->__tw_common);

	memset(c, 0, sizeof(*c));
#if IS_ENABLED(CONFIG_IPV6)
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
	c->kernel_age_ok = twg_kernel_reuse_age_ok(net, tw, ts_recent_stamp);
	c->age_ms = twg_vouched_age(tw, (twg_tcp_clock_ms() - stamp) &
					TWG_TW_MS_MASK);
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
			   twg_ts_off_same(net, tw, c->family == AF_INET6,
					   READ_ONCE(tcptw->tw_ts_offset));
	c->ts_delta = min_t(u32, twg_since_last_send(tcptw, c->age_ms), S32_MAX);
}

static void twg_reuse_count(const struct net *net, enum twg_verdict v,
			    enum twg_verdict would, bool dry_run)
{
	BUILD_BUG_ON(TWG_REUSE_DENIED_FIN_WAIT2 - TWG_REUSE_ALLOWED !=
		     TWG_VERDICT_DENIED_FIN_WAIT2);
	BUILD_BUG_ON(TWG_WOULD_DENIED_FIN_WAIT2 - TWG_WOULD_ALLOWED !=
		     TWG_VERDICT_DENIED_FIN_WAIT2);
	twg_with_netns(net, ({
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

/*
 * Called at the entry of tcp_twsk_unique(), with the bucket lock held and
 * bottom halves off: an RCU read-side section.  Only a namespace whose
 * policy is in force is sent to twg_twsk_unique().
 */
static void notrace twg_reuse_ftrace(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op,
				     struct ftrace_regs *fregs)
{
	const struct sock *sk = (const struct sock *)twg_fregs_arg(fregs, 0);
	const struct twg_netns *ns = twg_netns_of_hook(sock_net(sk));
	const struct twg_policy *p;

	if (!ns)
		return;
	p = rcu_dereference_check(ns->pol.policy, rcu_read_lock_any_held());
	if (twg_policy_in_force(p))
		twg_fregs_set_ip(fregs, (unsigned long)twg_twsk_unique);
}

static struct ftrace_ops twg_reuse_ops = {
	.func = twg_reuse_ftrace,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

/*
 * The ops's filter is set once, at load, and freed once, at unload: the
 * hook comes and goes with the policies in between by registering and
 * unregistering the ops alone.  (6.1's ftrace_free_filter() leaves the
 * ops pointing at the hashes it frees, so a filter set again after it
 * would copy, and free again, freed memory.)
 *
 * By name: 6.12 exports tcp_twsk_unique() only when IPv6 is a module, 7.x
 * not at all, and ftrace resolves names itself.
 */
static int twg_reuse_filter(void)
{
	char target[] = "tcp_twsk_unique";

	return ftrace_set_filter(&twg_reuse_ops, target, strlen(target), 1);
}

static void twg_reuse_filter_free(void)
{
	ftrace_free_filter(&twg_reuse_ops);
}

static int twg_reuse_hook(void)
{
	return register_ftrace_function(&twg_reuse_ops);
}

static void twg_reuse_unhook(void)
{
	unregister_ftrace_function(&twg_reuse_ops);
}

#else

static int twg_reuse_filter(void)
{
	return -EOPNOTSUPP;	/* needs CONFIG_DYNAMIC_FTRACE_WITH_ARGS */
}

static void twg_reuse_filter_free(void)
{
}

static int twg_reuse_hook(void)
{
	return -EOPNOTSUPP;
}

static void twg_reuse_unhook(void)
{
}

#endif

/* Why no policy can be put in force, or 0: the filter's error at load. */
static int twg_reuse_filter_err;

/* At load: find tcp_twsk_unique() for the hook policies will need. */
void twg_reuse_init(void)
{
	twg_reuse_filter_err = twg_reuse_filter();
	if (twg_reuse_filter_err)
		pr_warn("cannot trace tcp_twsk_unique() (%d): reuse policies will be refused with EBUSY\n",
			twg_reuse_filter_err);
}

/*
 * A namespace puts a policy in force: place the hook if it is the first.
 * -EBUSY if the hook cannot be placed, -ENOMEM if ftrace ran out of
 * memory placing it; nothing is then in force.
 */
int twg_reuse_get(void)
{
	int err = 0;

	mutex_lock(&twg_reuse_mutex);
	if (twg_reuse_closed) {
		err = -ENODEV;
	} else if (!twg_reuse_users) {
		err = twg_reuse_filter_err ?: twg_reuse_hook();
		if (err && err != -ENOMEM) {
			pr_warn("TIME-WAIT reuse policy refused: cannot take over tcp_twsk_unique() (%d), is a livepatch or another ftrace user modifying it?\n",
				err);
			err = -EBUSY;
		} else if (!err) {
			twg_reuse_hooked = true;
			pr_info("a reuse policy is in force: tcp_twsk_unique() taken over\n");
		}
	}
	if (!err)
		twg_reuse_users++;
	mutex_unlock(&twg_reuse_mutex);
	return err;
}

/* A namespace's policy is no longer in force: the last one unhooks. */
void twg_reuse_put(void)
{
	mutex_lock(&twg_reuse_mutex);
	if (!twg_reuse_closed && !WARN_ON(!twg_reuse_users) &&
	    !--twg_reuse_users) {
		twg_reuse_unhook();
		twg_reuse_hooked = false;
		pr_info("no reuse policy is in force: tcp_twsk_unique() is the kernel's\n");
	}
	mutex_unlock(&twg_reuse_mutex);
}

/* Unloading: the hook goes before anything it reads does. */
void twg_reuse_exit(void)
{
	mutex_lock(&twg_reuse_mutex);
	if (twg_reuse_hooked)
		twg_reuse_unhook();
	if (!twg_reuse_filter_err && !twg_reuse_closed)
		twg_reuse_filter_free();
	twg_reuse_hooked = false;
	twg_reuse_users = 0;
	twg_reuse_closed = true;
	mutex_unlock(&twg_reuse_mutex);
}

/* Whether tcp_twsk_unique() is taken over now, for the root hooks file. */
bool twg_reuse_hook_placed(void)
{
	return READ_ONCE(twg_reuse_hooked);
}
