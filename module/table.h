/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded tables of destinations and ports, and the arithmetic over them:
 * decaying rates, pressure, the exhaustion forecast.  Plain data and pure
 * functions; the caller holds the table's lock and passes the clock, so
 * KUnit drives every case with an injected time.
 */
#ifndef _TWGUARD_TABLE_H
#define _TWGUARD_TABLE_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* What a key names. */
enum twg_key_kind {
	TWG_KEY_DEST,		/* a remote endpoint: family, address, port */
	TWG_KEY_SERVER,		/* a local port that accepted connections */
	TWG_KEY_CLIENT,		/* a remote port this host connected to */
	TWG_NR_KEY_KINDS
};

struct twg_row_key {
	u8 kind;		/* enum twg_key_kind */
	u8 family;		/* AF_INET or AF_INET6; 0 for ports */
	__be16 port;
	struct in6_addr addr;	/* IPv4 in s6_addr32[3], the rest 0 */
};

/*
 * One row.  Destinations: a = TIME-WAIT minisocks, b = live connections,
 * c = connect()s refused for want of a free 4-tuple.  Ports: a = closes
 * with this host as the active closer, b = passive, c = bind()s and
 * listen()s refused by TIME-WAIT, d = bind()s let through over TIME-WAIT
 * by SO_REUSEADDR.  The weight of a row is a + b, and 1 more once it
 * counted a failure (kept): such a row stays, light, until a heavier one
 * needs its place.
 */
struct twg_entry {
	struct hlist_node hash;
	struct list_head light;		/* on twg_table.light while weight is 1 */
	struct twg_row_key key;
	u32 a, b;
	u32 c;
	u32 rate;		/* decaying entries per second, in 1/1000 */
	u32 rate_count;		/* entries in second rate_sec, not yet folded */
	union {
		u32 rate_sec;	/* the second rate_count counts, clock / 1000 */
		u32 d;		/* ports */
	};
	bool alerting;		/* pressure at or above the alert threshold */
	bool kept;		/* counted a failure: weight 1 more */
};

/*
 * Entries, hash buckets and the lightest rows.  The functions below take
 * no lock: their caller holds @lock, with bottom halves off.
 */
struct twg_table {
	spinlock_t lock;		/* everything below, bottom halves off */
	struct hlist_head *buckets;
	unsigned int hash_bits;
	unsigned int nr;		/* rows */
	unsigned int max;		/* rows allowed */
	u64 evicted;			/* rows dropped to keep within max */
	struct list_head light;		/* rows of weight 1, oldest first */
	struct kmem_cache *cache;	/* of struct twg_entry */
	/* The row each kind of key last found or made, or NULL. */
	struct twg_entry *last[TWG_NR_KEY_KINDS];
};

/* Settable row limits: 16 to 16384 rows (1.3 MiB). */
#define TWG_TABLE_MIN		16
#define TWG_TABLE_MAX		16384
/*
 * The default: 768 rows of 80 bytes plus 256 buckets = 63,488 bytes, under
 * 64 KiB per table and netns.
 */
#define TWG_TABLE_DEFAULT	768

/* The rows a table file shows. */
#define TWG_TABLE_SHOW		100

/*
 * Rates are exponentially weighted moving averages over whole seconds:
 * each second that ends moves the rate 1/TWG_RATE_WEIGHT of the way to
 * that second's count (a time constant of about 3.5 s).
 */
#define TWG_RATE_WEIGHT		4
/* A rate idle this many seconds has decayed to nothing: 0.75^80 < 1e-10. */
#define TWG_RATE_IDLE_S		80

/* 2MSL: how long a connection that enters TIME-WAIT holds its 4-tuple, s. */
#define TWG_TIME_WAIT_S		60

/* @v + @d, never below 0: what a row's count becomes. */
static inline u32 twg_count_add(u32 v, int d)
{
	return d >= 0 ? v + d : v - min_t(u32, v, -d);
}

int twg_table_init(struct twg_table *t, struct kmem_cache *cache,
		   unsigned int max, gfp_t gfp);
void twg_table_destroy(struct twg_table *t);
void twg_table_set_max(struct twg_table *t, unsigned int max,
		       struct hlist_head *buckets, unsigned int hash_bits);
unsigned int twg_table_hash_bits(unsigned int max);
size_t twg_table_bytes(const struct twg_table *t);

struct twg_entry *twg_table_find(struct twg_table *t,
				 const struct twg_row_key *key);
struct twg_entry *twg_table_get(struct twg_table *t, const struct twg_row_key *key,
				gfp_t gfp);
void twg_table_add(struct twg_table *t, struct twg_entry *e, int da, int db);
void twg_table_count(struct twg_table *t, struct twg_entry *e, u32 *n);

/* One more failure for @e: its c. */
static inline void twg_table_fail(struct twg_table *t, struct twg_entry *e)
{
	twg_table_count(t, e, &e->c);
}

u32 twg_rate_now(const struct twg_entry *e, u32 now_s);
void twg_rate_event(struct twg_entry *e, u32 now_s);

unsigned int twg_table_top(const struct twg_table *t, struct twg_entry *out,
			   unsigned int n);

/* The forecast for a destination: how long until its 4-tuples run out. */
enum twg_forecast {
	TWG_FORECAST_NONE,	/* never, at the current rate */
	TWG_FORECAST_NOW,	/* no 4-tuple left */
	TWG_FORECAST_SECONDS,	/* in *seconds */
};

enum twg_forecast twg_forecast(u32 tw, u32 live, u32 range, u32 rate,
			       u32 *seconds);
u32 twg_pressure_pct(u32 tw, u32 live, u32 range);

#endif /* _TWGUARD_TABLE_H */
