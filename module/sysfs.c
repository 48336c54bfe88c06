// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/twguard/: the module's ABI, documented in
 * Documentation/ABI/testing/sysfs-kernel-twguard.
 *
 *   version, stats                 the module, and sums over all netns
 *   netns/<inum>/                  one directory per network namespace,
 *                                  named by its inode number, owned by
 *                                  the netns's owner (as network devices
 *                                  are), one value per file, plus stats
 *   netns/<inum>/policy/           its reuse policy (sysfs_policy.c)
 *   default_policy/                the policy of namespaces made from
 *                                  then on (sysfs_policy.c)
 *   netns/<inum>/dwell/, ...       dwell times, table bounds, the pressure
 *                                  alert (sysfs_observe.c)
 *
 * Monitoring agents read these on every scrape.  A read sums per-CPU
 * counters: its cost grows with the number of CPUs, never with the
 * number of sockets.  "stats" gives every value of a directory in one
 * read(), so that an agent needs one syscall per netns.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "twguard.h"
#include "hooks.h"
#include "netns.h"
#include "bind.h"
#include "reuse.h"
#include "sysfs.h"

static struct kobject *twg_root;
static struct kset *twg_netns_kset;

/* Print every value of @s, "name value" a line, into a sysfs buffer. */
static ssize_t twg_emit_stats(char *buf, const struct twg_stats *s,
			      s64 tw_at_load)
{
	ssize_t len = 0;
	int i;

	for (i = 0; i < TWG_CONNECT_NO_PORT; i++)
		len += sysfs_emit_at(buf, len, "%s %llu\n",
				     twg_counter_names[i], s->counter[i]);
	for (i = 0; i < TWG_NR_GAUGES; i++)
		len += sysfs_emit_at(buf, len, "%s %lld\n",
				     twg_gauge_names[i], s->gauge[i]);
	len += sysfs_emit_at(buf, len, "tw_at_load %lld\n", tw_at_load);
	/* Added later: after what readers found there before. */
	for (i = TWG_CONNECT_NO_PORT; i < TWG_NR_COUNTERS; i++)
		len += sysfs_emit_at(buf, len, "%s %llu\n",
				     twg_counter_names[i], s->counter[i]);
	return len;
}

/* --- /sys/kernel/twguard/ ------------------------------------------------ */

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", TWG_VERSION);
}

static struct kobj_attribute twg_attr_version = __ATTR_RO(version);

static ssize_t root_stats_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct twg_stats sum = {};
	s64 at_load = twg_netns_sum_all(&sum);

	return twg_emit_stats(buf, &sum, at_load);
}

static struct kobj_attribute twg_attr_root_stats =
	__ATTR(stats, 0444, root_stats_show, NULL);

/*
 * Which hooks are in place.  The close path and TIME-WAIT hooks always
 * are: twguard does not load without them.  The reuse hook is placed
 * only while some namespace's policy, or the default policy, is in force.
 */
static ssize_t hooks_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf,
			  "close_path attached\ntime_wait attached\nreuse_policy %s\n"
			  "bind attached\nbind_missed %llu\n",
			  twg_reuse_hook_placed() ? "attached" : "kernel",
			  twg_bind_missed());
}

static struct kobj_attribute twg_attr_hooks = __ATTR_RO(hooks);

static struct attribute *twg_root_attrs[] = {
	&twg_attr_version.attr,
	&twg_attr_root_stats.attr,
	&twg_attr_hooks.attr,
	NULL,
};

static const struct attribute_group twg_root_group = {
	.attrs = twg_root_attrs,
};

/*
 * What every writable file refuses before it parses: a write of a whole
 * page (kernfs refuses a longer one with E2BIG itself; one of exactly a
 * page reaches the store, but what a file takes must read back in the
 * one page a show fills, newline included), and a NUL byte (kstrtou32()
 * and sysfs_streq() stop at one and would take what came before).
 */
int twg_store_check(const char *buf, size_t count)
{
	if (count >= PAGE_SIZE)
		return -E2BIG;
	if (memchr(buf, 0, count))
		return -EINVAL;
	return 0;
}

/* --- /sys/kernel/twguard/netns/<inum>/ ---------------------------------- */

ssize_t twg_value_show(struct kobject *kobj, struct kobj_attribute *a,
		       char *buf)
{
	const struct twg_value_attr *va =
		container_of(a, struct twg_value_attr, kattr);
	struct twg_stats sum = {};

	twg_netns_sum(twg_kobj_netns(kobj), &sum);
	if (va->kind == TWG_VALUE_COUNTER)
		return sysfs_emit(buf, "%llu\n", sum.counter[va->idx]);
	return sysfs_emit(buf, "%lld\n", sum.gauge[va->idx]);
}

TWG_COUNTER_ATTR(tw_entered, TWG_TW_ENTERED);
TWG_COUNTER_ATTR(tw_expired, TWG_TW_EXPIRED);
TWG_COUNTER_ATTR(tw_killed, TWG_TW_KILLED);
TWG_COUNTER_ATTR(tw_reused, TWG_TW_REUSED);
TWG_COUNTER_ATTR(tw_recycled, TWG_TW_RECYCLED);
TWG_COUNTER_ATTR(tw_overflow, TWG_TW_OVERFLOW);
TWG_COUNTER_ATTR(close_active, TWG_CLOSE_ACTIVE);
TWG_COUNTER_ATTR(close_passive, TWG_CLOSE_PASSIVE);
TWG_COUNTER_ATTR(close_simultaneous, TWG_CLOSE_SIMULTANEOUS);
TWG_COUNTER_ATTR(close_reset, TWG_CLOSE_RESET);
TWG_COUNTER_ATTR(connect_no_port, TWG_CONNECT_NO_PORT);
TWG_COUNTER_ATTR(connect_no_port_tw, TWG_CONNECT_NO_PORT_TW);
TWG_COUNTER_ATTR(connect_bound_taken, TWG_CONNECT_BOUND_TAKEN);
TWG_COUNTER_ATTR(bind_refused_tw, TWG_BIND_REFUSED_TW);
TWG_COUNTER_ATTR(bind_reuseaddr_tw, TWG_BIND_REUSEADDR_TW);
TWG_GAUGE_ATTR(tw_current, TWG_TW_CURRENT);
TWG_GAUGE_ATTR(tw_current_fin_wait2, TWG_TW_CURRENT_FIN_WAIT2);
TWG_GAUGE_ATTR(tw_current_ipv6, TWG_TW_CURRENT_IPV6);
TWG_GAUGE_ATTR(fin_wait1_current, TWG_FIN_WAIT1_CURRENT);
TWG_GAUGE_ATTR(fin_wait2_current, TWG_FIN_WAIT2_CURRENT);
TWG_GAUGE_ATTR(close_wait_current, TWG_CLOSE_WAIT_CURRENT);
TWG_GAUGE_ATTR(last_ack_current, TWG_LAST_ACK_CURRENT);
TWG_GAUGE_ATTR(closing_current, TWG_CLOSING_CURRENT);

static ssize_t tw_at_load_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct twg_netns *ns = twg_kobj_netns(kobj);

	return sysfs_emit(buf, "%lld\n", atomic64_read(&ns->tw_at_load));
}

static struct kobj_attribute twg_attr_tw_at_load = __ATTR_RO(tw_at_load);

static ssize_t netns_stats_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct twg_netns *ns = twg_kobj_netns(kobj);
	struct twg_stats sum = {};

	twg_netns_sum(ns, &sum);
	return twg_emit_stats(buf, &sum, atomic64_read(&ns->tw_at_load));
}

static struct kobj_attribute twg_attr_netns_stats =
	__ATTR(stats, 0444, netns_stats_show, NULL);

static struct attribute *twg_netns_attrs[] = {
	&twg_attr_tw_current.kattr.attr,
	&twg_attr_tw_current_fin_wait2.kattr.attr,
	&twg_attr_tw_current_ipv6.kattr.attr,
	&twg_attr_tw_entered.kattr.attr,
	&twg_attr_tw_expired.kattr.attr,
	&twg_attr_tw_killed.kattr.attr,
	&twg_attr_tw_reused.kattr.attr,
	&twg_attr_tw_recycled.kattr.attr,
	&twg_attr_tw_overflow.kattr.attr,
	&twg_attr_close_active.kattr.attr,
	&twg_attr_close_passive.kattr.attr,
	&twg_attr_close_simultaneous.kattr.attr,
	&twg_attr_close_reset.kattr.attr,
	&twg_attr_connect_no_port.kattr.attr,
	&twg_attr_connect_no_port_tw.kattr.attr,
	&twg_attr_connect_bound_taken.kattr.attr,
	&twg_attr_bind_refused_tw.kattr.attr,
	&twg_attr_bind_reuseaddr_tw.kattr.attr,
	&twg_attr_fin_wait1_current.kattr.attr,
	&twg_attr_fin_wait2_current.kattr.attr,
	&twg_attr_close_wait_current.kattr.attr,
	&twg_attr_last_ack_current.kattr.attr,
	&twg_attr_closing_current.kattr.attr,
	&twg_attr_tw_at_load.attr,
	&twg_attr_netns_stats.attr,
	NULL,
};

static const struct attribute_group twg_netns_group = {
	.attrs = twg_netns_attrs,
};

static const struct attribute_group *twg_netns_groups[] = {
	&twg_netns_group,
	&twg_policy_group,
	&twg_observe_group,
	&twg_dwell_group,
	NULL,
};

/* A netns's directory belongs to the root of its owning user namespace. */
static void twg_netns_get_ownership(twg_ownership_kobj *kobj, kuid_t *uid,
				    kgid_t *gid)
{
	const struct twg_netns *ns = container_of(kobj, struct twg_netns, kobj);

	net_ns_get_ownership(ns->net, uid, gid);
}

static void twg_netns_kobj_release(struct kobject *kobj)
{
	twg_netns_release(twg_kobj_netns(kobj));
}

/*
 * Every file of a netns's directory is read and written through these,
 * so that no file can forget the access rules: a file its mode keeps
 * from group and others (0400, 0600) names peers.
 */
static ssize_t twg_netns_attr_show(struct kobject *kobj, struct attribute *attr,
				   char *buf)
{
	enum twg_access what = attr->mode & (0044) ? TWG_ACCESS_COUNTERS :
						     TWG_ACCESS_PRIVATE;
	int err = twg_netns_access(twg_kobj_netns(kobj), what);

	return err ?: kobj_sysfs_ops.show(kobj, attr, buf);
}

static ssize_t twg_netns_attr_store(struct kobject *kobj, struct attribute *attr,
				    const char *buf, size_t count)
{
	int err = twg_netns_access(twg_kobj_netns(kobj), TWG_ACCESS_WRITE);

	return err ?: kobj_sysfs_ops.store(kobj, attr, buf, count);
}

static const struct sysfs_ops twg_netns_sysfs_ops = {
	.show = twg_netns_attr_show,
	.store = twg_netns_attr_store,
};

static const struct kobj_type twg_netns_ktype = {
	.sysfs_ops = &twg_netns_sysfs_ops,
	.default_groups = twg_netns_groups,
	.get_ownership = twg_netns_get_ownership,
	.release = twg_netns_kobj_release,
};

/*
 * Give @ns its directory.  From the first call on, @ns belongs to its
 * kobject: on failure as on success, the caller lets go of it with
 * kobject_put(), never kfree().
 */
int twg_sysfs_netns_add(struct twg_netns *ns)
{
	int err;

	ns->kobj.kset = twg_netns_kset;
	err = kobject_init_and_add(&ns->kobj, &twg_netns_ktype, NULL, "%u",
				   ns->net->ns.inum);
	if (err)
		return err;
	err = twg_sysfs_observe_add(ns);
	if (err)
		return err;
	kobject_uevent(&ns->kobj, KOBJ_ADD);
	return 0;
}

void twg_sysfs_netns_del(struct twg_netns *ns)
{
	kobject_uevent(&ns->kobj, KOBJ_REMOVE);
	kobject_del(&ns->kobj);
}

struct kobject *twg_sysfs_root(void)
{
	return twg_root;
}

int twg_sysfs_init(void)
{
	int err;

	twg_root = kobject_create_and_add("twguard", kernel_kobj);
	if (!twg_root)
		return -ENOMEM;

	err = sysfs_create_group(twg_root, &twg_root_group);
	if (err)
		goto err_put;

	twg_netns_kset = kset_create_and_add("netns", NULL, twg_root);
	if (!twg_netns_kset) {
		err = -ENOMEM;
		goto err_group;
	}
	return 0;

err_group:
	sysfs_remove_group(twg_root, &twg_root_group);
err_put:
	kobject_put(twg_root);
	twg_root = NULL;
	return err;
}

void twg_sysfs_exit(void)
{
	kset_unregister(twg_netns_kset);
	sysfs_remove_group(twg_root, &twg_root_group);
	kobject_put(twg_root);
	twg_root = NULL;
}
