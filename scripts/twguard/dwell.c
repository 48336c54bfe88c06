// SPDX-License-Identifier: GPL-2.0
/*
 * twguard dwell STATE: how long connections stayed in STATE, drawn as
 * bcc's tools draw a log2 histogram.  The module's buckets are of
 * milliseconds: 0, then [2^(k-1), 2^k) for k = 1..28, then 2^28 and on.
 */
#include <stdlib.h>
#include <string.h>

#include "twguard.h"

const char *const twg_dwell_states[4] = {
	"time_wait", "fin_wait2", "close_wait", "last_ack",
};

int twg_read_dwell(const struct twg_ns *ns, const char *state,
		   struct twg_dwell *d)
{
	char buf[4096], rel[64], *line, *save = NULL;
	int err, b = 0;

	snprintf(rel, sizeof(rel), "dwell/%s", state);
	err = twg_read(ns, rel, buf, sizeof(buf));
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (b == TWG_DWELL_BUCKETS ||
		    sscanf(line, "%llu %llu", &d->low[b], &d->n[b]) != 2)
			return twg_fail(TWG_EXIT_ERROR,
					"netns %llu: %s: not %d lines \"LOWER COUNT\"",
					ns->inum, rel, TWG_DWELL_BUCKETS);
		b++;
	}
	if (b != TWG_DWELL_BUCKETS)
		return twg_fail(TWG_EXIT_ERROR, "netns %llu: %s: %d lines, not %d",
				ns->inum, rel, b, TWG_DWELL_BUCKETS);

	err = twg_read(ns, "dwell/sum_ms", buf, sizeof(buf));
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long long sum;

		if (sscanf(line, "%31s %llu", name, &sum) == 2 &&
		    !strcmp(name, state)) {
			d->sum_ms = sum;
			return 0;
		}
	}
	return twg_fail(TWG_EXIT_ERROR, "netns %llu: dwell/sum_ms has no %s",
			ns->inum, state);
}

/* The largest dwell bucket @b holds, in ms; the last holds all above. */
static unsigned long long bucket_high(const struct twg_dwell *d, int b)
{
	return b + 1 < TWG_DWELL_BUCKETS ? d->low[b + 1] - 1 : 0;
}

static void draw(FILE *out, const struct twg_dwell *d)
{
	unsigned long long max = 0;
	int b, last = -1, width = 40;

	for (b = 0; b < TWG_DWELL_BUCKETS; b++) {
		if (d->n[b] > max)
			max = d->n[b];
		if (d->n[b])
			last = b;
	}
	fprintf(out, "  %-24s : %-9s distribution\n", "      msecs", "count");
	for (b = 0; b <= last; b++) {
		int stars = max ? (int)(d->n[b] * width / max) : 0;
		char range[48];

		if (b + 1 < TWG_DWELL_BUCKETS)
			snprintf(range, sizeof(range), "%10llu -> %-10llu",
				 d->low[b], bucket_high(d, b));
		else
			snprintf(range, sizeof(range), "%10llu -> %-10s",
				 d->low[b], "inf");
		fprintf(out, "  %s : %-9llu |%-*.*s|\n", range, d->n[b], width,
			stars, "****************************************");
	}
}

static int dwell_round(const struct twg_opts *o, FILE *out, void *arg)
{
	const char *state = arg;
	struct twg_ns *ns = NULL;
	int nr = 0, i, b, err;

	err = twg_ns_resolve(o->netns, &ns, &nr);
	if (err)
		return err;
	if (o->json) {
		j_doc_open(out, o->pretty);
		j_str("state", state);
		j_open("namespaces", '[');
	}
	for (i = 0; i < nr; i++) {
		struct twg_dwell d = {};
		unsigned long long count = 0;
		char label[400];

		err = twg_read_dwell(&ns[i], state, &d);
		if (err)
			break;
		for (b = 0; b < TWG_DWELL_BUCKETS; b++)
			count += d.n[b];
		if (o->json) {
			j_ns_open(&ns[i]);
			j_u64("count", count);
			j_u64("sum_ms", d.sum_ms);
			j_open("buckets", '[');
			for (b = 0; b < TWG_DWELL_BUCKETS; b++) {
				j_open(NULL, '{');
				j_u64("low_ms", d.low[b]);
				if (b + 1 < TWG_DWELL_BUCKETS)
					j_u64("high_ms", bucket_high(&d, b));
				else
					j_null("high_ms");
				j_u64("count", d.n[b]);
				j_close('}');
			}
			j_close(']');
			j_close('}');
			continue;
		}
		fprintf(out, "%s: %s, %llu counted", twg_ns_label(&ns[i], label, sizeof(label)),
			state, count);
		if (count)
			fprintf(out, ", mean %llu ms", d.sum_ms / count);
		fputc('\n', out);
		if (count)
			draw(out, &d);
	}
	if (o->json && !err)
		j_doc_close();
	free(ns);
	return err;
}

int twg_cmd_dwell(const struct twg_opts *o, int argc, char **argv)
{
	size_t i;

	if (argc != 1)
		return twg_fail(TWG_EXIT_USAGE,
				"dwell takes one state: time_wait, fin_wait2, close_wait or last_ack");
	for (i = 0; i < ARRAY_SIZE(twg_dwell_states); i++)
		if (!strcmp(argv[0], twg_dwell_states[i]))
			return twg_repeat(o, dwell_round, (void *)twg_dwell_states[i]);
	return twg_fail(TWG_EXIT_USAGE,
			"no dwell histogram for \"%s\": time_wait, fin_wait2, close_wait or last_ack",
			argv[0]);
}
