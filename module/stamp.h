/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What twguard keeps in the kernel's own sockets: one 32-bit word in a
 * full socket, one in a minisock, each in a hole of the structure that
 * nothing else reads or writes.  No per-socket allocation, no lookup: a
 * hook finds its word in the socket it is given.
 *
 * The minisock word sits in the 4-byte hole between tw_priority and
 * tw_timer of struct inet_timewait_sock up to 6.13 (found with gdb's
 * ptype /o); from 6.14 on the kernel's own tw_entry_stamp is there, and
 * the word sits in the padding at the end of the minisock's timer_list
 * instead.  probe.mk proves, from the tree's own headers, that nothing is
 * declared where the word goes; the compiler checks the room:
 *
 *   bits  0..17  tcp clock in ms, modulo 2^18 (262 s), when the minisock
 *                last (re)started its 2MSL timer; for a FIN_WAIT2
 *                minisock, when its connection entered FIN_WAIT2
 *   bits 18..29  the connection's smoothed RTT when it closed, in ms,
 *                rounded up, at most 4095 (the reuse policy's rtt_factor)
 *   bit  30      counted in its netns's destination table
 *   bit  31      no dwell time to record at its end: it was there before
 *                twguard, or its FIN_WAIT2 time was recorded already
 *
 * 262 s is more than any minisock lives past its stamp: 60 s in
 * TIME_WAIT, at most 60 s more in FIN_WAIT2 (tcp_close() hands a longer
 * tcp_fin_timeout to the full socket first), plus what its connection
 * spent in FIN_WAIT2 before, which twguard carries only while it is under
 * 131 s and otherwise records at once.
 *
 * The full-socket word sits in the 4-byte hole that struct inet_sock
 * has before mc_list (after mc_addr in 6.1, after local_port_range in
 * 6.12).  sk_alloc() zeroes it; sk_clone_lock() copies the listener's,
 * which the hook for LISTEN -> SYN_RECV overwrites:
 *
 *   bits  0..28  twg_sk_clock_ms(), modulo 2^29 (6.2 days), when the
 *                socket entered its current state
 *   bit  29      bits 0..28 are valid: twguard saw the socket enter
 *                FIN_WAIT2, CLOSE_WAIT or LAST_ACK
 *   bits 30..31  how the connection was opened (enum twg_origin)
 *
 * The build fails, rather than writing over a field, if a kernel fills
 * either place (probe.mk, and the BUILD_BUG_ONs below).  At load, the
 * snapshot rewrites the word of every socket that exists, so none keeps
 * what an earlier load of twguard left.
 */
#ifndef _TWGUARD_STAMP_H
#define _TWGUARD_STAMP_H

#include <linux/bits.h>
#include <linux/math64.h>
#include <linux/sched/clock.h>
#include <linux/time64.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>

#define TWG_TW_MS_BITS		18
#define TWG_TW_MS_MASK		GENMASK(TWG_TW_MS_BITS - 1, 0)
#define TWG_TW_RTT_SHIFT	TWG_TW_MS_BITS
#define TWG_TW_RTT_MASK		GENMASK(29, TWG_TW_RTT_SHIFT)
#define TWG_TW_DEST		BIT(30)
#define TWG_TW_NODWELL		BIT(31)

/* The longest FIN_WAIT2 a minisock carries on: 2^17 ms, 131 s. */
#define TWG_FW2_CARRY_MS	BIT(17)

#define TWG_SK_MS_BITS		29
#define TWG_SK_MS_MASK		GENMASK(TWG_SK_MS_BITS - 1, 0)
#define TWG_SK_STAMPED		BIT(29)
#define TWG_SK_ORIGIN_SHIFT	30

/* How a full socket's connection was opened. */
enum twg_origin {
	TWG_ORIGIN_UNKNOWN,	/* before twguard loaded */
	TWG_ORIGIN_PASSIVE,	/* accepted: a child of a listener */
	TWG_ORIGIN_ACTIVE,	/* connect(), not in the destination table */
	/* connect() from an ephemeral port, live in the destination table */
	TWG_ORIGIN_ACTIVE_DEST,
};

/*
 * The ms from @then to @now on a clock kept modulo @mask + 1: exact while
 * the real interval is shorter than the modulus.
 */
static inline u32 twg_ms_since(u32 now, u32 then, u32 mask)
{
	return (now - then) & mask;
}

/*
 * The clock of full-socket stamps: local_clock() (sched_clock, the TSC
 * where there is one) in ms.  It costs a fraction of what the tcp clock
 * (ktime_get_ns()) does where the clocksource is slow to read, as in a
 * virtual machine with no stable TSC, and it is read at every stamp.  Its
 * drift between CPUs is microseconds with a stable TSC, at most a tick
 * without one: dwells are exact to the ms, or to the tick, accordingly.
 */
static inline u32 twg_sk_clock_ms(void)
{
	return div_u64(local_clock(), NSEC_PER_MSEC);
}

#ifdef TWG_TW_WORD_IN_HOLE
/* 6.1 to 6.13: the 4-byte hole between tw_priority and tw_timer. */
static inline u32 *twg_tw_word(const struct inet_timewait_sock *tw)
{
	BUILD_BUG_ON(offsetof(struct inet_timewait_sock, tw_timer) <
		     offsetofend(struct inet_timewait_sock, tw_priority) +
		     sizeof(u32));
	return (u32 *)((unsigned long)tw +
		       offsetofend(struct inet_timewait_sock, tw_priority));
}
#elif defined(TWG_TW_WORD_IN_TIMER)
/*
 * 6.14 on: tw_entry_stamp fills that hole.  The minisock's timer_list
 * ends with a u32 (flags) followed by the 4 bytes that align what comes
 * next (its lockdep_map, or the minisock's tw_tb): padding that no timer
 * function reads or writes, proven free in this tree by probe.mk.
 */
static inline u32 *twg_tw_word(const struct inet_timewait_sock *tw)
{
	BUILD_BUG_ON(offsetofend(struct timer_list, flags) + sizeof(u32) >
		     sizeof(struct timer_list));
#ifdef CONFIG_LOCKDEP
	BUILD_BUG_ON(offsetofend(struct timer_list, flags) + sizeof(u32) >
		     offsetof(struct timer_list, lockdep_map));
#endif
	return (u32 *)((unsigned long)&tw->tw_timer +
		       offsetofend(struct timer_list, flags));
}
#else
#error "probe.mk found no free word in struct inet_timewait_sock"
#endif

static inline u32 *twg_sk_word(const struct sock *sk)
{
	BUILD_BUG_ON(offsetof(struct inet_sock, mc_list) <
		     offsetofend(struct inet_sock, TWG_INET_SOCK_HOLE_AFTER) +
		     sizeof(u32));
	return (u32 *)((unsigned long)inet_sk(sk) +
		       offsetof(struct inet_sock, mc_list) - sizeof(u32));
}

static inline enum twg_origin twg_sk_origin(u32 word)
{
	return word >> TWG_SK_ORIGIN_SHIFT;
}

static inline u32 twg_sk_with_origin(u32 word, enum twg_origin o)
{
	/* The words' fields do not overlap, and fill 32 bits. */
	BUILD_BUG_ON(TWG_TW_MS_MASK & TWG_TW_RTT_MASK);
	BUILD_BUG_ON((TWG_TW_MS_MASK | TWG_TW_RTT_MASK | TWG_TW_DEST |
		      TWG_TW_NODWELL) != U32_MAX);
	BUILD_BUG_ON((TWG_SK_MS_MASK | TWG_SK_STAMPED |
		      3U << TWG_SK_ORIGIN_SHIFT) != U32_MAX);
	return (word & ~(3U << TWG_SK_ORIGIN_SHIFT)) |
	       (u32)o << TWG_SK_ORIGIN_SHIFT;
}

#endif /* _TWGUARD_STAMP_H */
