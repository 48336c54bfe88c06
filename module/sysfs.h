/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_SYSFS_H
#define _TWGUARD_SYSFS_H

#include <linux/sysfs.h>

struct twg_netns;

extern const struct attribute_group twg_policy_group;

int twg_sysfs_init(void);
void twg_sysfs_exit(void);
int twg_sysfs_netns_add(struct twg_netns *ns);
void twg_sysfs_netns_del(struct twg_netns *ns);

#endif /* _TWGUARD_SYSFS_H */
