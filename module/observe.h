/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_OBSERVE_H
#define _TWGUARD_OBSERVE_H

#include <linux/kernfs.h>
#include <linux/spinlock.h>
#include <net/inet_timewait_sock.h>

#include "account.h"
#include "table.h"

struct twg_netns;

/* The last destination that crossed the pressure alert threshold. */
struct twg_alert {
	struct twg_row_key key;
	u32 pressure;		/* percent, when it crossed */
	bool above;		/* crossed up (true) or back down */
	bool exhausted;		/* a connect() to it found no 4-tuple */
	bool valid;		/* any crossing yet */
};

/*
 * A netns's destination and port tables, and its pressure alert.  The
 * hooks count on the tables without their locks (table.c); the alert is
 * under the destination table's, taken when a row crosses.
 */
struct twg_observe {
	struct twg_table dest;
	/* Under dest.lock: */
	u32 alert_pct;			/* 0: no alert */
	struct twg_alert alert;

	struct twg_table ports ____cacheline_aligned_in_smp;
	/* Closes [passive, active] of connections opened before load. */
	atomic64_t unattributed[2];

	struct kernfs_node *alert_kn;	/* the alert file, for poll() */
	struct twg_dwell_hist __percpu *dwell;
};

int twg_observe_module_init(void);
void twg_observe_module_exit(void);
int twg_observe_init(struct twg_observe *o);
void twg_observe_destroy(struct twg_observe *o);

void twg_observe_state(struct twg_netns *ns, struct sock *sk, int oldstate,
		       int newstate);
void twg_observe_tw_enter(struct twg_netns *ns, struct inet_timewait_sock *tw,
			  struct sock *sk);
void twg_observe_tw_end(struct twg_netns *ns,
			const struct inet_timewait_sock *tw);
void twg_observe_fin_wait2_done(struct twg_netns *ns,
				const struct inet_timewait_sock *tw, u32 now_ms);
void twg_observe_existing(struct sock *sk);
void twg_observe_bind(struct twg_netns *ns, struct twg_stats *s, u16 port,
		      bool refused);

/* The longest text of a key: "[" IPv6 "]:" port, and a NUL. */
#define TWG_KEY_TEXT_MAX	56

u32 twg_observe_range(const struct net *net);
bool twg_alert_check(struct twg_observe *o, struct twg_entry *e, u32 tw,
		     u32 live, u32 range);
void twg_observe_key_format(const struct twg_row_key *key, char *buf, size_t len);

/*
 * The moves observe.c acts on, by the state entered: connect(), a
 * listener's child, the first FIN either way, the states whose dwell it
 * times, and the end.  Every way out of a timed state enters one of these
 * (FIN_WAIT2 -> CLOSE, CLOSE_WAIT -> LAST_ACK or CLOSE, LAST_ACK -> CLOSE),
 * so connection setup (SYN_SENT -> ESTABLISHED...) costs two compares.
 */
#define TWG_STATES_OBSERVED \
	(TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | \
	 TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSE)

static inline bool twg_state_observed(int newstate)
{
	return (1 << newstate) & TWG_STATES_OBSERVED;
}

#endif /* _TWGUARD_OBSERVE_H */
