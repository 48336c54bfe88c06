// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/twguard/netns/<inum>/policy/: a netns's reuse policy and
 * the count of every decision taken under it; and
 * /sys/kernel/twguard/default_policy/: the policy that namespaces created
 * from then on start with.  Documented in
 * Documentation/networking/twguard-policy.rst and the ABI document.
 *
 * Writers need CAP_NET_ADMIN in the user namespace that owns the netns,
 * as for its sysctls: a container's root sets its own policy, nobody sets
 * another's.  The files belong to that namespace's root (get_ownership()
 * in sysfs.c); rules, which name peers, is readable by it alone.
 *
 * Every write is parsed and checked in full before anything changes, then
 * replaces the whole policy with one pointer store (RCU), under the
 * slot's lock: a decision, a reader or another writer sees the
 * policy before or after, never a mix.  A failed write changes nothing.
 * Every write first passes twg_store_check() (sysfs.c): E2BIG for a page
 * or more, EINVAL for a NUL byte.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "netns.h"
#include "reuse.h"
#include "sysfs.h"

/* A setting of one u32 in a policy, with its limit or its names. */
struct twg_setting_attr {
	struct kobj_attribute kattr;
	size_t offset;			/* of a u32 in struct twg_policy */
	u32 max;
	const char *const *names;	/* max + 1 names, or NULL: a number */
};

static void twg_setting_set(const struct twg_setting_attr *sa,
			    struct twg_policy *p, u32 val)
{
	*(u32 *)((void *)p + sa->offset) = val;
}

static struct kobject *twg_default_kobj;

/* The policy a file of @kobj's directory is a setting of. */
static struct twg_policy_slot *twg_kobj_slot(struct kobject *kobj)
{
	if (kobj == twg_default_kobj)
		return &twg_default_policy;
	return &twg_kobj_netns(kobj)->pol;
}

/*
 * Replace @slot's policy by a copy of it with @nr rules from @rules (or
 * the same rules if @rules is NULL), and setting @sa (if any) set to @val.
 * A policy in force holds the hook (twg_reuse_get()): a namespace's, so
 * that its connect()s are decided by it; the default's, so that a
 * namespace created with it never has to place the hook itself.
 */
static int twg_policy_replace(struct twg_policy_slot *slot,
			      const struct twg_setting_attr *sa, u32 val,
			      const struct twg_rule *rules, unsigned int nr)
{
	struct twg_policy *old, *new;
	bool in_force;
	int err;

	mutex_lock(&slot->lock);
	old = rcu_dereference_protected(slot->policy,
					lockdep_is_held(&slot->lock));
	if (!rules) {
		rules = old->rules;
		nr = old->nr_rules;
	}
	new = twg_policy_build(old, rules, nr, GFP_KERNEL_ACCOUNT);
	if (!new) {
		mutex_unlock(&slot->lock);
		return -ENOMEM;
	}
	if (sa)
		twg_setting_set(sa, new, val);
	in_force = twg_policy_in_force(new);
	/* The hook is in place before the policy that needs it is seen. */
	if (in_force && !slot->in_force) {
		err = twg_reuse_get();
		if (err) {
			mutex_unlock(&slot->lock);
			kvfree(new);
			return err;
		}
	}
	rcu_assign_pointer(slot->policy, new);
	if (!in_force && slot->in_force)
		twg_reuse_put();
	slot->in_force = in_force;
	mutex_unlock(&slot->lock);

	kvfree_rcu(old, rcu);
	return 0;
}

/* --- the settings ---------------------------------------------------------- */

static u32 twg_setting_get(const struct twg_setting_attr *sa,
			   const struct twg_policy *p)
{
	return *(const u32 *)((const void *)p + sa->offset);
}

static ssize_t twg_setting_show(struct kobject *kobj,
				struct kobj_attribute *a, char *buf)
{
	const struct twg_setting_attr *sa =
		container_of(a, struct twg_setting_attr, kattr);
	struct twg_policy_slot *slot = twg_kobj_slot(kobj);
	u32 v;

	rcu_read_lock();
	v = twg_setting_get(sa, rcu_dereference(slot->policy));
	rcu_read_unlock();
	if (sa->names)
		return sysfs_emit(buf, "%s\n", sa->names[v]);
	return sysfs_emit(buf, "%u\n", v);
}

/*
 * Parse @buf as a name of @sa (-EINVAL if none) or as a decimal number
 * (-EINVAL if not one, -ERANGE past @sa's limit).
 */
static int twg_setting_parse(const struct twg_setting_attr *sa,
			     const char *buf, u32 *val)
{
	int ret;

	if (sa->names) {
		ret = __sysfs_match_string(sa->names, sa->max + 1, buf);
		if (ret < 0)
			return -EINVAL;
		*val = ret;
		return 0;
	}
	ret = kstrtou32(buf, 10, val);
	if (ret)
		return ret;
	return *val > sa->max ? -ERANGE : 0;
}

static ssize_t twg_setting_store(struct kobject *kobj,
				 struct kobj_attribute *a, const char *buf,
				 size_t count)
{
	const struct twg_setting_attr *sa =
		container_of(a, struct twg_setting_attr, kattr);
	u32 val;
	int err;

	err = twg_store_check(buf, count) ?: twg_setting_parse(sa, buf, &val);
	if (err)
		return err;
	err = twg_policy_replace(twg_kobj_slot(kobj), sa, val, NULL, 0);
	return err ?: count;
}

#define TWG_SETTING(_name, _field, _max, _names)			\
	static struct twg_setting_attr twg_attr_##_name = {		\
		.kattr = __ATTR(_name, 0644, twg_setting_show,		\
				twg_setting_store),			\
		.offset = offsetof(struct twg_policy, _field),		\
		.max = _max,						\
		.names = _names,					\
	}

TWG_SETTING(mode, mode, TWG_NR_MODES - 1, twg_mode_names);
TWG_SETTING(timestamps, timestamps, TWG_NR_TS_CHECKS - 1, twg_ts_check_names);
TWG_SETTING(min_age_ms, min_age_ms, TWG_MIN_AGE_MS_MAX, NULL);
TWG_SETTING(rtt_factor, rtt_factor, TWG_RTT_FACTOR_MAX, NULL);
TWG_SETTING(dry_run, dry_run, 1, NULL);

/* --- rules ----------------------------------------------------------------- */

static ssize_t rules_show(struct kobject *kobj, struct kobj_attribute *a,
			  char *buf)
{
	struct twg_policy_slot *slot = twg_kobj_slot(kobj);
	const struct twg_policy *p;
	char line[TWG_RULE_TEXT_MAX];
	ssize_t len = 0;
	unsigned int i;

	rcu_read_lock();
	p = rcu_dereference(slot->policy);
	for (i = 0; i < p->nr_rules; i++) {
		twg_rule_format(&p->rules[i], line);
		len += sysfs_emit_at(buf, len, "%s", line);
	}
	rcu_read_unlock();
	return len;
}

static ssize_t rules_store(struct kobject *kobj, struct kobj_attribute *a,
			   const char *buf, size_t count)
{
	char line[TWG_RULE_TEXT_MAX];
	struct twg_rule *rules;
	unsigned int nr, i;
	size_t text = 0;
	int err;

	err = twg_store_check(buf, count);
	if (err)
		return err;
	rules = kmalloc_array(TWG_RULES_MAX, sizeof(*rules), GFP_KERNEL);
	if (!rules)
		return -ENOMEM;
	err = twg_rules_parse(buf, count, rules, TWG_RULES_MAX, &nr);
	if (err)
		goto out;

	/* What is written must read back, in one page. */
	for (i = 0; i < nr; i++)
		text += twg_rule_format(&rules[i], line);
	err = -E2BIG;
	if (text >= PAGE_SIZE)
		goto out;

	err = twg_policy_replace(twg_kobj_slot(kobj), NULL, 0, rules, nr);
out:
	kfree(rules);
	return err ?: count;
}

static struct kobj_attribute twg_attr_rules = __ATTR(rules, 0600, rules_show,
						     rules_store);

/* --- enforcing, and the decision counters ----------------------------------- */

static ssize_t enforcing_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	struct twg_policy_slot *slot = twg_kobj_slot(kobj);
	bool in_force;

	mutex_lock(&slot->lock);
	in_force = slot->in_force;
	mutex_unlock(&slot->lock);
	return sysfs_emit(buf, "%d\n", in_force);
}

static struct kobj_attribute twg_attr_enforcing = __ATTR_RO(enforcing);

TWG_COUNTER_ATTR(reuse_allowed, TWG_REUSE_ALLOWED);
TWG_COUNTER_ATTR(reuse_denied_policy, TWG_REUSE_DENIED_POLICY);
TWG_COUNTER_ATTR(reuse_denied_no_timestamps, TWG_REUSE_DENIED_NO_TIMESTAMPS);
TWG_COUNTER_ATTR(reuse_denied_too_young, TWG_REUSE_DENIED_TOO_YOUNG);
TWG_COUNTER_ATTR(reuse_denied_ts_order, TWG_REUSE_DENIED_TS_ORDER);
TWG_COUNTER_ATTR(reuse_denied_fin_wait2, TWG_REUSE_DENIED_FIN_WAIT2);
TWG_COUNTER_ATTR(would_allowed, TWG_WOULD_ALLOWED);
TWG_COUNTER_ATTR(would_denied_policy, TWG_WOULD_DENIED_POLICY);
TWG_COUNTER_ATTR(would_denied_no_timestamps, TWG_WOULD_DENIED_NO_TIMESTAMPS);
TWG_COUNTER_ATTR(would_denied_too_young, TWG_WOULD_DENIED_TOO_YOUNG);
TWG_COUNTER_ATTR(would_denied_ts_order, TWG_WOULD_DENIED_TS_ORDER);
TWG_COUNTER_ATTR(would_denied_fin_wait2, TWG_WOULD_DENIED_FIN_WAIT2);

static struct attribute *twg_policy_attrs[] = {
	&twg_attr_mode.kattr.attr,
	&twg_attr_min_age_ms.kattr.attr,
	&twg_attr_rtt_factor.kattr.attr,
	&twg_attr_timestamps.kattr.attr,
	&twg_attr_rules.attr,
	&twg_attr_dry_run.kattr.attr,
	&twg_attr_enforcing.attr,
	&twg_attr_reuse_allowed.kattr.attr,
	&twg_attr_reuse_denied_policy.kattr.attr,
	&twg_attr_reuse_denied_no_timestamps.kattr.attr,
	&twg_attr_reuse_denied_too_young.kattr.attr,
	&twg_attr_reuse_denied_ts_order.kattr.attr,
	&twg_attr_reuse_denied_fin_wait2.kattr.attr,
	&twg_attr_would_allowed.kattr.attr,
	&twg_attr_would_denied_policy.kattr.attr,
	&twg_attr_would_denied_no_timestamps.kattr.attr,
	&twg_attr_would_denied_too_young.kattr.attr,
	&twg_attr_would_denied_ts_order.kattr.attr,
	&twg_attr_would_denied_fin_wait2.kattr.attr,
	NULL,
};

const struct attribute_group twg_policy_group = {
	.name = "policy",
	.attrs = twg_policy_attrs,
};

/* --- /sys/kernel/twguard/default_policy/ ------------------------------------ */

static struct attribute *twg_default_attrs[] = {
	&twg_attr_mode.kattr.attr,
	&twg_attr_min_age_ms.kattr.attr,
	&twg_attr_rtt_factor.kattr.attr,
	&twg_attr_timestamps.kattr.attr,
	&twg_attr_rules.attr,
	&twg_attr_dry_run.kattr.attr,
	&twg_attr_enforcing.attr,
	NULL,
};
ATTRIBUTE_GROUPS(twg_default);

/*
 * The host's admin alone sets the default, from the initial netns with
 * CAP_NET_ADMIN in the initial user namespace: it reaches every netns
 * created from then on, a container's too.  Its rules name peers, and
 * only the host's admin reads them; its settings are everyone's to read,
 * as the root files are.
 */
static int twg_default_access(const struct attribute *attr, bool write)
{
	if (!write && (attr->mode & 0044))
		return 0;
	if (!net_eq(current->nsproxy->net_ns, &init_net))
		return -EACCES;
	if (!capable(CAP_NET_ADMIN))
		return write ? -EPERM : -EACCES;
	return 0;
}

static ssize_t twg_default_attr_show(struct kobject *kobj,
				     struct attribute *attr, char *buf)
{
	return twg_default_access(attr, false) ?:
	       kobj_sysfs_ops.show(kobj, attr, buf);
}

static ssize_t twg_default_attr_store(struct kobject *kobj,
				      struct attribute *attr, const char *buf,
				      size_t count)
{
	return twg_default_access(attr, true) ?:
	       kobj_sysfs_ops.store(kobj, attr, buf, count);
}

static const struct sysfs_ops twg_default_sysfs_ops = {
	.show = twg_default_attr_show,
	.store = twg_default_attr_store,
};

static void twg_default_kobj_release(struct kobject *kobj)
{
	kfree(kobj);
}

static const struct kobj_type twg_default_ktype = {
	.sysfs_ops = &twg_default_sysfs_ops,
	.default_groups = twg_default_groups,
	.release = twg_default_kobj_release,
};

/* After twg_default_policy has its policy; before any netns is made. */
int twg_sysfs_default_add(struct kobject *root)
{
	struct kobject *kobj;
	int err;

	kobj = kzalloc(sizeof(*kobj), GFP_KERNEL);
	if (!kobj)
		return -ENOMEM;
	err = kobject_init_and_add(kobj, &twg_default_ktype, root,
				   "default_policy");
	if (err) {
		kobject_put(kobj);
		return err;
	}
	twg_default_kobj = kobj;
	return 0;
}

/* Waits for the default's readers and writers. */
void twg_sysfs_default_del(void)
{
	kobject_del(twg_default_kobj);
	kobject_put(twg_default_kobj);
	twg_default_kobj = NULL;
}
