/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accounting model: how TCP close-path events turn into counters.
 *
 * Pure functions over plain data.  The hooks call them on a per-CPU
 * struct twg_stats with preemption disabled; readers sum the per-CPU
 * copies.  KUnit calls them directly with synthetic transitions.
 */
#ifndef _TWGUARD_ACCOUNT_H
#define _TWGUARD_ACCOUNT_H

#include <linux/types.h>
#include <net/tcp_states.h>

/* Monotonic event counts. */
enum twg_counter {
	TWG_TW_ENTERED,
	TWG_TW_EXPIRED,
	TWG_TW_KILLED,
	TWG_TW_REUSED,
	TWG_TW_RECYCLED,
	TWG_TW_OVERFLOW,
	TWG_CLOSE_ACTIVE,
	TWG_CLOSE_PASSIVE,
	TWG_CLOSE_SIMULTANEOUS,
	TWG_CLOSE_RESET,
	/* Reuse decisions, in the order of enum twg_verdict (policy.h). */
	TWG_REUSE_ALLOWED,
	TWG_REUSE_DENIED_POLICY,
	TWG_REUSE_DENIED_NO_TIMESTAMPS,
	TWG_REUSE_DENIED_TOO_YOUNG,
	TWG_REUSE_DENIED_TS_ORDER,
	TWG_REUSE_DENIED_FIN_WAIT2,
	/* What the policy would have decided, in dry-run mode. */
	TWG_WOULD_ALLOWED,
	TWG_WOULD_DENIED_POLICY,
	TWG_WOULD_DENIED_NO_TIMESTAMPS,
	TWG_WOULD_DENIED_TOO_YOUNG,
	TWG_WOULD_DENIED_TS_ORDER,
	TWG_WOULD_DENIED_FIN_WAIT2,
	TWG_NR_COUNTERS
};

/*
 * Population counts.  Each CPU holds a signed delta: a socket may enter a
 * state on one CPU and leave it on another, so only the sum means anything.
 */
enum twg_gauge {
	TWG_TW_CURRENT,
	TWG_TW_CURRENT_FIN_WAIT2,
	TWG_TW_CURRENT_IPV6,
	TWG_FIN_WAIT1_CURRENT,
	TWG_FIN_WAIT2_CURRENT,
	TWG_CLOSE_WAIT_CURRENT,
	TWG_LAST_ACK_CURRENT,
	TWG_CLOSING_CURRENT,
	TWG_NR_GAUGES
};

struct twg_stats {
	u64 counter[TWG_NR_COUNTERS];
	s64 gauge[TWG_NR_GAUGES];
};

/* How a TIME-WAIT minisock ended. */
enum twg_tw_end {
	TWG_END_EXPIRED,	/* its 2MSL (or FIN_WAIT2) timer fired */
	TWG_END_KILLED,		/* a RST, or the netns went away */
	TWG_END_REUSED,		/* an outbound connect() took the 4-tuple */
	TWG_END_RECYCLED,	/* an inbound SYN reopened the 4-tuple */
};

/* What the accounting needs to know of a minisock. */
struct twg_tw_info {
	bool fin_wait2;		/* tw_substate == TCP_FIN_WAIT2 */
	bool ipv6;		/* tw_family == AF_INET6 */
};

/* The states whose entries or populations the model counts. */
#define TWG_STATES_COUNTED \
	(TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT | TCPF_LAST_ACK | \
	 TCPF_CLOSING)

/*
 * Whether a move from @oldstate to @newstate changes anything the model
 * counts: most moves (SYN_SENT, ESTABLISHED, LISTEN...) do not, and the
 * hook returns before doing any work for them.
 */
static inline bool twg_state_counted(int oldstate, int newstate)
{
	return ((1 << oldstate) | (1 << newstate)) & TWG_STATES_COUNTED;
}

extern const char *const twg_counter_names[TWG_NR_COUNTERS];
extern const char *const twg_gauge_names[TWG_NR_GAUGES];

void twg_account_state(struct twg_stats *s, int oldstate, int newstate);
bool twg_account_reset(struct twg_stats *s, int state, bool sent);
void twg_account_tw_enter(struct twg_stats *s, const struct twg_tw_info *tw);
void twg_account_tw_end(struct twg_stats *s, const struct twg_tw_info *tw,
			enum twg_tw_end why);
void twg_account_tw_fin_wait2_done(struct twg_stats *s);
void twg_account_tw_existing(struct twg_stats *s, const struct twg_tw_info *tw);
void twg_account_state_existing(struct twg_stats *s, int state);
void twg_stats_add(struct twg_stats *sum, const struct twg_stats *s);

#endif /* _TWGUARD_ACCOUNT_H */
