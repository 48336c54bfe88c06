/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_SYSFS_H
#define _TWGUARD_SYSFS_H

#include <linux/sysfs.h>

#include "netns.h"

extern const struct attribute_group twg_policy_group;
extern const struct attribute_group twg_observe_group;
extern const struct attribute_group twg_dwell_group;

/* The netns whose directory @kobj is. */
static inline struct twg_netns *twg_kobj_netns(struct kobject *kobj)
{
	return container_of(kobj, struct twg_netns, kobj);
}

enum twg_value_kind { TWG_VALUE_COUNTER, TWG_VALUE_GAUGE };

/* A read-only file holding one counter or gauge of its directory's netns. */
struct twg_value_attr {
	struct kobj_attribute kattr;
	enum twg_value_kind kind;
	int idx;
};

ssize_t twg_value_show(struct kobject *kobj, struct kobj_attribute *a,
		       char *buf);

#define TWG_VALUE_ATTR(_name, _kind, _idx)				\
	static struct twg_value_attr twg_attr_##_name = {		\
		.kattr = __ATTR(_name, 0444, twg_value_show, NULL),	\
		.kind = _kind,						\
		.idx = _idx,						\
	}
#define TWG_COUNTER_ATTR(_name, _idx) \
	TWG_VALUE_ATTR(_name, TWG_VALUE_COUNTER, _idx)
#define TWG_GAUGE_ATTR(_name, _idx) \
	TWG_VALUE_ATTR(_name, TWG_VALUE_GAUGE, _idx)

int twg_sysfs_init(void);
void twg_sysfs_exit(void);
int twg_sysfs_netns_add(struct twg_netns *ns);
void twg_sysfs_netns_del(struct twg_netns *ns);
int twg_sysfs_observe_add(struct twg_netns *ns);
int twg_store_check(const char *buf, size_t count);
struct kobject *twg_sysfs_root(void);
int twg_sysfs_default_add(struct kobject *root);
void twg_sysfs_default_del(void);

#endif /* _TWGUARD_SYSFS_H */
