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

/*
 * twguard's state for one network namespace.  Allocated by us (not in
 * the net_generic area) because its kobject may outlive the netns by the
 * time a reader takes to close a file.
 */
struct twg_netns {
	struct kobject kobj;		/* /sys/kernel/twguard/netns/<inum>/ */
	struct net *net;		/* not counted: we go before the netns */
	struct twg_stats __percpu *stats;
	struct twg_policy __rcu *policy;	/* never NULL once published */
	struct mutex policy_lock;	/* serialises writers of policy */
	s64 tw_at_load;			/* minisocks alive when twguard loaded */
	unsigned long overflow_base;	/* TcpExt TCPTimeWaitOverflow then */
	struct twg_observe obs;		/* destinations, ports, dwell times */
	struct list_head node;		/* on twg_netns_list */
};

/* What net_generic() holds for us in every netns. */
struct twg_pernet {
	struct twg_netns *ns;		/* NULL while the netns goes away */
	struct twg_netns *dying;	/* handed from .exit to .exit_batch */
};

extern unsigned int twg_net_id;

int twg_netns_init(void);
void twg_netns_exit(void);

void twg_netns_sum(const struct twg_netns *ns, struct twg_stats *sum);
s64 twg_netns_sum_all(struct twg_stats *sum);
void twg_netns_release(struct twg_netns *ns);

/*
 * The per-CPU stats of @net's twguard state, or NULL if there is none
 * (the netns is going away).  For the hooks, which run with preemption
 * disabled: that is also what keeps the stats from being freed under
 * them (twg_netns_exit_batch() waits for an RCU grace period).
 */
static inline struct twg_stats *twg_netns_this_cpu(const struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);
	struct twg_netns *ns = READ_ONCE(pn->ns);

	return ns ? this_cpu_ptr(ns->stats) : NULL;
}

/*
 * Run @stmt on this CPU's stats of @net as "s", with interrupts off, if
 * twguard counts for @net.
 */
#define twg_account(net, stmt)						\
	do {								\
		struct twg_stats *s;					\
		unsigned long flags;					\
									\
		local_irq_save(flags);					\
		s = twg_netns_this_cpu(net);				\
		if (s)							\
			stmt;						\
		local_irq_restore(flags);				\
	} while (0)

/*
 * Whether the current task administers @ns's netns: CAP_NET_ADMIN in the
 * user namespace that owns it, as its sysctls ask.  Writers of every file
 * and readers of the files that name peers must.
 */
static inline bool twg_netns_admin(const struct twg_netns *ns)
{
	return ns_capable(ns->net->user_ns, CAP_NET_ADMIN);
}

/* The state of @net, for the load-time snapshot (under stop_machine()). */
static inline struct twg_netns *twg_netns_of(const struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);

	return READ_ONCE(pn->ns);
}

/*
 * The reuse policy of @net, or NULL while the netns goes away.  Under
 * rcu_read_lock(): a writer frees the policy it replaces after a grace
 * period.
 */
static inline const struct twg_policy *twg_netns_policy(const struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);
	struct twg_netns *ns = READ_ONCE(pn->ns);

	return ns ? rcu_dereference(ns->policy) : NULL;
}

#endif /* _TWGUARD_NETNS_H */
