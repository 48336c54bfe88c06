// SPDX-License-Identifier: GPL-2.0
/*
 * twguard: TIME-WAIT and close-path accounting and reuse policy for TCP.
 *
 * This file only wires the parts together; each lives in its own file:
 *
 *   account.c   the accounting model, pure functions over plain data
 *   sysfs.c     /sys/kernel/twguard/
 *
 * Init brings them up in order and unwinds in reverse on failure; exit
 * is the same unwind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "twguard.h"

static int __init twg_init(void)
{
	int err;

	err = twg_sysfs_init();
	if (err)
		goto err;

	pr_info("version %s loaded\n", TWG_VERSION);
	return 0;

err:
	pr_err("failed to load: %d\n", err);
	return err;
}

static void __exit twg_exit(void)
{
	twg_sysfs_exit();
	pr_info("unloaded\n");
}

module_init(twg_init);
module_exit(twg_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The twguard developers");
MODULE_DESCRIPTION("TCP TIME-WAIT and close-path accounting and reuse policy");
MODULE_VERSION(TWG_VERSION);
