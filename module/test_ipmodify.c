// SPDX-License-Identifier: GPL-2.0
/*
 * twguard_test_ipmodify: a stand-in for a livepatch of tcp_twsk_unique(),
 * for the test that twguard then loads in observe-only mode.  It claims
 * the function with an IPMODIFY ftrace_ops, as livepatch does, and
 * changes nothing: its callback leaves the call where it was going.
 * Built only for the test guests (scripts/build-module).
 */
#include <linux/ftrace.h>
#include <linux/module.h>

static void notrace twg_holder_ftrace(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *op,
				      struct ftrace_regs *fregs)
{
}

static struct ftrace_ops twg_holder_ops = {
	.func = twg_holder_ftrace,
	.flags = FTRACE_OPS_FL_IPMODIFY,
};

static int __init twg_holder_init(void)
{
	char target[] = "tcp_twsk_unique";
	int err;

	err = ftrace_set_filter(&twg_holder_ops, target, strlen(target), 1);
	if (err)
		return err;
	err = register_ftrace_function(&twg_holder_ops);
	if (err)
		ftrace_free_filter(&twg_holder_ops);
	return err;
}

static void __exit twg_holder_exit(void)
{
	unregister_ftrace_function(&twg_holder_ops);
	ftrace_free_filter(&twg_holder_ops);
}

module_init(twg_holder_init);
module_exit(twg_holder_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("twguard test: hold tcp_twsk_unique() as a livepatch would");
