// SPDX-License-Identifier: GPL-2.0
/*
 * The TIME-WAIT reuse policy, as pure functions.
 *
 * A connect() whose 4-tuple is held by a TIME-WAIT minisock may take it
 * over only if nothing of the old connection can be mistaken for the new
 * one.  The kernel's answer (tcp_twsk_unique(), net.ipv4.tcp_tw_reuse):
 * the old connection used timestamps, and the seconds clock has ticked
 * since its last segment.  twguard's answer, per netns and per
 * destination, checks in this order and counts the first that fails:
 *
 *   fin_wait2       the minisock is still in FIN_WAIT2: the peer has not
 *                   closed, its data may still be on the way
 *   policy          a rule, or the netns's mode, says no
 *   no_timestamps   the old connection did not use timestamps, so PAWS
 *                   cannot tell its segments from the new one's
 *   too_young       the minisock is younger than min_age_ms plus
 *                   rtt_factor times the old connection's RTT (RFC 7323
 *                   section 5.8 wants the TIME-WAIT delay plus one RTT)
 *   ts_order        timestamps=strict: the new connection's first TSval
 *                   would not be later than the old one's last, so the
 *                   peer's PAWS could not tell them apart
 *
 * mode=kernel with no rule matching leaves the kernel's own decision in
 * place, and only classifies it (twg_decide_kernel()).
 *
 * Rules are first-match, in the order written; each policy carries an
 * index of its rules by destination (below), so that a decision costs a
 * binary search, not a scan of up to 256 rules.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <net/ipv6.h>

#include "policy.h"

const char *const twg_mode_names[TWG_NR_MODES] = {
	[TWG_MODE_KERNEL]   = "kernel",
	[TWG_MODE_OFF]	    = "off",
	[TWG_MODE_LOOPBACK] = "loopback",
	[TWG_MODE_ON]	    = "on",
};
EXPORT_SYMBOL_IF_KUNIT(twg_mode_names);

const char *const twg_ts_check_names[TWG_NR_TS_CHECKS] = {
	[TWG_TS_STRICT] = "strict",
	[TWG_TS_KERNEL] = "kernel",
};
EXPORT_SYMBOL_IF_KUNIT(twg_ts_check_names);

const char *const twg_action_names[TWG_NR_ACTIONS] = {
	[TWG_ACTION_ALLOW]   = "allow",
	[TWG_ACTION_DENY]    = "deny",
	[TWG_ACTION_DEFAULT] = "default",
};
EXPORT_SYMBOL_IF_KUNIT(twg_action_names);

const char *const twg_verdict_names[TWG_NR_VERDICTS] = {
	[TWG_VERDICT_ALLOWED]		   = "allowed",
	[TWG_VERDICT_DENIED_POLICY]	   = "denied_policy",
	[TWG_VERDICT_DENIED_NO_TIMESTAMPS] = "denied_no_timestamps",
	[TWG_VERDICT_DENIED_TOO_YOUNG]	   = "denied_too_young",
	[TWG_VERDICT_DENIED_TS_ORDER]	   = "denied_ts_order",
	[TWG_VERDICT_DENIED_FIN_WAIT2]	   = "denied_fin_wait2",
};
EXPORT_SYMBOL_IF_KUNIT(twg_verdict_names);

static __be32 twg_mask4(unsigned int plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

/*
 * Whether @a and @b agree on their first @plen bits, word by word:
 * ipv6_prefix_equal() and ipv6_addr_equal() read 64-bit words where the
 * architecture allows, and struct in6_addr promises only 4-byte
 * alignment, which a rule or a decision's address may have.
 */
static bool twg_v6_prefix_equal(const struct in6_addr *a,
				const struct in6_addr *b, unsigned int plen)
{
	unsigned int i, words = plen / 32, bits = plen % 32;

	for (i = 0; i < words; i++)
		if (a->s6_addr32[i] != b->s6_addr32[i])
			return false;
	return !bits || !((a->s6_addr32[words] ^ b->s6_addr32[words]) &
			  htonl(~0U << (32 - bits)));
}

static bool twg_rule_covers(const struct twg_rule *r,
			    const struct twg_reuse_ctx *c)
{
	if (r->family != c->family || c->dport < r->port_lo ||
	    c->dport > r->port_hi)
		return false;
	if (r->family == AF_INET)
		return !((c->daddr.v4 ^ r->addr.v4) & twg_mask4(r->plen));
	return twg_v6_prefix_equal(&c->daddr.v6, &r->addr.v6, r->plen);
}

/*
 * Return the first of @nr @rules that covers the peer of @c, or NULL: the
 * definition of a match, which the index below must agree with.
 */
const struct twg_rule *twg_rules_first_match(const struct twg_rule *rules,
					     unsigned int nr,
					     const struct twg_reuse_ctx *c)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (twg_rule_covers(&rules[i], c))
			return &rules[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(twg_rules_first_match);

/* --- the destination index -------------------------------------------------- */

/*
 * 256 rules scanned in order cost about 3 ns each; a decision runs under
 * the ehash bucket lock, with bottom halves off.  So each policy carries
 * an index, built when it is written: the family's addresses cut into at
 * most 513 intervals, no rule starting or ending inside one.  A decision
 * finds its interval in two steps: the bucket of its address (buckets of
 * equal width over the span from the first rule to the last, about as
 * many as intervals), then a binary search over that bucket's interval
 * starts, which for rules spread over the span is one or two.  Then the
 * few rules covering that interval: port ranges are checked in the list;
 * a rule for all ports ends it, since no later rule could be reached.
 */

static struct twg_key twg_key_of(u8 family, const union twg_addr *a)
{
	struct twg_key k = {};

	if (family == AF_INET) {
		k.lo = ntohl(a->v4);
	} else {
		k.hi = (u64)ntohl(a->v6.s6_addr32[0]) << 32 |
		       ntohl(a->v6.s6_addr32[1]);
		k.lo = (u64)ntohl(a->v6.s6_addr32[2]) << 32 |
		       ntohl(a->v6.s6_addr32[3]);
	}
	return k;
}

static int twg_key_cmp(const void *a, const void *b)
{
	const struct twg_key *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* The first and last addresses of @r's prefix. */
static void twg_rule_span(const struct twg_rule *r, struct twg_key *first,
			  struct twg_key *last)
{
	unsigned int host = (r->family == AF_INET ? 32 : 128) - r->plen;

	*first = twg_key_of(r->family, &r->addr);
	*last = *first;
	if (host >= 64) {
		last->lo = ~0ULL;
		last->hi |= host == 128 ? ~0ULL : (1ULL << (host - 64)) - 1;
	} else if (host) {
		last->lo |= (1ULL << host) - 1;
	}
}

/* @k + 1, if that is still an address of @family. */
static bool twg_key_next(struct twg_key *k, u8 family)
{
	if (family == AF_INET)
		return k->lo < U32_MAX ? (k->lo++, true) : false;
	if (++k->lo)
		return true;
	return ++k->hi != 0;
}

static bool twg_key_within(const struct twg_key *k, const struct twg_rule *r)
{
	struct twg_key first, last;

	twg_rule_span(r, &first, &last);
	return twg_key_cmp(&first, k) <= 0 && twg_key_cmp(k, &last) <= 0;
}

/* 1 if @x <= @y, else 0: flags combined, not branched on. */
static __always_inline u32 twg_key_le(const struct twg_key *x, const struct twg_key *y)
{
	u32 lt = x->hi < y->hi, eq = x->hi == y->hi, le = x->lo <= y->lo;

	return lt | (eq & le);
}

/* @x - @y, @x at or above @y. */
static struct twg_key twg_key_sub(const struct twg_key *x,
				  const struct twg_key *y)
{
	return (struct twg_key){ .hi = x->hi - y->hi - (x->lo < y->lo),
				 .lo = x->lo - y->lo };
}

/* @b * 2^@shift, which is below 2^128 for every bucket. */
static struct twg_key twg_bucket_offset(u32 b, unsigned int shift)
{
	if (shift >= 64)
		return (struct twg_key){ .hi = (u64)b << (shift - 64) };
	return (struct twg_key){ .hi = shift ? (u64)b >> (64 - shift) : 0,
				 .lo = (u64)b << shift };
}

/* The bucket of @k, an address at or above @ix->base. */
static __always_inline u32 twg_bucket_of(const struct twg_index *ix, const struct twg_key *k)
{
	struct twg_key d = twg_key_sub(k, &ix->base);
	unsigned int s = ix->shift;
	u64 v;

	if (s >= 64)
		v = d.hi >> (s - 64);
	else if (d.hi >> s)
		v = U64_MAX;
	else
		v = s ? d.hi << (64 - s) | d.lo >> s : d.lo;
	return min_t(u64, v, ix->nr_buckets - 1);
}

static u32 twg_index_nr_buckets(u32 nr_points)
{
	return min_t(u32, roundup_pow_of_two(nr_points), TWG_INDEX_BUCKETS_MAX);
}

/*
 * @ix's buckets over its @n sorted points @pts, into @bk: as many as @n
 * rounded up to a power of 2 (one point a bucket, were they evenly
 * spread), at most TWG_INDEX_BUCKETS_MAX, as wide as the span from the
 * base to the last point needs.
 */
static void twg_index_buckets(struct twg_index *ix, const struct twg_key *pts,
			      u32 n, u16 *bk)
{
	struct twg_key span;
	unsigned int bits, order;
	u32 b, j = 0;

	ix->nr_buckets = twg_index_nr_buckets(n);
	order = ilog2(ix->nr_buckets);
	ix->base = n > 1 ? pts[1] : pts[0];
	span = twg_key_sub(&pts[n - 1], &ix->base);
	bits = span.hi ? 64 + fls64(span.hi) : fls64(span.lo);
	ix->shift = bits > order ? bits - order : 0;
	for (b = 0; b < ix->nr_buckets; b++) {
		struct twg_key off = twg_bucket_offset(b, ix->shift), first;

		if (!twg_key_le(&off, &span)) {	/* past the last point */
			bk[b] = n - 1;
			continue;
		}
		first.lo = ix->base.lo + off.lo;
		first.hi = ix->base.hi + off.hi + (first.lo < off.lo);
		while (j + 1 < n && twg_key_le(&pts[j + 1], &first))
			j++;
		bk[b] = j;
	}
	bk[ix->nr_buckets] = n - 1;
}

/*
 * The interval starts of @family's rules, sorted and unique, into @pts
 * (room for 2 * @nr + 1).  Return how many; 0 if the family has no rule.
 */
static u32 twg_index_points(const struct twg_rule *rules, unsigned int nr,
			    u8 family, struct twg_key *pts)
{
	unsigned int i, n = 0, u;

	for (i = 0; i < nr; i++) {
		struct twg_key first, last;

		if (rules[i].family != family)
			continue;
		twg_rule_span(&rules[i], &first, &last);
		pts[n++] = first;
		if (twg_key_next(&last, family))
			pts[n++] = last;
	}
	if (!n)
		return 0;
	pts[n++] = (struct twg_key){};	/* every address is in an interval */
	sort(pts, n, sizeof(*pts), twg_key_cmp, NULL);
	for (i = 1, u = 1; i < n; i++)
		if (twg_key_cmp(&pts[i], &pts[u - 1]))
			pts[u++] = pts[i];
	return u;
}

/*
 * The rules of @family covering interval @pt, in order, up to the first
 * for all ports, into @out if not NULL.  Return how many.
 */
static u32 twg_index_list(const struct twg_rule *rules, unsigned int nr,
			  u8 family, const struct twg_key *pt, u8 *out)
{
	unsigned int i;
	u32 n = 0;

	for (i = 0; i < nr; i++) {
		const struct twg_rule *r = &rules[i];

		if (r->family != family || !twg_key_within(pt, r))
			continue;
		if (out)
			out[n] = i;
		n++;
		if (r->port_lo == 1 && r->port_hi == 65535)
			break;
	}
	return n;
}

/*
 * A new policy with @settings' settings, the @nr @rules and their index,
 * in one allocation for kvfree().  NULL if out of memory.
 */
struct twg_policy *twg_policy_build(const struct twg_policy *settings,
				    const struct twg_rule *rules, unsigned int nr,
				    gfp_t gfp)
{
	static const u8 families[2] = { AF_INET, AF_INET6 };
	struct twg_key *pts[2] = {};
	u32 npts[2], nent[2] = {}, nbk[2] = {}, f, i;
	struct twg_policy *p = NULL;
	size_t size, off;

	for (f = 0; f < 2; f++) {
		pts[f] = kmalloc_array(2 * nr + 1, sizeof(*pts[f]), gfp);
		if (!pts[f])
			goto out;
		npts[f] = twg_index_points(rules, nr, families[f], pts[f]);
		for (i = 0; i < npts[f]; i++)
			nent[f] += twg_index_list(rules, nr, families[f],
						  &pts[f][i], NULL);
		if (npts[f])
			nbk[f] = twg_index_nr_buckets(npts[f]) + 1;
	}

	/* Each family's keys start 8-byte aligned: they are read as u64s. */
	size = ALIGN(struct_size(p, rules, nr), sizeof(u64));
	for (f = 0; f < 2; f++)
		size = ALIGN(size, sizeof(u64)) +
		       npts[f] * sizeof(struct twg_key) +
		       (npts[f] + 1) * sizeof(u32) +
		       ALIGN(nent[f], sizeof(u16)) + nbk[f] * sizeof(u16);
	p = kvzalloc(size, gfp);
	if (!p)
		goto out;
	memcpy(p, settings, offsetof(struct twg_policy, index));
	p->nr_rules = nr;
	if (nr)
		memcpy(p->rules, rules, flex_array_size(p, rules, nr));

	off = ALIGN(struct_size(p, rules, nr), sizeof(u64));
	for (f = 0; f < 2; f++) {
		struct twg_index *ix = &p->index[f];
		u32 *starts;
		u8 *ent;

		off = ALIGN(off, sizeof(u64));
		ix->nr_points = npts[f];
		ix->points = off;
		memcpy((void *)p + off, pts[f], npts[f] * sizeof(struct twg_key));
		off += npts[f] * sizeof(struct twg_key);
		ix->starts = off;
		off += (npts[f] + 1) * sizeof(u32);
		ix->entries = off;
		off += ALIGN(nent[f], sizeof(u16));
		ix->buckets = off;
		off += nbk[f] * sizeof(u16);
		if (npts[f])
			twg_index_buckets(ix, pts[f], npts[f], (void *)p + ix->buckets);

		starts = (void *)p + ix->starts;
		ent = (void *)p + ix->entries;
		starts[0] = 0;
		for (i = 0; i < npts[f]; i++)
			starts[i + 1] = starts[i] +
				twg_index_list(rules, nr, families[f],
					       &pts[f][i], ent + starts[i]);
	}
out:
	kfree(pts[0]);
	kfree(pts[1]);
	return p;
}
EXPORT_SYMBOL_IF_KUNIT(twg_policy_build);

/*
 * The index of the last of @ix's points @pts at or below IPv4 address @a
 * (in the low 32 bits of a key): the bucket of @a, then a binary search
 * over its points.  Each step halves what is left whichever way it goes,
 * and moves on by a mask rather than a branch.
 */
static __always_inline u32 twg_interval4(const struct twg_index *ix,
					 const struct twg_key *pts,
					 const u16 *bk, u64 a)
{
	const struct twg_key *base;
	u32 b, n;

	if (a < ix->base.lo)
		return 0;	/* below every rule: the first interval */
	/* IPv4 spans are below 2^32: the shift is at most 32. */
	b = min_t(u64, (a - ix->base.lo) >> ix->shift, ix->nr_buckets - 1);
	base = pts + bk[b];
	for (n = bk[b + 1] - bk[b] + 1; n > 1; n -= n / 2)
		base += n / 2 & -(u32)(base[n / 2].lo <= a);
	return base - pts;
}

/* The same for IPv6 address @k, all 128 bits of it. */
static __always_inline u32 twg_interval6(const struct twg_index *ix,
					 const struct twg_key *pts,
					 const u16 *bk, const struct twg_key *k)
{
	const struct twg_key *base;
	u32 b, n;

	if (!twg_key_le(&ix->base, k))
		return 0;
	b = twg_bucket_of(ix, k);
	base = pts + bk[b];
	for (n = bk[b + 1] - bk[b] + 1; n > 1; n -= n / 2)
		base += n / 2 & -twg_key_le(&base[n / 2], k);
	return base - pts;
}

/*
 * Return the first rule of @p that covers the peer of @c, or NULL.
 * Inlined into the decision, which runs on connect().
 */
static __always_inline const struct twg_rule *
twg_match(const struct twg_policy *p, const struct twg_reuse_ctx *c)
{
	bool v6 = c->family == AF_INET6;
	const struct twg_index *ix = &p->index[v6];
	const struct twg_key *pts = (const void *)p + ix->points;
	const u16 *bk = (const void *)p + ix->buckets;
	const u32 *starts = (const void *)p + ix->starts;
	const u8 *ent = (const void *)p + ix->entries;
	struct twg_key k;
	u32 lo, e;

	if (!ix->nr_points)
		return NULL;
	if (v6) {
		k = twg_key_of(AF_INET6, &c->daddr);
		lo = twg_interval6(ix, pts, bk, &k);
	} else {
		lo = twg_interval4(ix, pts, bk, ntohl(c->daddr.v4));
	}
	for (e = starts[lo]; e < starts[lo + 1]; e++) {
		const struct twg_rule *r = &p->rules[ent[e]];

		if (c->dport >= r->port_lo && c->dport <= r->port_hi)
			return r;
	}
	return NULL;
}

const struct twg_rule *twg_policy_match(const struct twg_policy *p,
					const struct twg_reuse_ctx *c)
{
	return twg_match(p, c);
}
EXPORT_SYMBOL_IF_KUNIT(twg_policy_match);

/*
 * Return what tcp_twsk_unique() decides for @c, and why when it says no.
 * A socket bound to its port explicitly skips the sysctl and the clock.
 */
enum twg_verdict twg_decide_kernel(const struct twg_reuse_ctx *c)
{
	bool reuse = c->sysctl_reuse == 1 ||
		     (c->sysctl_reuse == 2 && c->loopback);

	if (c->fin_wait2)
		reuse = false;
	if (c->old_ts && (c->bound || (reuse && c->kernel_age_ok)))
		return TWG_VERDICT_ALLOWED;
	if (!c->bound && c->fin_wait2)
		return TWG_VERDICT_DENIED_FIN_WAIT2;
	if (!c->bound && !reuse)
		return TWG_VERDICT_DENIED_POLICY;
	if (!c->old_ts)
		return TWG_VERDICT_DENIED_NO_TIMESTAMPS;
	return TWG_VERDICT_DENIED_TOO_YOUNG;
}
EXPORT_SYMBOL_IF_KUNIT(twg_decide_kernel);

/*
 * Whether @p decides anything the kernel would not, or counts what it
 * would: only then is tcp_twsk_unique() taken over for its netns.
 */
bool twg_policy_in_force(const struct twg_policy *p)
{
	return p->mode != TWG_MODE_KERNEL || p->nr_rules || p->dry_run;
}
EXPORT_SYMBOL_IF_KUNIT(twg_policy_in_force);

/*
 * Whether twg_policy_decide() under @p may read @c's ts_comparable and
 * ts_delta: only a strict policy that can leave the kernel's path does.
 * The hook computes them (a siphash) only then.
 */
bool twg_policy_orders_ts(const struct twg_policy *p)
{
	return p->timestamps == TWG_TS_STRICT &&
	       (p->mode != TWG_MODE_KERNEL || p->nr_rules);
}
EXPORT_SYMBOL_IF_KUNIT(twg_policy_orders_ts);

/* Return the verdict of policy @p on @c. */
enum twg_verdict twg_policy_decide(const struct twg_policy *p,
				   const struct twg_reuse_ctx *c)
{
	const struct twg_rule *r = twg_match(p, c);
	u8 action = r ? r->action : TWG_ACTION_DEFAULT;
	u64 min_age;

	if (action == TWG_ACTION_DEFAULT && p->mode == TWG_MODE_KERNEL)
		return twg_decide_kernel(c);

	if (c->fin_wait2)
		return TWG_VERDICT_DENIED_FIN_WAIT2;
	if (action == TWG_ACTION_DENY)
		return TWG_VERDICT_DENIED_POLICY;
	if (action == TWG_ACTION_DEFAULT &&
	    (p->mode == TWG_MODE_OFF ||
	     (p->mode == TWG_MODE_LOOPBACK && !c->loopback)))
		return TWG_VERDICT_DENIED_POLICY;
	if (!c->old_ts)
		return TWG_VERDICT_DENIED_NO_TIMESTAMPS;

	min_age = r && r->min_age_ms >= 0 ? r->min_age_ms : p->min_age_ms;
	min_age += (u64)p->rtt_factor * c->rtt_ms;
	if (c->age_ms < min_age)
		return TWG_VERDICT_DENIED_TOO_YOUNG;

	if (p->timestamps == TWG_TS_STRICT &&
	    (!c->ts_comparable || c->ts_delta <= 0))
		return TWG_VERDICT_DENIED_TS_ORDER;
	return TWG_VERDICT_ALLOWED;
}
EXPORT_SYMBOL_IF_KUNIT(twg_policy_decide);

/* --- policy/rules: parsing and printing ---------------------------------- */

/*
 * One rule a line; blank lines are skipped:
 *
 *   PREFIX [port P[-Q]] allow|deny|default [min_age_ms N]
 *
 * PREFIX is an IPv4 or IPv6 address with an optional /LEN, host bits
 * clear.  Malformed text is -EINVAL, a number past its limit -ERANGE.
 */

struct twg_token {
	const char *s;
	size_t len;
};

static bool twg_tok_is(const struct twg_token *t, const char *word)
{
	return t->len == strlen(word) && !memcmp(t->s, word, t->len);
}

/* A decimal number of at most @max: -EINVAL if not digits, -ERANGE if big. */
static int twg_tok_uint(const struct twg_token *t, u32 max, u32 *val)
{
	u64 v = 0;
	size_t i;

	if (!t->len)
		return -EINVAL;
	for (i = 0; i < t->len; i++) {
		if (!isdigit(t->s[i]))
			return -EINVAL;
		if (v <= max)
			v = v * 10 + (t->s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*val = v;
	return 0;
}

static int twg_parse_prefix(const struct twg_token *t, struct twg_rule *r)
{
	const char *slash = memchr(t->s, '/', t->len);
	size_t alen = slash ? slash - t->s : t->len;
	const char *end;
	u32 plen;
	int err;

	if (memchr(t->s, ':', alen)) {
		r->family = AF_INET6;
		if (!in6_pton(t->s, alen, r->addr.v6.s6_addr, -1, &end) ||
		    end != t->s + alen)
			return -EINVAL;
		plen = 128;
	} else {
		r->family = AF_INET;
		if (!in4_pton(t->s, alen, (u8 *)&r->addr.v4, -1, &end) ||
		    end != t->s + alen)
			return -EINVAL;
		plen = 32;
	}
	if (slash) {
		struct twg_token n = { slash + 1, t->len - alen - 1 };

		err = twg_tok_uint(&n, U32_MAX, &plen);
		if (err)
			return err;
		if (plen > (r->family == AF_INET ? 32 : 128))
			return -ERANGE;
	}
	r->plen = plen;

	/* Host bits set: the writer meant something else; say so. */
	if (r->family == AF_INET)
		return r->addr.v4 & ~twg_mask4(plen) ? -EINVAL : 0;
	{
		struct in6_addr masked;

		ipv6_addr_prefix(&masked, &r->addr.v6, plen);
		return twg_v6_prefix_equal(&masked, &r->addr.v6, 128) ? 0 : -EINVAL;
	}
}

static int twg_parse_ports(const struct twg_token *t, struct twg_rule *r)
{
	const char *dash = memchr(t->s, '-', t->len);
	struct twg_token lo = { t->s, dash ? dash - t->s : t->len };
	u32 a, b;
	int err;

	err = twg_tok_uint(&lo, 65535, &a);
	if (err)
		return err;
	b = a;
	if (dash) {
		struct twg_token hi = { dash + 1, t->len - lo.len - 1 };

		err = twg_tok_uint(&hi, 65535, &b);
		if (err)
			return err;
	}
	if (!a || !b)
		return -ERANGE;
	if (a > b)
		return -EINVAL;
	r->port_lo = a;
	r->port_hi = b;
	return 0;
}

/* Split @line into at most @max tokens; -EINVAL on more or on a bad byte. */
static int twg_tokenize(const char *line, size_t len, struct twg_token *tok,
			int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		size_t start;

		if (line[i] == ' ' || line[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			u8 ch = line[i];

			/* Printable ASCII only: no NUL, no control, no 8-bit. */
			if (ch <= ' ' || ch >= 0x7f)
				return -EINVAL;
			i++;
		}
		if (n == max)
			return -EINVAL;
		tok[n].s = line + start;
		tok[n].len = i - start;
		n++;
	}
	return n;
}

static int twg_parse_rule(const char *line, size_t len, struct twg_rule *r)
{
	struct twg_token tok[6];
	int n, i = 1, a, err;
	u32 v;

	n = twg_tokenize(line, len, tok, ARRAY_SIZE(tok));
	if (n <= 0)
		return n;

	memset(r, 0, sizeof(*r));
	r->port_lo = 1;
	r->port_hi = 65535;
	r->min_age_ms = -1;
	err = twg_parse_prefix(&tok[0], r);
	if (err)
		return err;

	if (i < n && twg_tok_is(&tok[i], "port")) {
		if (++i == n)
			return -EINVAL;
		err = twg_parse_ports(&tok[i++], r);
		if (err)
			return err;
	}

	if (i == n)
		return -EINVAL;
	for (a = 0; a < TWG_NR_ACTIONS; a++)
		if (twg_tok_is(&tok[i], twg_action_names[a]))
			break;
	if (a == TWG_NR_ACTIONS)
		return -EINVAL;
	r->action = a;
	i++;

	if (i < n && twg_tok_is(&tok[i], "min_age_ms")) {
		if (++i == n)
			return -EINVAL;
		err = twg_tok_uint(&tok[i++], TWG_MIN_AGE_MS_MAX, &v);
		if (err)
			return err;
		r->min_age_ms = v;
	}
	return i == n ? 1 : -EINVAL;
}

/*
 * Parse the @len bytes at @buf into @rules, at most @max of them, and set
 * @nr.  Return 0, -EINVAL (malformed), -ERANGE (a number past its limit)
 * or -ENOSPC (more than @max rules).  On error @nr is left alone and
 * @rules holds garbage: the caller publishes nothing.
 */
int twg_rules_parse(const char *buf, size_t len, struct twg_rule *rules,
		    unsigned int max, unsigned int *nr)
{
	unsigned int count = 0;
	struct twg_rule r;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen = nl ? nl - (buf + pos) : len - pos;
		int ret = twg_parse_rule(buf + pos, llen, &r);

		if (ret < 0)
			return ret;
		if (ret) {
			if (count == max)
				return -ENOSPC;
			rules[count++] = r;
		}
		pos += llen + 1;
	}
	*nr = count;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(twg_rules_parse);

/*
 * Print @r in the canonical form twg_rules_parse() reads back, with its
 * newline, into @buf of TWG_RULE_TEXT_MAX bytes; return its length.  A
 * host prefix prints without its length, as ip-route(8) does, so that
 * the canonical form of a written list is never longer than the list.
 */
int twg_rule_format(const struct twg_rule *r, char *buf)
{
	const size_t size = TWG_RULE_TEXT_MAX;
	int len;

	if (r->family == AF_INET)
		len = scnprintf(buf, size, "%pI4", &r->addr.v4);
	else
		len = scnprintf(buf, size, "%pI6c", &r->addr.v6);
	if (r->plen != (r->family == AF_INET ? 32 : 128))
		len += scnprintf(buf + len, size - len, "/%u", r->plen);

	if (r->port_lo == r->port_hi)
		len += scnprintf(buf + len, size - len, " port %u", r->port_lo);
	else if (r->port_lo != 1 || r->port_hi != 65535)
		len += scnprintf(buf + len, size - len, " port %u-%u",
				 r->port_lo, r->port_hi);
	len += scnprintf(buf + len, size - len, " %s",
			 twg_action_names[r->action]);
	if (r->min_age_ms >= 0)
		len += scnprintf(buf + len, size - len, " min_age_ms %d",
				 r->min_age_ms);
	len += scnprintf(buf + len, size - len, "\n");
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(twg_rule_format);
