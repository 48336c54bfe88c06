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

#include <linux/bitops.h>
#include <linux/minmax.h>
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
	/*
	 * connect()s refused a 4-tuple (EADDRNOTAVAIL): observe.c.  Shown
	 * after tw_at_load in the stats files, whose order only grows.
	 */
	TWG_CONNECT_NO_PORT,
	TWG_CONNECT_NO_PORT_TW,
	TWG_CONNECT_BOUND_TAKEN,
	/* bind() and listen() against TIME-WAIT: bind.c. */
	TWG_BIND_REFUSED_TW,
	TWG_BIND_REUSEADDR_TW,
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

/* The states whose dwell times are kept, one histogram each. */
enum twg_dwell {
	TWG_DWELL_TIME_WAIT,
	TWG_DWELL_FIN_WAIT2,
	TWG_DWELL_CLOSE_WAIT,
	TWG_DWELL_LAST_ACK,
	TWG_NR_DWELL
};

/*
 * Log2 buckets of milliseconds: bucket 0 holds 0 ms, bucket k holds
 * [2^(k-1), 2^k) ms, and the last one everything from 2^28 ms (74.6 h) on.
 */
#define TWG_DWELL_BUCKETS	30

struct twg_stats {
	u64 counter[TWG_NR_COUNTERS];
	s64 gauge[TWG_NR_GAUGES];
};

/*
 * Dwell-time histograms: per CPU, apart from twg_stats (1 KiB each), and
 * the sum of the dwells each counted, in ms, as a Prometheus histogram's
 * _sum needs (the buckets alone cannot give it).
 */
struct twg_dwell_hist {
	u64 n[TWG_NR_DWELL][TWG_DWELL_BUCKETS];
	u64 sum_ms[TWG_NR_DWELL];
};

/* The bucket a dwell of @ms falls in. */
static inline unsigned int twg_dwell_bucket(u32 ms)
{
	return min_t(unsigned int, fls(ms), TWG_DWELL_BUCKETS - 1);
}

/* The smallest dwell, in ms, bucket @b holds. */
static inline u32 twg_dwell_bucket_floor(unsigned int b)
{
	return b ? 1U << (b - 1) : 0;
}

/* The histogram a full socket leaving @state adds to, or -1. */
static inline int twg_dwell_of_state(int state)
{
	switch (state) {
	case TCP_FIN_WAIT2:
		return TWG_DWELL_FIN_WAIT2;
	case TCP_CLOSE_WAIT:
		return TWG_DWELL_CLOSE_WAIT;
	case TCP_LAST_ACK:
		return TWG_DWELL_LAST_ACK;
	default:
		return -1;
	}
}

static inline void twg_account_dwell(struct twg_dwell_hist *h,
				     enum twg_dwell d, u32 ms)
{
	h->n[d][twg_dwell_bucket(ms)]++;
	h->sum_ms[d] += ms;
}

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
extern const char *const twg_dwell_names[TWG_NR_DWELL];

void twg_account_state(struct twg_stats *s, int oldstate, int newstate);
bool twg_account_reset(struct twg_stats *s, int state, bool sent);
void twg_account_tw_enter(struct twg_stats *s, const struct twg_tw_info *tw);
void twg_account_tw_end(struct twg_stats *s, const struct twg_tw_info *tw,
			enum twg_tw_end why);
void twg_account_tw_fin_wait2_done(struct twg_stats *s);
void twg_account_connect_refused(struct twg_stats *s, bool bound, bool tw);
void twg_account_bind(struct twg_stats *s, bool refused);
void twg_account_tw_existing(struct twg_stats *s, const struct twg_tw_info *tw);
void twg_account_state_existing(struct twg_stats *s, int state);
void twg_stats_add(struct twg_stats *sum, const struct twg_stats *s);

#endif /* _TWGUARD_ACCOUNT_H */
