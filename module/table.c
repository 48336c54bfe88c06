// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded tables: the destinations a netns connects to, and the ports it
 * closes connections on.
 *
 * A table is a hash of rows, allocated one by one from a kmem_cache as
 * destinations appear and freed when their weight (a + b, and 1 for a row
 * that counted a failure: table.h) drops to 0.  It never holds more than
 * max rows.  Every update is O(1): a hash lookup and a few adds.
 *
 * No lock on the way of a connection.  Many CPUs close connections
 * towards the same few destinations, in one netns, at once: a lock per
 * table would have them take turns, once per connection at each of its
 * moves.  So rows are found under RCU, and a row's counts, packed in one
 * word, change by compare-and-exchange.  The lock (bottom halves off) is
 * taken only where the table's shape changes: a row made, a row whose
 * weight reaches 0 (the update that makes it 0 also marks it dead, so
 * none takes hold of it again, then unlinks it and frees it a grace
 * period later), a row whose weight goes to or from 1 (the light list,
 * below), a failure counted, and a rate's second turning.  A lookup that
 * misses without the lock looks again under it before it makes a row or
 * gives up: a rehash moves rows from chain to chain under a reader, so
 * only a lookup under the lock may say that a row is not there.
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
 * The list follows the counts under the lock: every update that makes a
 * row's weight 1, or moves it from 1, then takes the lock and puts the
 * row on the list or off it as its weight is then, so the last of
 * several such updates leaves the list right.
 *
 * Readers take the top rows by a, then b, then key, with a bounded heap:
 * O(rows x log TWG_TABLE_SHOW), under RCU, never stalling an update.  Each
 * row's counts are of one moment; rows are read one after the other.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "table.h"

static u32 twg_table_seed __read_mostly;
static struct kmem_cache *twg_entry_cache __read_mostly;
/* One lock class for every table, named for /proc/lock_stat. */
static struct lock_class_key twg_table_lock_key;

int twg_table_module_init(void)
{
	twg_table_seed = get_random_u32() | 1;
	twg_entry_cache = KMEM_CACHE(twg_entry, SLAB_ACCOUNT);
	return twg_entry_cache ? 0 : -ENOMEM;
}

/* Once no table is left: rows unlinked last are still waiting for RCU. */
void twg_table_module_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(twg_entry_cache);
}

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

/* Empty buckets for a table of at most @max rows. */
struct twg_buckets *twg_buckets_alloc(unsigned int max, gfp_t gfp)
{
	unsigned int bits = twg_table_hash_bits(max);
	struct twg_buckets *h;

	h = kmalloc(sizeof(*h), gfp);
	if (!h)
		return NULL;
	h->b = kcalloc(1U << bits, sizeof(*h->b), gfp);
	if (!h->b) {
		kfree(h);
		return NULL;
	}
	h->bits = bits;
	return h;
}
EXPORT_SYMBOL_IF_KUNIT(twg_buckets_alloc);

static void twg_buckets_free(struct twg_buckets *h)
{
	if (h)
		kfree(h->b);
	kfree(h);
}

int twg_table_init(struct twg_table *t, unsigned int max, gfp_t gfp)
{
	struct twg_buckets *h = twg_buckets_alloc(max, gfp);

	memset(t, 0, sizeof(*t));
	if (!h)
		return -ENOMEM;
	spin_lock_init(&t->lock);
	lockdep_set_class_and_name(&t->lock, &twg_table_lock_key, "twg_table.lock");
	seqcount_spinlock_init(&t->rehash, &t->lock);
	RCU_INIT_POINTER(t->buckets, h);
	t->max = max;
	INIT_LIST_HEAD(&t->light);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_init);

/* Once nothing can look into the table any more. */
void twg_table_destroy(struct twg_table *t)
{
	struct twg_buckets *h = rcu_dereference_protected(t->buckets, true);
	struct hlist_node *tmp;
	struct twg_entry *e;
	unsigned int i;

	if (!h)
		return;
	for (i = 0; i < (1U << h->bits); i++)
		hlist_for_each_entry_safe(e, tmp, &h->b[i], hash)
			kmem_cache_free(twg_entry_cache, e);
	twg_buckets_free(h);
	RCU_INIT_POINTER(t->buckets, NULL);
	t->nr = 0;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_destroy);

/*
 * Set the row limit to @max and move the rows to @h, from
 * twg_buckets_alloc(@max).  May sleep: the old buckets are freed once no
 * lookup can be walking them.
 */
void twg_table_set_max(struct twg_table *t, unsigned int max,
		       struct twg_buckets *h)
{
	struct twg_buckets *old;
	struct hlist_node *tmp;
	struct twg_entry *e;
	unsigned int i;

	spin_lock_bh(&t->lock);
	write_seqcount_begin(&t->rehash);
	old = twg_table_buckets_locked(t);
	for (i = 0; i < (1U << old->bits); i++)
		hlist_for_each_entry_safe(e, tmp, &old->b[i], hash) {
			hlist_del_rcu(&e->hash);
			hlist_add_head_rcu(&e->hash,
					   &h->b[twg_key_hash(&e->key, h->bits)]);
		}
	rcu_assign_pointer(t->buckets, h);
	write_seqcount_end(&t->rehash);
	t->max = max;
	spin_unlock_bh(&t->lock);
	synchronize_rcu();
	twg_buckets_free(old);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_set_max);

size_t twg_table_row_bytes(void)
{
	return kmem_cache_size(twg_entry_cache);
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_row_bytes);

/* What the table holds in memory: its rows and its buckets. */
size_t twg_table_bytes(struct twg_table *t)
{
	size_t bytes;

	spin_lock_bh(&t->lock);
	bytes = (size_t)t->nr * twg_table_row_bytes() +
		sizeof(struct twg_buckets) +
		(sizeof(struct hlist_head) << twg_table_buckets_locked(t)->bits);
	spin_unlock_bh(&t->lock);
	return bytes;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_bytes);

/* --- counts --------------------------------------------------------------- */

static u64 twg_counts_weight(u64 v)
{
	return (u64)twg_counts_a(v) + twg_counts_b(v) + !!(v & TWG_ROW_KEPT);
}

/* @v with @da added to a and @db to b, each within its field. */
static u64 twg_counts_add(u64 v, int da, int db)
{
	u32 a = twg_count_add(twg_counts_a(v), da, U32_MAX);
	u32 b = twg_count_add(twg_counts_b(v), db, TWG_ROW_B_MAX);

	return (v & TWG_ROW_KEPT) | a | (u64)b << TWG_ROW_B_SHIFT;
}

/* What an update leaves for the lock to do. */
enum twg_after {
	TWG_AFTER_NOTHING,
	TWG_AFTER_REWEIGH,	/* its weight went to or from 1 */
	TWG_AFTER_UNLINK,	/* it is dead: the update made it so */
};

/*
 * Add @da and @db to @e's counts, which become *@counts; false if @e is
 * dead.  An update that leaves a weight of 0 marks it dead.
 */
static bool twg_entry_update(struct twg_entry *e, int da, int db, u64 *counts,
			     enum twg_after *after)
{
	s64 old = atomic64_read(&e->counts);
	u64 new;

	do {
		if (old & TWG_ROW_DEAD)
			return false;
		new = twg_counts_add(old, da, db);
		if (new == old) {
			*after = TWG_AFTER_NOTHING;
			*counts = new;
			return true;
		}
		if (!twg_counts_weight(new))
			new = TWG_ROW_DEAD;
	} while (!atomic64_try_cmpxchg(&e->counts, &old, new));

	*counts = new;
	if (new == TWG_ROW_DEAD)
		*after = TWG_AFTER_UNLINK;
	else if (twg_counts_weight(old) == 1 || twg_counts_weight(new) == 1)
		*after = TWG_AFTER_REWEIGH;
	else
		*after = TWG_AFTER_NOTHING;
	return true;
}

static void twg_entry_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(twg_entry_cache, container_of(head, struct twg_entry, rcu));
}

/* Under t->lock: @e, dead, leaves the table; it is freed after RCU. */
static void twg_table_unlink_locked(struct twg_table *t, struct twg_entry *e)
{
	hlist_del_rcu(&e->hash);
	list_del(&e->light);
	t->nr--;
	call_rcu(&e->rcu, twg_entry_free_rcu);
}

/* Under t->lock: @e on the light list if its weight is 1, else off it. */
static void twg_table_reweigh_locked(struct twg_table *t, struct twg_entry *e)
{
	s64 v = atomic64_read(&e->counts);
	bool light;

	if (v & TWG_ROW_DEAD)
		return;		/* the list is no longer its */
	light = twg_counts_weight(v) == 1;
	if (light && list_empty(&e->light))
		list_add_tail(&e->light, &t->light);
	else if (!light && !list_empty(&e->light))
		list_del_init(&e->light);
}

static void twg_table_after_locked(struct twg_table *t, struct twg_entry *e,
				   enum twg_after after)
{
	if (after == TWG_AFTER_UNLINK)
		twg_table_unlink_locked(t, e);
	else if (after == TWG_AFTER_REWEIGH)
		twg_table_reweigh_locked(t, e);
}

/* --- lookups -------------------------------------------------------------- */

/* The live row of @key, or NULL; under RCU or t->lock. */
static struct twg_entry *twg_table_lookup(struct twg_table *t,
					  const struct twg_row_key *key)
{
	struct twg_buckets *h;
	struct twg_entry *e;

	h = rcu_dereference_check(t->buckets,
				  lockdep_is_held(&t->lock) || rcu_read_lock_any_held());
	hlist_for_each_entry_rcu(e, &h->b[twg_key_hash(key, h->bits)], hash,
				 lockdep_is_held(&t->lock))
		if (!memcmp(&e->key, key, sizeof(*key)) &&
		    !(atomic64_read(&e->counts) & TWG_ROW_DEAD))
			return e;
	return NULL;
}

/*
 * Under t->lock: make the oldest row of weight 1 dead, and unlink it;
 * false if every row is heavier.  Rows the list holds that are no longer
 * light leave it: the update that made them heavier finds them off it.
 */
static bool twg_table_evict_locked(struct twg_table *t)
{
	struct twg_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &t->light, light) {
		s64 v = atomic64_read(&e->counts);

		if (v & TWG_ROW_DEAD)
			continue;	/* its own update unlinks it */
		if (twg_counts_weight(v) != 1) {
			list_del_init(&e->light);
			continue;
		}
		if (atomic64_try_cmpxchg(&e->counts, &v, TWG_ROW_DEAD)) {
			twg_table_unlink_locked(t, e);
			return true;
		}
	}
	return false;
}

/*
 * Under t->lock: a new row of @key holding @counts (weight 1 at most),
 * in the table; NULL if the table keeps none for it: it is full of
 * heavier rows, or memory ran out.
 */
static struct twg_entry *twg_table_new_locked(struct twg_table *t,
					      const struct twg_row_key *key,
					      u64 counts, gfp_t gfp)
{
	struct twg_buckets *h = twg_table_buckets_locked(t);
	struct twg_entry *e;

	if (t->nr >= t->max) {
		if (twg_table_evict_locked(t))
			t->evicted++;
		if (t->nr >= t->max) {
			t->evicted++;
			return NULL;
		}
	}
	e = kmem_cache_zalloc(twg_entry_cache, gfp);
	if (!e) {
		t->evicted++;
		return NULL;
	}
	e->key = *key;
	atomic64_set(&e->counts, counts);
	INIT_LIST_HEAD(&e->light);
	twg_table_reweigh_locked(t, e);
	hlist_add_head_rcu(&e->hash, &h->b[twg_key_hash(key, h->bits)]);
	t->nr++;
	return e;
}

/*
 * Add @da and @db to the row of @key, made if there is none and one of
 * them is positive; *@counts is what the row holds then.  Return the row,
 * or NULL if none counted it.  The caller is in an RCU read-side section
 * (bottom halves off will do), which keeps the row it gets: a row made
 * dead by this very update still is, with counts 0.
 */
struct twg_entry *twg_table_add(struct twg_table *t,
				const struct twg_row_key *key, int da, int db,
				gfp_t gfp, u64 *counts)
{
	enum twg_after after;
	struct twg_entry *e;

	e = twg_table_lookup(t, key);
	if (e && twg_entry_update(e, da, db, counts, &after)) {
		if (after != TWG_AFTER_NOTHING) {
			spin_lock_bh(&t->lock);
			twg_table_after_locked(t, e, after);
			spin_unlock_bh(&t->lock);
		}
		return e;
	}

	/* Missed: make sure under the lock, where no row moves. */
	spin_lock_bh(&t->lock);
	for (;;) {
		e = twg_table_lookup(t, key);
		if (!e)
			break;
		if (twg_entry_update(e, da, db, counts, &after)) {
			twg_table_after_locked(t, e, after);
			goto out;
		}
	}
	if (da > 0 || db > 0) {
		*counts = twg_counts_add(0, da, db);
		e = twg_table_new_locked(t, key, *counts, gfp);
	}
out:
	spin_unlock_bh(&t->lock);
	return e;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_add);

/*
 * Under t->lock: one more failure for the row of @key (made if there is
 * none), in its d (@d) or its c, saturating; the row is kept.  *@counts
 * is what it holds then.  NULL if the table keeps no row for it.
 */
struct twg_entry *twg_table_count_locked(struct twg_table *t,
					 const struct twg_row_key *key,
					 bool d, gfp_t gfp, u64 *counts)
{
	struct twg_entry *e;
	s64 old;
	u32 *n;

	for (;;) {
		e = twg_table_lookup(t, key);
		if (!e) {
			e = twg_table_new_locked(t, key, TWG_ROW_KEPT, gfp);
			if (!e)
				return NULL;
			*counts = TWG_ROW_KEPT;
			break;
		}
		old = atomic64_read(&e->counts);
		while (!(old & TWG_ROW_DEAD) &&
		       !atomic64_try_cmpxchg(&e->counts, &old,
					     old | TWG_ROW_KEPT))
			;
		if (!(old & TWG_ROW_DEAD)) {
			*counts = old | TWG_ROW_KEPT;
			twg_table_reweigh_locked(t, e);
			break;
		}
		/* Made dead under us: its update unlinks it. */
	}
	n = d ? &e->d : &e->c;
	if (*n != U32_MAX)
		WRITE_ONCE(*n, *n + 1);
	return e;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_count_locked);

/* @e as a reader sees it at second @now_s; false if it is dead. */
static bool twg_entry_snapshot(const struct twg_entry *e, u32 now_s,
			       struct twg_row *row)
{
	s64 v = atomic64_read(&e->counts);

	if (v & TWG_ROW_DEAD)
		return false;
	row->key = e->key;
	row->a = twg_counts_a(v);
	row->b = twg_counts_b(v);
	row->c = READ_ONCE(e->c);
	row->d = 0;
	row->rate = 0;
	if (e->key.kind == TWG_KEY_DEST)
		row->rate = twg_rate_now(e, now_s);
	else
		row->d = READ_ONCE(e->d);
	return true;
}

/*
 * The row of @key, as of now; false if there is none.  Under RCU, looked
 * up again only if a rehash ran meanwhile and may have hidden it.
 */
bool twg_table_row(struct twg_table *t, const struct twg_row_key *key,
		   u32 now_s, struct twg_row *row)
{
	struct twg_entry *e;
	unsigned int seq;
	bool found;

	rcu_read_lock();
	do {
		seq = read_seqcount_begin(&t->rehash);
		e = twg_table_lookup(t, key);
		found = e && twg_entry_snapshot(e, now_s, row);
	} while (!found && read_seqcount_retry(&t->rehash, seq));
	rcu_read_unlock();
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(twg_table_row);

/* --- rates ------------------------------------------------------------------ */

/* @rate after @elapsed seconds, the first of which counted @count. */
u32 twg_rate_fold(u32 rate, u32 count, u32 elapsed)
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
EXPORT_SYMBOL_IF_KUNIT(twg_rate_fold);

static u32 twg_rate_sec(s64 state)
{
	return (u64)state >> 32;
}

/*
 * Seconds from the one @state counts to @now_s; 0 for a clock read just
 * before another CPU's, which counted in a second that had begun.
 */
static u32 twg_rate_elapsed(s64 state, u32 now_s)
{
	s32 d = now_s - twg_rate_sec(state);

	return d > 0 ? d : 0;
}

/*
 * @e's rate, in 1/1000 per second, over the seconds ended by @now_s.
 * Read without the lock: at the very turn of a second a reader may get
 * the rate before the second that ended is folded in.
 */
u32 twg_rate_now(const struct twg_entry *e, u32 now_s)
{
	s64 state = atomic64_read(&e->rate_state);

	return twg_rate_fold(READ_ONCE(e->rate), (u32)state,
			     twg_rate_elapsed(state, now_s));
}
EXPORT_SYMBOL_IF_KUNIT(twg_rate_now);

/*
 * One more entry into TIME-WAIT for @e, at second @now_s: an atomic add
 * within a second, the lock once a second to fold the one that ended.
 */
void twg_rate_event(struct twg_table *t, struct twg_entry *e, u32 now_s)
{
	s64 old = atomic64_read(&e->rate_state), new;

	while (!twg_rate_elapsed(old, now_s))
		if (atomic64_try_cmpxchg(&e->rate_state, &old, old + 1))
			return;

	spin_lock_bh(&t->lock);
	old = atomic64_read(&e->rate_state);
	do {
		if (!twg_rate_elapsed(old, now_s))
			new = old + 1;
		else
			new = (s64)((u64)now_s << 32 | 1);
	} while (!atomic64_try_cmpxchg(&e->rate_state, &old, new));
	if (twg_rate_elapsed(old, now_s))
		WRITE_ONCE(e->rate, twg_rate_fold(e->rate, (u32)old,
						  twg_rate_elapsed(old, now_s)));
	spin_unlock_bh(&t->lock);
}
EXPORT_SYMBOL_IF_KUNIT(twg_rate_event);

/* --- the top rows ---------------------------------------------------------- */

/* Whether @x comes before @y in a table file: heavier first. */
static bool twg_row_before(const struct twg_row *x, const struct twg_row *y)
{
	if (x->a != y->a)
		return x->a > y->a;
	if (x->b != y->b)
		return x->b > y->b;
	return memcmp(&x->key, &y->key, sizeof(x->key)) < 0;
}

static int twg_row_cmp(const void *x, const void *y)
{
	return twg_row_before(x, y) ? -1 : 1;
}

/* Restore the heap (the row that comes last on top) below @i. */
static void twg_heap_down(struct twg_row *h, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, last = i;

		if (l < n && twg_row_before(&h[last], &h[l]))
			last = l;
		if (r < n && twg_row_before(&h[last], &h[r]))
			last = r;
		if (last == i)
			return;
		swap(h[i], h[last]);
		i = last;
	}
}

static void twg_heap_up(struct twg_row *h, unsigned int i)
{
	while (i) {
		unsigned int p = (i - 1) / 2;

		if (!twg_row_before(&h[p], &h[i]))
			return;
		swap(h[i], h[p]);
		i = p;
	}
}

/*
 * Copy the first @n rows of @t, in order, as of second @now_s, to @out;
 * return how many.  Under RCU: updates go on meanwhile.  A rehash moves
 * rows under the walk, which could meet a row twice: it starts again.
 */
unsigned int twg_table_top(struct twg_table *t, struct twg_row *out,
			   unsigned int n, u32 now_s)
{
	const struct twg_buckets *h;
	const struct twg_entry *e;
	unsigned int i, len, seq;
	struct twg_row row;

	if (!n)
		return 0;
	rcu_read_lock();
again:
	len = 0;
	seq = read_seqcount_begin(&t->rehash);
	h = rcu_dereference(t->buckets);
	for (i = 0; i < (1U << h->bits); i++)
		hlist_for_each_entry_rcu(e, &h->b[i], hash) {
			if (!twg_entry_snapshot(e, now_s, &row))
				continue;
			if (len < n) {
				out[len] = row;
				twg_heap_up(out, len++);
			} else if (twg_row_before(&row, &out[0])) {
				out[0] = row;
				twg_heap_down(out, len, 0);
			}
		}
	if (read_seqcount_retry(&t->rehash, seq))
		goto again;
	rcu_read_unlock();
	sort(out, len, sizeof(*out), twg_row_cmp, NULL);
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
