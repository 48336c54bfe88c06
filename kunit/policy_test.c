// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the reuse policy (module/policy.c): the verdict on
 * every kind of decision, rule matching, and the rules parser, fed
 * malformed and random text.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/ipv6.h>

#include "policy.h"

/* Policies a case built, freed when it ends. */
struct policy_fixture {
	struct twg_policy *built[32];
	unsigned int nr;
};

static int twg_policy_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct policy_fixture), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void twg_policy_test_exit(struct kunit *test)
{
	struct policy_fixture *f = test->priv;

	while (f->nr)
		kvfree(f->built[--f->nr]);
}

/* Settings as a new netns has them, and no rules yet. */
static struct twg_policy *new_policy(struct kunit *test)
{
	struct twg_policy *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->mode = TWG_MODE_KERNEL;
	p->timestamps = TWG_TS_STRICT;
	p->min_age_ms = TWG_MIN_AGE_MS_DEFAULT;
	return p;
}

/* A policy as twguard builds it: @settings' settings, @text's rules. */
static struct twg_policy *build(struct kunit *test,
				const struct twg_policy *settings,
				const char *text)
{
	struct policy_fixture *f = test->priv;
	struct twg_rule *rules;
	struct twg_policy *p;
	unsigned int nr = 0;

	rules = kunit_kcalloc(test, TWG_RULES_MAX, sizeof(*rules), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rules);
	if (text)
		KUNIT_ASSERT_EQ(test, twg_rules_parse(text, strlen(text), rules,
						      TWG_RULES_MAX, &nr), 0);
	KUNIT_ASSERT_LT(test, f->nr, ARRAY_SIZE(f->built));
	p = twg_policy_build(settings, rules, nr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	f->built[f->nr++] = p;
	return p;
}

/* A reuse every check passes: old enough, timestamps in order, IPv4. */
static struct twg_reuse_ctx good_ctx(void)
{
	struct twg_reuse_ctx c = {
		.family = AF_INET,
		.dport = 80,
		.old_ts = true,
		.sysctl_reuse = 2,
		.kernel_age_ok = true,
		.age_ms = 5000,
		.rtt_ms = 10,
		.ts_comparable = true,
		.ts_delta = 5000,
	};

	c.daddr.v4 = in_aton("192.0.2.7");
	return c;
}

static void ctx_v6(struct twg_reuse_ctx *c, const char *addr)
{
	c->family = AF_INET6;
	memset(&c->daddr, 0, sizeof(c->daddr));
	in6_pton(addr, -1, c->daddr.v6.s6_addr, -1, NULL);
}

/* --- the decision table ---------------------------------------------------- */

struct decide_case {
	const char *name;
	u8 mode, timestamps;
	const char *rules;		/* NULL: none */
	u32 min_age_ms, rtt_factor;
	bool v6, loopback, bound, fin_wait2, old_ts, comparable;
	u8 sysctl;
	bool kage;
	u32 age_ms, rtt_ms;
	s32 delta;
	enum twg_verdict want;
};

#define ON	TWG_MODE_ON
#define OFF	TWG_MODE_OFF
#define LO	TWG_MODE_LOOPBACK
#define KERN	TWG_MODE_KERNEL
#define STRICT	TWG_TS_STRICT
#define TSK	TWG_TS_KERNEL
#define OK	TWG_VERDICT_ALLOWED
#define POLICY	TWG_VERDICT_DENIED_POLICY
#define NO_TS	TWG_VERDICT_DENIED_NO_TIMESTAMPS
#define YOUNG	TWG_VERDICT_DENIED_TOO_YOUNG
#define ORDER	TWG_VERDICT_DENIED_TS_ORDER
#define FW2	TWG_VERDICT_DENIED_FIN_WAIT2

/* Defaults of a row: a good reuse under mode=on, min_age_ms 1000. */
#define ROW(...) { .mode = ON, .timestamps = STRICT, .min_age_ms = 1000, \
		   .old_ts = true, .comparable = true, .sysctl = 2, \
		   .kage = true, .age_ms = 5000, .rtt_ms = 10, .delta = 5000, \
		   __VA_ARGS__ }

static const struct decide_case decide_cases[] = {
	/* mode=on: each check in turn. */
	ROW(.name = "on, all good", .want = OK),
	ROW(.name = "on, v6, all good", .v6 = true, .want = OK),
	ROW(.name = "on, FIN_WAIT2", .fin_wait2 = true, .want = FW2),
	ROW(.name = "on, FIN_WAIT2 and bound", .fin_wait2 = true, .bound = true, .want = FW2),
	ROW(.name = "on, no timestamps", .old_ts = false, .want = NO_TS),
	ROW(.name = "on, v6, no timestamps", .v6 = true, .old_ts = false, .want = NO_TS),
	ROW(.name = "on, too young", .age_ms = 10, .want = YOUNG),
	ROW(.name = "on, v6, too young", .v6 = true, .age_ms = 10, .want = YOUNG),
	ROW(.name = "on, TSvals not comparable", .comparable = false, .want = ORDER),
	ROW(.name = "on, TSval not later", .delta = 0, .want = ORDER),
	ROW(.name = "on, TSval earlier", .delta = -5, .want = ORDER),
	ROW(.name = "on, TSval 1 later", .delta = 1, .want = OK),
	ROW(.name = "on, timestamps=kernel, not comparable", .timestamps = TSK,
	    .comparable = false, .want = OK),
	ROW(.name = "on, timestamps=kernel, no timestamps", .timestamps = TSK,
	    .old_ts = false, .want = NO_TS),
	ROW(.name = "on, sysctl 0 does not matter", .sysctl = 0, .want = OK),
	ROW(.name = "on, kernel's clock does not matter", .kage = false, .want = OK),
	ROW(.name = "on, bound, too young", .bound = true, .age_ms = 1, .want = YOUNG),
	/* min_age_ms and rtt_factor, to the millisecond. */
	ROW(.name = "min_age 1000, age 999", .age_ms = 999, .want = YOUNG),
	ROW(.name = "min_age 1000, age 1000", .age_ms = 1000, .want = OK),
	ROW(.name = "min_age 1000, age 1001", .age_ms = 1001, .want = OK),
	ROW(.name = "min_age 0, age 0", .min_age_ms = 0, .age_ms = 0, .delta = 1, .want = OK),
	ROW(.name = "rtt x2, need 1100, age 1099", .rtt_factor = 2, .rtt_ms = 50,
	    .age_ms = 1099, .want = YOUNG),
	ROW(.name = "rtt x2, need 1100, age 1100", .rtt_factor = 2, .rtt_ms = 50,
	    .age_ms = 1100, .want = OK),
	ROW(.name = "rtt x16 of 4095, max min_age, one short", .rtt_factor = 16,
	    .rtt_ms = 4095, .min_age_ms = 60000, .age_ms = 60000 + 16 * 4095 - 1,
	    .want = YOUNG),
	ROW(.name = "rtt x16 of 4095, max min_age, exact", .rtt_factor = 16,
	    .rtt_ms = 4095, .min_age_ms = 60000, .age_ms = 60000 + 16 * 4095,
	    .want = OK),
	ROW(.name = "rtt x0 ignores rtt", .rtt_ms = 4095, .age_ms = 1000, .want = OK),
	/* mode=off and mode=loopback. */
	ROW(.name = "off", .mode = OFF, .want = POLICY),
	ROW(.name = "off, v6", .mode = OFF, .v6 = true, .want = POLICY),
	ROW(.name = "off, bound", .mode = OFF, .bound = true, .want = POLICY),
	ROW(.name = "off, FIN_WAIT2 first", .mode = OFF, .fin_wait2 = true, .want = FW2),
	ROW(.name = "loopback, not loopback", .mode = LO, .want = POLICY),
	ROW(.name = "loopback, loopback", .mode = LO, .loopback = true, .want = OK),
	ROW(.name = "loopback, loopback, too young", .mode = LO, .loopback = true,
	    .age_ms = 3, .want = YOUNG),
	/* Rules override the mode, first match wins. */
	ROW(.name = "off, rule allows", .mode = OFF, .rules = "192.0.2.0/24 allow",
	    .want = OK),
	ROW(.name = "off, rule for another net", .mode = OFF,
	    .rules = "198.51.100.0/24 allow", .want = POLICY),
	ROW(.name = "on, rule denies", .rules = "192.0.2.7 deny", .want = POLICY),
	ROW(.name = "on, v6 rule does not match v4", .rules = "::/0 deny", .want = OK),
	ROW(.name = "on, v6, v6 rule denies", .v6 = true, .rules = "2001:db8::/32 deny",
	    .want = POLICY),
	ROW(.name = "on, first match wins (allow)", .age_ms = 100,
	    .rules = "192.0.2.0/24 port 80 allow min_age_ms 50\n0.0.0.0/0 deny",
	    .want = OK),
	ROW(.name = "on, first match wins (deny)",
	    .rules = "0.0.0.0/0 deny\n192.0.2.0/24 allow", .want = POLICY),
	ROW(.name = "on, port outside the rule", .rules = "192.0.2.0/24 port 81-90 deny",
	    .want = OK),
	ROW(.name = "rule min_age_ms, one short", .age_ms = 199,
	    .rules = "192.0.2.7 allow min_age_ms 200", .want = YOUNG),
	ROW(.name = "rule min_age_ms, exact", .age_ms = 200,
	    .rules = "192.0.2.7 allow min_age_ms 200", .want = OK),
	ROW(.name = "default rule keeps the mode, with its own min_age", .mode = OFF,
	    .age_ms = 200, .rules = "192.0.2.7 default min_age_ms 100", .want = POLICY),
	ROW(.name = "default rule, own min_age", .age_ms = 200,
	    .rules = "192.0.2.7 default min_age_ms 100", .want = OK),
	ROW(.name = "rule allows, still FIN_WAIT2", .mode = OFF, .fin_wait2 = true,
	    .rules = "192.0.2.7 allow", .want = FW2),
	ROW(.name = "rule allows, still no timestamps", .mode = OFF, .old_ts = false,
	    .rules = "192.0.2.7 allow", .want = NO_TS),
	ROW(.name = "rule allows, still TS order", .mode = OFF, .delta = 0,
	    .rules = "192.0.2.7 allow", .want = ORDER),
	/* mode=kernel: tcp_twsk_unique()'s own verdict. */
	ROW(.name = "kernel, sysctl 1", .mode = KERN, .sysctl = 1, .want = OK),
	ROW(.name = "kernel, sysctl 1, clock not moved", .mode = KERN, .sysctl = 1,
	    .kage = false, .want = YOUNG),
	ROW(.name = "kernel, sysctl 0", .mode = KERN, .sysctl = 0, .want = POLICY),
	ROW(.name = "kernel, sysctl 2, not loopback", .mode = KERN, .want = POLICY),
	ROW(.name = "kernel, sysctl 2, loopback", .mode = KERN, .loopback = true, .want = OK),
	ROW(.name = "kernel, ignores min_age and TS order", .mode = KERN, .sysctl = 1,
	    .age_ms = 0, .delta = -1, .comparable = false, .want = OK),
	ROW(.name = "kernel, no timestamps", .mode = KERN, .sysctl = 1, .old_ts = false,
	    .want = NO_TS),
	ROW(.name = "kernel, FIN_WAIT2", .mode = KERN, .sysctl = 1, .fin_wait2 = true,
	    .want = FW2),
	ROW(.name = "kernel, bound skips sysctl and clock", .mode = KERN, .sysctl = 0,
	    .bound = true, .kage = false, .want = OK),
	ROW(.name = "kernel, bound FIN_WAIT2 with timestamps", .mode = KERN,
	    .bound = true, .fin_wait2 = true, .want = OK),
	ROW(.name = "kernel, bound, no timestamps", .mode = KERN, .bound = true,
	    .old_ts = false, .want = NO_TS),
	ROW(.name = "kernel, but a rule denies", .mode = KERN, .sysctl = 1,
	    .rules = "192.0.2.0/24 deny", .want = POLICY),
	ROW(.name = "kernel, but a rule allows at min_age", .mode = KERN, .sysctl = 0,
	    .rules = "192.0.2.0/24 allow min_age_ms 0", .age_ms = 0, .delta = 1,
	    .want = OK),
	ROW(.name = "kernel, a default rule stays kernel", .mode = KERN, .sysctl = 0,
	    .rules = "192.0.2.0/24 default", .want = POLICY),
};

static void decide_case_desc(const struct decide_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(decide, decide_cases, decide_case_desc);

static void twg_decide_table(struct kunit *test)
{
	const struct decide_case *t = test->param_value;
	struct twg_policy *p = new_policy(test);
	struct twg_reuse_ctx c = good_ctx();

	p->mode = t->mode;
	p->timestamps = t->timestamps;
	p->min_age_ms = t->min_age_ms;
	p->rtt_factor = t->rtt_factor;
	p = build(test, p, t->rules);
	if (t->v6)
		ctx_v6(&c, "2001:db8::7");
	c.loopback = t->loopback;
	c.bound = t->bound;
	c.fin_wait2 = t->fin_wait2;
	c.old_ts = t->old_ts;
	c.ts_comparable = t->comparable;
	c.sysctl_reuse = t->sysctl;
	c.kernel_age_ok = t->kage;
	c.age_ms = t->age_ms;
	c.rtt_ms = t->rtt_ms;
	c.ts_delta = t->delta;

	KUNIT_EXPECT_STREQ(test, twg_verdict_names[twg_policy_decide(p, &c)],
			   twg_verdict_names[t->want]);
}

/*
 * tcp_twsk_unique() of 6.1 and 6.12, transcribed: the reference
 * twg_decide_kernel() must agree with on whether to allow.
 */
static bool kernel_allows(const struct twg_reuse_ctx *c)
{
	int reuse = c->sysctl_reuse;

	if (c->fin_wait2)
		reuse = 0;
	if (reuse == 2 && !c->loopback)
		reuse = 0;
	return c->old_ts && (c->bound || (reuse && c->kernel_age_ok));
}

/* Every combination of what the kernel's decision reads. */
static void twg_decide_kernel_all(struct kunit *test)
{
	struct twg_reuse_ctx c = good_ctx();
	unsigned int bits, n = 0;

	for (bits = 0; bits < 3 << 5; bits++) {
		c.sysctl_reuse = bits >> 5;
		c.loopback = bits & 1;
		c.bound = bits & 2;
		c.fin_wait2 = bits & 4;
		c.old_ts = bits & 8;
		c.kernel_age_ok = bits & 16;
		KUNIT_EXPECT_EQ_MSG(test,
				    twg_decide_kernel(&c) == TWG_VERDICT_ALLOWED,
				    kernel_allows(&c), "combination %#x", bits);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 96U);
}

/* Check the documented promises of @p on the facts numbered @bits. */
static unsigned int check_promises(struct kunit *test, struct twg_policy *p,
				   unsigned int bits)
{
	struct twg_reuse_ctx c = good_ctx();
	const struct twg_rule *rule;
	enum twg_verdict v;

	p->timestamps = bits & 1 ? TWG_TS_KERNEL : TWG_TS_STRICT;
	if (bits & 2)
		ctx_v6(&c, "2001:db8::7");
	c.loopback = bits & 4;
	c.bound = bits & 8;
	c.fin_wait2 = bits & 16;
	c.old_ts = bits & 32;
	c.ts_comparable = bits & 64;
	c.ts_delta = bits & 128 ? 1 : 0;
	c.age_ms = bits & 256 ? 999 : 1000;
	c.kernel_age_ok = bits & 512;

	rule = twg_policy_match(p, &c);
	v = twg_policy_decide(p, &c);
	if (!twg_policy_orders_ts(p)) {
		/* The hook leaves the TSval facts out then: they must not count. */
		struct twg_reuse_ctx unordered = c;

		unordered.ts_comparable = !c.ts_comparable;
		unordered.ts_delta = c.ts_delta ? 0 : 1;
		KUNIT_EXPECT_EQ(test, twg_policy_decide(p, &unordered), v);
	}
	if (p->mode == TWG_MODE_KERNEL &&
	    (!rule || rule->action == TWG_ACTION_DEFAULT)) {
		KUNIT_EXPECT_EQ(test, v, twg_decide_kernel(&c));
		return 1;
	}
	if (v != TWG_VERDICT_ALLOWED)
		return 1;
	/* Whatever allows, allows only what is safe and wanted. */
	KUNIT_EXPECT_FALSE(test, c.fin_wait2);
	KUNIT_EXPECT_TRUE(test, c.old_ts);
	KUNIT_EXPECT_GE(test, c.age_ms, p->min_age_ms);
	if (p->timestamps == TWG_TS_STRICT)
		KUNIT_EXPECT_TRUE(test, c.ts_comparable && c.ts_delta > 0);
	KUNIT_EXPECT_TRUE(test, !rule || rule->action != TWG_ACTION_DENY);
	if (!rule || rule->action == TWG_ACTION_DEFAULT) {
		KUNIT_EXPECT_NE(test, p->mode, TWG_MODE_OFF);
		if (p->mode == TWG_MODE_LOOPBACK)
			KUNIT_EXPECT_TRUE(test, c.loopback);
	}
	return 1;
}

/*
 * Over every mode, rule action, timestamps setting and fact: the
 * promises the documentation makes, whatever the combination.
 */
static void twg_decide_promises(struct kunit *test)
{
	static const char *const rules[] = {
		NULL, "192.0.2.7 allow", "192.0.2.7 deny", "192.0.2.7 default",
		"2001:db8::7 allow", "2001:db8::7 deny",
	};
	struct twg_policy *settings = new_policy(test);
	unsigned int m, r, bits, checked = 0;

	for (m = 0; m < TWG_NR_MODES; m++) {
		for (r = 0; r < ARRAY_SIZE(rules); r++) {
			struct twg_policy *p;

			settings->mode = m;
			p = build(test, settings, rules[r]);
			for (bits = 0; bits < 1 << 10; bits++)
				checked += check_promises(test, p, bits);
		}
	}
	KUNIT_EXPECT_EQ(test, checked, TWG_NR_MODES * ARRAY_SIZE(rules) * 1024U);
}

/* --- rule matching ---------------------------------------------------------- */

static void twg_match_prefixes_and_ports(struct kunit *test)
{
	struct twg_policy *p;
	struct twg_reuse_ctx c = good_ctx();

	p = build(test, new_policy(test),
		  "192.0.2.0/25 port 80-90 deny\n"
		  "192.0.2.0/24 allow\n"
		  "2001:db8:1::/48 port 443 deny\n"
		  "::/0 default\n"
		  "0.0.0.0/0 port 1 default\n");

	c.daddr.v4 = in_aton("192.0.2.127");
	c.dport = 79;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[1]);
	c.dport = 80;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[0]);
	c.dport = 90;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[0]);
	c.dport = 91;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[1]);
	c.dport = 80;
	c.daddr.v4 = in_aton("192.0.2.128");
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[1]);
	c.daddr.v4 = in_aton("192.0.3.0");
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), NULL);
	c.dport = 1;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[4]);

	ctx_v6(&c, "2001:db8:1:ffff::1");
	c.dport = 443;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[2]);
	c.dport = 444;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[3]);
	ctx_v6(&c, "2001:db8:2::1");
	c.dport = 443;
	KUNIT_EXPECT_PTR_EQ(test, twg_policy_match(p, &c), &p->rules[3]);
}

/*
 * The index finds what a scan of the rules in order finds, on random rule
 * sets whose prefixes overlap (all within 10.0.0.0/16 or 2001:db8::/112,
 * lengths /16 to /32 or /112 to /128) and random destinations in and
 * around them, including the edges of every rule.
 */
static void twg_match_index_vs_scan(struct kunit *test)
{
	struct twg_rule *rules = kunit_kcalloc(test, TWG_RULES_MAX, sizeof(*rules),
					       GFP_KERNEL);
	struct policy_fixture *f = test->priv;
	unsigned int round, i, q, compared = 0;
	struct rnd_state rnd;

	KUNIT_ASSERT_NOT_NULL(test, rules);
	prandom_seed_state(&rnd, 7323);
	for (round = 0; round < 40; round++) {
		unsigned int nr = round < 4 ? round : 1 + prandom_u32_state(&rnd) % TWG_RULES_MAX;
		struct twg_policy *p;

		for (i = 0; i < nr; i++) {
			struct twg_rule *r = &rules[i];
			u32 x = prandom_u32_state(&rnd);
			bool v6 = x & 1;
			unsigned int host = (x >> 1) % 17;

			memset(r, 0, sizeof(*r));
			r->family = v6 ? AF_INET6 : AF_INET;
			r->plen = (v6 ? 128 : 32) - host;
			r->action = (x >> 6) % TWG_NR_ACTIONS;
			r->min_age_ms = -1;
			r->port_lo = 1;
			r->port_hi = 65535;
			if (x & 0x100) {
				r->port_lo = 1 + (x >> 9) % 8;
				r->port_hi = r->port_lo + (x >> 12) % 4;
			}
			x = prandom_u32_state(&rnd) & 0xffff & ~((1U << host) - 1);
			if (v6) {
				r->addr.v6.s6_addr32[0] = htonl(0x20010db8);
				r->addr.v6.s6_addr32[3] = htonl(x);
			} else {
				r->addr.v4 = htonl(0x0a000000 | x);
			}
		}
		p = twg_policy_build(new_policy(test), rules, nr, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		f->built[f->nr++] = p;

		for (q = 0; q < 2000; q++) {
			struct twg_reuse_ctx c = good_ctx();
			u32 x = prandom_u32_state(&rnd);
			u32 addr = (x & 0x1ffff) - 0x8000;	/* around the rules */

			if (q < 2 * nr) {	/* an edge of a rule */
				const struct twg_rule *r = &rules[q / 2];
				u32 base = r->family == AF_INET ? ntohl(r->addr.v4) :
					   ntohl(r->addr.v6.s6_addr32[3]);
				unsigned int host = (r->family == AF_INET ? 32 : 128) - r->plen;

				addr = q % 2 ? base + (1U << host) : base - 1;
				addr &= 0xffffffff;
				if (r->family == AF_INET6)
					x |= 1U << 31;
				else
					x &= ~(1U << 31);
				addr = r->family == AF_INET ? addr - 0x0a000000 : addr;
			}
			c.dport = 1 + (x >> 17) % 12;
			if (x >> 31) {
				ctx_v6(&c, "2001:db8::");
				c.daddr.v6.s6_addr32[3] = htonl(addr);
			} else {
				c.daddr.v4 = htonl(0x0a000000 + addr);
			}
			KUNIT_EXPECT_PTR_EQ_MSG(test, twg_policy_match(p, &c),
						twg_rules_first_match(p->rules, nr, &c),
						"round %u query %u", round, q);
			compared++;
		}
		kvfree(p);
		f->nr--;
	}
	KUNIT_EXPECT_EQ(test, compared, 40U * 2000);
}

/* A random address of @family: all 32 or 128 bits. */
static void random_addr(struct rnd_state *rnd, u8 family, union twg_addr *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->v4 = (__force __be32)prandom_u32_state(rnd);
		return;
	}
	for (i = 0; i < 4; i++)
		a->v6.s6_addr32[i] = (__force __be32)prandom_u32_state(rnd);
}

/* Clear @r's address past its prefix, as the parser does. */
static void mask_rule(struct twg_rule *r)
{
	unsigned int i, plen = r->plen;

	if (r->family == AF_INET) {
		r->addr.v4 &= plen ? htonl(~0U << (32 - plen)) : 0;
		return;
	}
	for (i = 0; i < 4; i++, plen = plen > 32 ? plen - 32 : 0)
		r->addr.v6.s6_addr32[i] &= plen >= 32 ? htonl(~0U) :
					   plen ? htonl(~0U << (32 - plen)) : 0;
}

/* @k as the address of a decision's context. */
static void ctx_of_key(struct twg_reuse_ctx *c, u8 family, const struct twg_key *k)
{
	c->family = family;
	memset(&c->daddr, 0, sizeof(c->daddr));
	if (family == AF_INET) {
		c->daddr.v4 = htonl((u32)k->lo);
		return;
	}
	c->daddr.v6.s6_addr32[0] = htonl(k->hi >> 32);
	c->daddr.v6.s6_addr32[1] = htonl((u32)k->hi);
	c->daddr.v6.s6_addr32[2] = htonl(k->lo >> 32);
	c->daddr.v6.s6_addr32[3] = htonl((u32)k->lo);
}

/*
 * The index finds what a scan finds when the rules' prefixes spread over
 * the whole address space (any length, any address, so that the index's
 * buckets are up to 2^127 addresses wide), and when they crowd into one
 * bucket next to a wide rule; queried at every interval start, the
 * address before it and after it, the first and last addresses and at
 * random.
 */
static void twg_match_index_wide(struct kunit *test)
{
	struct twg_rule *rules = kunit_kcalloc(test, TWG_RULES_MAX, sizeof(*rules),
					       GFP_KERNEL);
	struct policy_fixture *f = test->priv;
	unsigned int round, i, q, compared = 0;
	struct rnd_state rnd;

	KUNIT_ASSERT_NOT_NULL(test, rules);
	prandom_seed_state(&rnd, 6121);
	for (round = 0; round < 24; round++) {
		u8 family = round % 2 ? AF_INET6 : AF_INET;
		unsigned int bits = family == AF_INET ? 32 : 128;
		unsigned int nr = 1 + prandom_u32_state(&rnd) % TWG_RULES_MAX;
		bool crowd = round % 4 >= 2;
		const struct twg_index *ix;
		const struct twg_key *pts;
		struct twg_policy *p;

		for (i = 0; i < nr; i++) {
			struct twg_rule *r = &rules[i];
			u32 x = prandom_u32_state(&rnd);

			memset(r, 0, sizeof(*r));
			r->family = family;
			random_addr(&rnd, family, &r->addr);
			/* Crowded: one wide rule, the rest /N-1 or longer in 2 of its halves. */
			r->plen = crowd ? (i ? bits - x % 8 : 1) : x % (bits + 1);
			if (crowd && i && family == AF_INET)
				r->addr.v4 = (r->addr.v4 & htonl(0x800000ff)) | htonl(0x00012300);
			if (crowd && i && family == AF_INET6) {
				r->addr.v6.s6_addr32[0] &= htonl(0x80000000);
				r->addr.v6.s6_addr32[1] = htonl(0x123);
				r->addr.v6.s6_addr32[2] = 0;
			}
			mask_rule(r);
			r->action = (x >> 8) % TWG_NR_ACTIONS;
			r->min_age_ms = -1;
			r->port_lo = 1;
			r->port_hi = 65535;
			if (x & 0x100000) {
				r->port_lo = 1 + (x >> 21) % 8;
				r->port_hi = r->port_lo + (x >> 25) % 4;
			}
		}
		p = twg_policy_build(new_policy(test), rules, nr, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		f->built[f->nr++] = p;
		ix = &p->index[family == AF_INET6];
		pts = (const void *)p + ix->points;
		KUNIT_ASSERT_GT(test, ix->nr_points, 0U);

		for (q = 0; q < 3 * ix->nr_points + 2 + 500; q++) {
			struct twg_reuse_ctx c = good_ctx();
			struct twg_key k = {};

			if (q < 3 * ix->nr_points) {
				k = pts[q / 3];
				if (q % 3 == 0)		/* the address before */
					k.hi -= !k.lo--;
				else if (q % 3 == 2)	/* the address after */
					k.hi += !++k.lo;
			} else if (q == 3 * ix->nr_points + 1) {
				k.lo = family == AF_INET ? U32_MAX : U64_MAX;
				k.hi = family == AF_INET ? 0 : U64_MAX;
			} else if (q > 3 * ix->nr_points + 1) {
				k.lo = prandom_u32_state(&rnd) |
				       (u64)prandom_u32_state(&rnd) << 32;
				k.hi = k.lo ^ prandom_u32_state(&rnd);
			}
			if (family == AF_INET) {	/* wrapped below 0 or past 2^32 - 1 */
				k.hi = 0;
				k.lo = (u32)k.lo;
			}
			ctx_of_key(&c, family, &k);
			c.dport = 1 + prandom_u32_state(&rnd) % 12;
			KUNIT_EXPECT_PTR_EQ_MSG(test, twg_policy_match(p, &c),
						twg_rules_first_match(p->rules, nr, &c),
						"round %u query %u", round, q);
			compared++;
		}
		kvfree(p);
		f->nr--;
	}
	/* Every round queried its points and 502 more addresses. */
	KUNIT_EXPECT_GT(test, compared, 24U * 502);
}

/* --- the parser ---------------------------------------------------------------- */

struct parse_case {
	const char *text;
	int err;
	const char *canonical;		/* when err is 0 */
};

static const struct parse_case parse_cases[] = {
	{ "", 0, "" },
	{ "\n\n  \t\n", 0, "" },
	{ "192.0.2.0/24 allow", 0, "192.0.2.0/24 allow\n" },
	{ "192.0.2.1 deny\n", 0, "192.0.2.1 deny\n" },
	{ "192.0.2.1/32 deny", 0, "192.0.2.1 deny\n" },
	{ "0.0.0.0/0 default", 0, "0.0.0.0/0 default\n" },
	{ " 10.0.0.0/8\tport 80 allow  min_age_ms 0 ", 0,
	  "10.0.0.0/8 port 80 allow min_age_ms 0\n" },
	{ "10.0.0.0/8 port 1-65535 allow", 0, "10.0.0.0/8 allow\n" },
	{ "10.0.0.0/8 port 0080-00443 allow", 0, "10.0.0.0/8 port 80-443 allow\n" },
	{ "10.0.0.0/8 port 65535 deny min_age_ms 60000", 0,
	  "10.0.0.0/8 port 65535 deny min_age_ms 60000\n" },
	{ "2001:DB8:0:0:0:0:0:0/32 deny", 0, "2001:db8::/32 deny\n" },
	{ "::/0 allow", 0, "::/0 allow\n" },
	{ "::1 allow", 0, "::1 allow\n" },
	{ "::ffff:192.0.2.1 allow", 0, "::ffff:192.0.2.1 allow\n" },
	{ "fe80::/10 port 22 deny", 0, "fe80::/10 port 22 deny\n" },
	{ "10.0.0.0/8 deny\n10.0.0.0/8 allow", 0, "10.0.0.0/8 deny\n10.0.0.0/8 allow\n" },
	/* Malformed. */
	{ "allow", -EINVAL },
	{ "192.0.2.0/24", -EINVAL },
	{ "192.0.2.0/24 permit", -EINVAL },
	{ "192.0.2.0/24 ALLOW", -EINVAL },
	{ "192.0.2.0/24 allow extra", -EINVAL },
	{ "192.0.2.0/24 allow min_age_ms", -EINVAL },
	{ "192.0.2.0/24 allow min_age_ms x", -EINVAL },
	{ "192.0.2.0/24 allow min_age_ms -1", -EINVAL },
	{ "192.0.2.0/24 allow min_age_ms +1", -EINVAL },
	{ "192.0.2.0/24 allow min_age_ms 0x10", -EINVAL },
	{ "192.0.2.0/24 port allow", -EINVAL },
	{ "192.0.2.0/24 port", -EINVAL },
	{ "192.0.2.0/24 port 80-", -EINVAL },
	{ "192.0.2.0/24 port -80 allow", -EINVAL },
	{ "192.0.2.0/24 port 80--90 allow", -EINVAL },
	{ "192.0.2.0/24 port 90-80 allow", -EINVAL },
	{ "192.0.2.0/24 allow port 80", -EINVAL },
	{ "192.0.2.1/24 allow", -EINVAL },
	{ "192.0.2.0/ allow", -EINVAL },
	{ "192.0.2.0/x allow", -EINVAL },
	{ "192.0.2.0/-1 allow", -EINVAL },
	{ "192.0.2 allow", -EINVAL },
	{ "192.0.2.256 allow", -EINVAL },
	{ "192.0.2.0.1 allow", -EINVAL },
	{ "2001:db8::1/64 allow", -EINVAL },
	{ "2001:db8:::1 allow", -EINVAL },
	{ "2001:db8::g allow", -EINVAL },
	{ "host.example allow", -EINVAL },
	{ "192.0.2.0/24 allow\n192.0.2.0/24 nope", -EINVAL },
	{ "192.0.2.0/24 allow\r", -EINVAL },
	{ "192.0.2.0/24 al\x01low", -EINVAL },
	{ "192.0.2.0/24 allow\xff", -EINVAL },
	{ "/24 allow", -EINVAL },
	/* Out of range. */
	{ "192.0.2.0/33 allow", -ERANGE },
	{ "::/129 allow", -ERANGE },
	{ "192.0.2.0/99999999999999999999 allow", -ERANGE },
	{ "192.0.2.0/24 port 0 allow", -ERANGE },
	{ "192.0.2.0/24 port 0-80 allow", -ERANGE },
	{ "192.0.2.0/24 port 65536 allow", -ERANGE },
	{ "192.0.2.0/24 port 80-65536 allow", -ERANGE },
	{ "192.0.2.0/24 allow min_age_ms 60001", -ERANGE },
	{ "192.0.2.0/24 allow min_age_ms 4294967296", -ERANGE },
};

static void parse_case_desc(const struct parse_case *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%*pE", (int)strlen(t->text), t->text);
}

KUNIT_ARRAY_PARAM(parse, parse_cases, parse_case_desc);

static bool rule_eq(const struct twg_rule *a, const struct twg_rule *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       a->action == b->action && a->min_age_ms == b->min_age_ms &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       (a->family == AF_INET ? a->addr.v4 == b->addr.v4 :
				       ipv6_addr_equal(&a->addr.v6, &b->addr.v6));
}

/* Print @nr rules as rules_show() does. */
static char *format_rules(struct kunit *test, const struct twg_rule *rules,
			  unsigned int nr)
{
	char *buf = kunit_kzalloc(test, TWG_RULES_MAX * TWG_RULE_TEXT_MAX, GFP_KERNEL);
	size_t len = 0;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < nr; i++)
		len += twg_rule_format(&rules[i], buf + len);
	return buf;
}

static void twg_rules_parse_table(struct kunit *test)
{
	const struct parse_case *t = test->param_value;
	struct twg_rule *rules = kunit_kcalloc(test, TWG_RULES_MAX, sizeof(*rules),
					       GFP_KERNEL);
	unsigned int nr = 1234;

	KUNIT_ASSERT_NOT_NULL(test, rules);
	KUNIT_EXPECT_EQ(test, twg_rules_parse(t->text, strlen(t->text), rules,
					      TWG_RULES_MAX, &nr), t->err);
	if (t->err) {
		KUNIT_EXPECT_EQ(test, nr, 1234U);	/* left alone */
		return;
	}
	KUNIT_EXPECT_STREQ(test, format_rules(test, rules, nr), t->canonical);
}

/* A NUL inside the text is malformed, not an end. */
static void twg_rules_parse_nul(struct kunit *test)
{
	static const char text[] = "10.0.0.0/8 deny\0\n10.0.0.0/8 allow";
	struct twg_rule rules[4];
	unsigned int nr;

	KUNIT_EXPECT_EQ(test, twg_rules_parse(text, sizeof(text) - 1, rules,
					      ARRAY_SIZE(rules), &nr), -EINVAL);
	KUNIT_EXPECT_EQ(test, twg_rules_parse(text, 15, rules, ARRAY_SIZE(rules),
					      &nr), 0);
	KUNIT_EXPECT_EQ(test, nr, 1U);
}

/* 256 rules fit, 257 do not; the limit is the caller's. */
static void twg_rules_parse_limit(struct kunit *test)
{
	struct twg_rule *rules = kunit_kcalloc(test, TWG_RULES_MAX, sizeof(*rules),
					       GFP_KERNEL);
	char *text = kunit_kzalloc(test, 8192, GFP_KERNEL);
	unsigned int i, nr = 0;
	size_t len = 0;

	KUNIT_ASSERT_NOT_NULL(test, rules);
	KUNIT_ASSERT_NOT_NULL(test, text);
	for (i = 0; i < TWG_RULES_MAX; i++)
		len += scnprintf(text + len, 8192 - len, "10.0.%u.%u deny\n",
				 i / 256, i % 256);
	KUNIT_EXPECT_EQ(test, twg_rules_parse(text, len, rules, TWG_RULES_MAX, &nr), 0);
	KUNIT_EXPECT_EQ(test, nr, TWG_RULES_MAX);
	KUNIT_EXPECT_TRUE(test, rules[255].addr.v4 == in_aton("10.0.0.255"));
	len += scnprintf(text + len, 8192 - len, "10.0.1.0 deny\n");
	KUNIT_EXPECT_EQ(test, twg_rules_parse(text, len, rules, TWG_RULES_MAX, &nr),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, nr, TWG_RULES_MAX);
}

/*
 * Random text, built from the grammar's pieces and random bytes: the
 * parser must answer 0, -EINVAL, -ERANGE or -ENOSPC, and whatever it
 * accepts must print canonically and parse back to the very same rules.
 */
static void twg_rules_parse_random(struct kunit *test)
{
	static const char *const pieces[] = {
		"192.0.2.0/24", "10.0.0.1", "2001:db8::/32", "::", "/", "/33",
		"/0", " ", "\t", "\n", "port", "80", "80-90", "0", "65536", "-",
		"allow", "deny", "default", "min_age_ms", "60000", "60001",
		"1.2.3.4", "ff::1", ":", ".", "x", "99999999999",
	};
	struct twg_rule *rules = kunit_kcalloc(test, 8, sizeof(*rules), GFP_KERNEL);
	struct twg_rule *again = kunit_kcalloc(test, 8, sizeof(*rules), GFP_KERNEL);
	char *text = kunit_kzalloc(test, 512, GFP_KERNEL);
	struct rnd_state rnd;
	unsigned int i, j, accepted = 0, nr, nr2;

	KUNIT_ASSERT_NOT_NULL(test, rules);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_ASSERT_NOT_NULL(test, text);
	prandom_seed_state(&rnd, 20261124);
	for (i = 0; i < 500; i++) {
		size_t len = 0;
		int n = prandom_u32_state(&rnd) % 12, err;
		char *canon;

		while (n-- > 0 && len < 400) {
			u32 r = prandom_u32_state(&rnd);

			if (r % 8 == 0)
				text[len++] = r >> 8;	/* any byte */
			else
				len += scnprintf(text + len, 512 - len, "%s",
						 pieces[(r >> 3) % ARRAY_SIZE(pieces)]);
		}
		err = twg_rules_parse(text, len, rules, 8, &nr);
		KUNIT_EXPECT_TRUE_MSG(test, !err || err == -EINVAL ||
				      err == -ERANGE || err == -ENOSPC,
				      "input %u: %d", i, err);
		if (err)
			continue;
		accepted++;
		canon = format_rules(test, rules, nr);
		KUNIT_ASSERT_EQ(test, twg_rules_parse(canon, strlen(canon), again, 8,
						      &nr2), 0);
		KUNIT_ASSERT_EQ(test, nr2, nr);
		for (j = 0; j < nr; j++)
			KUNIT_EXPECT_TRUE_MSG(test, rule_eq(&rules[j], &again[j]),
					      "input %u, rule %u", i, j);
		KUNIT_EXPECT_STREQ(test, format_rules(test, again, nr), canon);
	}
	/* Some inputs must have been valid, or the round trip proved nothing. */
	KUNIT_EXPECT_GT(test, accepted, 10U);
}

/*
 * Each family's index keys are read as u64s: they start 8-byte aligned
 * whatever the other family holds (none, or an odd number of entries).
 */
static void twg_index_aligned(struct kunit *test)
{
	static const char *const texts[] = {
		"2001:db8::/32 deny",
		"10.0.0.0/8 deny\n2001:db8::/32 deny",
		"10.0.0.0/8 port 80 deny\n10.1.0.0/16 allow\n10.1.2.0/24 deny\n2001:db8::/32 allow",
	};
	const struct twg_policy *p;
	int i, f;

	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		p = build(test, new_policy(test), texts[i]);
		for (f = 0; f < 2; f++)
			KUNIT_EXPECT_TRUE_MSG(test,
					      IS_ALIGNED(p->index[f].points, sizeof(u64)),
					      "rules '%s', family %d: keys at %u",
					      texts[i], f, p->index[f].points);
	}
}

/* Only a policy that differs from the kernel's takes tcp_twsk_unique(). */
static void twg_in_force(struct kunit *test)
{
	struct twg_policy *s = new_policy(test);

	KUNIT_EXPECT_FALSE(test, twg_policy_in_force(build(test, s, NULL)));
	KUNIT_EXPECT_TRUE(test, twg_policy_in_force(build(test, s, "10.0.0.0/8 deny")));
	s->dry_run = 1;
	KUNIT_EXPECT_TRUE(test, twg_policy_in_force(build(test, s, NULL)));
	s->dry_run = 0;
	s->mode = TWG_MODE_OFF;
	KUNIT_EXPECT_TRUE(test, twg_policy_in_force(build(test, s, NULL)));
	s->mode = TWG_MODE_KERNEL;
	s->min_age_ms = 0;
	s->timestamps = TWG_TS_KERNEL;
	KUNIT_EXPECT_FALSE(test, twg_policy_in_force(build(test, s, NULL)));
}

static struct kunit_case twg_policy_cases[] = {
	KUNIT_CASE_PARAM(twg_decide_table, decide_gen_params),
	KUNIT_CASE(twg_decide_kernel_all),
	KUNIT_CASE(twg_decide_promises),
	KUNIT_CASE(twg_match_prefixes_and_ports),
	KUNIT_CASE(twg_match_index_vs_scan),
	KUNIT_CASE(twg_match_index_wide),
	KUNIT_CASE(twg_index_aligned),
	KUNIT_CASE(twg_in_force),
	KUNIT_CASE_PARAM(twg_rules_parse_table, parse_gen_params),
	KUNIT_CASE(twg_rules_parse_nul),
	KUNIT_CASE(twg_rules_parse_limit),
	KUNIT_CASE(twg_rules_parse_random),
	{}
};

static struct kunit_suite twg_policy_suite = {
	.name = "twguard_policy",
	.init = twg_policy_test_init,
	.exit = twg_policy_test_exit,
	.test_cases = twg_policy_cases,
};

kunit_test_suite(twg_policy_suite);
