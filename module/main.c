// SPDX-License-Identifier: GPL-2.0
/*
 * twguard: TIME-WAIT and close-path accounting for TCP, per network
 * namespace.
 *
 * This file only wires the parts together; each lives in its own file:
 *
 *   account.c   the accounting model: pure functions over plain data
 *   policy.c    the reuse policy: pure functions over plain data
 *   netns.c     per-netns state: lifecycle, per-CPU counters, sums
 *   hooks.c     where the TCP stack is watched, and the load snapshot
 *   reuse.c     where the reuse policy is enforced
 *   sysfs.c     /sys/kernel/twguard/
 *   sysfs_policy.c  /sys/kernel/twguard/netns/<inum>/policy/
 *
 * Init brings them up in that order and unwinds in reverse on failure;
 * exit is the same unwind.  The hooks go first on exit, and are
 * synchronised, before the state they write to is freed.
 */
#include <linux/module.h>

#include "twguard.h"
#include "hooks.h"
#include "netns.h"
#include "observe.h"
#include "reuse.h"
#include "sysfs.h"

static int __init twg_init(void)
{
	int err;

	err = twg_sysfs_init();
	if (err)
		goto err;
	err = twg_observe_module_init();
	if (err)
		goto err_sysfs;
	/* Policies come later: this only finds what they will hook. */
	twg_reuse_init();
	err = twg_netns_init();
	if (err)
		goto err_reuse;
	err = twg_hooks_init();
	if (err)
		goto err_netns;

	pr_info("version %s loaded\n", TWG_VERSION);
	return 0;

err_netns:
	twg_netns_exit();
err_reuse:
	twg_reuse_exit();
	twg_observe_module_exit();
err_sysfs:
	twg_sysfs_exit();
err:
	pr_err("failed to load: %d\n", err);
	return err;
}

static void __exit twg_exit(void)
{
	twg_reuse_exit();
	twg_hooks_exit();
	twg_netns_exit();
	twg_observe_module_exit();
	twg_sysfs_exit();
	pr_info("unloaded\n");
}

module_init(twg_init);
module_exit(twg_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The twguard developers");
MODULE_DESCRIPTION("TCP TIME-WAIT accounting and reuse policy");
MODULE_VERSION(TWG_VERSION);
