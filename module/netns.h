/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_NETNS_H
#define _TWGUARD_NETNS_H

#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "account.h"
#include "observe.h"
#include "policy.h"
#include "snapshot.h"

/*
 * twguard's state for one network namespace.  Allocated by us (not in
 * the net_generic area) because its kobject may outlive the netns by the
 * time a reader takes to close a file.
 */
struct twg_netns {
	struct kobject kobj;		/* /sys/kernel/twguard/netns/<inum>/ */
	struct net *net;		/* not counted: we go before the netns */
	struct twg_stats __percpu *stats;
	struct twg_policy_slot pol;	/* its reuse policy */
	atomic64_t tw_at_load;		/* minisocks alive when twguard loaded */
	unsigned long overflow_base;	/* TcpExt TCPTimeWaitOverflow then */
	time64_t since;			/* boot time, s, when twguard began */
	struct twg_observe obs;		/* destinations, ports, dwell times */
	struct twg_walk_map *walk;	/* its own established hash, at load */
	struct list_head node;		/* on twg_netns_list */
};

/* What net_generic() holds for us in every netns. */
struct twg_pernet {
	struct twg_netns *ns;		/* NULL while the netns goes away */
	struct twg_netns *dying;	/* handed from .exit to .exit_batch */
};

extern unsigned int twg_net_id;
extern struct twg_policy_slot twg_default_policy;

int twg_netns_init(void);
void twg_netns_exit(void);

void twg_netns_sum(const struct twg_netns *ns, struct twg_stats *sum);
s64 twg_netns_sum_all(struct twg_stats *sum);
void twg_netns_release(struct twg_netns *ns);
struct twg_netns *twg_netns_next_live(struct twg_netns *prev);

/*
 * Run @stmt with bottom halves off, if twguard counts for @net (NULL
 * state: the netns is going away), with "ns" its state and "s" this
 * CPU's stats of it.
 *
 * Most hooks run in softirq, or with bottom halves off, and pay nothing
 * here; the others (connect() and close() in process context) turn them
 * off.  That keeps a softirq on this CPU from running a hook in the
 * middle of another's per-CPU adds or table update, and keeps the task
 * on this CPU; it also keeps the state from being freed under the hook:
 * twg_netns_exit_batch() frees it after an RCU grace period, which waits
 * for such sections.  No TCP hook runs in hardirq context, so interrupts
 * stay on: masking them cost the hooks half their time in a guest.
 */
#define twg_with_netns(net, stmt)					\
	do {								\
		bool bh = !in_softirq() && !irqs_disabled();		\
		struct twg_netns *ns;					\
									\
		if (bh)							\
			local_bh_disable();				\
		ns = twg_netns_of_hook(net);				\
		if (ns) {						\
			struct twg_stats *s = this_cpu_ptr(ns->stats);	\
									\
			stmt;						\
		}							\
		if (bh)							\
			local_bh_enable();				\
	} while (0)

/* What a task asks of a netns's files (twg_netns_access()). */
enum twg_access {
	TWG_ACCESS_COUNTERS,	/* counters, settings: what sockstat shows */
	TWG_ACCESS_PRIVATE,	/* what names peers: tables, rules, alert */
	TWG_ACCESS_WRITE,
};

int twg_netns_access(const struct twg_netns *ns, enum twg_access what);

/*
 * The state of @net, or NULL while it goes away: with bottom halves,
 * preemption or irqs off, or under RCU.
 */
static inline struct twg_netns *twg_netns_of(const struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);

	return READ_ONCE(pn->ns);
}

/*
 * twg_netns_of() for a hook, which runs with bottom halves, preemption or
 * irqs off: an RCU read-side section already, so net_generic()'s own
 * rcu_read_lock() and unlock (two calls with preemptible RCU, on every
 * hook) would buy nothing.
 */
static inline struct twg_netns *twg_netns_of_hook(const struct net *net)
{
	const struct net_generic *ng =
		rcu_dereference_check(net->gen, rcu_read_lock_any_held());
	const struct twg_pernet *pn = ng->ptr[twg_net_id];

	return READ_ONCE(pn->ns);
}

/*
 * The reuse policy of @net, or NULL while the netns goes away.  Under
 * rcu_read_lock(): a writer frees the policy it replaces after a grace
 * period.
 */
static inline const struct twg_policy *twg_netns_policy(const struct net *net)
{
	struct twg_netns *ns = twg_netns_of(net);

	return ns ? rcu_dereference(ns->pol.policy) : NULL;
}

#endif /* _TWGUARD_NETNS_H */
