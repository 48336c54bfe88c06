// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/twguard/: the module's root directory.
 *
 * Monitoring agents read these files on every scrape, so each show is a
 * single sysfs_emit() of data that is already at hand.  The ABI is
 * documented in Documentation/ABI/testing/sysfs-kernel-twguard.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "twguard.h"

static struct kobject *twg_root;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", TWG_VERSION);
}

static struct kobj_attribute twg_attr_version = __ATTR_RO(version);

static struct attribute *twg_root_attrs[] = {
	&twg_attr_version.attr,
	NULL,
};

static const struct attribute_group twg_root_group = {
	.attrs = twg_root_attrs,
};

int twg_sysfs_init(void)
{
	int err;

	twg_root = kobject_create_and_add("twguard", kernel_kobj);
	if (!twg_root)
		return -ENOMEM;

	err = sysfs_create_group(twg_root, &twg_root_group);
	if (err)
		goto err_put;
	return 0;

err_put:
	kobject_put(twg_root);
	twg_root = NULL;
	return err;
}

void twg_sysfs_exit(void)
{
	sysfs_remove_group(twg_root, &twg_root_group);
	kobject_put(twg_root);
	twg_root = NULL;
}
