/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_REUSE_H
#define _TWGUARD_REUSE_H

#include <net/inet_timewait_sock.h>

void twg_reuse_init(void);
int twg_reuse_get(void);
void twg_reuse_put(void);
void twg_reuse_exit(void);
bool twg_reuse_hook_placed(void);

void twg_reuse_stamp(struct inet_timewait_sock *tw, const struct sock *sk);
void twg_reuse_restamp(struct inet_timewait_sock *tw, u32 now_ms);
void twg_reuse_stamp_existing(struct inet_timewait_sock *tw);

#endif /* _TWGUARD_REUSE_H */
