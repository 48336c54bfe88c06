// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting model.  A TCP connection leaves ESTABLISHED in one of
 * four ways, and twguard counts each where it starts:
 *
 *   active close        ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT
 *   passive close       ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE
 *   simultaneous close  FIN_WAIT1 -> CLOSING -> TIME_WAIT
 *   reset               any synchronised state -> CLOSE, by a RST
 *
 * TIME_WAIT itself is not a state of the full socket: tcp_time_wait()
 * hands the 4-tuple to a minisock and the full socket goes to CLOSE.  The
 * minisock's life (entered, then expired, killed, reused or recycled) is
 * accounted separately, from its own hooks.  A socket that closes with
 * no minisock because tcp_max_tw_buckets was reached is counted by the
 * kernel itself (TcpExt TCPTimeWaitOverflow, per netns): netns.c reads
 * that figure rather than counting it again.
 *
 * These functions never fail and never allocate: they run in softirq on
 * every state change of every TCP socket.
 */
#include <linux/export.h>
#include <net/tcp_states.h>

#include "account.h"

/*
 * Sized by their initialisers: account.h declares them with the number of
 * values, so a value added without a name, last, does not build.
 */
const char *const twg_counter_names[] = {
	[TWG_TW_ENTERED]	 = "tw_entered",
	[TWG_TW_EXPIRED]	 = "tw_expired",
	[TWG_TW_KILLED]		 = "tw_killed",
	[TWG_TW_REUSED]		 = "tw_reused",
	[TWG_TW_RECYCLED]	 = "tw_recycled",
	[TWG_TW_OVERFLOW]	 = "tw_overflow",
	[TWG_CLOSE_ACTIVE]	 = "close_active",
	[TWG_CLOSE_PASSIVE]	 = "close_passive",
	[TWG_CLOSE_SIMULTANEOUS] = "close_simultaneous",
	[TWG_CLOSE_RESET]	 = "close_reset",
	[TWG_REUSE_ALLOWED]		 = "reuse_allowed",
	[TWG_REUSE_DENIED_POLICY]	 = "reuse_denied_policy",
	[TWG_REUSE_DENIED_NO_TIMESTAMPS] = "reuse_denied_no_timestamps",
	[TWG_REUSE_DENIED_TOO_YOUNG]	 = "reuse_denied_too_young",
	[TWG_REUSE_DENIED_TS_ORDER]	 = "reuse_denied_ts_order",
	[TWG_REUSE_DENIED_FIN_WAIT2]	 = "reuse_denied_fin_wait2",
	[TWG_WOULD_ALLOWED]		 = "would_allowed",
	[TWG_WOULD_DENIED_POLICY]	 = "would_denied_policy",
	[TWG_WOULD_DENIED_NO_TIMESTAMPS] = "would_denied_no_timestamps",
	[TWG_WOULD_DENIED_TOO_YOUNG]	 = "would_denied_too_young",
	[TWG_WOULD_DENIED_TS_ORDER]	 = "would_denied_ts_order",
	[TWG_WOULD_DENIED_FIN_WAIT2]	 = "would_denied_fin_wait2",
	[TWG_CONNECT_NO_PORT]		 = "connect_no_port",
	[TWG_CONNECT_NO_PORT_TW]	 = "connect_no_port_tw",
	[TWG_CONNECT_BOUND_TAKEN]	 = "connect_bound_taken",
	[TWG_BIND_REFUSED_TW]		 = "bind_refused_tw",
	[TWG_BIND_REUSEADDR_TW]		 = "bind_reuseaddr_tw",
};
EXPORT_SYMBOL_IF_KUNIT(twg_counter_names);

const char *const twg_gauge_names[] = {
	[TWG_TW_CURRENT]	   = "tw_current",
	[TWG_TW_CURRENT_FIN_WAIT2] = "tw_current_fin_wait2",
	[TWG_TW_CURRENT_IPV6]	   = "tw_current_ipv6",
	[TWG_FIN_WAIT1_CURRENT]	   = "fin_wait1_current",
	[TWG_FIN_WAIT2_CURRENT]	   = "fin_wait2_current",
	[TWG_CLOSE_WAIT_CURRENT]   = "close_wait_current",
	[TWG_LAST_ACK_CURRENT]	   = "last_ack_current",
	[TWG_CLOSING_CURRENT]	   = "closing_current",
};
EXPORT_SYMBOL_IF_KUNIT(twg_gauge_names);

const char *const twg_dwell_names[TWG_NR_DWELL] = {
	[TWG_DWELL_TIME_WAIT]	= "time_wait",
	[TWG_DWELL_FIN_WAIT2]	= "fin_wait2",
	[TWG_DWELL_CLOSE_WAIT]	= "close_wait",
	[TWG_DWELL_LAST_ACK]	= "last_ack",
};
EXPORT_SYMBOL_IF_KUNIT(twg_dwell_names);

/* Return the gauge that counts full sockets in @state, or -1 if none. */
static int twg_state_gauge(int state)
{
	switch (state) {
	case TCP_FIN_WAIT1:
		return TWG_FIN_WAIT1_CURRENT;
	case TCP_FIN_WAIT2:
		return TWG_FIN_WAIT2_CURRENT;
	case TCP_CLOSE_WAIT:
		return TWG_CLOSE_WAIT_CURRENT;
	case TCP_LAST_ACK:
		return TWG_LAST_ACK_CURRENT;
	case TCP_CLOSING:
		return TWG_CLOSING_CURRENT;
	default:
		return -1;
	}
}

/* Account a full socket's move from @oldstate to @newstate. */
void twg_account_state(struct twg_stats *s, int oldstate, int newstate)
{
	int g;

	if (oldstate == newstate)
		return;

	g = twg_state_gauge(oldstate);
	if (g >= 0)
		s->gauge[g]--;
	g = twg_state_gauge(newstate);
	if (g >= 0)
		s->gauge[g]++;

	switch (newstate) {
	case TCP_FIN_WAIT1:
		s->counter[TWG_CLOSE_ACTIVE]++;
		break;
	case TCP_CLOSE_WAIT:
		s->counter[TWG_CLOSE_PASSIVE]++;
		break;
	case TCP_CLOSING:
		s->counter[TWG_CLOSE_SIMULTANEOUS]++;
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_state);

/*
 * Account a RST.  A received RST is seen before tcp_reset() moves the
 * socket, so @state is the state it ends; it counts when that state was
 * synchronised.  An active reset (@sent) is only ever sent by the kernel
 * for a synchronised connection, usually after tcp_close() or
 * tcp_disconnect() already moved it to CLOSE, so it always counts.
 * Return whether the RST was counted.
 */
bool twg_account_reset(struct twg_stats *s, int state, bool sent)
{
	if (!sent) {
		switch (state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT1:
		case TCP_FIN_WAIT2:
		case TCP_CLOSE_WAIT:
		case TCP_LAST_ACK:
		case TCP_CLOSING:
			break;
		default:
			return false;
		}
	}
	s->counter[TWG_CLOSE_RESET]++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_reset);

static void twg_tw_gauges(struct twg_stats *s, const struct twg_tw_info *tw,
			  int delta)
{
	s->gauge[TWG_TW_CURRENT] += delta;
	if (tw->fin_wait2)
		s->gauge[TWG_TW_CURRENT_FIN_WAIT2] += delta;
	if (tw->ipv6)
		s->gauge[TWG_TW_CURRENT_IPV6] += delta;
}

/* Account a minisock that was just created and scheduled. */
void twg_account_tw_enter(struct twg_stats *s, const struct twg_tw_info *tw)
{
	s->counter[TWG_TW_ENTERED]++;
	twg_tw_gauges(s, tw, 1);
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_tw_enter);

/* Account the end of a minisock, for the reason @why. */
void twg_account_tw_end(struct twg_stats *s, const struct twg_tw_info *tw,
			enum twg_tw_end why)
{
	static const enum twg_counter end_counter[] = {
		[TWG_END_EXPIRED]  = TWG_TW_EXPIRED,
		[TWG_END_KILLED]   = TWG_TW_KILLED,
		[TWG_END_REUSED]   = TWG_TW_REUSED,
		[TWG_END_RECYCLED] = TWG_TW_RECYCLED,
	};

	s->counter[end_counter[why]]++;
	twg_tw_gauges(s, tw, -1);
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_tw_end);

/*
 * A connect() was refused a 4-tuple: from a port it had bound (@bound),
 * or from the ephemeral range, towards a destination that held TIME-WAIT
 * of this netns (@tw) or not.
 */
void twg_account_connect_refused(struct twg_stats *s, bool bound, bool tw)
{
	if (bound) {
		s->counter[TWG_CONNECT_BOUND_TAKEN]++;
		return;
	}
	s->counter[TWG_CONNECT_NO_PORT]++;
	if (tw)
		s->counter[TWG_CONNECT_NO_PORT_TW]++;
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_connect_refused);

/*
 * A bind() or listen() refused a port that only TIME-WAIT held
 * (@refused), or a bind() let through over TIME-WAIT by SO_REUSEADDR.
 */
void twg_account_bind(struct twg_stats *s, bool refused)
{
	s->counter[refused ? TWG_BIND_REFUSED_TW : TWG_BIND_REUSEADDR_TW]++;
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_bind);

/*
 * A FIN reached a FIN_WAIT2 minisock: it is a TIME_WAIT one now, still
 * alive, so only the FIN_WAIT2 share changes.
 */
void twg_account_tw_fin_wait2_done(struct twg_stats *s)
{
	s->gauge[TWG_TW_CURRENT_FIN_WAIT2]--;
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_tw_fin_wait2_done);

/*
 * Sockets that existed when twguard loaded count in the populations, not
 * in the events: nothing was seen entering.
 */
void twg_account_tw_existing(struct twg_stats *s, const struct twg_tw_info *tw)
{
	twg_tw_gauges(s, tw, 1);
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_tw_existing);

void twg_account_state_existing(struct twg_stats *s, int state)
{
	int g = twg_state_gauge(state);

	if (g >= 0)
		s->gauge[g]++;
}
EXPORT_SYMBOL_IF_KUNIT(twg_account_state_existing);

/* Add @s into @sum: how per-CPU copies and namespaces are summed. */
void twg_stats_add(struct twg_stats *sum, const struct twg_stats *s)
{
	int i;

	for (i = 0; i < TWG_NR_COUNTERS; i++)
		sum->counter[i] += s->counter[i];
	for (i = 0; i < TWG_NR_GAUGES; i++)
		sum->gauge[i] += s->gauge[i];
}
EXPORT_SYMBOL_IF_KUNIT(twg_stats_add);
