// SPDX-License-Identifier: GPL-2.0
/*
 * Where twguard watches the TCP close path, and what each hook costs.
 *
 * Full sockets: tracepoints, attached by name (they are not exported).
 *   sock:inet_sock_set_state   every tcp_set_state(): the close states
 *   tcp:tcp_receive_reset      tcp_reset(), before the socket moves
 *   tcp:tcp_send_reset         an active reset has no skb: tcp_send_active_reset()
 *
 * TIME-WAIT minisocks: one ftrace_ops on functions the TCP stack calls for
 * every minisock.  No tracepoint sees a minisock: the full socket goes
 * from FIN_WAIT2 to CLOSE and hands its 4-tuple over without
 * tcp_set_state().
 *   inet_twsk_hashdance[_schedule]  a minisock is published: entered
 *   inet_twsk_kill                  a minisock ends; the one place where
 *                                   tw_refcount (sockstat's "tw") drops
 *   tw_timer_handler                its 2MSL or FIN_WAIT2 timer fired
 *   tcp_timewait_state_process      a segment reached a minisock
 *   __inet_twsk_schedule            a minisock's timer is (re)armed
 *
 * bind() and listen(): a kretprobe on inet_csk_get_port() (bind.c).
 *
 * Why a minisock ended is decided in inet_twsk_kill(), from what the
 * kernel did just before on the same CPU, with bottom halves off in
 * between (so nothing else can run there):
 *   expired   tw_timer_handler() for it ran: it tail-calls the kill
 *   reused    it is already unhashed: __inet_check_established() took its
 *             4-tuple for a connect() before killing it
 *   killed    its netns is dying (inet_twsk_purge()), or a RST killed it
 *   recycled  the segment tcp_timewait_state_process() just saw for it was
 *             a SYN, in TIME_WAIT: tcp_v[46]_rcv() got TCP_TW_SYN
 *
 * Cost: each hook is a few loads, a lookup of its netns's state in the
 * net_generic array (twg_netns_of_hook()) and a per-CPU add with bottom
 * halves off (a tracepoint in process context can be interrupted by a
 * softirq running the same hook on the same CPU); the hooks that update
 * observe.c's tables take a spinlock too.  No printk.
 * State changes that count nothing (connection setup, listening) return
 * after two compares.  tcp_max_tw_buckets overflows cost nothing: the
 * kernel counts them, and netns.c reads that.
 *
 * Sockets that exist at load: the hooks are registered inactive, go live
 * at one instant in a stop_machine() that does nothing else, and then
 * snapshot.c walks the established hash bucket by bucket while they run;
 * a hook whose socket's bucket is not walked yet walks it first.  Every
 * kernel path from a minisock hook to the change of the hash it announces
 * runs with bottom halves disabled, which stop_machine() cannot
 * interrupt, so no such change straddles the instant the hooks go live.
 * tcp_set_state() may run in process context, but has no preemption point
 * between its tracepoint and its store of the new state but the end of the
 * tracepoint itself: only a kernel that preempts there (preempt=full, or
 * lazy) could count a socket changing state at that very instant in the
 * wrong *_current.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/stop_machine.h>
#include <linux/tracepoint.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "bind.h"
#include "hooks.h"
#include "netns.h"
#include "twguard.h"
#include "observe.h"
#include "reuse.h"
#include "snapshot.h"

/* Set once the load-time snapshot is taken: from then on hooks count. */
static bool twg_live __read_mostly;

/* The minisock whose timer is running on this CPU. */
static DEFINE_PER_CPU(const struct inet_timewait_sock *, twg_expiring);

/* The minisock tcp_timewait_state_process() last ran for on this CPU. */
struct twg_tw_segment {
	const struct inet_timewait_sock *tw;
	bool syn;		/* a SYN, no RST, in TIME_WAIT: may recycle */
	bool fin_wait2;		/* in FIN_WAIT2: a FIN moves it to TIME_WAIT */
};

static DEFINE_PER_CPU(struct twg_tw_segment, twg_tw_segment);

/* A TCP minisock, IPv4 or IPv6, answers to its netns's TCP death row. */
static bool twg_is_tcp_tw(const struct inet_timewait_sock *tw)
{
	return tw->tw_dr == &twsk_net(tw)->ipv4.tcp_death_row;
}

/* --- full sockets: tracepoints ------------------------------------------- */

static void twg_tp_set_state(void *data, const struct sock *sk, int oldstate,
			     int newstate)
{
	bool counted = twg_state_counted(oldstate, newstate);

	if ((!counted && !twg_state_observed(newstate)) ||
	    !READ_ONCE(twg_live) || sk->sk_protocol != IPPROTO_TCP ||
	    oldstate == newstate)
		return;
	twg_snapshot_ensure(sock_net(sk), sk->sk_hash);
	/* The socket's word is ours to write: see stamp.h. */
	twg_with_netns(sock_net(sk), ({
		if (counted)
			twg_account_state(s, oldstate, newstate);
		twg_observe_state(ns, (struct sock *)sk, oldstate, newstate);
	}));
}

static void twg_tp_receive_reset(void *data, struct sock *sk)
{
	if (!READ_ONCE(twg_live))
		return;
	twg_with_netns(sock_net(sk),
		       twg_account_reset(s, READ_ONCE(sk->sk_state), false));
}

static void twg_tp_send_reset(TWG_SEND_RESET_PROTO)
{
	/* A reset answering a segment carries it; an active reset does not. */
	if (!READ_ONCE(twg_live) || skb || !sk)
		return;
	twg_with_netns(sock_net(sk),
		       twg_account_reset(s, READ_ONCE(sk->sk_state), true));
}

struct twg_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct twg_tracepoint twg_tracepoints[] = {
	{ .name = "inet_sock_set_state", .probe = twg_tp_set_state },
	{ .name = "tcp_receive_reset", .probe = twg_tp_receive_reset },
	{ .name = "tcp_send_reset", .probe = twg_tp_send_reset },
};

static void twg_find_tracepoint(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(twg_tracepoints); i++)
		if (!strcmp(tp->name, twg_tracepoints[i].name))
			twg_tracepoints[i].tp = tp;
}

/* --- minisocks: one ftrace_ops over five functions ----------------------- */

static struct inet_timewait_sock *twg_arg_tw(struct ftrace_regs *fregs)
{
	return (struct inet_timewait_sock *)twg_fregs_arg(fregs, 0);
}

static void twg_tw_hash(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw = twg_arg_tw(fregs);
	const struct sock *sk = (const struct sock *)twg_fregs_arg(fregs, 1);
	struct twg_tw_info info;

	if (!twg_is_tcp_tw(tw))
		return;
	/* Before the minisock is hashed: no connect() can see it yet. */
	twg_reuse_stamp(tw, sk);
	if (!READ_ONCE(twg_live))
		return;
	twg_snapshot_ensure(twsk_net(tw), tw->tw_hash);
	twg_tw_info_of(tw, &info);
	twg_with_netns(twsk_net(tw), ({
		twg_account_tw_enter(s, &info);
		twg_observe_tw_enter(ns, tw, (struct sock *)sk);
	}));
}

static void twg_tw_kill(struct ftrace_regs *fregs)
{
	const struct inet_timewait_sock *tw = twg_arg_tw(fregs);
	struct twg_tw_segment *seg = this_cpu_ptr(&twg_tw_segment);
	bool expiring, syn;
	struct twg_tw_info info;
	enum twg_tw_end why;

	if (!twg_is_tcp_tw(tw))
		return;

	/* Consume the markers, counting or not, so none can go stale. */
	expiring = __this_cpu_read(twg_expiring) == tw;
	if (expiring)
		__this_cpu_write(twg_expiring, NULL);
	syn = seg->tw == tw && seg->syn;
	if (seg->tw == tw)
		seg->tw = NULL;

	if (!READ_ONCE(twg_live))
		return;
	twg_snapshot_ensure(twsk_net(tw), tw->tw_hash);

	if (expiring)
		why = TWG_END_EXPIRED;
	else if (hlist_nulls_unhashed(&tw->tw_node))
		why = TWG_END_REUSED;
	else if (!check_net(twsk_net(tw)))
		why = TWG_END_KILLED;
	else if (syn)
		why = TWG_END_RECYCLED;
	else
		why = TWG_END_KILLED;

	twg_tw_info_of(tw, &info);
	twg_with_netns(twsk_net(tw), ({
		twg_account_tw_end(s, &info, why);
		twg_observe_tw_end(ns, tw);
	}));
}

static void twg_tw_timer(struct ftrace_regs *fregs)
{
	struct timer_list *t = (struct timer_list *)twg_fregs_arg(fregs, 0);

	__this_cpu_write(twg_expiring,
			 container_of(t, struct inet_timewait_sock, tw_timer));
}

static void twg_tw_segment_seen(struct ftrace_regs *fregs)
{
	const struct inet_timewait_sock *tw = twg_arg_tw(fregs);
	const struct tcphdr *th = (const struct tcphdr *)twg_fregs_arg(fregs, 2);
	struct twg_tw_segment *seg = this_cpu_ptr(&twg_tw_segment);
	u8 substate;

	/* Before the segment moves it from FIN_WAIT2 to TIME_WAIT. */
	if (READ_ONCE(twg_live))
		twg_snapshot_ensure(twsk_net(tw), tw->tw_hash);
	substate = READ_ONCE(tw->tw_substate);
	seg->tw = tw;
	seg->syn = th->syn && !th->rst && substate == TCP_TIME_WAIT;
	seg->fin_wait2 = substate == TCP_FIN_WAIT2;
}

/*
 * A minisock's timer is rearmed in TIME_WAIT: the 2MSL period restarts
 * (reuse.c's entry stamp with it), and if a FIN just turned a FIN_WAIT2
 * minisock into a TIME_WAIT one, that is counted, and its FIN_WAIT2 timed
 * before the stamp moves.
 */
static void twg_tw_schedule(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw = twg_arg_tw(fregs);
	struct twg_tw_segment *seg = this_cpu_ptr(&twg_tw_segment);
	bool rearm = twg_fregs_arg(fregs, 2) & 0xff;
	u32 now;

	if (!rearm || READ_ONCE(tw->tw_substate) != TCP_TIME_WAIT ||
	    !twg_is_tcp_tw(tw))
		return;
	now = twg_tcp_clock_ms();
	if (seg->tw == tw && seg->fin_wait2) {
		seg->fin_wait2 = false;
		if (READ_ONCE(twg_live))
			twg_with_netns(twsk_net(tw), ({
				twg_account_tw_fin_wait2_done(s);
				twg_observe_fin_wait2_done(ns, tw, now);
			}));
	}
	twg_reuse_restamp(tw, now);
}

enum twg_tw_fn {
	TWG_FN_HASH,
	TWG_FN_KILL,
	TWG_FN_TIMER,
	TWG_FN_SEGMENT,
	TWG_FN_SCHEDULE,
	TWG_FN_COUNT,
};

static const char *const twg_tw_fn_name[TWG_FN_COUNT] = {
	[TWG_FN_HASH] = TWG_TW_HASH_SYMBOL,
	[TWG_FN_KILL] = "inet_twsk_kill",
	[TWG_FN_TIMER] = "tw_timer_handler",
	[TWG_FN_SEGMENT] = "tcp_timewait_state_process",
	[TWG_FN_SCHEDULE] = "__inet_twsk_schedule",
};

/* Each function's ftrace location: the ip the callback is given. */
static unsigned long twg_tw_fn_ip[TWG_FN_COUNT] __read_mostly;

/*
 * One callback for the five.  ftrace calls it with nothing disabled, from
 * process context too (a backlog run by release_sock() can reach
 * tcp_time_wait()); the recursion lock also keeps the task on this CPU
 * for the per-CPU markers.  It is per context, so a softirq that
 * interrupts a hook runs its own hook in full: nested events are counted,
 * not dropped.
 */
static void notrace twg_tw_ftrace(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op,
				  struct ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit < 0)
		return;
	if (ip == twg_tw_fn_ip[TWG_FN_SEGMENT])
		twg_tw_segment_seen(fregs);
	else if (ip == twg_tw_fn_ip[TWG_FN_SCHEDULE])
		twg_tw_schedule(fregs);
	else if (ip == twg_tw_fn_ip[TWG_FN_HASH])
		twg_tw_hash(fregs);
	else if (ip == twg_tw_fn_ip[TWG_FN_TIMER])
		twg_tw_timer(fregs);
	else if (ip == twg_tw_fn_ip[TWG_FN_KILL])
		twg_tw_kill(fregs);
	ftrace_test_recursion_unlock(bit);
}

/*
 * Arguments only (no FTRACE_OPS_FL_SAVE_REGS): the cheaper trampoline.
 * The ops lives in module memory, so ftrace treats it as dynamic: its
 * unregistration returns only once no CPU can be in its trampoline or
 * in twg_tw_ftrace(), and frees the trampoline.
 */
static struct ftrace_ops twg_tw_ops = {
	.func = twg_tw_ftrace,
#if !IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
	.flags = FTRACE_OPS_FL_SAVE_REGS,	/* else no arguments at all */
#endif
};

#ifdef TWG_TEST_HOOKS
/*
 * Test builds only (scripts/build-module): make one hook target look
 * missing, or split by the compiler, to prove that the load then fails
 * with a message naming it.
 */
static char *test_hook_missing;
module_param(test_hook_missing, charp, 0444);
static char *test_hook_split;
module_param(test_hook_split, charp, 0444);
#else
static const char *const test_hook_missing, *const test_hook_split;
#endif

static bool twg_test_hook(const char *param, const char *name)
{
	return param && !strcmp(param, name);
}

/*
 * The address of function @name, or 0 if this kernel has none: a kprobe
 * registered disabled resolves a name, static functions included
 * (kallsyms_lookup_name() is not exported), to the same ftrace location
 * ftrace reports, and is removed unarmed: it never patches anything.
 */
static unsigned long twg_symbol_addr(const char *name)
{
	struct kprobe kp = {
		.symbol_name = name,
		.flags = KPROBE_FLAG_DISABLED,
	};
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/*
 * Whether the compiler made a copy of @name that callers may call instead
 * of it (gcc's .part, .isra and .constprop clones): a hook on the entry of
 * @name would then miss those calls.  Only a name kallsyms knows is a
 * clone; 7.2's gcc-16 splits __inet_twsk_schedule() this way.
 */
static bool twg_symbol_split(const char *name)
{
	static const char *const suffix[] = { "part", "isra", "constprop" };
	char clone[KSYM_NAME_LEN];
	int i, n;

	if (twg_test_hook(test_hook_split, name))
		return true;
	for (i = 0; i < ARRAY_SIZE(suffix); i++)
		for (n = 0; n < 2; n++) {
			snprintf(clone, sizeof(clone), "%s.%s.%d", name,
				 suffix[i], n);
			if (twg_symbol_addr(clone))
				return true;
		}
	return false;
}

/*
 * Find @n functions, each whole.  A function that is missing (renamed,
 * inlined away) or split is named, and twguard does not load: its counts
 * are exact or absent, never silently short.
 */
static int twg_resolve(const char *const *names, unsigned long *ips, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const char *name = names[i];

		ips[i] = twg_test_hook(test_hook_missing, name) ?
			 0 : twg_symbol_addr(name);
		if (!ips[i]) {
			pr_err("cannot hook %s(): this kernel has no such function (renamed, or inlined into its callers); not loading\n",
			       name);
			return -ENOENT;
		}
		if (twg_symbol_split(name)) {
			pr_err("cannot hook %s(): the compiler split it, and its callers may run a copy its hook does not see; not loading\n",
			       name);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * Resolve @names into @ips and attach @ops to them; @what names them in
 * the messages.
 */
static int twg_ftrace_attach(struct ftrace_ops *ops, const char *const *names,
			     unsigned long *ips, int n, const char *what)
{
	int err;

	err = twg_resolve(names, ips, n);
	if (err)
		return err;
	/* Fails unless each ip is a traceable function entry. */
	err = ftrace_set_filter_ips(ops, ips, n, 0, 1);
	if (err) {
		pr_err("cannot trace %s (%d): is ftrace available?\n", what, err);
		return err;
	}
	err = register_ftrace_function(ops);
	if (err) {
		pr_err("cannot attach to %s: %d\n", what, err);
		ftrace_free_filter(ops);
	}
	return err;
}

static void twg_ftrace_detach(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

static int twg_tw_attach(void)
{
	return twg_ftrace_attach(&twg_tw_ops, twg_tw_fn_name, twg_tw_fn_ip,
				 TWG_FN_COUNT, "the TIME-WAIT functions");
}

static void twg_tw_detach(void)
{
	twg_ftrace_detach(&twg_tw_ops);
}

/* --- load-time walk ------------------------------------------------------ */

/*
 * For the time of snapshot.c's walk only: the two changes to the hash
 * that come before the hook that counts them.  inet_unhash() takes a full
 * socket out before tcp_set_state()'s tracepoint; __inet_check_established()
 * takes a minisock out for connect() after tcp_twsk_unique(), under the
 * bucket's lock, which it holds when it calls it.
 */
enum twg_walk_fn {
	TWG_WALK_UNHASH,
	TWG_WALK_UNIQUE,
	TWG_WALK_COUNT,
};

static const char *const twg_walk_fn_name[TWG_WALK_COUNT] = {
	[TWG_WALK_UNHASH] = "inet_unhash",
	[TWG_WALK_UNIQUE] = "tcp_twsk_unique",
};

static unsigned long twg_walk_fn_ip[TWG_WALK_COUNT] __read_mostly;

static void notrace twg_walk_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	const struct sock *sk;
	int bit;

	if (!READ_ONCE(twg_live))
		return;
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	if (ip == twg_walk_fn_ip[TWG_WALK_UNHASH]) {
		sk = (const struct sock *)twg_fregs_arg(fregs, 0);
		if (sk->sk_protocol == IPPROTO_TCP &&
		    READ_ONCE(sk->sk_state) != TCP_LISTEN && !sk_unhashed(sk))
			twg_snapshot_ensure(sock_net(sk), sk->sk_hash);
	} else if (ip == twg_walk_fn_ip[TWG_WALK_UNIQUE]) {
		sk = (const struct sock *)twg_fregs_arg(fregs, 1);
		twg_snapshot_ensure_locked(sock_net(sk), sk->sk_hash);
	}
	ftrace_test_recursion_unlock(bit);
}

static struct ftrace_ops twg_walk_ops = {
	.func = twg_walk_ftrace,
#if !IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
	.flags = FTRACE_OPS_FL_SAVE_REGS,
#endif
};

static int twg_walk_attach(void)
{
	return twg_ftrace_attach(&twg_walk_ops, twg_walk_fn_name,
				 twg_walk_fn_ip, TWG_WALK_COUNT,
				 "inet_unhash() and tcp_twsk_unique() for the load-time walk");
}

static void twg_walk_detach(void)
{
	twg_ftrace_detach(&twg_walk_ops);
}

/* Under stop_machine(): no CPU is inside a hook's span, nor can enter one. */
static int twg_go_live(void *unused)
{
	WRITE_ONCE(twg_live, true);
	return 0;
}

/* --- attach and detach ---------------------------------------------------- */

static void twg_tracepoints_unregister(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(twg_tracepoints); i++) {
		struct twg_tracepoint *t = &twg_tracepoints[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
}

int twg_hooks_init(void)
{
	u64 start;
	int i, err;

	err = twg_snapshot_prepare();
	if (err)
		return err;
	/* Before any hook that counts: see snapshot.c. */
	err = twg_walk_attach();
	if (err)
		goto err_walk;

	for_each_kernel_tracepoint(twg_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(twg_tracepoints); i++) {
		struct twg_tracepoint *t = &twg_tracepoints[i];

		err = t->tp ? tracepoint_probe_register(t->tp, t->probe, NULL) :
			      -ENOENT;
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n", t->name, err);
			goto err_tracepoints;
		}
		t->registered = true;
	}

	err = twg_tw_attach();
	if (err)
		goto err_tracepoints;
	err = twg_bind_attach();
	if (err)
		goto err_tw;

	/* Count events, then what exists: see the comment on top. */
	start = ktime_get_ns();
	stop_machine(twg_go_live, NULL, NULL);
	twg_snapshot_take(ktime_get_ns() - start);
	twg_walk_detach();
	return 0;

err_tw:
	twg_tw_detach();
err_tracepoints:
	twg_tracepoints_unregister();
	tracepoint_synchronize_unregister();
	twg_walk_detach();
err_walk:
	twg_snapshot_cancel();
	return err;
}

void twg_hooks_exit(void)
{
	twg_bind_detach();
	twg_tw_detach();
	twg_tracepoints_unregister();
	/* No probe runs, or will run, past this point. */
	tracepoint_synchronize_unregister();
	WRITE_ONCE(twg_live, false);
}
