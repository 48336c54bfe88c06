/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels twguard builds against lives here,
 * force-included into each file by Kbuild, so that the rest of the tree
 * reads like upstream code.  Features are probed from the target tree's
 * headers by Kbuild (the TWG_HAVE_* flags), not inferred from a version
 * number: distribution kernels carry backports.
 */
#ifndef _TWGUARD_COMPAT_H
#define _TWGUARD_COMPAT_H

/* Included before anything else: every message of ours says whose it is. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * EXPORT_SYMBOL_IF_KUNIT() exposes internals to the KUnit module only.  It
 * arrived upstream in 6.2; Debian's 6.1 carries it as a backport, so every
 * tree we support has the header.
 */
#include <kunit/visibility.h>

/*
 * The function that publishes a new minisock in the established hash:
 * 6.1 schedules its timer, then calls inet_twsk_hashdance(); 6.10 merged
 * both into inet_twsk_hashdance_schedule().  Either takes the minisock
 * as its first argument.
 */
#ifdef TWG_HAVE_HASHDANCE_SCHEDULE
#define TWG_TW_HASH_SYMBOL "inet_twsk_hashdance_schedule"
#else
#define TWG_TW_HASH_SYMBOL "inet_twsk_hashdance"
#endif

/* kobj_type.get_ownership() takes a const kobject since 6.2. */
#ifdef TWG_HAVE_CONST_GET_OWNERSHIP
#define twg_ownership_kobj const struct kobject
#else
#define twg_ownership_kobj struct kobject
#endif

/* The tcp_send_reset tracepoint gained a reason in 6.10. */
#ifdef TWG_HAVE_RST_REASON
#include <net/rstreason.h>
#define TWG_SEND_RESET_PROTO \
	void *data, const struct sock *sk, const struct sk_buff *skb, \
	const enum sk_rst_reason reason
#else
#define TWG_SEND_RESET_PROTO \
	void *data, const struct sock *sk, const struct sk_buff *skb
#endif

/*
 * The clock TCP timestamps count in, in milliseconds: tcp_time_stamp_raw()
 * until 6.7 made the clock selectable and named it tcp_clock_ms().  A
 * minisock's TSvals count in microseconds instead when its connection
 * negotiated tcp_usec_ts (6.7); older kernels have no such minisock.
 */
#ifdef TWG_HAVE_TCP_CLOCK_MS
#define twg_tcp_clock_ms()	((u32)tcp_clock_ms())
#define twg_tw_usec_ts(tw)	((tw)->tw_usec_ts)
#else
#define twg_tcp_clock_ms()	tcp_time_stamp_raw()
#define twg_tw_usec_ts(tw)	false
#endif

/*
 * struct inet_sock has a 4-byte hole just before mc_list (stamp.h): after
 * mc_addr in 6.1, after the u32 local_port_range that later kernels put
 * in the first half of that space.
 */
#ifdef TWG_HAVE_U32_PORT_RANGE
#define TWG_INET_SOCK_HOLE_AFTER local_port_range
#else
#define TWG_INET_SOCK_HOLE_AFTER mc_addr
#endif

/*
 * An ftrace callback reads the traced function's arguments: 6.1 has only
 * the pt_regs inside ftrace_regs, later kernels an accessor.
 */
#ifdef TWG_HAVE_FREGS_GET_ARGUMENT
#define twg_fregs_arg(fregs, n) ftrace_regs_get_argument(fregs, n)
#else
#define twg_fregs_arg(fregs, n) regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/* An ftrace callback sends the traced function elsewhere: 6.1 vs 6.9. */
#ifdef TWG_HAVE_FREGS_SET_IP
#define twg_fregs_set_ip(fregs, ip) ftrace_regs_set_instruction_pointer(fregs, ip)
#else
#define twg_fregs_set_ip(fregs, ip) ftrace_instruction_pointer_set(fregs, ip)
#endif

/* A symbol namespace is a string literal from 6.13 on. */
#ifdef TWG_HAVE_STRING_NS
#define TWG_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define TWG_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/*
 * When a minisock entered TIME_WAIT, in ms of the tcp clock, as the kernel
 * itself records it for tcp_tw_reuse_delay (6.14): 0 where it does not.
 */
#ifdef TWG_HAVE_TW_ENTRY_STAMP
#define twg_tw_entry_stamp(tw)	READ_ONCE((tw)->tw_entry_stamp)
#else
#define twg_tw_entry_stamp(tw)	0
#endif

/*
 * The kernel's own clock condition for tcp_tw_reuse: from 6.14 on,
 * tcp_tw_reuse_delay ms (per netns) past tw_entry_stamp; before, the
 * seconds clock past the last timestamp received (0 to 1 s).
 */
#ifdef TWG_HAVE_TW_ENTRY_STAMP
#define twg_kernel_reuse_age_ok(net, tw, ts_recent_stamp)		\
	time_after32(twg_tcp_clock_ms(), twg_tw_entry_stamp(tw) +	\
		     READ_ONCE((net)->ipv4.sysctl_tcp_tw_reuse_delay))
#else
#define twg_kernel_reuse_age_ok(net, tw, ts_recent_stamp)		\
	time_after32(ktime_get_seconds(), ts_recent_stamp)
#endif

#include <net/inet_hashtables.h>

/*
 * Call @fn(@sk, owner, @arg) for the sockets and minisocks bound to port
 * bucket @tb, until @fn returns true: on its owners list up to 6.7; from
 * 6.8 on, on the owners of each address bucket linked to it.  Under the
 * bucket's lock.  Return whether @fn stopped the walk.
 */
typedef bool (*twg_owner_fn)(const struct sock *sk, struct sock *owner,
			     void *arg);

static inline bool twg_tb_owners_walk(struct inet_bind_bucket *tb,
				      const struct sock *sk,
				      twg_owner_fn fn, void *arg)
{
	struct sock *owner;
#ifdef TWG_HAVE_TB_BHASH2_LIST
	struct inet_bind2_bucket *tb2;

	hlist_for_each_entry(tb2, &tb->bhash2, bhash_node)
		sk_for_each_bound(owner, &tb2->owners)
			if (fn(sk, owner, arg))
				return true;
#else
	sk_for_each_bound(owner, &tb->owners)
		if (fn(sk, owner, arg))
			return true;
#endif
	return false;
}

#include <net/inet_timewait_sock.h>
#include <net/secure_seq.h>

/*
 * Whether a new connection on @tw's 4-tuple gets the TSval offset @old
 * the minisock's connection had, as tcp_v[46]_connect() derive it.
 *
 * Newer trees (the stable point releases of 6.1 from 2026, 6.12, 7.x:
 * secure_tcp_seq_and_ts_off()) key the offset on the 4-tuple, and export
 * the function.  Older 6.1 trees key it on the addresses alone, with
 * secure_tcp_ts_off() and secure_tcpv6_ts_off(); the first is not
 * exported.  There an IPv4 offset is 0 unless net.ipv4.tcp_timestamps is
 * 1, and otherwise a keyed hash of the two addresses, which the old
 * connection got too if tcp_timestamps was 1 then: so the offsets agree
 * exactly when tcp_timestamps is 1 and @old is not 0, or tcp_timestamps
 * is not 1 and @old is 0.  A hash that happens to be 0 (once in 2^32)
 * reads as "changed": a strict policy then denies, never the reverse.
 */
static inline bool twg_ts_off_same(const struct net *net,
				   const struct inet_timewait_sock *tw,
				   bool ipv6, u32 old)
{
#ifdef TWG_HAVE_SEQ_AND_TS_OFF
#if IS_ENABLED(CONFIG_IPV6)
	if (ipv6)
		return secure_tcpv6_seq_and_ts_off(net,
						   tw->tw_v6_rcv_saddr.s6_addr32,
						   tw->tw_v6_daddr.s6_addr32,
						   tw->tw_sport,
						   tw->tw_dport).ts_off == old;
#endif
	return secure_tcp_seq_and_ts_off(net, tw->tw_rcv_saddr, tw->tw_daddr,
					 tw->tw_sport, tw->tw_dport).ts_off == old;
#else
#if IS_ENABLED(CONFIG_IPV6)
	if (ipv6)
		return secure_tcpv6_ts_off(net, tw->tw_v6_rcv_saddr.s6_addr32,
					   tw->tw_v6_daddr.s6_addr32) == old;
#endif
	if (READ_ONCE(net->ipv4.sysctl_tcp_timestamps) == 1)
		return old != 0;
	return old == 0;
#endif
}

#endif /* _TWGUARD_COMPAT_H */
