// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded tables: the destinations a netns connects to, and the ports it
 * closes connections on.
 *
 * A table is a hash of rows, allocated one by one from a kmem_cache as
 * destinations appear and freed when their weight (a + b, and 1 for a row
 * that counted a failure: table.h) drops to 0.  It
 * never holds more than max rows.  Every update is O(1): a hash lookup and
 * a few adds.
 *
 * Eviction keeps the heaviest rows.  A new row always has weight 1, the
 * least a row can have, so when the table is full it takes the place of
 * the oldest row of weight 1 (rows of weight 1 are kept on a list, oldest
 * first, which makes finding one O(1)); if every row is heavier, the new
 * one is not kept.  Either way evicted counts the row lost.  A row evicted
 * while it still counts sockets is not remembered: if its destination
 * comes back before those sockets end, the new row does not count them,
 * and their end takes one off it (never below 0) or finds no row.
 * Lowering max below the rows there are evicts nothing at once: new rows
 * are refused, and light rows evicted, until the table is back under it.
 *
 * Readers take the top rows by a, then b, then key, with a bounded heap:
 * O(rows x log TWG_TABLE_SHOW) under the lock, at most 16384 rows.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "table.h"

static u32 twg_table_seed __read_mostly;

/*
 * Seeded, so that no one who picks the keys (connect()ing to chosen
 * addresses) can line them up in one chain.  Ports and IPv4 destinations,
 * the common keys, have a one-word address: hashing the three words that
 * hold something costs a third of hashing all five.
 */
static u32 twg_key_hash(const struct twg_row_key *key, unsigned int bits)
{
	const __be32 *w = key->addr.s6_addr32;
	u32 h;

	BUILD_BUG_ON(sizeof(struct twg_row_key) % sizeof(u32));
	if (!(w[0] | w[1] | w[2]))
		h = jhash_3words((__force u32)w[3],
				 (u32)key->kind << 8 | key->family,
				 (__force u32)key->port, twg_table_seed);
	else
		h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32),
			   twg_table_seed);
	return hash_32(h, bits);
}

/* Enough buckets for chains of four at the row limit. */
unsigned int twg_table_hash_bits(unsigned int max)
{
	return clamp_t(unsigned int, order_base_2(max / 4), 4, 12);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_hash_bits);

int twg_table_init(struct twg_table *t, struct kmem_cache *cache,
		   unsigned int max, gfp_t gfp)
{
	unsigned int bits = twg_table_hash_bits(max);

	if (!twg_table_seed)
		twg_table_seed = get_random_u32() | 1;
	memset(t, 0, sizeof(*t));
	spin_lock_init(&t->lock);
	t->buckets = kcalloc(1U << bits, sizeof(*t->buckets), gfp);
	if (!t->buckets)
		return -ENOMEM;
	t->hash_bits = bits;
	t->max = max;
	t->cache = cache;
	INIT_LIST_HEAD(&t->light);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_init);

void twg_table_destroy(struct twg_table *t)
{
	struct hlist_node *tmp;
	struct twg_entry *e;
	unsigned int i;

	if (!t->buckets)
		return;
	for (i = 0; i < (1U << t->hash_bits); i++)
		hlist_for_each_entry_safe(e, tmp, &t->buckets[i], hash)
			kmem_cache_free(t->cache, e);
	kfree(t->buckets);
	t->buckets = NULL;
	t->nr = 0;
	memset(t->last, 0, sizeof(t->last));
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_destroy);

/*
 * Set the row limit to @max and move the rows to @buckets: 2^@hash_bits
 * of them, zeroed, allocated by the caller before it took its lock.  The
 * old buckets are freed.
 */
void twg_table_set_max(struct twg_table *t, unsigned int max,
		       struct hlist_head *buckets, unsigned int hash_bits)
{
	struct hlist_node *tmp;
	struct twg_entry *e;
	unsigned int i;

	for (i = 0; i < (1U << t->hash_bits); i++)
		hlist_for_each_entry_safe(e, tmp, &t->buckets[i], hash) {
			hlist_del(&e->hash);
			hlist_add_head(&e->hash,
				       &buckets[twg_key_hash(&e->key, hash_bits)]);
		}
	swap(t->buckets, buckets);
	t->hash_bits = hash_bits;
	t->max = max;
	kfree(buckets);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_set_max);

/* What the table holds in memory: its rows and its buckets. */
size_t twg_table_bytes(const struct twg_table *t)
{
	return (size_t)t->nr * kmem_cache_size(t->cache) +
	       (sizeof(*t->buckets) << t->hash_bits);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_bytes);

/*
 * The row of @key, or NULL.  A host connects to a few destinations and
 * serves a few ports far more often than to or on any other, and a
 * connection's rows are looked up again at its first FIN and its end:
 * the row its kind of key last found is tried before the hash.
 */
struct twg_entry *twg_table_find(struct twg_table *t,
				 const struct twg_row_key *key)
{
	struct twg_entry **last = &t->last[key->kind];
	struct twg_entry *e = *last;

	if (e && !memcmp(&e->key, key, sizeof(*key)))
		return e;
	hlist_for_each_entry(e, &t->buckets[twg_key_hash(key, t->hash_bits)],
			     hash)
		if (!memcmp(&e->key, key, sizeof(*key))) {
			*last = e;
			return e;
		}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_find);

static void twg_table_unlink(struct twg_table *t, struct twg_entry *e)
{
	hlist_del(&e->hash);
	list_del(&e->light);
	if (t->last[e->key.kind] == e)
		t->last[e->key.kind] = NULL;
	t->nr--;
}

/*
 * The row of @key, made (with weight 0: the caller adds 1 at once) if
 * there is none.  NULL if the table keeps no row for it: it is full of
 * heavier rows, or memory ran out.
 */
struct twg_entry *twg_table_get(struct twg_table *t, const struct twg_row_key *key,
				gfp_t gfp)
{
	struct twg_entry *e = twg_table_find(t, key);

	if (e)
		return e;

	if (t->nr >= t->max) {
		e = list_first_entry_or_null(&t->light, struct twg_entry, light);
		if (e) {
			twg_table_unlink(t, e);
			t->evicted++;
		}
		if (t->nr >= t->max) {
			if (e)
				kmem_cache_free(t->cache, e);
			t->evicted++;
			return NULL;
		}
	}
	if (!e)
		e = kmem_cache_alloc(t->cache, gfp);
	if (!e) {
		t->evicted++;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->key = *key;
	INIT_LIST_HEAD(&e->light);
	hlist_add_head(&e->hash, &t->buckets[twg_key_hash(key, t->hash_bits)]);
	t->last[key->kind] = e;
	t->nr++;
	return e;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_get);

static u64 twg_entry_weight(const struct twg_entry *e)
{
	return (u64)e->a + e->b + e->kept;
}

/*
 * Keep the light list in step with @e's weight, which was @was, and free
 * it when nothing is left to count.
 */
static void twg_table_reweigh(struct twg_table *t, struct twg_entry *e,
			      u64 was)
{
	u64 now = twg_entry_weight(e);

	if (!now) {
		twg_table_unlink(t, e);
		kmem_cache_free(t->cache, e);
		return;
	}
	if (now == 1 && was != 1)
		list_add_tail(&e->light, &t->light);
	else if (now != 1 && was == 1)
		list_del_init(&e->light);
}

/* Add @da and @db to @e's counts; @e may be freed. */
void twg_table_add(struct twg_table *t, struct twg_entry *e, int da, int db)
{
	u64 was = twg_entry_weight(e);

	e->a = twg_count_add(e->a, da);
	e->b = twg_count_add(e->b, db);
	twg_table_reweigh(t, e, was);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_add);

/* One more of @e's failures counted in @n (saturating): @e is kept. */
void twg_table_count(struct twg_table *t, struct twg_entry *e, u32 *n)
{
	u64 was = twg_entry_weight(e);

	if (*n != U32_MAX)
		(*n)++;
	e->kept = true;
	twg_table_reweigh(t, e, was);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_count);

/* --- rates ------------------------------------------------------------------ */

/* @rate after @elapsed seconds, the first of which counted @count. */
static u32 twg_rate_fold(u32 rate, u32 count, u32 elapsed)
{
	u64 r = rate;

	if (!elapsed)
		return rate;
	r = (r * (TWG_RATE_WEIGHT - 1) + (u64)count * 1000) / TWG_RATE_WEIGHT;
	if (--elapsed >= TWG_RATE_IDLE_S)
		return 0;
	while (elapsed--)
		r = r * (TWG_RATE_WEIGHT - 1) / TWG_RATE_WEIGHT;
	return min_t(u64, r, U32_MAX);
}

/* @e's rate, in 1/1000 per second, over the seconds ended by @now_s. */
u32 twg_rate_now(const struct twg_entry *e, u32 now_s)
{
	return twg_rate_fold(e->rate, e->rate_count, now_s - e->rate_sec);
}
EXPORT_SYMBOL_IF_KUNIT(twg_rate_now);

/* One more entry into TIME-WAIT for @e, at second @now_s. */
void twg_rate_event(struct twg_entry *e, u32 now_s)
{
	if (now_s != e->rate_sec) {
		e->rate = twg_rate_now(e, now_s);
		e->rate_count = 0;
		e->rate_sec = now_s;
	}
	e->rate_count++;
}
EXPORT_SYMBOL_IF_KUNIT(twg_rate_event);

/* --- the top rows ---------------------------------------------------------- */

/* Whether @x comes before @y in a table file: heavier first. */
static bool twg_entry_before(const struct twg_entry *x,
			     const struct twg_entry *y)
{
	if (x->a != y->a)
		return x->a > y->a;
	if (x->b != y->b)
		return x->b > y->b;
	return memcmp(&x->key, &y->key, sizeof(x->key)) < 0;
}

static int twg_entry_cmp(const void *x, const void *y)
{
	return twg_entry_before(x, y) ? -1 : 1;
}

/* Restore the heap (the row that comes last on top) below @i. */
static void twg_heap_down(struct twg_entry *h, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, last = i;

		if (l < n && twg_entry_before(&h[last], &h[l]))
			last = l;
		if (r < n && twg_entry_before(&h[last], &h[r]))
			last = r;
		if (last == i)
			return;
		swap(h[i], h[last]);
		i = last;
	}
}

static void twg_heap_up(struct twg_entry *h, unsigned int i)
{
	while (i) {
		unsigned int p = (i - 1) / 2;

		if (!twg_entry_before(&h[p], &h[i]))
			return;
		swap(h[i], h[p]);
		i = p;
	}
}

/* Copy the first @n rows of @t, in order, to @out; return how many. */
unsigned int twg_table_top(const struct twg_table *t, struct twg_entry *out,
			   unsigned int n)
{
	const struct twg_entry *e;
	unsigned int i, len = 0;

	if (!n)
		return 0;
	for (i = 0; i < (1U << t->hash_bits); i++)
		hlist_for_each_entry(e, &t->buckets[i], hash) {
			if (len < n) {
				out[len] = *e;
				twg_heap_up(out, len++);
			} else if (twg_entry_before(e, &out[0])) {
				out[0] = *e;
				twg_heap_down(out, len, 0);
			}
		}
	sort(out, len, sizeof(*out), twg_entry_cmp, NULL);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_top);

/* --- pressure and forecast ------------------------------------------------- */

/* How full a destination's 4-tuples are, in percent (more than 100 possible). */
u32 twg_pressure_pct(u32 tw, u32 live, u32 range)
{
	return div_u64(((u64)tw + live) * 100, max(range, 1U));
}
EXPORT_SYMBOL_IF_KUNIT(twg_pressure_pct);

/*
 * When a destination runs out of 4-tuples, if connections keep entering
 * TIME-WAIT at @rate (1/1000 per second) and none leaves: the tuples left
 * over the rate.  None when the rate is 0, or when at that rate the
 * steady state (rate x 60 s in TIME-WAIT, plus the live connections)
 * stays below the range: minisocks then end as fast as new ones come.
 */
enum twg_forecast twg_forecast(u32 tw, u32 live, u32 range, u32 rate,
			       u32 *seconds)
{
	u64 used = (u64)tw + live;

	if (used >= range)
		return TWG_FORECAST_NOW;
	if (!rate || div_u64((u64)rate * TWG_TIME_WAIT_S, 1000) + live < range)
		return TWG_FORECAST_NONE;
	*seconds = DIV_ROUND_UP_ULL((range - used) * 1000ULL, rate);
	return TWG_FORECAST_SECONDS;
}
EXPORT_SYMBOL_IF_KUNIT(twg_forecast);
