/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_SNAPSHOT_H
#define _TWGUARD_SNAPSHOT_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <net/net_namespace.h>

struct inet_hashinfo;
struct twg_netns;

/* One established hash being walked: a bit per bucket, set once counted. */
struct twg_walk_map {
	struct inet_hashinfo *h;
	unsigned long *walked;
};

/* Set when every bucket has been counted: the hooks stop looking. */
extern bool twg_walk_done;

int twg_snapshot_netns_init(struct twg_netns *ns);
void twg_snapshot_netns_free(struct twg_netns *ns);

int twg_snapshot_prepare(void);
void twg_snapshot_take(u64 live_ns);
void twg_snapshot_cancel(void);
bool twg_snapshot_settled(void);

void __twg_snapshot_ensure(const struct net *net, u32 hash, bool locked);

/*
 * Before a hook counts a change to a socket of @net that hashes to
 * @hash, the load-time walk must have counted that socket's bucket: count
 * it now if not.  @locked: the caller holds that bucket's lock.  Once the
 * walk is done this is one load.
 */
static inline void twg_snapshot_ensure(const struct net *net, u32 hash)
{
	/* Pairs with twg_snapshot_take()'s release of the flag. */
	if (unlikely(!smp_load_acquire(&twg_walk_done)))
		__twg_snapshot_ensure(net, hash, false);
}

static inline void twg_snapshot_ensure_locked(const struct net *net, u32 hash)
{
	/* As twg_snapshot_ensure(). */
	if (unlikely(!smp_load_acquire(&twg_walk_done)))
		__twg_snapshot_ensure(net, hash, true);
}

#endif /* _TWGUARD_SNAPSHOT_H */
