// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: one struct twg_netns per netns, created
 * for every netns that exists at load and for each one created later,
 * with per-CPU counters and a sysfs directory.
 *
 * Teardown.  Our pernet .exit runs before TCP's (pernet operations exit
 * in reverse order of registration, and TCP registered first), so the
 * minisocks still alive in a dying netns are purged by TCP after we are
 * gone.  .exit therefore unpublishes the state (hooks stop counting for
 * this netns) and removes the directory; .exit_batch waits one grace
 * period for hooks still running, then folds the netns's counters into
 * the retired totals that /sys/kernel/twguard/stats adds to the live
 * namespaces', counting every minisock TCP is about to purge as killed,
 * and frees the counters.
 *
 * Memory.  Everything a netns makes twguard allocate is charged to the
 * memory cgroup of the task that causes it (__GFP_ACCOUNT, SLAB_ACCOUNT):
 * the state and counters to whoever creates the netns, a policy to its
 * writer, a table row to the task whose connect() or close() makes it.
 * Rows made in softirq (a peer's FIN) are charged where the kernel
 * charges its own softirq allocations.  A container cannot grow kernel
 * memory outside its limit through twguard.
 */
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/ip.h>

#include "netns.h"
#include "proc.h"
#include "reuse.h"
#include "sysfs.h"

unsigned int twg_net_id __read_mostly;

/* Every live twg_netns, and the totals of the dead ones. */
static LIST_HEAD(twg_netns_list);
static DEFINE_MUTEX(twg_netns_mutex);
static struct twg_stats twg_retired;
static s64 twg_retired_at_load;

/*
 * The kernel's own count of minisocks tcp_max_tw_buckets refused, summed
 * over CPUs as /proc/net/netstat does (snmp_fold_field() is no longer
 * exported from 7.x on, so we fold the one field ourselves).
 */
static unsigned long twg_overflow_now(struct net *net)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct linux_mib *mib =
			per_cpu_ptr(net->mib.net_statistics, cpu);

		sum += READ_ONCE(mib->mibs[LINUX_MIB_TCPTIMEWAITOVERFLOW]);
	}
	return sum;
}

/* Sum @ns's per-CPU counters, and its overflows, into @sum. */
void twg_netns_sum(const struct twg_netns *ns, struct twg_stats *sum)
{
	int cpu;

	for_each_possible_cpu(cpu)
		twg_stats_add(sum, per_cpu_ptr(ns->stats, cpu));
	sum->counter[TWG_TW_OVERFLOW] += twg_overflow_now(ns->net) -
					 ns->overflow_base;
}

/*
 * Sum every namespace, live or dead, into @sum; return the minisocks that
 * were alive at load in all of them, for the invariant over the sums.
 */
s64 twg_netns_sum_all(struct twg_stats *sum)
{
	struct twg_netns *ns;
	s64 at_load;

	mutex_lock(&twg_netns_mutex);
	twg_stats_add(sum, &twg_retired);
	at_load = twg_retired_at_load;
	list_for_each_entry(ns, &twg_netns_list, node) {
		twg_netns_sum(ns, sum);
		at_load += atomic64_read(&ns->tw_at_load);
	}
	mutex_unlock(&twg_netns_mutex);
	return at_load;
}

/*
 * May the current task do @what with @ns's files?  As the kernel has it
 * for its own per-netns files and sysctls (Documentation/admin-guide.rst,
 * "Who sees what"):
 *
 *   - a task sees its own netns: its counters always; what names peers,
 *     and writes, with CAP_NET_ADMIN over the user namespace owning it;
 *   - a task of another netns than the initial one sees no other netns,
 *     whatever capabilities it holds over that netns's owner;
 *   - a task of the initial netns reads every netns's counters, as
 *     /proc/PID/net/sockstat lets it, and the rest, and writes, with
 *     CAP_NET_ADMIN in the initial user namespace: the host's admin.
 *
 * Return 0, -EACCES for a read refused, -EPERM for a write refused.
 */
int twg_netns_access(const struct twg_netns *ns, enum twg_access what)
{
	const struct net *own = current->nsproxy->net_ns;
	int refused = what == TWG_ACCESS_WRITE ? -EPERM : -EACCES;

	if (own == ns->net) {
		if (what == TWG_ACCESS_COUNTERS ||
		    ns_capable(ns->net->user_ns, CAP_NET_ADMIN))
			return 0;
		return refused;
	}
	if (!net_eq(own, &init_net))
		return -EACCES;
	if (what == TWG_ACCESS_COUNTERS || capable(CAP_NET_ADMIN))
		return 0;
	return refused;
}

/* The last reference to @ns's kobject is gone. */
void twg_netns_release(struct twg_netns *ns)
{
	/* No decision can see it: .exit unpublished @ns a grace period ago. */
	kvfree(rcu_dereference_protected(ns->pol.policy, true));
	twg_observe_destroy(&ns->obs);
	twg_snapshot_netns_free(ns);
	free_percpu(ns->stats);
	kfree(ns);
}

/*
 * The netns after @prev (the first if NULL) that is not going away, with
 * a reference on it, which is dropped on @prev: a walk that may sleep
 * between steps, not holding twg_netns_mutex, while netns come and go.
 * The reference keeps a netns on the list until the step past it.
 */
struct twg_netns *twg_netns_next_live(struct twg_netns *prev)
{
	struct twg_netns *ns;

	mutex_lock(&twg_netns_mutex);
	ns = prev ? list_next_entry(prev, node) :
		    list_first_entry(&twg_netns_list, struct twg_netns, node);
	while (!list_entry_is_head(ns, &twg_netns_list, node) &&
	       !maybe_get_net(ns->net))
		ns = list_next_entry(ns, node);
	if (list_entry_is_head(ns, &twg_netns_list, node))
		ns = NULL;
	mutex_unlock(&twg_netns_mutex);
	if (prev)
		put_net(prev->net);
	return ns;
}

/*
 * The policy namespaces start with (/sys/kernel/twguard/default_policy/):
 * at load, the kernel decides and twguard observes.  The host's admin may
 * change it, so that every netns created from then on (a Kubernetes
 * node's new pods) gets a policy without a hook per pod.  A netns that
 * existed already keeps its own.
 */
struct twg_policy_slot twg_default_policy = {
	.lock = __MUTEX_INITIALIZER(twg_default_policy.lock),
};

/* The kernel decides, twguard observes. */
static struct twg_policy *twg_policy_initial(gfp_t gfp)
{
	static const struct twg_policy defaults = {
		.mode = TWG_MODE_KERNEL,
		.timestamps = TWG_TS_STRICT,
		.min_age_ms = TWG_MIN_AGE_MS_DEFAULT,
	};

	return twg_policy_build(&defaults, NULL, 0, gfp);
}

/*
 * A copy of the default policy for a new netns, and whether it is in
 * force.  A default in force holds the hook, so the namespace's own
 * reference only counts one more user: it cannot fail to place it.
 */
static struct twg_policy *twg_policy_for_new(bool *in_force)
{
	const struct twg_policy *def;
	struct twg_policy *p;

	mutex_lock(&twg_default_policy.lock);
	def = rcu_dereference_protected(twg_default_policy.policy,
					lockdep_is_held(&twg_default_policy.lock));
	p = twg_policy_build(def, def->rules, def->nr_rules, GFP_KERNEL_ACCOUNT);
	*in_force = p && twg_default_policy.in_force;
	if (*in_force && twg_reuse_get()) {
		/* Unloading: the hook is going, and so is this netns's policy. */
		pr_warn("a new netns starts with the kernel's reuse policy, not the default: twguard is unloading\n");
		kvfree(p);
		p = twg_policy_initial(GFP_KERNEL_ACCOUNT);
		*in_force = false;
	}
	mutex_unlock(&twg_default_policy.lock);
	return p;
}

/* @ns's policy no longer decides anything: let go of the hook. */
static void twg_netns_unhook(struct twg_netns *ns)
{
	if (ns->pol.in_force)
		twg_reuse_put();
	ns->pol.in_force = false;
}

static int __net_init twg_net_init(struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);
	struct twg_netns *ns;
	int err;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
	if (!ns)
		return -ENOMEM;
	ns->net = net;
	ns->overflow_base = twg_overflow_now(net);
	ns->since = ktime_get_boottime_seconds();
	mutex_init(&ns->pol.lock);
	ns->stats = alloc_percpu_gfp(struct twg_stats, GFP_KERNEL_ACCOUNT);
	if (!ns->stats || twg_snapshot_netns_init(ns) ||
	    twg_observe_init(&ns->obs))
		goto err_free;
	RCU_INIT_POINTER(ns->pol.policy, twg_policy_for_new(&ns->pol.in_force));
	if (!rcu_access_pointer(ns->pol.policy)) {
		twg_observe_destroy(&ns->obs);
		goto err_free;
	}

	err = twg_proc_netns_add(net);
	if (err) {
		pr_err("netns %u: cannot create /proc/net/twguard: %d\n",
		       net->ns.inum, err);
		twg_netns_unhook(ns);
		twg_netns_release(ns);
		return err;
	}

	/* From here on the kobject owns @ns: twg_netns_release() frees it. */
	err = twg_sysfs_netns_add(ns);
	if (err) {
		pr_err("netns %u: cannot create its directory: %d\n",
		       net->ns.inum, err);
		twg_proc_netns_del(net);
		twg_netns_unhook(ns);
		kobject_put(&ns->kobj);
		return err;
	}

	mutex_lock(&twg_netns_mutex);
	list_add_tail(&ns->node, &twg_netns_list);
	mutex_unlock(&twg_netns_mutex);
	WRITE_ONCE(pn->ns, ns);
	return 0;

err_free:
	twg_snapshot_netns_free(ns);
	free_percpu(ns->stats);
	kfree(ns);
	return -ENOMEM;
}

static void __net_exit twg_net_exit(struct net *net)
{
	struct twg_pernet *pn = net_generic(net, twg_net_id);
	struct twg_netns *ns = pn->ns;

	twg_proc_netns_del(net);
	WRITE_ONCE(pn->ns, NULL);
	pn->dying = ns;
	/* Its connect()s are over: its policy no longer needs the hook. */
	twg_netns_unhook(ns);
	/* Readers of its files finish before this returns. */
	twg_sysfs_netns_del(ns);
}

static void __net_exit twg_net_exit_batch(struct list_head *net_exit_list)
{
	struct twg_stats sum;
	struct net *net;

	/* Hooks that found the state before .exit unpublished it are done. */
	synchronize_rcu();

	list_for_each_entry(net, net_exit_list, exit_list) {
		struct twg_pernet *pn = net_generic(net, twg_net_id);
		struct twg_netns *ns = pn->dying;

		memset(&sum, 0, sizeof(sum));
		twg_netns_sum(ns, &sum);
		/* TCP purges the minisocks that are left, right after us. */
		sum.counter[TWG_TW_KILLED] += sum.gauge[TWG_TW_CURRENT];
		memset(sum.gauge, 0, sizeof(sum.gauge));

		mutex_lock(&twg_netns_mutex);
		list_del(&ns->node);
		twg_stats_add(&twg_retired, &sum);
		twg_retired_at_load += atomic64_read(&ns->tw_at_load);
		mutex_unlock(&twg_netns_mutex);

		pn->dying = NULL;
		kobject_put(&ns->kobj);
	}
}

static struct pernet_operations twg_net_ops = {
	.init = twg_net_init,
	.exit = twg_net_exit,
	.exit_batch = twg_net_exit_batch,
	.id = &twg_net_id,
	.size = sizeof(struct twg_pernet),
};

int twg_netns_init(void)
{
	int err;

	RCU_INIT_POINTER(twg_default_policy.policy, twg_policy_initial(GFP_KERNEL));
	if (!rcu_access_pointer(twg_default_policy.policy))
		return -ENOMEM;
	err = twg_sysfs_default_add(twg_sysfs_root());
	if (err)
		goto err_policy;
	err = register_pernet_subsys(&twg_net_ops);
	if (err)
		goto err_sysfs;
	return 0;

err_sysfs:
	twg_sysfs_default_del();
err_policy:
	kvfree(rcu_dereference_protected(twg_default_policy.policy, true));
	RCU_INIT_POINTER(twg_default_policy.policy, NULL);
	return err;
}

void twg_netns_exit(void)
{
	unregister_pernet_subsys(&twg_net_ops);
	/* No writer after this: the default's hook, if any, goes with it. */
	twg_sysfs_default_del();
	if (twg_default_policy.in_force)
		twg_reuse_put();
	twg_default_policy.in_force = false;
	kvfree(rcu_dereference_protected(twg_default_policy.policy, true));
	RCU_INIT_POINTER(twg_default_policy.policy, NULL);
}
