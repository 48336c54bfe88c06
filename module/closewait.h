/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_CLOSEWAIT_H
#define _TWGUARD_CLOSEWAIT_H

#include <linux/bits.h>
#include <linux/types.h>

#include "table.h"

struct twg_netns;

/* A port's connections in CLOSE_WAIT, and the age of the oldest, in s. */
struct twg_close_wait {
	u32 n;
	u32 oldest_s;
};

/* The ports a count is kept for: a server's local ports, a client's remote. */
#define TWG_CW_PORTS	BIT(16)

/*
 * Index of the count for a port of kind TWG_KEY_SERVER or TWG_KEY_CLIENT
 * (host byte order) in an array of 2 * TWG_CW_PORTS.
 */
static inline unsigned int twg_close_wait_index(enum twg_key_kind kind, u16 port)
{
	return (kind == TWG_KEY_CLIENT ? TWG_CW_PORTS : 0) + port;
}

struct twg_close_wait *twg_close_wait_scan(struct twg_netns *ns);
unsigned int twg_close_wait_top(const struct twg_close_wait *cw,
				unsigned int *top, unsigned int max);

#endif /* _TWGUARD_CLOSEWAIT_H */
