/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TIME-WAIT reuse policy: its settings, its per-destination rules,
 * and the verdict it gives on one connect() that found a minisock on its
 * 4-tuple.
 *
 * Pure functions over plain data.  reuse.c gathers the facts of a
 * decision into a struct twg_reuse_ctx and asks twg_policy_decide();
 * sysfs_policy.c parses and prints the settings.  KUnit calls all of them
 * directly.
 */
#ifndef _TWGUARD_POLICY_H
#define _TWGUARD_POLICY_H

#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/gfp.h>
#include <linux/types.h>

/* Hard limits of the ABI (Documentation/networking/twguard-policy.rst). */
#define TWG_MIN_AGE_MS_MAX	60000	/* ms: one TIME-WAIT period */
#define TWG_MIN_AGE_MS_DEFAULT	1000	/* ms: what tcp_tw_reuse waits, at most */
#define TWG_RTT_FACTOR_MAX	16
#define TWG_RULES_MAX		256
#define TWG_RTT_MS_MAX		4095	/* ms: the largest RTT a minisock keeps */
#define TWG_RULE_TEXT_MAX	128	/* bytes: one rule, printed, with room */

/* policy/mode: who decides whether a TIME-WAIT 4-tuple may be reused. */
enum twg_mode {
	TWG_MODE_KERNEL,	/* net.ipv4.tcp_tw_reuse decides; we observe */
	TWG_MODE_OFF,
	TWG_MODE_LOOPBACK,
	TWG_MODE_ON,
	TWG_NR_MODES
};

/* policy/timestamps: what the old connection's timestamps must prove. */
enum twg_ts_check {
	TWG_TS_STRICT,		/* it used them, and the new TSval is later */
	TWG_TS_KERNEL,		/* it used them */
	TWG_NR_TS_CHECKS
};

enum twg_action {
	TWG_ACTION_ALLOW,
	TWG_ACTION_DENY,
	TWG_ACTION_DEFAULT,	/* what the netns's mode says */
	TWG_NR_ACTIONS
};

/* What became of one reuse decision; each has a counter. */
enum twg_verdict {
	TWG_VERDICT_ALLOWED,
	TWG_VERDICT_DENIED_POLICY,
	TWG_VERDICT_DENIED_NO_TIMESTAMPS,
	TWG_VERDICT_DENIED_TOO_YOUNG,
	TWG_VERDICT_DENIED_TS_ORDER,
	TWG_VERDICT_DENIED_FIN_WAIT2,
	TWG_NR_VERDICTS
};

union twg_addr {
	__be32 v4;
	struct in6_addr v6;
};

/*
 * One line of policy/rules: destinations @addr/@plen of @family (host bits
 * clear), ports @port_lo..@port_hi, and what to do with them.
 */
struct twg_rule {
	union twg_addr addr;
	u16 port_lo, port_hi;	/* host order; 1..65535 when no port is given */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 plen;
	u8 action;		/* enum twg_action */
	s32 min_age_ms;		/* -1: the netns's policy/min_age_ms */
};

/* An address as a 128-bit number: IPv4 in the low 32 bits. */
struct twg_key {
	u64 hi, lo;
};

/*
 * The rules of one family, indexed by destination: its addresses cut into
 * intervals, no rule starting or ending inside one, so that every address
 * of an interval is covered by the same rules.  Interval i starts at
 * points[i]; the rules covering it, in list order, are rule numbers
 * entries[starts[i]] to entries[starts[i + 1] - 1].  Offsets are in bytes
 * from the policy, so that the index lives in the policy's allocation.
 */
struct twg_index {
	u32 nr_points;
	u32 points;		/* struct twg_key [nr_points] */
	u32 starts;		/* u32 [nr_points + 1] */
	u32 entries;		/* u8 [] */
	/*
	 * A first step that narrows the search: the addresses from @base
	 * (points[1], or 0 with one point) on, cut into @nr_buckets
	 * buckets of 2^@shift addresses; bucket b's search starts at point
	 * buckets[b] (the last at or below its first address) and ends at
	 * buckets[b + 1].  Addresses past the last bucket are in it.
	 */
	struct twg_key base;
	u32 buckets;		/* u16 [nr_buckets + 1] */
	u16 nr_buckets;		/* a power of 2, at most TWG_INDEX_BUCKETS_MAX */
	u8 shift;
};

/* Buckets of a family's index: 2 KiB at most, beside its 513 points. */
#define TWG_INDEX_BUCKETS_MAX	1024

/*
 * A netns's whole policy.  Never changed once published: a write builds a
 * new one and swaps the pointer (RCU), so a decision sees one policy.
 * One allocation (twg_policy_build()), freed with kvfree().
 */
struct twg_policy {
	struct rcu_head rcu;
	/* Settings: each a u32, as its sysfs file reads and writes it. */
	u32 mode;		/* enum twg_mode */
	u32 timestamps;		/* enum twg_ts_check */
	u32 dry_run;		/* 0 or 1 */
	u32 min_age_ms;
	u32 rtt_factor;
	struct twg_index index[2];	/* IPv4, IPv6 */
	unsigned int nr_rules;
	struct twg_rule rules[];
};

/*
 * Where a policy lives: a namespace's, or the default that namespaces
 * created from then on start with (netns.c).  Replaced whole, with one
 * pointer store under @lock (sysfs_policy.c).
 */
struct twg_policy_slot {
	struct twg_policy __rcu *policy;	/* never NULL once published */
	struct mutex lock;		/* serialises writers of policy */
	bool in_force;			/* holds a twg_reuse_get(); lock */
};

/* What a decision needs to know, gathered by reuse.c. */
struct twg_reuse_ctx {
	u8 family;		/* AF_INET (v4-mapped included) or AF_INET6 */
	union twg_addr daddr;	/* the peer */
	u16 dport;		/* host order */
	bool loopback;		/* what tcp_tw_reuse=2 calls loopback */
	bool bound;		/* the socket was bound to its port explicitly */
	bool fin_wait2;		/* the minisock is in FIN_WAIT2, not TIME_WAIT */
	bool old_ts;		/* the old connection used timestamps */
	u8 sysctl_reuse;	/* net.ipv4.tcp_tw_reuse */
	bool kernel_age_ok;	/* the kernel's seconds clock moved on */
	u32 age_ms;		/* time in TIME-WAIT */
	u32 rtt_ms;		/* the old connection's smoothed RTT */
	/* Filled in only if twg_policy_orders_ts(): */
	bool ts_comparable;	/* both TSval clocks are the same clock */
	s32 ts_delta;		/* new first TSval - old last TSval */
};

extern const char *const twg_mode_names[TWG_NR_MODES];
extern const char *const twg_ts_check_names[TWG_NR_TS_CHECKS];
extern const char *const twg_action_names[TWG_NR_ACTIONS];
extern const char *const twg_verdict_names[TWG_NR_VERDICTS];

struct twg_policy *twg_policy_build(const struct twg_policy *settings,
				    const struct twg_rule *rules, unsigned int nr,
				    gfp_t gfp);
const struct twg_rule *twg_policy_match(const struct twg_policy *p,
					const struct twg_reuse_ctx *c);
const struct twg_rule *twg_rules_first_match(const struct twg_rule *rules,
					     unsigned int nr,
					     const struct twg_reuse_ctx *c);
enum twg_verdict twg_decide_kernel(const struct twg_reuse_ctx *c);
bool twg_policy_in_force(const struct twg_policy *p);
bool twg_policy_orders_ts(const struct twg_policy *p);
enum twg_verdict twg_policy_decide(const struct twg_policy *p,
				   const struct twg_reuse_ctx *c);

int twg_rules_parse(const char *buf, size_t len, struct twg_rule *rules,
		    unsigned int max, unsigned int *nr);
int twg_rule_format(const struct twg_rule *r, char *buf);

#endif /* _TWGUARD_POLICY_H */
