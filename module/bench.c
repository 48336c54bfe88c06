// SPDX-License-Identifier: GPL-2.0
/*
 * twguard_bench: the cost of one reuse decision, for `make bench`.
 *
 * Loading this module times twg_policy_decide() on a policy of 0, 16 and
 * 256 rules, none of which matches the destination, for IPv4 and IPv6
 * destinations, and prints one line per case.  Each destination is in
 * one rule's prefix, on a port that rule does not cover: the decision
 * goes the whole way, through the policy's index (the bucket of the
 * address, a binary search over its interval starts, then the rules of
 * one interval) to that rule's port check, and on to the policy's
 * default:
 *
 *   twguard_bench: rules=256 family=ipv4 decisions=200000 ns_per_decision=N min=N max=N
 *
 * The decisions are timed in TWG_BENCH_BATCHES batches, each with
 * interrupts off, so that neither an interrupt nor the scheduler lands in
 * a batch; ns_per_decision is the median batch's, min and max the
 * fastest's and the slowest's.
 *
 * It links its own copy of policy.c: the pure functions, nothing else of
 * twguard, so it needs neither twguard.ko nor KUnit.  Unload it after.
 */
#include <linux/inet.h>
#include <linux/irqflags.h>
#include <linux/sort.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>

#include "policy.h"

#define TWG_BENCH_BATCHES	21

static unsigned int decisions = 200000;
module_param(decisions, uint, 0444);
MODULE_PARM_DESC(decisions, "decisions timed per case");

/* Rules for 10.<i>.0.0/16 port 1000-2000, or 2001:db8:<i>::/48 port 1000-2000. */
static void twg_bench_rules(struct twg_policy *p, unsigned int nr, bool v6)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct twg_rule *r = &p->rules[i];

		memset(r, 0, sizeof(*r));
		r->family = v6 ? AF_INET6 : AF_INET;
		r->port_lo = 1000;
		r->port_hi = 2000;
		r->action = i % 2 ? TWG_ACTION_DENY : TWG_ACTION_ALLOW;
		r->min_age_ms = -1;
		if (v6) {
			r->plen = 48;
			r->addr.v6.s6_addr16[0] = htons(0x2001);
			r->addr.v6.s6_addr16[1] = htons(0xdb8);
			r->addr.v6.s6_addr16[2] = htons(i);
		} else {
			r->plen = 16;
			r->addr.v4 = htonl(0x0a000000 | i << 16);
		}
	}
	p->nr_rules = nr;
}

static int twg_bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int twg_bench_case(struct twg_policy *rules, unsigned int nr, bool v6)
{
	struct twg_reuse_ctx c = {
		.dport = 443, .old_ts = true, .age_ms = 5000, .rtt_ms = 10,
		.ts_comparable = true, .ts_delta = 5000,
	};
	unsigned int i, b, per = max(decisions / TWG_BENCH_BATCHES, 1U);
	unsigned int allowed = 0, mask = nr ? nr - 1 : 0;
	u64 batch[TWG_BENCH_BATCHES];
	struct twg_policy *p;
	unsigned long flags;
	u64 t0;

	if (nr & mask)
		return -EINVAL;	/* @nr must be 0 or a power of 2 */
	twg_bench_rules(rules, nr, v6);
	p = twg_policy_build(rules, rules->rules, nr, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	if (v6) {
		c.family = AF_INET6;
		in6_pton("2001:db8::7", -1, c.daddr.v6.s6_addr, -1, NULL);
	} else {
		c.family = AF_INET;
	}

	for (b = 0; b < TWG_BENCH_BATCHES; b++) {
		local_irq_save(flags);
		t0 = ktime_get_ns();
		for (i = 0; i < per; i++) {
			/*
			 * In the prefix of rule i mod @nr, so that nothing is
			 * hoisted out and every rule's interval is searched.
			 */
			if (v6)
				c.daddr.v6.s6_addr16[2] = htons(i & mask);
			else
				c.daddr.v4 = htonl(0x0a000007 | (i & mask) << 16);
			allowed += twg_policy_decide(p, &c) == TWG_VERDICT_ALLOWED;
		}
		batch[b] = ktime_get_ns() - t0;
		local_irq_restore(flags);
		cond_resched();
	}
	kvfree(p);

	if (allowed != per * TWG_BENCH_BATCHES)
		return -EINVAL;	/* the policy did not do what was timed */
	sort(batch, TWG_BENCH_BATCHES, sizeof(batch[0]), twg_bench_cmp, NULL);
	pr_info("rules=%u family=%s decisions=%u ns_per_decision=%llu min=%llu max=%llu\n",
		nr, v6 ? "ipv6" : "ipv4", per * TWG_BENCH_BATCHES,
		div_u64(batch[TWG_BENCH_BATCHES / 2], per),
		div_u64(batch[0], per), div_u64(batch[TWG_BENCH_BATCHES - 1], per));
	return 0;
}

static int __init twg_bench_init(void)
{
	static const unsigned int sizes[] = { 0, 16, TWG_RULES_MAX };
	struct twg_policy *p;
	int i, v6, err = 0;

	p = kzalloc(struct_size(p, rules, TWG_RULES_MAX), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->mode = TWG_MODE_ON;
	p->timestamps = TWG_TS_STRICT;
	p->min_age_ms = TWG_MIN_AGE_MS_DEFAULT;
	for (v6 = 0; v6 < 2 && !err; v6++)
		for (i = 0; i < ARRAY_SIZE(sizes) && !err; i++)
			err = twg_bench_case(p, sizes[i], v6);
	kfree(p);
	return err;
}

static void __exit twg_bench_exit(void)
{
}

module_init(twg_bench_init);
module_exit(twg_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("twguard: the cost of a reuse decision");
