/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded tables of destinations and ports, and the arithmetic over them:
 * decaying rates, pressure, the exhaustion forecast.  The caller passes
 * the clock, so KUnit drives every case with an injected time.
 */
#ifndef _TWGUARD_TABLE_H
#define _TWGUARD_TABLE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
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
 * A row's counts share one word, so that one atomic operation moves them
 * together and tells the weight they leave: a in bits 0-31, b in bits
 * 32-61, kept at bit 62.  TWG_ROW_DEAD is the whole word of a row that
 * has left the table (its weight went to 0, or it was evicted): nothing
 * counts on it again, and it is freed a grace period after it is
 * unlinked.
 */
#define TWG_ROW_A		GENMASK_ULL(31, 0)
#define TWG_ROW_B_SHIFT		32
#define TWG_ROW_B		GENMASK_ULL(61, 32)
#define TWG_ROW_B_MAX		(TWG_ROW_B >> TWG_ROW_B_SHIFT)
#define TWG_ROW_KEPT		BIT_ULL(62)
#define TWG_ROW_DEAD		BIT_ULL(63)

static inline u32 twg_counts_a(u64 v)
{
	return v & TWG_ROW_A;
}

static inline u32 twg_counts_b(u64 v)
{
	return (v & TWG_ROW_B) >> TWG_ROW_B_SHIFT;
}

/*
 * One row.  Destinations: a = TIME-WAIT minisocks, b = live connections,
 * c = connect()s refused for want of a free 4-tuple.  Ports: a = closes
 * with this host as the active closer, b = passive, c = bind()s and
 * listen()s refused by TIME-WAIT, d = bind()s let through over TIME-WAIT
 * by SO_REUSEADDR.  The weight of a row is a + b, and 1 more once it
 * counted a failure (kept): such a row stays, light, until a heavier one
 * needs its place.
 *
 * a and b change without the table's lock (a compare-and-exchange of
 * counts); the lock is taken only where the table's shape changes: a row
 * made, freed or evicted, a row's weight going to or from 1 (the light
 * list), a failure counted, and a rate's second ending.
 */
struct twg_entry {
	struct hlist_node hash;		/* RCU: walked without the lock */
	union {
		struct list_head light;	/* on twg_table.light while weight is 1 */
		struct rcu_head rcu;	/* once unlinked */
	};
	struct twg_row_key key;
	u32 c;				/* under the lock */
	atomic64_t counts;		/* a, b, kept; or TWG_ROW_DEAD */
	union {
		/* Destinations: the second rate_state counts (high word)
		 * and its entries so far (low word), not yet folded into
		 * rate, in 1/1000 per second, decaying.
		 */
		struct {
			atomic64_t rate_state;
			u32 rate;
			/* Pressure at or above the alert threshold. */
			bool alerting;
		};
		u32 d;			/* ports, under the lock */
	};
};

/* A row as a reader sees it: its counts at one moment, its rate then. */
struct twg_row {
	struct twg_row_key key;
	u32 a, b, c, d;
	u32 rate;		/* destinations, in 1/1000 per second */
};

/* The hash buckets, replaced whole (RCU) when the row limit changes. */
struct twg_buckets {
	struct hlist_head *b;	/* 2^bits of them */
	unsigned int bits;
};

/*
 * Rows, hash buckets and the lightest rows.  Lookups and the counts of
 * rows already there need no lock (RCU; the hooks run with bottom halves
 * off); what changes the table's shape takes @lock with bottom halves
 * off, inside table.c, or, for the functions named _locked, in their
 * caller.
 */
struct twg_table {
	spinlock_t lock;		/* everything below, bottom halves off */
	seqcount_spinlock_t rehash;	/* rows moving to new buckets */
	struct twg_buckets __rcu *buckets;
	unsigned int nr;		/* rows */
	unsigned int max;		/* rows allowed */
	u64 evicted;			/* rows dropped to keep within max */
	struct list_head light;		/* rows of weight 1, oldest first */
};

/* Settable row limits: 16 to 16384 rows (1.3 MiB). */
#define TWG_TABLE_MIN		16
#define TWG_TABLE_MAX		16384
/*
 * The default: 768 rows of 80 bytes plus 256 buckets and their 16-byte
 * header = 63,504 bytes, under 64 KiB per table and netns.
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

/* @v + @d, never below 0 nor above @max: what a row's count becomes. */
static inline u32 twg_count_add(u32 v, int d, u32 max)
{
	if (d >= 0)
		return v + min_t(u32, max - v, d);
	return v - min_t(u32, v, -d);
}

int twg_table_module_init(void);
void twg_table_module_exit(void);
int twg_table_init(struct twg_table *t, unsigned int max, gfp_t gfp);
void twg_table_destroy(struct twg_table *t);
struct twg_buckets *twg_buckets_alloc(unsigned int max, gfp_t gfp);
void twg_table_set_max(struct twg_table *t, unsigned int max,
		       struct twg_buckets *buckets);
unsigned int twg_table_hash_bits(unsigned int max);
size_t twg_table_bytes(struct twg_table *t);
size_t twg_table_row_bytes(void);

struct twg_entry *twg_table_add(struct twg_table *t,
				const struct twg_row_key *key, int da, int db,
				gfp_t gfp, u64 *counts);
struct twg_entry *twg_table_count_locked(struct twg_table *t,
					 const struct twg_row_key *key,
					 bool d, gfp_t gfp, u64 *counts);
bool twg_table_row(struct twg_table *t, const struct twg_row_key *key,
		   u32 now_s, struct twg_row *row);
unsigned int twg_table_top(struct twg_table *t, struct twg_row *out,
			   unsigned int n, u32 now_s);

/* The table's buckets, to a holder of its lock. */
static inline struct twg_buckets *twg_table_buckets_locked(struct twg_table *t)
{
	return rcu_dereference_protected(t->buckets, lockdep_is_held(&t->lock));
}

u32 twg_rate_fold(u32 rate, u32 count, u32 elapsed);
u32 twg_rate_now(const struct twg_entry *e, u32 now_s);
void twg_rate_event(struct twg_table *t, struct twg_entry *e, u32 now_s);

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
