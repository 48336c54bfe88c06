// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the accounting model (module/account.c): every close
 * sequence TCP has, fed as synthetic state transitions and minisock
 * events, with the exact counters each must leave behind.
 */
#include <kunit/test.h>
#include <net/tcp_states.h>

#include "account.h"

struct twg_account_fixture {
	struct twg_stats s;
};

static int twg_account_init(struct kunit *test)
{
	struct twg_account_fixture *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	test->priv = f;
	return 0;
}

/* Feed @states[0] -> @states[1] -> ... to the model. */
static void walk(struct twg_stats *s, const int *states, int n)
{
	int i;

	for (i = 1; i < n; i++)
		twg_account_state(s, states[i - 1], states[i]);
}

/* Every full-socket gauge is back to zero once the socket is closed. */
static void expect_full_gauges_zero(struct kunit *test,
				    const struct twg_stats *s)
{
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_FIN_WAIT1_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_FIN_WAIT2_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSE_WAIT_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_LAST_ACK_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSING_CURRENT], 0);
}

/* The invariant the ABI promises, at rest. */
static s64 tw_balance(const struct twg_stats *s)
{
	return (s64)s->counter[TWG_TW_ENTERED] - s->counter[TWG_TW_EXPIRED] -
	       s->counter[TWG_TW_KILLED] - s->counter[TWG_TW_REUSED] -
	       s->counter[TWG_TW_RECYCLED] - s->gauge[TWG_TW_CURRENT];
}

static const struct twg_tw_info tw4 = { .fin_wait2 = false, .ipv6 = false };

static void twg_active_close(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const int seq[] = { TCP_ESTABLISHED, TCP_FIN_WAIT1,
				   TCP_FIN_WAIT2, TCP_CLOSE };

	walk(s, seq, 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_FIN_WAIT1_CURRENT], 1);
	walk(s, seq + 1, 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_FIN_WAIT1_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_FIN_WAIT2_CURRENT], 1);
	twg_account_tw_enter(s, &tw4);
	walk(s, seq + 2, 2);

	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_PASSIVE], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_SIMULTANEOUS], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_IPV6], 0);
	expect_full_gauges_zero(test, s);
	KUNIT_EXPECT_EQ(test, tw_balance(s), 0);
}

static void twg_passive_close(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const int seq[] = { TCP_ESTABLISHED, TCP_CLOSE_WAIT,
				   TCP_LAST_ACK, TCP_CLOSE };

	walk(s, seq, 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSE_WAIT_CURRENT], 1);
	walk(s, seq + 1, 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSE_WAIT_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_LAST_ACK_CURRENT], 1);
	walk(s, seq + 2, 2);

	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_PASSIVE], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	expect_full_gauges_zero(test, s);
}

static void twg_simultaneous_close(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const int seq[] = { TCP_ESTABLISHED, TCP_FIN_WAIT1,
				   TCP_CLOSING, TCP_CLOSE };

	walk(s, seq, 3);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSING_CURRENT], 1);
	twg_account_tw_enter(s, &tw4);
	walk(s, seq + 2, 2);

	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_SIMULTANEOUS], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_PASSIVE], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 1);
	expect_full_gauges_zero(test, s);
}

/* A RST received in each state: counted exactly when it ends a connection. */
struct twg_reset_case {
	int state;
	bool counted;
	const char *name;
};

static const struct twg_reset_case twg_reset_cases[] = {
	{ TCP_SYN_SENT,	   false, "SYN_SENT" },
	{ TCP_SYN_RECV,	   false, "SYN_RECV" },
	{ TCP_ESTABLISHED, true,  "ESTABLISHED" },
	{ TCP_FIN_WAIT1,   true,  "FIN_WAIT1" },
	{ TCP_FIN_WAIT2,   true,  "FIN_WAIT2" },
	{ TCP_CLOSE_WAIT,  true,  "CLOSE_WAIT" },
	{ TCP_LAST_ACK,	   true,  "LAST_ACK" },
	{ TCP_CLOSING,	   true,  "CLOSING" },
	{ TCP_LISTEN,	   false, "LISTEN" },
	{ TCP_CLOSE,	   false, "CLOSE" },
};

static void twg_reset_case_desc(const struct twg_reset_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(twg_reset, twg_reset_cases, twg_reset_case_desc);

static void twg_reset_received(struct kunit *test)
{
	const struct twg_reset_case *c = test->param_value;
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;

	/* The socket is in c->state; the RST arrives, then tcp_done(). */
	if (c->state != TCP_CLOSE)
		twg_account_state(s, TCP_ESTABLISHED, c->state);
	KUNIT_EXPECT_EQ(test, twg_account_reset(s, c->state, false),
			c->counted);
	twg_account_state(s, c->state, TCP_CLOSE);

	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_RESET], c->counted ? 1 : 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 0);
	expect_full_gauges_zero(test, s);
}

static void twg_reset_sent(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;

	/* close() with unread data: CLOSE first, then the active reset. */
	twg_account_state(s, TCP_ESTABLISHED, TCP_CLOSE);
	KUNIT_EXPECT_TRUE(test, twg_account_reset(s, TCP_CLOSE, true));
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_RESET], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 0);
}

static void twg_fin_wait2_timeout(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const struct twg_tw_info fw2 = { .fin_wait2 = true };
	static const int seq[] = { TCP_ESTABLISHED, TCP_FIN_WAIT1,
				   TCP_FIN_WAIT2, TCP_CLOSE };

	/* close() in FIN_WAIT2 hands the socket to a FIN_WAIT2 minisock. */
	walk(s, seq, 3);
	twg_account_tw_enter(s, &fw2);
	walk(s, seq + 2, 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 1);

	/* The peer never sends its FIN: tcp_fin_timeout expires. */
	twg_account_tw_end(s, &fw2, TWG_END_EXPIRED);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_EXPIRED], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 0);
	KUNIT_EXPECT_EQ(test, tw_balance(s), 0);
}

/* The peer's FIN turns a FIN_WAIT2 minisock into a TIME_WAIT one. */
static void twg_fin_wait2_to_time_wait(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const struct twg_tw_info fw2 = { .fin_wait2 = true };

	twg_account_tw_enter(s, &fw2);
	twg_account_tw_fin_wait2_done(s);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 1);

	/* It ends as the TIME_WAIT minisock it now is. */
	twg_account_tw_end(s, &tw4, TWG_END_EXPIRED);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 0);
	KUNIT_EXPECT_EQ(test, tw_balance(s), 0);
}

/*
 * Sockets found at load count in the populations only; their ends are
 * events like any other, and the populations come back to zero.
 */
static void twg_existing_at_load(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const struct twg_tw_info fw2_6 = { .fin_wait2 = true, .ipv6 = true };

	twg_account_tw_existing(s, &tw4);
	twg_account_tw_existing(s, &fw2_6);
	twg_account_state_existing(s, TCP_CLOSE_WAIT);
	twg_account_state_existing(s, TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 2);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_IPV6], 1);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_CLOSE_WAIT_CURRENT], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_PASSIVE], 0);

	twg_account_tw_end(s, &tw4, TWG_END_EXPIRED);
	twg_account_tw_end(s, &fw2_6, TWG_END_KILLED);
	twg_account_state(s, TCP_CLOSE_WAIT, TCP_LAST_ACK);
	twg_account_state(s, TCP_LAST_ACK, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_FIN_WAIT2], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_IPV6], 0);
	expect_full_gauges_zero(test, s);
	/* The invariant: tw_at_load (2) + entered - ended == current. */
	KUNIT_EXPECT_EQ(test, 2 + tw_balance(s), 0);
}

/* Each way a minisock can end lands in its own counter, and only there. */
struct twg_end_case {
	enum twg_tw_end why;
	enum twg_counter counter;
	const char *name;
};

static const struct twg_end_case twg_end_cases[] = {
	{ TWG_END_EXPIRED,  TWG_TW_EXPIRED,  "expired" },
	{ TWG_END_KILLED,   TWG_TW_KILLED,   "killed" },
	{ TWG_END_REUSED,   TWG_TW_REUSED,   "reused" },
	{ TWG_END_RECYCLED, TWG_TW_RECYCLED, "recycled" },
};

static void twg_end_case_desc(const struct twg_end_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(twg_end, twg_end_cases, twg_end_case_desc);

static void twg_tw_end_reason(struct kunit *test)
{
	const struct twg_end_case *c = test->param_value;
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const struct twg_tw_info tw6 = { .ipv6 = true };
	int i;

	twg_account_tw_enter(s, &tw6);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_IPV6], 1);
	twg_account_tw_end(s, &tw6, c->why);

	for (i = TWG_TW_EXPIRED; i <= TWG_TW_RECYCLED; i++)
		KUNIT_EXPECT_EQ_MSG(test, s->counter[i], i == c->counter ? 1 : 0,
				    "counter %s", twg_counter_names[i]);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT_IPV6], 0);
	KUNIT_EXPECT_EQ(test, tw_balance(s), 0);
}

/* A connect() refused a 4-tuple: bound, or from the range, with TIME-WAIT. */
static void twg_connect_refused(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;

	twg_account_connect_refused(s, false, false);
	twg_account_connect_refused(s, false, true);
	twg_account_connect_refused(s, false, true);
	twg_account_connect_refused(s, true, false);
	twg_account_connect_refused(s, true, true);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CONNECT_NO_PORT], 3);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CONNECT_NO_PORT_TW], 2);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CONNECT_BOUND_TAKEN], 2);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 0);
	/* bind(): refused by TIME-WAIT, or let through by SO_REUSEADDR. */
	twg_account_bind(s, true);
	twg_account_bind(s, false);
	twg_account_bind(s, false);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_BIND_REFUSED_TW], 1);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_BIND_REUSEADDR_TW], 2);
	expect_full_gauges_zero(test, s);
}

static void twg_overflow(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const int seq[] = { TCP_ESTABLISHED, TCP_FIN_WAIT1,
				   TCP_FIN_WAIT2, TCP_CLOSE };

	/*
	 * tcp_time_wait() found no room: CLOSE with no minisock.  The
	 * kernel counts the overflow itself (netns.c reads it); the model
	 * must count the close, and no TIME-WAIT.
	 */
	walk(s, seq, 3);
	walk(s, seq + 2, 2);

	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_OVERFLOW], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_TW_ENTERED], 0);
	KUNIT_EXPECT_EQ(test, s->gauge[TWG_TW_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, s->counter[TWG_CLOSE_ACTIVE], 1);
	expect_full_gauges_zero(test, s);
}

/*
 * A minisock may be created on one CPU and end on another: each CPU's
 * gauge goes out of balance, their sum does not.
 */
static void twg_cross_cpu_sum(struct kunit *test)
{
	struct twg_stats *cpu = kunit_kcalloc(test, 2, sizeof(*cpu), GFP_KERNEL);
	struct twg_stats *sum = &((struct twg_account_fixture *)test->priv)->s;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, cpu);
	for (i = 0; i < 5; i++)
		twg_account_tw_enter(&cpu[0], &tw4);
	for (i = 0; i < 3; i++)
		twg_account_tw_end(&cpu[1], &tw4, TWG_END_EXPIRED);
	twg_account_state(&cpu[1], TCP_ESTABLISHED, TCP_CLOSE_WAIT);
	twg_account_state(&cpu[0], TCP_CLOSE_WAIT, TCP_LAST_ACK);

	KUNIT_EXPECT_EQ(test, cpu[1].gauge[TWG_TW_CURRENT], -3);
	KUNIT_EXPECT_EQ(test, cpu[0].gauge[TWG_CLOSE_WAIT_CURRENT], -1);

	twg_stats_add(sum, &cpu[0]);
	twg_stats_add(sum, &cpu[1]);
	KUNIT_EXPECT_EQ(test, sum->counter[TWG_TW_ENTERED], 5);
	KUNIT_EXPECT_EQ(test, sum->counter[TWG_TW_EXPIRED], 3);
	KUNIT_EXPECT_EQ(test, sum->gauge[TWG_TW_CURRENT], 2);
	KUNIT_EXPECT_EQ(test, sum->gauge[TWG_CLOSE_WAIT_CURRENT], 0);
	KUNIT_EXPECT_EQ(test, sum->gauge[TWG_LAST_ACK_CURRENT], 1);
	KUNIT_EXPECT_EQ(test, tw_balance(sum), 0);
}

/*
 * The hook skips moves twg_state_counted() calls uncounted: each of them,
 * fed to the model anyway, must change nothing at all.
 */
static void twg_uncounted_moves(struct kunit *test)
{
	struct twg_stats *s = &((struct twg_account_fixture *)test->priv)->s;
	static const struct twg_stats zero;
	int old, new, counted = 0;

	for (old = TCP_ESTABLISHED; old < TCP_MAX_STATES; old++) {
		for (new = TCP_ESTABLISHED; new < TCP_MAX_STATES; new++) {
			if (twg_state_counted(old, new)) {
				counted++;
				continue;
			}
			twg_account_state(s, old, new);
			KUNIT_EXPECT_EQ_MSG(test, memcmp(s, &zero, sizeof(zero)), 0,
					    "%d -> %d", old, new);
		}
	}
	/* And the close states are not skipped. */
	KUNIT_EXPECT_TRUE(test, twg_state_counted(TCP_ESTABLISHED, TCP_FIN_WAIT1));
	KUNIT_EXPECT_TRUE(test, twg_state_counted(TCP_LAST_ACK, TCP_CLOSE));
	KUNIT_EXPECT_TRUE(test, twg_state_counted(TCP_SYN_RECV, TCP_CLOSE_WAIT));
	KUNIT_EXPECT_FALSE(test, twg_state_counted(TCP_SYN_SENT, TCP_ESTABLISHED));
	KUNIT_EXPECT_GT(test, counted, 0);
}

/* Every counter and gauge has a distinct, non-empty sysfs name. */
static struct kunit_case twg_account_cases[] = {
	KUNIT_CASE(twg_active_close),
	KUNIT_CASE(twg_passive_close),
	KUNIT_CASE(twg_simultaneous_close),
	KUNIT_CASE_PARAM(twg_reset_received, twg_reset_gen_params),
	KUNIT_CASE(twg_reset_sent),
	KUNIT_CASE(twg_fin_wait2_timeout),
	KUNIT_CASE(twg_fin_wait2_to_time_wait),
	KUNIT_CASE(twg_existing_at_load),
	KUNIT_CASE_PARAM(twg_tw_end_reason, twg_end_gen_params),
	KUNIT_CASE(twg_overflow),
	KUNIT_CASE(twg_connect_refused),
	KUNIT_CASE(twg_cross_cpu_sum),
	KUNIT_CASE(twg_uncounted_moves),
	{}
};

static struct kunit_suite twg_account_suite = {
	.name = "twguard_account",
	.init = twg_account_init,
	.test_cases = twg_account_cases,
};

kunit_test_suite(twg_account_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for twguard");
TWG_IMPORT_KUNIT_NS();
