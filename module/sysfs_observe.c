// SPDX-License-Identifier: GPL-2.0
/*
 * The sysfs side of observe.c, in /sys/kernel/twguard/netns/<inum>/:
 *
 *   destinations_{max,rows,bytes,evicted}   the destination table's bound,
 *   ports_{max,rows,bytes,evicted}          size, memory and evictions
 *   ports_unattributed_{active,passive}     closes of connections opened
 *                                           before twguard loaded
 *   pressure_alert_pct                      0 (off) or 1..100
 *   alert                                   the last destination to cross
 *                                           it; poll() wakes on a crossing
 *   dwell/{time_wait,fin_wait2,close_wait,last_ack}   histograms
 *   dwell/sum_ms                            each one's sum, in ms
 *
 * The tables themselves are in /proc/net/twguard/ (proc.c says why).
 * Writers need CAP_NET_ADMIN in the netns's user namespace, as for the
 * policy; a write is checked whole before anything changes.
 */
#include <linux/capability.h>
#include <linux/kernfs.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "netns.h"
#include "sysfs.h"

/* Parse a decimal number in [@min, @max] written by a netns admin. */
static int twg_store_u32(struct twg_netns *ns, const char *buf, size_t count,
			 u32 min, u32 max, u32 *val)
{
	int err;

	err = twg_store_check(buf, count) ?: kstrtou32(buf, 10, val);
	if (err)
		return err;
	if (*val < min || *val > max)
		return -ERANGE;
	return 0;
}

/* --- the tables' bounds ------------------------------------------------ */

enum twg_table_field { TWG_T_MAX, TWG_T_ROWS, TWG_T_BYTES, TWG_T_EVICTED };

struct twg_table_attr {
	struct kobj_attribute kattr;
	bool ports;
	enum twg_table_field field;
};

static struct twg_table *twg_attr_table(struct kobject *kobj,
					const struct twg_table_attr *ta)
{
	struct twg_observe *o = &twg_kobj_netns(kobj)->obs;

	return ta->ports ? &o->ports : &o->dest;
}

static ssize_t twg_table_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	const struct twg_table_attr *ta =
		container_of(a, struct twg_table_attr, kattr);
	struct twg_table *t = twg_attr_table(kobj, ta);
	u64 v = 0;

	if (ta->field == TWG_T_BYTES)
		return sysfs_emit(buf, "%zu\n", twg_table_bytes(t));
	spin_lock_bh(&t->lock);
	switch (ta->field) {
	case TWG_T_MAX:
		v = t->max;
		break;
	case TWG_T_ROWS:
		v = t->nr;
		break;
	case TWG_T_BYTES:
		break;
	case TWG_T_EVICTED:
		v = t->evicted;
		break;
	}
	spin_unlock_bh(&t->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t twg_table_store(struct kobject *kobj, struct kobj_attribute *a,
			       const char *buf, size_t count)
{
	const struct twg_table_attr *ta =
		container_of(a, struct twg_table_attr, kattr);
	struct twg_netns *ns = twg_kobj_netns(kobj);
	struct twg_table *t = twg_attr_table(kobj, ta);
	struct twg_buckets *buckets;
	u32 max;
	int err;

	err = twg_store_u32(ns, buf, count, TWG_TABLE_MIN, TWG_TABLE_MAX, &max);
	if (err)
		return err;
	buckets = twg_buckets_alloc(max, GFP_KERNEL_ACCOUNT);
	if (!buckets)
		return -ENOMEM;
	twg_table_set_max(t, max, buckets);
	return count;
}

#define TWG_TABLE_ATTR(_name, _mode, _store, _ports, _field)		\
	static struct twg_table_attr twg_attr_##_name = {		\
		.kattr = __ATTR(_name, _mode, twg_table_show, _store),	\
		.ports = _ports,					\
		.field = _field,					\
	}

TWG_TABLE_ATTR(destinations_max, 0644, twg_table_store, false, TWG_T_MAX);
TWG_TABLE_ATTR(destinations_rows, 0444, NULL, false, TWG_T_ROWS);
TWG_TABLE_ATTR(destinations_bytes, 0444, NULL, false, TWG_T_BYTES);
TWG_TABLE_ATTR(destinations_evicted, 0444, NULL, false, TWG_T_EVICTED);
TWG_TABLE_ATTR(ports_max, 0644, twg_table_store, true, TWG_T_MAX);
TWG_TABLE_ATTR(ports_rows, 0444, NULL, true, TWG_T_ROWS);
TWG_TABLE_ATTR(ports_bytes, 0444, NULL, true, TWG_T_BYTES);
TWG_TABLE_ATTR(ports_evicted, 0444, NULL, true, TWG_T_EVICTED);

static ssize_t twg_unattributed_show(struct twg_observe *o, bool active,
				     char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&o->unattributed[active]));
}

static ssize_t ports_unattributed_active_show(struct kobject *kobj,
					      struct kobj_attribute *a,
					      char *buf)
{
	return twg_unattributed_show(&twg_kobj_netns(kobj)->obs, true, buf);
}

static ssize_t ports_unattributed_passive_show(struct kobject *kobj,
					       struct kobj_attribute *a,
					       char *buf)
{
	return twg_unattributed_show(&twg_kobj_netns(kobj)->obs, false, buf);
}

static struct kobj_attribute twg_attr_ports_unattributed_active =
	__ATTR_RO(ports_unattributed_active);
static struct kobj_attribute twg_attr_ports_unattributed_passive =
	__ATTR_RO(ports_unattributed_passive);

/* --- the pressure alert ------------------------------------------------- */

static ssize_t pressure_alert_pct_show(struct kobject *kobj,
				       struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(twg_kobj_netns(kobj)->obs.alert_pct));
}

/*
 * A new threshold is applied to every destination at once: one that is
 * on the other side of it now is a crossing, and the last one found is
 * the alert.
 */
static ssize_t pressure_alert_pct_store(struct kobject *kobj,
					struct kobj_attribute *a,
					const char *buf, size_t count)
{
	struct twg_netns *ns = twg_kobj_netns(kobj);
	struct twg_observe *o = &ns->obs;
	u32 pct, range = twg_observe_range(ns->net);
	struct twg_buckets *h;
	struct twg_entry *e;
	bool notify = false;
	unsigned int i;
	s64 v;
	int err;

	err = twg_store_u32(ns, buf, count, 0, 100, &pct);
	if (err)
		return err;
	spin_lock_bh(&o->dest.lock);
	WRITE_ONCE(o->alert_pct, pct);
	h = twg_table_buckets_locked(&o->dest);
	for (i = 0; i < (1U << h->bits); i++)
		hlist_for_each_entry(e, &h->b[i], hash) {
			v = atomic64_read(&e->counts);
			if (!(v & TWG_ROW_DEAD))
				notify |= twg_alert_check(o, e, twg_counts_a(v),
							  twg_counts_b(v), range);
		}
	spin_unlock_bh(&o->dest.lock);
	if (notify && o->alert_kn)
		kernfs_notify(o->alert_kn);
	return count;
}

static struct kobj_attribute twg_attr_pressure_alert_pct =
	__ATTR_RW(pressure_alert_pct);

static ssize_t alert_show(struct kobject *kobj, struct kobj_attribute *a,
			  char *buf)
{
	struct twg_netns *ns = twg_kobj_netns(kobj);
	struct twg_observe *o = &ns->obs;
	char ep[TWG_KEY_TEXT_MAX];
	struct twg_alert al;

	spin_lock_bh(&o->dest.lock);
	al = o->alert;
	spin_unlock_bh(&o->dest.lock);
	if (!al.valid)
		return sysfs_emit(buf, "none\n");
	twg_observe_key_format(&al.key, ep, sizeof(ep));
	return sysfs_emit(buf, "%s %u %s\n", ep, al.pressure,
			  al.exhausted ? "exhausted" :
			  al.above ? "above" : "below");
}

/* It names a peer: its netns's owner alone reads it. */
static struct kobj_attribute twg_attr_alert = __ATTR(alert, 0400, alert_show,
						     NULL);

static struct attribute *twg_observe_attrs[] = {
	&twg_attr_destinations_max.kattr.attr,
	&twg_attr_destinations_rows.kattr.attr,
	&twg_attr_destinations_bytes.kattr.attr,
	&twg_attr_destinations_evicted.kattr.attr,
	&twg_attr_ports_max.kattr.attr,
	&twg_attr_ports_rows.kattr.attr,
	&twg_attr_ports_bytes.kattr.attr,
	&twg_attr_ports_evicted.kattr.attr,
	&twg_attr_ports_unattributed_active.attr,
	&twg_attr_ports_unattributed_passive.attr,
	&twg_attr_pressure_alert_pct.attr,
	&twg_attr_alert.attr,
	NULL,
};

const struct attribute_group twg_observe_group = {
	.attrs = twg_observe_attrs,
};

/* --- dwell times -------------------------------------------------------- */

struct twg_dwell_attr {
	struct kobj_attribute kattr;
	enum twg_dwell state;
};

/* One line per bucket: its smallest dwell in ms, and its count. */
static ssize_t twg_dwell_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	const struct twg_dwell_attr *da =
		container_of(a, struct twg_dwell_attr, kattr);
	struct twg_observe *o = &twg_kobj_netns(kobj)->obs;
	ssize_t len = 0;
	unsigned int b;
	int cpu;

	for (b = 0; b < TWG_DWELL_BUCKETS; b++) {
		u64 n = 0;

		for_each_possible_cpu(cpu)
			n += READ_ONCE(per_cpu_ptr(o->dwell, cpu)->n[da->state][b]);
		len += sysfs_emit_at(buf, len, "%u %llu\n",
				     twg_dwell_bucket_floor(b), n);
	}
	return len;
}

#define TWG_DWELL_ATTR(_name, _state)					\
	static struct twg_dwell_attr twg_attr_dwell_##_name = {		\
		.kattr = __ATTR(_name, 0444, twg_dwell_show, NULL),	\
		.state = _state,					\
	}

TWG_DWELL_ATTR(time_wait, TWG_DWELL_TIME_WAIT);
TWG_DWELL_ATTR(fin_wait2, TWG_DWELL_FIN_WAIT2);
TWG_DWELL_ATTR(close_wait, TWG_DWELL_CLOSE_WAIT);
TWG_DWELL_ATTR(last_ack, TWG_DWELL_LAST_ACK);

/* One line per state: its name and the sum of its dwells, in ms. */
static ssize_t sum_ms_show(struct kobject *kobj, struct kobj_attribute *a,
			   char *buf)
{
	struct twg_observe *o = &twg_kobj_netns(kobj)->obs;
	ssize_t len = 0;
	unsigned int d;
	int cpu;

	for (d = 0; d < TWG_NR_DWELL; d++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += READ_ONCE(per_cpu_ptr(o->dwell, cpu)->sum_ms[d]);
		len += sysfs_emit_at(buf, len, "%s %llu\n",
				     twg_dwell_names[d], sum);
	}
	return len;
}

static struct kobj_attribute twg_attr_dwell_sum_ms = __ATTR_RO(sum_ms);

static struct attribute *twg_dwell_attrs[] = {
	&twg_attr_dwell_time_wait.kattr.attr,
	&twg_attr_dwell_fin_wait2.kattr.attr,
	&twg_attr_dwell_close_wait.kattr.attr,
	&twg_attr_dwell_last_ack.kattr.attr,
	&twg_attr_dwell_sum_ms.attr,
	NULL,
};

const struct attribute_group twg_dwell_group = {
	.name = "dwell",
	.attrs = twg_dwell_attrs,
};

/* The alert file's node, for kernfs_notify() from the hooks. */
int twg_sysfs_observe_add(struct twg_netns *ns)
{
	ns->obs.alert_kn = sysfs_get_dirent(ns->kobj.sd, "alert");
	return ns->obs.alert_kn ? 0 : -ENOENT;
}
