// SPDX-License-Identifier: GPL-2.0
/*
 * twguard metrics: every namespace's figures in Prometheus's text
 * exposition format (version 0.0.4), for node_exporter's textfile
 * collector.  -o FILE writes FILE atomically (a temporary file in the same
 * directory, renamed over it), so that a scrape never reads half a file.
 *
 * Names are twguard_*, counters end in _total, times are in seconds.
 * Every per-namespace series has a netns label, the namespace's inode in
 * decimal; twguard_netns_info{netns,name} maps it to an ip netns name.
 * Per-destination series are off unless --destinations N asks for the N
 * destinations holding the most TIME-WAIT over all namespaces, at most
 * 1000: the number of series never depends on the traffic.  The series
 * and their meaning: Documentation/twguard.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "twguard.h"

#define TWG_METRICS_DEST_MAX	1000

/* HELP for the stats file's lines; a line not here gets a generic one. */
static const struct {
	const char *key, *help;
} helps[] = {
	{ "tw_entered", "TIME-WAIT (and FIN_WAIT2) minisocks created." },
	{ "tw_expired", "TIME-WAIT minisocks ended by their timer." },
	{ "tw_killed", "TIME-WAIT minisocks ended early: a RST, or the namespace's purge." },
	{ "tw_reused", "TIME-WAIT minisocks whose 4-tuple a new connect() took over." },
	{ "tw_recycled",
	  "connect()s the kernel let take over a TIME-WAIT 4-tuple (TcpExt TWRecycled)." },
	{ "tw_overflow", "Connections that got no TIME-WAIT: tcp_max_tw_buckets was reached." },
	{ "close_active", "Connections this host closed first." },
	{ "close_passive", "Connections the peer closed first." },
	{ "close_simultaneous", "Connections both ends closed at once." },
	{ "close_reset", "Connections ended by a reset." },
	{ "reuse_allowed", "TIME-WAIT reuses twguard's policy allowed." },
	{ "reuse_denied_policy", "TIME-WAIT reuses denied: the policy says no." },
	{ "reuse_denied_no_timestamps",
	  "TIME-WAIT reuses denied: the old connection had no timestamps." },
	{ "reuse_denied_too_young",
	  "TIME-WAIT reuses denied: the minisock was younger than min_age_ms." },
	{ "reuse_denied_ts_order", "TIME-WAIT reuses denied: the new TSval would not be later." },
	{ "reuse_denied_fin_wait2", "TIME-WAIT reuses denied: the minisock was in FIN_WAIT2." },
	{ "would_allowed", "Dry run: reuses the policy would have allowed." },
	{ "would_denied_policy", "Dry run: reuses the policy would have denied by rule or mode." },
	{ "would_denied_no_timestamps",
	  "Dry run: reuses that would have been denied for no timestamps." },
	{ "would_denied_too_young", "Dry run: reuses that would have been denied as too young." },
	{ "would_denied_ts_order",
	  "Dry run: reuses that would have been denied on timestamp order." },
	{ "would_denied_fin_wait2", "Dry run: reuses that would have been denied in FIN_WAIT2." },
	{ "tw_current", "TIME-WAIT and FIN_WAIT2 minisocks now." },
	{ "tw_current_fin_wait2", "FIN_WAIT2 minisocks now." },
	{ "tw_current_ipv6", "IPv6 minisocks now." },
	{ "fin_wait1_current", "Connections in FIN_WAIT1 now." },
	{ "fin_wait2_current", "Full sockets in FIN_WAIT2 now." },
	{ "close_wait_current", "Connections in CLOSE_WAIT now." },
	{ "last_ack_current", "Connections in LAST_ACK now." },
	{ "closing_current", "Connections in CLOSING now." },
	{ "tw_at_load", "TIME-WAIT minisocks there when twguard loaded." },
	{ "connect_no_port", "connect()s that failed with EADDRNOTAVAIL: no free 4-tuple." },
	{ "connect_no_port_tw",
	  "Of those, the ones that met a TIME-WAIT tuple the reuse decision refused." },
	{ "connect_bound_taken",
	  "connect()s of bound sockets refused their 4-tuple (EADDRNOTAVAIL)." },
	{ "bind_refused_tw", "bind()s refused with EADDRINUSE by TIME-WAIT alone." },
	{ "bind_reuseaddr_tw", "bind()s that succeeded over TIME-WAIT thanks to SO_REUSEADDR." },
};

struct ns_fig {
	struct twg_ns ns;
	struct twg_stats st;
	struct twg_dwell dwell[4];
	char mode[32], timestamps[32];
	unsigned long long enforcing, dry_run;
	unsigned long long rows[2], evicted[2];
	bool gone;
};

static const char *help_of(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(helps); i++)
		if (!strcmp(helps[i].key, key))
			return helps[i].help;
	return NULL;
}

static int read_u64(const struct twg_ns *ns, const char *rel,
		    unsigned long long *v)
{
	char buf[64];
	int err = twg_read(ns, rel, buf, sizeof(buf));

	if (err)
		return err;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int read_word(const struct twg_ns *ns, const char *rel, char *buf,
		     size_t len)
{
	int err = twg_read(ns, rel, buf, len);

	if (!err)
		buf[strcspn(buf, "\n")] = 0;
	return err;
}

static int read_fig(struct ns_fig *f)
{
	static const char *const tables[2] = { "destinations", "ports" };
	char rel[64];
	int err, i;

	err = twg_read_stats(&f->ns, &f->st) ?:
	      read_word(&f->ns, "policy/mode", f->mode, sizeof(f->mode)) ?:
	      read_word(&f->ns, "policy/timestamps", f->timestamps,
			sizeof(f->timestamps)) ?:
	      read_u64(&f->ns, "policy/enforcing", &f->enforcing) ?:
	      read_u64(&f->ns, "policy/dry_run", &f->dry_run);
	for (i = 0; !err && i < 4; i++)
		err = twg_read_dwell(&f->ns, twg_dwell_states[i], &f->dwell[i]);
	for (i = 0; !err && i < 2; i++) {
		snprintf(rel, sizeof(rel), "%s_rows", tables[i]);
		err = read_u64(&f->ns, rel, &f->rows[i]);
		snprintf(rel, sizeof(rel), "%s_evicted", tables[i]);
		err = err ?: read_u64(&f->ns, rel, &f->evicted[i]);
	}
	return err;
}

/* A label value, escaped as the exposition format asks. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const struct twg_kv *kv_of(const struct ns_fig *f, const char *key)
{
	int i;

	for (i = 0; i < f->st.nr; i++)
		if (!strcmp(f->st.kv[i].key, key))
			return &f->st.kv[i];
	return NULL;
}

/* Milliseconds as seconds, exactly: "%llu.%03llu". */
static void seconds(FILE *out, unsigned long long ms)
{
	fprintf(out, "%llu.%03llu", ms / 1000, ms % 1000);
}

static void print_dwell(FILE *out, const struct ns_fig *f, int nr)
{
	int i, s, b;

	family(out, "twguard_dwell_seconds", "histogram",
	       "How long connections stayed in a closing state, counted as they left it.");
	for (i = 0; i < nr; i++) {
		if (f[i].gone)
			continue;
		for (s = 0; s < 4; s++) {
			const struct twg_dwell *d = &f[i].dwell[s];
			unsigned long long cum = 0;

			for (b = 0; b < TWG_DWELL_BUCKETS; b++) {
				cum += d->n[b];
				fprintf(out,
					"twguard_dwell_seconds_bucket{netns=\"%llu\",state=\"%s\",le=\"",
					f[i].ns.inum, twg_dwell_states[s]);
				if (b + 1 < TWG_DWELL_BUCKETS)
					seconds(out, d->low[b + 1] - 1);
				else
					fputs("+Inf", out);
				fprintf(out, "\"} %llu\n", cum);
			}
			fprintf(out, "twguard_dwell_seconds_sum{netns=\"%llu\",state=\"%s\"} ",
				f[i].ns.inum, twg_dwell_states[s]);
			seconds(out, d->sum_ms);
			fprintf(out,
				"\ntwguard_dwell_seconds_count{netns=\"%llu\",state=\"%s\"} %llu\n",
				f[i].ns.inum, twg_dwell_states[s], cum);
		}
	}
}

struct dest_ns {
	struct twg_dest d;
	unsigned long long inum;
};

static int by_tw(const void *a, const void *b)
{
	const struct dest_ns *x = a, *y = b;

	if (x->d.tw != y->d.tw)
		return x->d.tw > y->d.tw ? -1 : 1;
	if (x->inum != y->inum)
		return x->inum < y->inum ? -1 : 1;
	return strcmp(x->d.dest, y->d.dest);
}

static int print_destinations(FILE *out, const struct ns_fig *f, int nr,
			      long want)
{
	static const char *const what[3][2] = {
		{ "twguard_destination_tw",
		  "TIME-WAIT towards a destination now (the --destinations N holding the most)." },
		{ "twguard_destination_live", "Live connections towards a destination now." },
		{ "twguard_destination_no_port_total",
		  "connect()s towards a destination refused a 4-tuple (EADDRNOTAVAIL)." },
	};
	struct dest_ns *all = NULL;
	int n = 0, i, k, err = 0;

	for (i = 0; i < nr; i++) {
		struct twg_dest *d = NULL;
		int nd = 0;
		void *more;

		if (f[i].gone)
			continue;
		err = twg_read_destinations(&f[i].ns, &d, &nd);
		if (err == TWG_EXIT_VANISHED)
			continue;
		if (err)
			goto out;
		more = realloc(all, (n + nd + 1) * sizeof(*all));
		if (!more) {
			free(d);
			err = twg_fail(TWG_EXIT_ERROR, "out of memory");
			goto out;
		}
		all = more;
		for (k = 0; k < nd; k++) {
			all[n].d = d[k];
			all[n++].inum = f[i].ns.inum;
		}
		free(d);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), by_tw);
	if (n > want)
		n = want;
	for (k = 0; k < 3; k++) {
		family(out, what[k][0], k == 2 ? "counter" : "gauge", what[k][1]);
		for (i = 0; i < n; i++)
			fprintf(out, "%s{netns=\"%llu\",destination=\"%s\"} %llu\n",
				what[k][0], all[i].inum, all[i].d.dest,
				k == 0 ? all[i].d.tw : k == 1 ? all[i].d.live :
				all[i].d.no_port);
	}
out:
	free(all);
	return err;
}

static int print_metrics(const struct twg_opts *o, FILE *out)
{
	struct ns_fig *f = NULL;
	struct twg_ns *ns = NULL;
	char version[64], hooks[1024], *line, *save = NULL;
	struct timespec ts;
	int nr = 0, i, k, err;

	err = twg_ns_resolve(o->netns, &ns, &nr) ?:
	      twg_read_root("version", version, sizeof(version)) ?:
	      twg_read_root("hooks", hooks, sizeof(hooks));
	if (err)
		goto out;
	version[strcspn(version, "\n")] = 0;
	f = calloc(nr ? nr : 1, sizeof(*f));
	if (!f) {
		err = twg_fail(TWG_EXIT_ERROR, "out of memory");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		f[i].ns = ns[i];
		err = read_fig(&f[i]);
		/* A namespace deleted meanwhile has no figures left to show. */
		if (err == TWG_EXIT_VANISHED && !o->netns) {
			f[i].gone = true;
			err = 0;
		}
		if (err)
			goto out;
	}

	family(out, "twguard_build_info", "gauge", "The loaded twguard module's version.");
	fprintf(out, "twguard_build_info{version=\"");
	label_value(out, version);
	fprintf(out, "\"} 1\n");

	family(out, "twguard_hook_attached", "gauge",
	       "1 if the hook is in place (the root hooks file).");
	for (line = strtok_r(hooks, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], state[64];

		if (sscanf(line, "%63s %63s", name, state) == 2 &&
		    strcmp(name, "reuse_policy") && strcmp(name, "bind_missed"))
			fprintf(out, "twguard_hook_attached{hook=\"%s\"} %d\n",
				name, !strcmp(state, "attached"));
	}

	family(out, "twguard_netns_info", "gauge",
	       "A namespace twguard accounts for: its inode and its ip netns name.");
	for (i = 0; i < nr; i++) {
		if (f[i].gone)
			continue;
		fprintf(out, "twguard_netns_info{netns=\"%llu\",name=\"", f[i].ns.inum);
		label_value(out, f[i].ns.name);
		fprintf(out, "\"} 1\n");
	}

	/* One family per stats line, in the file's order. */
	for (k = 0; nr && k < f[0].st.nr; k++) {
		const char *key = f[0].st.kv[k].key, *help = help_of(key);
		bool gauge = twg_stat_gauge(key);
		char name[96], generic[160];

		snprintf(name, sizeof(name), "twguard_%s%s", key, gauge ? "" : "_total");
		snprintf(generic, sizeof(generic), "The stats file's %s (Documentation/ABI).", key);
		family(out, name, gauge ? "gauge" : "counter", help ? help : generic);
		for (i = 0; i < nr; i++) {
			const struct twg_kv *kv = kv_of(&f[i], key);

			if (!f[i].gone && kv)
				fprintf(out, "%s{netns=\"%llu\"} %llu\n", name,
					f[i].ns.inum, kv->val);
		}
	}

	family(out, "twguard_policy_enforcing", "gauge",
	       "1 if the namespace's reuse policy is in force, 0 if the kernel decides.");
	for (i = 0; i < nr; i++)
		if (!f[i].gone)
			fprintf(out, "twguard_policy_enforcing{netns=\"%llu\"} %llu\n",
				f[i].ns.inum, f[i].enforcing);
	family(out, "twguard_policy_info", "gauge", "The namespace's reuse policy settings.");
	for (i = 0; i < nr; i++)
		if (!f[i].gone)
			fprintf(out,
				"twguard_policy_info{netns=\"%llu\",mode=\"%s\",timestamps=\"%s\",dry_run=\"%llu\"} 1\n",
				f[i].ns.inum, f[i].mode, f[i].timestamps, f[i].dry_run);

	family(out, "twguard_table_rows", "gauge",
	       "Rows in the namespace's destination and port tables.");
	for (i = 0; i < nr; i++)
		for (k = 0; !f[i].gone && k < 2; k++)
			fprintf(out, "twguard_table_rows{netns=\"%llu\",table=\"%s\"} %llu\n",
				f[i].ns.inum, k ? "ports" : "destinations", f[i].rows[k]);
	family(out, "twguard_table_evicted_total", "counter",
	       "Rows the tables evicted to stay within their bound.");
	for (i = 0; i < nr; i++)
		for (k = 0; !f[i].gone && k < 2; k++)
			fprintf(out,
				"twguard_table_evicted_total{netns=\"%llu\",table=\"%s\"} %llu\n",
				f[i].ns.inum, k ? "ports" : "destinations", f[i].evicted[k]);

	print_dwell(out, f, nr);

	if (o->destinations > 0) {
		err = print_destinations(out, f, nr, o->destinations);
		if (err)
			goto out;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	family(out, "twguard_metrics_written_timestamp_seconds", "gauge",
	       "When twguard metrics wrote these figures, in seconds since the epoch.");
	fprintf(out, "twguard_metrics_written_timestamp_seconds %lld.%03ld\n",
		(long long)ts.tv_sec, ts.tv_nsec / 1000000);
out:
	free(f);
	free(ns);
	return err;
}

int twg_cmd_metrics(const struct twg_opts *o, int argc, char **argv)
{
	char tmp[4200];
	FILE *out;
	int err, fd;

	(void)argv;
	if (argc > 0)
		return twg_fail(TWG_EXIT_USAGE,
				"metrics takes no arguments (-o FILE, --destinations N)");
	if (o->destinations > TWG_METRICS_DEST_MAX)
		return twg_fail(TWG_EXIT_USAGE, "--destinations: at most %d",
				TWG_METRICS_DEST_MAX);
	if (!o->output)
		return print_metrics(o, stdout);

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", o->output) >= (int)sizeof(tmp))
		return twg_fail(TWG_EXIT_USAGE, "-o: name too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return twg_fail(TWG_EXIT_ERROR, "%s: %s", tmp, strerror(errno));
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		unlink(tmp);
		return twg_fail(TWG_EXIT_ERROR, "%s: %s", tmp, strerror(errno));
	}
	err = print_metrics(o, out);
	/* node_exporter runs as its own user: the file is world-readable. */
	if (!err && fchmod(fd, 0644))
		err = twg_fail(TWG_EXIT_ERROR, "%s: %s", tmp, strerror(errno));
	if (fflush(out) || fsync(fd)) {
		if (!err)
			err = twg_fail(TWG_EXIT_ERROR, "%s: %s", tmp, strerror(errno));
	}
	fclose(out);
	if (!err && rename(tmp, o->output))
		err = twg_fail(TWG_EXIT_ERROR, "%s: %s", o->output, strerror(errno));
	if (err)
		unlink(tmp);
	return err;
}
