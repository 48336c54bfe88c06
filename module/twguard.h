/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_H
#define _TWGUARD_H

#include <net/ipv6.h>
#include <net/sock.h>

#ifndef TWG_VERSION
#error "TWG_VERSION comes from dkms.conf (module/Kbuild)"
#endif

/*
 * Whether a socket or minisock is an IPv6 connection: AF_INET6, and not
 * to a v4-mapped address (an IPv4 connection made from an IPv6 socket,
 * which twguard counts, keys and decides for as IPv4).
 */
static inline bool twg_skc_is_ipv6(const struct sock_common *c)
{
#if IS_ENABLED(CONFIG_IPV6)
	return c->skc_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&c->skc_v6_daddr);
#else
	return false;
#endif
}

#endif /* _TWGUARD_H */
