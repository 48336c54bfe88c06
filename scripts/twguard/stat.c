// SPDX-License-Identifier: GPL-2.0
/*
 * twguard stat: each namespace's counters, as nstat shows the kernel's.
 *
 * By default a counter shows what it gained since the last run (and its
 * rate), from a history file as nstat keeps one: $TWGUARD_HISTORY, or
 * /tmp/.twguard.uUID.  -a shows the counts since the module loaded.
 * Gauges (TIME-WAIT now, the closing states now) are always what is
 * there now.  A counter that went down (the module was reloaded, or the
 * namespace is a new one with an old one's inode) starts again from 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "twguard.h"

/* The blocks of the text output, in the ABI's own words. */
static const struct {
	const char *title;
	const char *keys[8];
} sections[] = {
	{ "TIME-WAIT now", { "tw_current", "tw_current_fin_wait2",
			     "tw_current_ipv6", "tw_at_load" } },
	{ "TIME-WAIT", { "tw_entered", "tw_expired", "tw_killed", "tw_reused",
			 "tw_recycled", "tw_overflow" } },
	{ "closed first", { "close_active", "close_passive",
			    "close_simultaneous", "close_reset" } },
	{ "closing now", { "fin_wait1_current", "fin_wait2_current",
			   "close_wait_current", "last_ack_current",
			   "closing_current" } },
	{ "reuse", { "reuse_allowed", "reuse_denied_policy",
		     "reuse_denied_no_timestamps", "reuse_denied_too_young",
		     "reuse_denied_ts_order", "reuse_denied_fin_wait2" } },
	{ "dry run", { "would_allowed", "would_denied_policy",
		       "would_denied_no_timestamps", "would_denied_too_young",
		       "would_denied_ts_order", "would_denied_fin_wait2" } },
	{ "failures", { "connect_no_port", "connect_no_port_tw",
			"connect_bound_taken", "bind_refused_tw",
			"bind_reuseaddr_tw" } },
};

/* What the last run saw: (inode, counter, value) and when. */
struct hist {
	double when;
	int nr;
	struct {
		unsigned long long inum;
		struct twg_kv kv;
	} *e;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hist_path(char *buf, size_t len)
{
	const char *env = getenv("TWGUARD_HISTORY");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else
		snprintf(buf, len, "/tmp/.twguard.u%u", (unsigned int)getuid());
}

/*
 * The history, if it is ours: a file another user planted in /tmp, or a
 * symbolic link, is ignored.
 */
static void hist_load(struct hist *h)
{
	unsigned long long inum, val;
	char path[512], key[64];
	struct stat st;
	FILE *f;
	int fd;

	memset(h, 0, sizeof(*h));
	hist_path(path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || st.st_uid != geteuid() || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	if (fscanf(f, "#twguard-history 1 %lf\n", &h->when) != 1) {
		fclose(f);
		h->when = 0;
		return;
	}
	while (fscanf(f, "%llu %63s %llu\n", &inum, key, &val) == 3) {
		void *more = realloc(h->e, (h->nr + 1) * sizeof(*h->e));

		if (!more)
			break;
		h->e = more;
		h->e[h->nr].inum = inum;
		snprintf(h->e[h->nr].kv.key, sizeof(h->e[h->nr].kv.key), "%s", key);
		h->e[h->nr].kv.val = val;
		h->nr++;
	}
	fclose(f);
}

static const unsigned long long *hist_find(const struct hist *h,
					   unsigned long long inum,
					   const char *key)
{
	int i;

	for (i = 0; i < h->nr; i++)
		if (h->e[i].inum == inum && !strcmp(h->e[i].kv.key, key))
			return &h->e[i].kv.val;
	return NULL;
}

/* Written whole to a new file, then renamed over the old one. */
static void hist_save(const struct twg_ns *ns, const struct twg_stats *st,
		      int nr, double when)
{
	char path[512], tmp[600];
	FILE *f;
	int fd, i, k;

	hist_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		twg_warn("history %s not kept: %s", path, strerror(errno));
		return;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	fprintf(f, "#twguard-history 1 %.6f\n", when);
	for (i = 0; i < nr; i++)
		for (k = 0; k < st[i].nr; k++)
			if (!twg_stat_gauge(st[i].kv[k].key))
				fprintf(f, "%llu %s %llu\n", ns[i].inum,
					st[i].kv[k].key, st[i].kv[k].val);
	if (fclose(f) || rename(tmp, path)) {
		twg_warn("history %s not kept: %s", path, strerror(errno));
		unlink(tmp);
	}
}

struct shown {
	unsigned long long val;	/* the count, or its gain */
	double rate;		/* per second, or NAN */
};

/* What one counter shows against @prev (NULL: no earlier figure). */
static struct shown show_of(const struct twg_kv *kv,
			    const unsigned long long *prev, double secs,
			    bool absolute)
{
	struct shown s = { kv->val, 0.0 / 0.0 };

	if (twg_stat_gauge(kv->key) || absolute)
		return s;
	if (prev && *prev <= kv->val) {
		s.val = kv->val - *prev;
		if (secs > 0)
			s.rate = s.val / secs;
	}
	return s;
}

static const struct twg_kv *kv_find(const struct twg_stats *st, const char *key)
{
	int i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(st->kv[i].key, key))
			return &st->kv[i];
	return NULL;
}

static bool in_sections(const char *key)
{
	size_t s, k;

	for (s = 0; s < ARRAY_SIZE(sections); s++)
		for (k = 0; k < ARRAY_SIZE(sections[s].keys) && sections[s].keys[k]; k++)
			if (!strcmp(sections[s].keys[k], key))
				return true;
	return false;
}

static void print_kv(FILE *out, const struct twg_kv *kv, struct shown s,
		     bool absolute)
{
	if (twg_stat_gauge(kv->key) || absolute)
		fprintf(out, " %s %llu", kv->key, s.val);
	else if (s.val && s.rate == s.rate)
		fprintf(out, " %s +%llu (%.1f/s)", kv->key, s.val, s.rate);
	else
		fprintf(out, " %s +%llu", kv->key, s.val);
}

static void print_text(FILE *out, const struct twg_ns *ns,
		       const struct twg_stats *st, const char *mode,
		       const struct hist *h, double secs, bool absolute)
{
	char label[400];
	size_t s, k;
	int i;

	fprintf(out, "%s  policy %s\n", twg_ns_label(ns, label, sizeof(label)),
		mode);
	for (s = 0; s < ARRAY_SIZE(sections); s++) {
		fprintf(out, "  %-13s", sections[s].title);
		for (k = 0; k < ARRAY_SIZE(sections[s].keys) && sections[s].keys[k]; k++) {
			const struct twg_kv *kv = kv_find(st, sections[s].keys[k]);

			if (kv)
				print_kv(out, kv, show_of(kv, hist_find(h, ns->inum, kv->key),
							  secs, absolute), absolute);
		}
		fputc('\n', out);
	}
	/* A newer module's counters, not in a block yet. */
	for (i = 0; i < st->nr; i++)
		if (!in_sections(st->kv[i].key)) {
			fprintf(out, "  %-13s", "other");
			print_kv(out, &st->kv[i],
				 show_of(&st->kv[i], hist_find(h, ns->inum, st->kv[i].key),
					 secs, absolute), absolute);
			fputc('\n', out);
		}
}

static void print_json(const struct twg_ns *ns, const struct twg_stats *st,
		       const char *mode, const struct hist *h, double secs,
		       bool absolute)
{
	bool rates = !absolute && secs > 0;
	int i;

	j_ns_open(ns);
	j_str("policy_mode", mode);
	j_open("counters", '{');
	for (i = 0; i < st->nr; i++)
		if (!twg_stat_gauge(st->kv[i].key))
			j_u64(st->kv[i].key,
			      show_of(&st->kv[i], hist_find(h, ns->inum, st->kv[i].key),
				      secs, absolute).val);
	j_close('}');
	j_open("gauges", '{');
	for (i = 0; i < st->nr; i++)
		if (twg_stat_gauge(st->kv[i].key))
			j_u64(st->kv[i].key, st->kv[i].val);
	j_close('}');
	if (rates) {
		j_open("rates", '{');
		for (i = 0; i < st->nr; i++) {
			struct shown s = show_of(&st->kv[i],
						 hist_find(h, ns->inum, st->kv[i].key),
						 secs, absolute);

			if (!twg_stat_gauge(st->kv[i].key) && s.rate == s.rate)
				j_dbl(st->kv[i].key, s.rate);
		}
		j_close('}');
	}
	j_close('}');
}

/* One round: read every namespace, print, and move the history on. */
static int stat_round(const struct twg_opts *o, FILE *out, struct hist *h)
{
	struct twg_stats *st = NULL;
	struct twg_ns *ns = NULL;
	double when, secs;
	char mode[32];
	int nr = 0, i, err;

	err = twg_ns_resolve(o->netns, &ns, &nr);
	if (err)
		return err;
	st = calloc(nr ? nr : 1, sizeof(*st));
	if (!st) {
		free(ns);
		return twg_fail(TWG_EXIT_ERROR, "out of memory");
	}
	when = now_s();
	secs = h->when > 0 ? when - h->when : 0;
	for (i = 0; i < nr; i++) {
		err = twg_read_stats(&ns[i], &st[i]);
		if (err)
			goto out;
	}
	if (o->json) {
		j_doc_open(out, o->pretty);
		j_bool("absolute", o->absolute);
		if (!o->absolute && secs > 0)
			j_dbl("interval_s", secs);
		else
			j_null("interval_s");
		j_open("namespaces", '[');
	} else if (!o->absolute) {
		if (secs > 0)
			fprintf(out, "gains over the last %.1f s\n", secs);
		else
			fprintf(out, "gains since the module loaded\n");
	}
	for (i = 0; i < nr; i++) {
		err = twg_read(&ns[i], "policy/mode", mode, sizeof(mode));
		if (err)
			goto out;
		mode[strcspn(mode, "\n")] = 0;
		if (o->json)
			print_json(&ns[i], &st[i], mode, h, secs, o->absolute);
		else
			print_text(out, &ns[i], &st[i], mode, h, secs, o->absolute);
	}
	if (o->json)
		j_doc_close();
	/* The next round's "before": the history file's, and memory's. */
	hist_save(ns, st, nr, when);
	free(h->e);
	h->e = NULL;
	h->nr = 0;
	h->when = when;
	for (i = 0; i < nr; i++) {
		int k;

		for (k = 0; k < st[i].nr; k++) {
			void *more;

			if (twg_stat_gauge(st[i].kv[k].key))
				continue;
			more = realloc(h->e, (h->nr + 1) * sizeof(*h->e));
			if (!more)
				break;
			h->e = more;
			h->e[h->nr].inum = ns[i].inum;
			h->e[h->nr].kv = st[i].kv[k];
			h->nr++;
		}
	}
out:
	free(st);
	free(ns);
	return err;
}

static int stat_round_cb(const struct twg_opts *o, FILE *out, void *arg)
{
	return stat_round(o, out, arg);
}

int twg_cmd_stat(const struct twg_opts *o, int argc, char **argv)
{
	struct hist h;
	int err;

	(void)argv;
	if (argc > 0)
		return twg_fail(TWG_EXIT_USAGE, "stat takes no arguments");
	hist_load(&h);
	err = twg_repeat(o, stat_round_cb, &h);
	free(h.e);
	return err;
}
