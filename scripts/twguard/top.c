// SPDX-License-Identifier: GPL-2.0
/*
 * twguard top: where TIME-WAIT piles up.  The destinations holding the
 * most of it, with their pressure on the port range and the forecast of
 * its exhaustion; the server ports where this host closes first (the
 * usual fix: let the client close first); and the ports with connections
 * in CLOSE_WAIT, whose applications have not called close().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "twguard.h"

struct twg_port {
	char side[8];
	unsigned int port;
	unsigned long long active, passive, close_wait, close_wait_age_s;
	unsigned long long bind_refused_tw, bind_reuseaddr_tw;
};

static const char dest_header[] =
	"destination tw live rate pressure_pct forecast_s no_port";
static const char ports_header[] =
	"side port active passive close_wait close_wait_age_s bind_refused_tw bind_reuseaddr_tw";

/* A header not the one this command knows: a module of another version. */
static int check_header(const struct twg_ns *ns, const char *table,
			const char *line, const char *want)
{
	if (!strncmp(line, want, strlen(want)) &&
	    (line[strlen(want)] == '\n' || line[strlen(want)] == ' '))
		return 0;
	return twg_fail(TWG_EXIT_ERROR,

				"netns %llu: /proc/net/twguard/%s starts \"%.*s\": not a format this command knows",
			ns->inum, table, (int)strcspn(line, "\n"), line);
}

/*
 * Every row of /proc/net/twguard/@table after its header, each parsed by
 * @parse into an array of @size-byte rows.
 */
static int read_table(const struct twg_ns *ns, const char *table,
		      const char *header, bool (*parse)(const char *line, void *row),
		      size_t size, void **out, int *nr)
{
	char line[512], *rows = NULL;
	int n = 0, err;
	FILE *f;

	err = twg_open_table(ns, table, &f);
	if (err)
		return err;
	errno = 0;
	if (!fgets(line, sizeof(line), f)) {
		int e = errno ? errno : EIO;
		char what[64];

		fclose(f);
		snprintf(what, sizeof(what), "/proc/net/twguard/%s", table);
		return twg_read_error(ns, what, e);
	}
	err = check_header(ns, table, line, header);
	while (!err && fgets(line, sizeof(line), f)) {
		char *more = realloc(rows, (n + 1) * size);

		if (!more) {
			err = twg_fail(TWG_EXIT_ERROR, "out of memory");
			break;
		}
		rows = more;
		if (!parse(line, rows + n * size)) {
			err = twg_fail(TWG_EXIT_ERROR,
				       "netns %llu: %s: cannot parse \"%.*s\"",
				       ns->inum, table, (int)strcspn(line, "\n"), line);
			break;
		}
		n++;
	}
	fclose(f);
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	*nr = n;
	return 0;
}

static bool parse_dest(const char *line, void *row)
{
	struct twg_dest *e = row;
	char fc[32];

	if (sscanf(line, "%63s %llu %llu %lf %u %31s %llu", e->dest, &e->tw,
		   &e->live, &e->rate, &e->pressure_pct, fc, &e->no_port) != 7)
		return false;
	e->forecast_s = strcmp(fc, "-") ? strtoll(fc, NULL, 10) : -1;
	return true;
}

static bool parse_port(const char *line, void *row)
{
	struct twg_port *e = row;

	return sscanf(line, "%7s %u %llu %llu %llu %llu %llu %llu", e->side,
		      &e->port, &e->active, &e->passive, &e->close_wait,
		      &e->close_wait_age_s, &e->bind_refused_tw,
		      &e->bind_reuseaddr_tw) == 8;
}

int twg_read_destinations(const struct twg_ns *ns, struct twg_dest **out,
			  int *nr)
{
	return read_table(ns, "destinations", dest_header, parse_dest,
			  sizeof(**out), (void **)out, nr);
}

static int read_ports(const struct twg_ns *ns, struct twg_port **out, int *nr)
{
	return read_table(ns, "ports", ports_header, parse_port, sizeof(**out),
			  (void **)out, nr);
}

static int by_tw(const void *a, const void *b)
{
	const struct twg_dest *x = a, *y = b;

	if (x->tw != y->tw)
		return x->tw > y->tw ? -1 : 1;
	return strcmp(x->dest, y->dest);
}

static int by_active(const void *a, const void *b)
{
	const struct twg_port *x = a, *y = b;

	if (x->active != y->active)
		return x->active > y->active ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static int by_close_wait(const void *a, const void *b)
{
	const struct twg_port *x = a, *y = b;

	if (x->close_wait != y->close_wait)
		return x->close_wait > y->close_wait ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void json_port(const struct twg_port *p)
{
	j_open(NULL, '{');
	j_str("side", p->side);
	j_u64("port", p->port);
	j_u64("active", p->active);
	j_u64("passive", p->passive);
	j_u64("close_wait", p->close_wait);
	j_u64("close_wait_age_s", p->close_wait_age_s);
	j_u64("bind_refused_tw", p->bind_refused_tw);
	j_u64("bind_reuseaddr_tw", p->bind_reuseaddr_tw);
	j_close('}');
}

static void top_print(const struct twg_opts *o, FILE *out,
		      const struct twg_ns *ns, struct twg_dest *d, int nd,
		      struct twg_port *p, int np)
{
	long limit = o->top > 0 ? o->top : 10;
	struct twg_port *cw;
	char label[400];
	int i, shown, ncw = 0;

	qsort(d, nd, sizeof(*d), by_tw);
	cw = malloc((np ? np : 1) * sizeof(*cw));
	for (i = 0; cw && i < np; i++)
		if (p[i].close_wait)
			cw[ncw++] = p[i];
	if (cw)
		qsort(cw, ncw, sizeof(*cw), by_close_wait);
	qsort(p, np, sizeof(*p), by_active);

	if (o->json) {
		j_ns_open(ns);
		j_open("destinations", '[');
		for (i = 0; i < nd && i < limit; i++) {
			j_open(NULL, '{');
			j_str("destination", d[i].dest);
			j_u64("tw", d[i].tw);
			j_u64("live", d[i].live);
			j_dbl("rate", d[i].rate);
			j_u64("pressure_pct", d[i].pressure_pct);
			if (d[i].forecast_s < 0)
				j_null("forecast_s");
			else
				j_i64("forecast_s", d[i].forecast_s);
			j_u64("no_port", d[i].no_port);
			j_close('}');
		}
		j_close(']');
		j_open("closing_first", '[');
		for (i = 0, shown = 0; i < np && shown < limit; i++)
			if (!strcmp(p[i].side, "server") && p[i].active) {
				json_port(&p[i]);
				shown++;
			}
		j_close(']');
		j_open("close_wait", '[');
		for (i = 0; i < ncw && i < limit; i++)
			json_port(&cw[i]);
		j_close(']');
		j_close('}');
		free(cw);
		return;
	}

	fprintf(out, "%s\n", twg_ns_label(ns, label, sizeof(label)));
	fprintf(out, "  %-46s %8s %8s %9s %9s %10s %8s\n", "destination", "tw",
		"live", "rate/s", "pressure%", "forecast_s", "no_port");
	for (i = 0; i < nd && i < limit; i++) {
		char fc[24] = "-";

		if (d[i].forecast_s >= 0)
			snprintf(fc, sizeof(fc), "%lld", d[i].forecast_s);
		fprintf(out, "  %-46s %8llu %8llu %9.3f %9u %10s %8llu\n",
			d[i].dest, d[i].tw, d[i].live, d[i].rate,
			d[i].pressure_pct, fc, d[i].no_port);
	}
	if (!nd)
		fprintf(out, "  (no destination holds TIME-WAIT)\n");

	fprintf(out, "  server ports where this host closes first (let the client close first):\n");
	fprintf(out, "  %-8s %10s %10s %10s %16s\n", "port", "active", "passive",
		"close_wait", "bind_refused_tw");
	for (i = 0, shown = 0; i < np && shown < limit; i++)
		if (!strcmp(p[i].side, "server") && p[i].active) {
			fprintf(out, "  %-8u %10llu %10llu %10llu %16llu\n",
				p[i].port, p[i].active, p[i].passive,
				p[i].close_wait, p[i].bind_refused_tw);
			shown++;
		}
	if (!shown)
		fprintf(out, "  (none)\n");
	if (ncw) {
		fprintf(out,
			"  ports with connections in CLOSE_WAIT (not closed by their application):\n");
		fprintf(out, "  %-8s %-8s %10s %16s\n", "side", "port",
			"close_wait", "oldest_s");
		for (i = 0; i < ncw && i < limit; i++)
			fprintf(out, "  %-8s %-8u %10llu %16llu\n", cw[i].side,
				cw[i].port, cw[i].close_wait,
				cw[i].close_wait_age_s);
	}
	free(cw);
}

static int top_round(const struct twg_opts *o, FILE *out, void *arg)
{
	struct twg_ns *ns = NULL;
	int nr = 0, i, err;

	(void)arg;
	err = twg_ns_resolve(o->netns, &ns, &nr);
	if (err)
		return err;
	if (o->json) {
		j_doc_open(out, o->pretty);
		j_open("namespaces", '[');
	}
	for (i = 0; i < nr; i++) {
		struct twg_dest *d = NULL;
		struct twg_port *p = NULL;
		int nd = 0, np = 0;

		err = twg_read_destinations(&ns[i], &d, &nd) ?:
		      read_ports(&ns[i], &p, &np);
		if (err) {
			free(d);
			break;
		}
		top_print(o, out, &ns[i], d, nd, p, np);
		free(d);
		free(p);
	}
	if (o->json && !err)
		j_doc_close();
	free(ns);
	return err;
}

int twg_cmd_top(const struct twg_opts *o, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return twg_fail(TWG_EXIT_USAGE, "top takes no arguments (-n N: rows)");
	return twg_repeat(o, top_round, NULL);
}
