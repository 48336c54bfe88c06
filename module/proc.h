/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_PROC_H
#define _TWGUARD_PROC_H

struct net;

int twg_proc_netns_add(struct net *net);
void twg_proc_netns_del(struct net *net);

#endif /* _TWGUARD_PROC_H */
