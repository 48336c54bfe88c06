/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_HOOKS_H
#define _TWGUARD_HOOKS_H

#include <linux/types.h>
#include <net/inet_timewait_sock.h>
#include <net/tcp_states.h>

#include "account.h"
#include "twguard.h"

int twg_hooks_init(void);
void twg_hooks_exit(void);

static inline void twg_tw_info_of(const struct inet_timewait_sock *tw,
				  struct twg_tw_info *info)
{
	info->fin_wait2 = tw->tw_substate == TCP_FIN_WAIT2;
	info->ipv6 = twg_skc_is_ipv6(&tw->__tw_common);
}

#endif /* _TWGUARD_HOOKS_H */
