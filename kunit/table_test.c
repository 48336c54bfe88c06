// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the destination and port tables (module/table.c) and
 * the dwell-time arithmetic (account.h, stamp.h): insert, update, evict
 * and sort; rates, pressure and forecast; histogram buckets and clocks
 * that wrap.  Every clock is injected: a test says what time it is.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <net/tcp_states.h>

#include "account.h"
#include "closewait.h"
#include "stamp.h"
#include "table.h"

static int twg_table_test_init(struct kunit *test)
{
	struct twg_table *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t || twg_table_init(t, TWG_TABLE_MIN, GFP_KERNEL))
		return -ENOMEM;
	test->priv = t;
	return 0;
}

static void twg_table_test_exit(struct kunit *test)
{
	twg_table_destroy(test->priv);
}

static struct twg_table *fixture_table(struct kunit *test)
{
	return test->priv;
}

/* Destination 10.0.0.@n:@port. */
static struct twg_row_key dest4(u8 n, u16 port)
{
	struct twg_row_key k = {
		.kind = TWG_KEY_DEST, .family = AF_INET, .port = htons(port),
	};

	k.addr.s6_addr32[3] = htonl(0x0a000000 | n);
	return k;
}

/* Add @da, @db to the row of @k, making it if needed; false if refused. */
static bool bump(struct twg_table *t, struct twg_row_key k, int da, int db)
{
	struct twg_entry *e;
	u64 counts;

	rcu_read_lock();
	e = twg_table_add(t, &k, da, db, GFP_ATOMIC, &counts);
	rcu_read_unlock();
	return e;
}

/* The row of @k now, all zero if there is none. */
static struct twg_row row_of(struct twg_table *t, struct twg_row_key k)
{
	struct twg_row r = {};

	twg_table_row(t, &k, 0, &r);
	return r;
}

static u32 row_a(struct twg_table *t, struct twg_row_key k)
{
	struct twg_row r;

	return twg_table_row(t, &k, 0, &r) ? r.a : U32_MAX;
}

/* One failure more for @k, in its d (@d) or its c; its row, or NULL. */
static struct twg_entry *fail(struct twg_table *t, struct twg_row_key k, bool d)
{
	struct twg_entry *e;
	u64 counts;

	spin_lock_bh(&t->lock);
	e = twg_table_count_locked(t, &k, d, GFP_ATOMIC, &counts);
	spin_unlock_bh(&t->lock);
	return e;
}

/* The row of @k, or NULL; the caller is the table's only user. */
static struct twg_entry *entry_of(struct twg_table *t, struct twg_row_key k)
{
	struct twg_buckets *h;
	struct twg_entry *e;
	unsigned int i;

	spin_lock_bh(&t->lock);
	h = twg_table_buckets_locked(t);
	for (i = 0; i < (1U << h->bits); i++)
		hlist_for_each_entry(e, &h->b[i], hash)
			if (!memcmp(&e->key, &k, sizeof(k))) {
				spin_unlock_bh(&t->lock);
				return e;
			}
	spin_unlock_bh(&t->lock);
	return NULL;
}

/* Move @t to buckets for @max rows. */
static void rehash(struct kunit *test, struct twg_table *t, unsigned int max)
{
	struct twg_buckets *h = twg_buckets_alloc(max, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	twg_table_set_max(t, max, h);
}

static void twg_table_insert_update(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_row_key k = dest4(1, 80), k6 = dest4(1, 80);
	struct twg_row r;

	k6.family = AF_INET6;
	KUNIT_EXPECT_FALSE(test, twg_table_row(t, &k, 0, &r));
	KUNIT_EXPECT_TRUE(test, bump(t, k, 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
	KUNIT_EXPECT_TRUE(test, bump(t, k, 1, 2));
	KUNIT_ASSERT_TRUE(test, twg_table_row(t, &k, 0, &r));
	KUNIT_EXPECT_EQ(test, r.a, 2U);
	KUNIT_EXPECT_EQ(test, r.b, 2U);
	/* Same address and port, other family: another row. */
	KUNIT_EXPECT_FALSE(test, twg_table_row(t, &k6, 0, &r));
	KUNIT_EXPECT_TRUE(test, bump(t, k6, 0, 1));
	KUNIT_EXPECT_EQ(test, t->nr, 2U);

	/* Down to zero: the row goes, and its memory with it. */
	KUNIT_EXPECT_TRUE(test, bump(t, k, -2, -2));
	KUNIT_EXPECT_FALSE(test, twg_table_row(t, &k, 0, &r));
	KUNIT_EXPECT_NULL(test, entry_of(t, k));
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
	/* A decrement with no row makes none. */
	KUNIT_EXPECT_FALSE(test, bump(t, k, -1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
	/* Never below zero: the other count keeps the row. */
	KUNIT_EXPECT_TRUE(test, bump(t, k6, 1, 0));
	KUNIT_EXPECT_TRUE(test, bump(t, k6, -5, 0));
	KUNIT_ASSERT_TRUE(test, twg_table_row(t, &k6, 0, &r));
	KUNIT_EXPECT_EQ(test, r.a, 0U);
	KUNIT_EXPECT_EQ(test, r.b, 1U);
	KUNIT_EXPECT_EQ(test, t->evicted, 0ULL);
	/* Each count stops at the top of its field. */
	KUNIT_EXPECT_TRUE(test, bump(t, k6, INT_MAX, INT_MAX));
	KUNIT_EXPECT_TRUE(test, bump(t, k6, INT_MAX, INT_MAX));
	KUNIT_EXPECT_TRUE(test, bump(t, k6, 3, 0));
	r = row_of(t, k6);
	KUNIT_EXPECT_EQ(test, r.a, U32_MAX);
	KUNIT_EXPECT_EQ(test, r.b, (u32)TWG_ROW_B_MAX);
}

/*
 * Every kind of key is its own row, found again after a rehash: IPv4 and
 * ports hash three words, other IPv6 addresses all five, so keys that
 * share their last address word (or all but the family) must still differ.
 */
static void twg_table_key_kinds(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_row_key k[6] = {
		dest4(1, 80), dest4(1, 80), dest4(1, 80), dest4(1, 80),
		{ .kind = TWG_KEY_SERVER, .port = htons(80) },
		{ .kind = TWG_KEY_CLIENT, .port = htons(80) },
	};
	unsigned int i, bits;

	k[1].family = AF_INET6;				/* ::10.0.0.1 */
	k[2].family = AF_INET6;				/* 2001:db8::10.0.0.1 */
	k[2].addr.s6_addr32[0] = htonl(0x20010db8);
	k[3].family = AF_INET6;				/* ::1:0:10.0.0.1 */
	k[3].addr.s6_addr32[2] = htonl(1);
	for (i = 0; i < ARRAY_SIZE(k); i++)
		KUNIT_EXPECT_TRUE(test, bump(t, k[i], i + 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 6U);
	for (i = 0; i < ARRAY_SIZE(k); i++)
		KUNIT_EXPECT_EQ(test, row_a(t, k[i]), i + 1);

	bits = twg_table_hash_bits(TWG_TABLE_MAX);
	KUNIT_ASSERT_NE(test, bits, twg_table_hash_bits(TWG_TABLE_MIN));
	rehash(test, t, TWG_TABLE_MAX);
	spin_lock_bh(&t->lock);
	KUNIT_EXPECT_EQ(test, twg_table_buckets_locked(t)->bits, bits);
	spin_unlock_bh(&t->lock);
	for (i = 0; i < ARRAY_SIZE(k); i++)
		KUNIT_EXPECT_EQ(test, row_a(t, k[i]), i + 1);
}

/* The light list holds exactly the rows of weight 1, oldest first. */
static void twg_table_light_list(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_entry *e;

	bump(t, dest4(1, 1), 1, 0);
	bump(t, dest4(2, 1), 0, 1);
	bump(t, dest4(3, 1), 1, 1);
	e = list_first_entry(&t->light, struct twg_entry, light);
	KUNIT_EXPECT_EQ(test, ntohl(e->key.addr.s6_addr32[3]), 0x0a000001);
	KUNIT_EXPECT_TRUE(test, list_is_last(&list_next_entry(e, light)->light,
					     &t->light));
	/* 1 -> 2 leaves the list, 2 -> 1 joins it at the end. */
	bump(t, dest4(1, 1), 1, 0);
	bump(t, dest4(3, 1), -1, 0);
	e = list_first_entry(&t->light, struct twg_entry, light);
	KUNIT_EXPECT_EQ(test, ntohl(e->key.addr.s6_addr32[3]), 0x0a000002);
	e = list_last_entry(&t->light, struct twg_entry, light);
	KUNIT_EXPECT_EQ(test, ntohl(e->key.addr.s6_addr32[3]), 0x0a000003);
}

/*
 * A row that counted a failure keeps weight 1 more: it stays when its
 * counts drop to 0, light, and gives its place to a newcomer first.
 */
static void twg_table_failures(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_row_key k = dest4(1, 80), k2 = dest4(2, 80);
	struct twg_row_key p = { .kind = TWG_KEY_SERVER, .port = htons(80) };
	struct twg_entry *e;
	unsigned int i;

	KUNIT_ASSERT_TRUE(test, bump(t, k, 2, 1));
	e = fail(t, k, false);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_PTR_EQ(test, fail(t, k, false), e);
	KUNIT_EXPECT_EQ(test, row_of(t, k).c, 2U);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->light));
	/* Nothing left but the failures: weight 1, on the light list. */
	KUNIT_EXPECT_TRUE(test, bump(t, k, -2, -1));
	KUNIT_EXPECT_PTR_EQ(test, entry_of(t, k), e);
	KUNIT_EXPECT_EQ(test, row_of(t, k).a + row_of(t, k).b, 0U);
	KUNIT_EXPECT_EQ(test, row_of(t, k).c, 2U);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&t->light, struct twg_entry,
						   light), e);
	/* A count again: weight 2, off the list, and back on at 1. */
	KUNIT_EXPECT_TRUE(test, bump(t, k, 1, 0));
	KUNIT_EXPECT_TRUE(test, list_empty(&t->light));
	KUNIT_EXPECT_TRUE(test, bump(t, k, -1, 0));
	KUNIT_EXPECT_FALSE(test, list_empty(&t->light));
	/* A failure on a new row: it is made kept, weight 1. */
	KUNIT_ASSERT_NOT_NULL(test, fail(t, k2, false));
	KUNIT_EXPECT_EQ(test, t->nr, 2U);
	KUNIT_EXPECT_EQ(test, row_of(t, k2).c, 1U);
	/* Full of heavier rows: the failure-only rows go first. */
	for (i = 3; i <= TWG_TABLE_MIN; i++)
		KUNIT_ASSERT_TRUE(test, bump(t, dest4(i, 80), 2, 0));
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(100, 80), 1, 0));
	KUNIT_EXPECT_NULL(test, entry_of(t, k));
	KUNIT_EXPECT_EQ(test, t->evicted, 1ULL);
	/* A ports row's other count keeps it too. */
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(100, 80), -1, 0));
	e = fail(t, p, true);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, row_of(t, p).d, 1U);
	KUNIT_EXPECT_EQ(test, row_of(t, p).c, 0U);
	KUNIT_EXPECT_PTR_EQ(test, entry_of(t, p), e);
	/* Saturates. */
	e = entry_of(t, k2);
	KUNIT_ASSERT_NOT_NULL(test, e);
	e->c = U32_MAX;
	fail(t, k2, false);
	KUNIT_EXPECT_EQ(test, row_of(t, k2).c, U32_MAX);
}

/* The ports with the most CLOSE_WAIT, most first, ties by index. */
static void twg_close_wait_top_sorted(struct kunit *test)
{
	struct twg_close_wait *cw;
	unsigned int top[4], nr;

	cw = kvcalloc(2 * TWG_CW_PORTS, sizeof(*cw), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cw);
	KUNIT_EXPECT_EQ(test, twg_close_wait_top(cw, top, 4), 0U);

	cw[twg_close_wait_index(TWG_KEY_SERVER, 80)].n = 5;
	cw[twg_close_wait_index(TWG_KEY_SERVER, 0)].n = 1;
	cw[twg_close_wait_index(TWG_KEY_CLIENT, 443)].n = 9;
	cw[twg_close_wait_index(TWG_KEY_CLIENT, 65535)].n = 5;
	cw[twg_close_wait_index(TWG_KEY_SERVER, 8080)].n = 2;
	KUNIT_EXPECT_EQ(test, twg_close_wait_index(TWG_KEY_CLIENT, 65535),
			2 * TWG_CW_PORTS - 1);

	nr = twg_close_wait_top(cw, top, 4);
	KUNIT_ASSERT_EQ(test, nr, 4U);
	KUNIT_EXPECT_EQ(test, top[0], twg_close_wait_index(TWG_KEY_CLIENT, 443));
	KUNIT_EXPECT_EQ(test, top[1], twg_close_wait_index(TWG_KEY_SERVER, 80));
	KUNIT_EXPECT_EQ(test, top[2], twg_close_wait_index(TWG_KEY_CLIENT, 65535));
	KUNIT_EXPECT_EQ(test, top[3], twg_close_wait_index(TWG_KEY_SERVER, 8080));
	/* Fewer places than ports: the heaviest keep them. */
	nr = twg_close_wait_top(cw, top, 1);
	KUNIT_ASSERT_EQ(test, nr, 1U);
	KUNIT_EXPECT_EQ(test, top[0], twg_close_wait_index(TWG_KEY_CLIENT, 443));
	KUNIT_EXPECT_EQ(test, twg_close_wait_top(cw, top, 0), 0U);
	kvfree(cw);
}

static void twg_table_evict(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	unsigned int i;

	/* 15 rows of weight 2 and one of weight 1: full. */
	for (i = 1; i <= 15; i++)
		KUNIT_ASSERT_TRUE(test, bump(t, dest4(i, 80), 2, 0));
	KUNIT_ASSERT_TRUE(test, bump(t, dest4(100, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, TWG_TABLE_MIN);

	/* A newcomer takes the light row's place. */
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(101, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, TWG_TABLE_MIN);
	KUNIT_EXPECT_EQ(test, t->evicted, 1ULL);
	KUNIT_EXPECT_EQ(test, row_a(t, dest4(100, 80)), U32_MAX);
	KUNIT_EXPECT_EQ(test, row_a(t, dest4(101, 80)), 1U);

	/* Every row heavier than 1: the newcomer is not kept. */
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(101, 80), 1, 0));
	KUNIT_EXPECT_FALSE(test, bump(t, dest4(102, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->evicted, 2ULL);
	KUNIT_EXPECT_EQ(test, t->nr, TWG_TABLE_MIN);
	for (i = 1; i <= 15; i++)
		KUNIT_EXPECT_EQ(test, row_a(t, dest4(i, 80)), 2U);

	/* A row freed makes room again, without evicting. */
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(1, 80), -2, 0));
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(102, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->evicted, 2ULL);
	KUNIT_EXPECT_EQ(test, twg_table_bytes(t),
			TWG_TABLE_MIN * twg_table_row_bytes() +
			sizeof(struct twg_buckets) +
			(sizeof(struct hlist_head) <<
			 twg_table_hash_bits(TWG_TABLE_MIN)));
	KUNIT_EXPECT_EQ(test, twg_table_row_bytes(), sizeof(struct twg_entry));
}

/* Lowering the limit evicts nothing at once; the table drains to it. */
static void twg_table_lower_max(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	unsigned int i;

	for (i = 1; i <= 16; i++)
		bump(t, dest4(i, 80), i <= 4 ? 1 : 2, 0);
	rehash(test, t, 16);
	for (i = 1; i <= 16; i++)
		KUNIT_EXPECT_EQ(test, row_a(t, dest4(i, 80)), i <= 4 ? 1U : 2U);

	t->max = 14;
	/* Over the limit: a light row goes, and the newcomer is refused. */
	KUNIT_EXPECT_FALSE(test, bump(t, dest4(50, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 15U);
	KUNIT_EXPECT_EQ(test, t->evicted, 2ULL);
	KUNIT_EXPECT_FALSE(test, bump(t, dest4(51, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 14U);
	/* At the limit with a light row left: replacement, as when full. */
	KUNIT_EXPECT_TRUE(test, bump(t, dest4(52, 80), 1, 0));
	KUNIT_EXPECT_EQ(test, t->nr, 14U);
	KUNIT_EXPECT_EQ(test, t->evicted, 5ULL);
}

static void twg_table_top_sorted(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_row *out;
	unsigned int i, n;

	out = kunit_kcalloc(test, TWG_TABLE_SHOW, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_EXPECT_EQ(test, twg_table_top(t, out, TWG_TABLE_SHOW, 0), 0U);

	t->max = 400;
	/* Row i has a = (i * 7) % 100, b = i % 3: many ties on a. */
	for (i = 0; i < 300; i++)
		KUNIT_ASSERT_TRUE(test, bump(t, dest4(i % 250, 1000 + i),
					     (i * 7) % 100 + 1, i % 3));
	n = twg_table_top(t, out, TWG_TABLE_SHOW, 0);
	KUNIT_ASSERT_EQ(test, n, (unsigned int)TWG_TABLE_SHOW);
	/* In order: a, then b, then the key. */
	for (i = 1; i < n; i++) {
		const struct twg_row *x = &out[i - 1], *y = &out[i];

		KUNIT_EXPECT_TRUE_MSG(test, x->a > y->a ||
				      (x->a == y->a && (x->b > y->b ||
				       (x->b == y->b &&
					memcmp(&x->key, &y->key, sizeof(x->key)) < 0))),
				      "rows %u and %u out of order", i - 1, i);
	}
	/* The heaviest of all: a = 100 for i = 57, 157, 257. */
	KUNIT_EXPECT_EQ(test, out[0].a, 100U);
	KUNIT_EXPECT_EQ(test, out[2].a, 100U);
	KUNIT_EXPECT_EQ(test, out[3].a, 99U);
	/* Nothing left out is heavier than the last shown. */
	n = 0;
	for (i = 0; i < 300; i++)
		n += (i * 7) % 100 + 1 > out[TWG_TABLE_SHOW - 1].a;
	KUNIT_EXPECT_LT(test, n, (unsigned int)TWG_TABLE_SHOW);
	n = 0;
	for (i = 0; i < 300; i++)
		n += (i * 7) % 100 + 1 >= out[TWG_TABLE_SHOW - 1].a;
	KUNIT_EXPECT_GE(test, n, (unsigned int)TWG_TABLE_SHOW);

	/* Fewer than asked. */
	KUNIT_EXPECT_EQ(test, twg_table_top(t, out, 5, 0), 5U);
	KUNIT_EXPECT_EQ(test, out[4].a, 99U);
}

/*
 * Two threads on two CPUs, each counting on the same rows without the
 * lock while the table is rehashed under them: a row that one of them
 * brings to 0 dies as the other counts on it, and nothing is lost.  One
 * row goes up and down through 0 again and again; the other only up.
 */
struct twg_race {
	struct twg_table *t;
	unsigned int rounds;
	struct completion done;
};

static int twg_race_fn(void *arg)
{
	struct twg_race *r = arg;
	unsigned int i;

	for (i = 0; i < r->rounds; i++) {
		bump(r->t, dest4(1, 80), 1, 0);
		bump(r->t, dest4(1, 80), 0, 1);
		bump(r->t, dest4(2, 80), 1, 0);
		bump(r->t, dest4(1, 80), -1, 0);
		bump(r->t, dest4(1, 80), 0, -1);
		if (!(i % 256))
			cond_resched();
	}
	complete(&r->done);
	return 0;
}

static void twg_table_concurrent(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_race r[2];
	struct task_struct *task;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i].t = t;
		r[i].rounds = 20000;
		init_completion(&r[i].done);
		task = kthread_create(twg_race_fn, &r[i], "twg_race/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, i % num_online_cpus());
		wake_up_process(task);
	}
	for (i = 0; i < 8; i++)
		rehash(test, t, i % 2 ? TWG_TABLE_MIN : TWG_TABLE_MAX);
	for (i = 0; i < ARRAY_SIZE(r); i++)
		wait_for_completion(&r[i].done);

	KUNIT_EXPECT_EQ(test, row_a(t, dest4(1, 80)), U32_MAX);
	KUNIT_EXPECT_NULL(test, entry_of(t, dest4(1, 80)));
	KUNIT_EXPECT_EQ(test, row_a(t, dest4(2, 80)), 2 * 20000U);
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
	KUNIT_EXPECT_EQ(test, t->evicted, 0ULL);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->light));
}

/* --- rates, pressure, forecast -------------------------------------------- */

static void twg_rate_injected_clock(struct kunit *test)
{
	struct twg_table *t = fixture_table(test);
	struct twg_entry e = {};
	unsigned int i;

	/* 8 entries in second 100: nothing folded until it ends. */
	for (i = 0; i < 8; i++)
		twg_rate_event(t, &e, 100);
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 100), 0U);
	/* Second 100 ended: a quarter of the way to 8/s. */
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 101), 2000U);
	/* Then an idle second: three quarters of that. */
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 102), 1500U);
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 103), 1125U);
	/* Reading folds nothing: the same answer twice. */
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 103), 1125U);
	/* Long idle: nothing left. */
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 100 + TWG_RATE_IDLE_S + 1), 0U);
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 100 + 10), 149U);
	/*
	 * A CPU whose clock read came just before another's, which began
	 * second 101: its entry counts in 101, and folds nothing.
	 */
	twg_rate_event(t, &e, 101);
	twg_rate_event(t, &e, 100);
	KUNIT_EXPECT_EQ(test, (u32)atomic64_read(&e.rate_state), 2U);
	KUNIT_EXPECT_EQ(test, e.rate, 2000U);
	KUNIT_EXPECT_EQ(test, twg_rate_now(&e, 100), 2000U);

	/* A steady 1000/s converges on 1000/s. */
	memset(&e, 0, sizeof(e));
	for (i = 0; i < 60 * 1000; i++)
		twg_rate_event(t, &e, 5000 + i / 1000);
	KUNIT_EXPECT_GE(test, twg_rate_now(&e, 5060), 999000U);
	KUNIT_EXPECT_LE(test, twg_rate_now(&e, 5060), 1000000U);
	/* Counted at second 5059 not yet folded: an event in 5060 folds it. */
	twg_rate_event(t, &e, 5060);
	KUNIT_EXPECT_EQ(test, (u32)atomic64_read(&e.rate_state), 1U);
	KUNIT_EXPECT_GE(test, e.rate, 999000U);
}

static void twg_pressure_and_forecast(struct kunit *test)
{
	u32 secs = 12345;

	KUNIT_EXPECT_EQ(test, twg_pressure_pct(0, 0, 28232), 0U);
	KUNIT_EXPECT_EQ(test, twg_pressure_pct(2, 0, 2), 100U);
	KUNIT_EXPECT_EQ(test, twg_pressure_pct(1, 1, 4), 50U);
	KUNIT_EXPECT_EQ(test, twg_pressure_pct(199, 0, 200), 99U);
	KUNIT_EXPECT_EQ(test, twg_pressure_pct(300, 0, 200), 150U);
	KUNIT_EXPECT_EQ(test, twg_pressure_pct(65535, 65535, 65535), 200U);

	/* Full: now, whatever the rate. */
	KUNIT_EXPECT_EQ(test, twg_forecast(2, 0, 2, 0, &secs), TWG_FORECAST_NOW);
	KUNIT_EXPECT_EQ(test, twg_forecast(1, 1, 2, 5000, &secs), TWG_FORECAST_NOW);
	KUNIT_EXPECT_EQ(test, twg_forecast(5, 0, 2, 0, &secs), TWG_FORECAST_NOW);
	/* No rate: never. */
	KUNIT_EXPECT_EQ(test, twg_forecast(10, 0, 100, 0, &secs),
			TWG_FORECAST_NONE);
	/* 1/s holds 60 tuples in steady state: below 100, never. */
	KUNIT_EXPECT_EQ(test, twg_forecast(10, 0, 100, 1000, &secs),
			TWG_FORECAST_NONE);
	/* ...but with 40 live connections it reaches 100. */
	KUNIT_EXPECT_EQ(test, twg_forecast(10, 40, 100, 1000, &secs),
			TWG_FORECAST_SECONDS);
	KUNIT_EXPECT_EQ(test, secs, 50U);
	/* 10/s never fills 28232: 600 in steady state. */
	KUNIT_EXPECT_EQ(test, twg_forecast(1000, 0, 28232, 10000, &secs),
			TWG_FORECAST_NONE);
	/* 1000/s, 28232 tuples, 1000 used: 27.232 s, rounded up. */
	KUNIT_EXPECT_EQ(test, twg_forecast(1000, 0, 28232, 1000000, &secs),
			TWG_FORECAST_SECONDS);
	KUNIT_EXPECT_EQ(test, secs, 28U);
	/* 0.5/s: 30 tuples in steady state, exactly a range of 30: soon. */
	KUNIT_EXPECT_EQ(test, twg_forecast(0, 0, 30, 500, &secs),
			TWG_FORECAST_SECONDS);
	KUNIT_EXPECT_EQ(test, secs, 60U);
	KUNIT_EXPECT_EQ(test, twg_forecast(0, 0, 31, 500, &secs),
			TWG_FORECAST_NONE);
	/* The largest rate and range do not overflow. */
	KUNIT_EXPECT_EQ(test, twg_forecast(0, 0, 65536, U32_MAX, &secs),
			TWG_FORECAST_SECONDS);
	KUNIT_EXPECT_EQ(test, secs, 1U);
}

/* --- dwell times ------------------------------------------------------------ */

static void twg_dwell_buckets(struct kunit *test)
{
	unsigned int k;

	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(0), 0U);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(1), 1U);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(2), 2U);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(3), 2U);
	/* Each power of two opens its bucket; one less closes the one before. */
	for (k = 1; k < TWG_DWELL_BUCKETS - 1; k++) {
		KUNIT_EXPECT_EQ_MSG(test, twg_dwell_bucket(1U << (k - 1)), k,
				    "2^%u", k - 1);
		KUNIT_EXPECT_EQ_MSG(test, twg_dwell_bucket((1U << k) - 1), k,
				    "2^%u - 1", k);
		KUNIT_EXPECT_EQ(test, twg_dwell_bucket_floor(k), 1U << (k - 1));
	}
	/* The last bucket is open-ended. */
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(1U << 28), TWG_DWELL_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(TWG_SK_MS_MASK),
			TWG_DWELL_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket(U32_MAX), TWG_DWELL_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket_floor(TWG_DWELL_BUCKETS - 1),
			1U << 28);
	KUNIT_EXPECT_EQ(test, twg_dwell_bucket_floor(0), 0U);

	/* Which histogram a full socket's state feeds. */
	KUNIT_EXPECT_EQ(test, twg_dwell_of_state(TCP_FIN_WAIT2), TWG_DWELL_FIN_WAIT2);
	KUNIT_EXPECT_EQ(test, twg_dwell_of_state(TCP_CLOSE_WAIT), TWG_DWELL_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, twg_dwell_of_state(TCP_LAST_ACK), TWG_DWELL_LAST_ACK);
	KUNIT_EXPECT_EQ(test, twg_dwell_of_state(TCP_FIN_WAIT1), -1);
	KUNIT_EXPECT_EQ(test, twg_dwell_of_state(TCP_ESTABLISHED), -1);
}

/* Stamps are clocks modulo 2^18 or 2^29: intervals across the wrap. */
static void twg_dwell_clock_wrap(struct kunit *test)
{
	struct twg_dwell_hist h = {};
	u32 then = 0xfffffff0U, now = then + 1500;	/* the u32 clock wraps */

	KUNIT_EXPECT_EQ(test, twg_ms_since(now, then & TWG_SK_MS_MASK,
					   TWG_SK_MS_MASK), 1500U);
	KUNIT_EXPECT_EQ(test, twg_ms_since(now, then & TWG_TW_MS_MASK,
					   TWG_TW_MS_MASK), 1500U);
	/* The stamp carries flags above its clock bits: they do not leak in. */
	KUNIT_EXPECT_EQ(test, twg_ms_since(now, (then & TWG_SK_MS_MASK) |
					   TWG_SK_STAMPED | 3U << TWG_SK_ORIGIN_SHIFT,
					   TWG_SK_MS_MASK), 1500U);
	KUNIT_EXPECT_EQ(test, twg_ms_since(now, (then & TWG_TW_MS_MASK) |
					   TWG_TW_RTT_MASK | TWG_TW_DEST,
					   TWG_TW_MS_MASK), 1500U);
	/* 60 s of TIME_WAIT and 131 s of carried FIN_WAIT2 fit in 2^18 ms. */
	KUNIT_EXPECT_EQ(test, twg_ms_since(then + 60000 + TWG_FW2_CARRY_MS,
					   then, TWG_TW_MS_MASK),
			60000 + TWG_FW2_CARRY_MS);
	/* Same instant: 0 ms, bucket 0. */
	KUNIT_EXPECT_EQ(test, twg_ms_since(then, then, TWG_TW_MS_MASK), 0U);

	twg_account_dwell(&h, TWG_DWELL_CLOSE_WAIT,
			  twg_ms_since(now, then, TWG_SK_MS_MASK));
	twg_account_dwell(&h, TWG_DWELL_CLOSE_WAIT, 0);
	KUNIT_EXPECT_EQ(test, h.n[TWG_DWELL_CLOSE_WAIT][11], 1ULL);
	KUNIT_EXPECT_EQ(test, h.n[TWG_DWELL_CLOSE_WAIT][0], 1ULL);
	KUNIT_EXPECT_EQ(test, h.n[TWG_DWELL_TIME_WAIT][11], 0ULL);
	/* The sum is of the dwells themselves, not of their buckets. */
	KUNIT_EXPECT_EQ(test, h.sum_ms[TWG_DWELL_CLOSE_WAIT], 1500ULL);
	KUNIT_EXPECT_EQ(test, h.sum_ms[TWG_DWELL_TIME_WAIT], 0ULL);
	twg_account_dwell(&h, TWG_DWELL_TIME_WAIT, U32_MAX);
	twg_account_dwell(&h, TWG_DWELL_TIME_WAIT, U32_MAX);
	KUNIT_EXPECT_EQ(test, h.sum_ms[TWG_DWELL_TIME_WAIT], 2ULL * U32_MAX);

	KUNIT_EXPECT_EQ(test, twg_sk_origin(twg_sk_with_origin(TWG_SK_STAMPED | 7,
							       TWG_ORIGIN_ACTIVE_DEST)),
			TWG_ORIGIN_ACTIVE_DEST);
	KUNIT_EXPECT_EQ(test, twg_sk_with_origin(TWG_SK_STAMPED | 7,
						 TWG_ORIGIN_PASSIVE) &
			~(3U << TWG_SK_ORIGIN_SHIFT), TWG_SK_STAMPED | 7);
}

static struct kunit_case twg_table_cases[] = {
	KUNIT_CASE(twg_table_insert_update),
	KUNIT_CASE(twg_table_key_kinds),
	KUNIT_CASE(twg_table_light_list),
	KUNIT_CASE(twg_table_failures),
	KUNIT_CASE(twg_close_wait_top_sorted),
	KUNIT_CASE(twg_table_evict),
	KUNIT_CASE(twg_table_lower_max),
	KUNIT_CASE(twg_table_top_sorted),
	KUNIT_CASE(twg_table_concurrent),
	KUNIT_CASE(twg_rate_injected_clock),
	KUNIT_CASE(twg_pressure_and_forecast),
	KUNIT_CASE(twg_dwell_buckets),
	KUNIT_CASE(twg_dwell_clock_wrap),
	{}
};

static struct kunit_suite twg_table_suite = {
	.name = "twguard_table",
	.init = twg_table_test_init,
	.exit = twg_table_test_exit,
	.test_cases = twg_table_cases,
};

kunit_test_suite(twg_table_suite);
