// SPDX-License-Identifier: GPL-2.0
/*
 * twguard(8): TIME-WAIT and the close path of every network namespace, as
 * the twguard module counts them.  See Documentation/twguard.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "twguard.h"

#ifndef TWG_VERSION
#define TWG_VERSION "unknown"
#endif

static const char usage_text[] =
"usage: twguard [OPTIONS] COMMAND [ARGS]\n"
"\n"
"  stat                     counters of each namespace: gains since the last\n"
"                           run and their rates (-a: counts since load)\n"
"  top                      destinations holding the most TIME-WAIT, server\n"
"                           ports that close first, ports in CLOSE_WAIT\n"
"  dwell STATE              histogram of time_wait, fin_wait2, close_wait\n"
"                           or last_ack\n"
"  policy [show]            the reuse policy\n"
"  policy set KEY=VALUE...  mode, timestamps, min_age_ms, rtt_factor, dry_run\n"
"  policy rules FILE        replace the rules (- for stdin)\n"
"  apply FILE               set the policies a configuration file gives\n"
"                           (/etc/twguard/policy.conf), all or nothing\n"
"  metrics                  Prometheus text format, for node_exporter\n"
"\n"
"  -N, --netns NS           one namespace: its inode, a PID in it, or its\n"
"                           ip netns name (default: every one visible; for\n"
"                           policy set and rules, the caller's own)\n"
"  -j, --json               JSON (one document per line)\n"
"  -p, --pretty             indented JSON (implies -j)\n"
"  -a, --absolute           stat: counts since load, not gains\n"
"  -i, --interval SECS      repeat every SECS seconds\n"
"  -c, --count N            with -i: stop after N rounds\n"
"  -n, --rows N             top: N rows per table (default 10)\n"
"      --destinations N     metrics: the N destinations with the most\n"
"                           TIME-WAIT, as series of their own (at most 1000)\n"
"  -o, --output FILE        metrics: write FILE atomically\n"
"      --default            policy: the default policy, which namespaces\n"
"                           created from now on start with\n"
"  -V, --version            the command's and the module's versions\n"
"  -h, --help\n"
"\n"
"Exit status: 0 ok, 1 error, 2 usage or bad input, 3 module not loaded,\n"
"4 no such namespace, 5 namespace went away, 6 permission denied.\n";

static int parse_long(const char *opt, const char *arg, long min, long max,
		      long *val)
{
	char *end;

	errno = 0;
	*val = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *val < min || *val > max)
		return twg_fail(TWG_EXIT_USAGE, "%s: \"%s\" is not a whole number from %ld to %ld",
				opt, arg, min, max);
	return 0;
}

/*
 * Each round is printed into memory first and then written at once; on a
 * terminal it overwrites the round before from the top and clears what is
 * left below, so the screen never goes blank between rounds.
 */
int twg_repeat(const struct twg_opts *o,
	       int (*round)(const struct twg_opts *o, FILE *out, void *arg),
	       void *arg)
{
	bool tty = isatty(STDOUT_FILENO) && !o->json;
	long done = 0;
	sigset_t quit;
	int err;

	if (o->interval <= 0)
		return round(o, stdout, arg);
	/* SIGINT and SIGTERM end the wait between rounds, not a round. */
	sigemptyset(&quit);
	sigaddset(&quit, SIGINT);
	sigaddset(&quit, SIGTERM);
	sigprocmask(SIG_BLOCK, &quit, NULL);
	for (;;) {
		struct timespec ts;
		size_t len = 0;
		char *buf = NULL;
		FILE *mem = open_memstream(&buf, &len);

		if (!mem)
			return twg_fail(TWG_EXIT_ERROR, "out of memory");
		err = round(o, mem, arg);
		fclose(mem);
		if (tty)
			fputs("\033[H", stdout);
		fwrite(buf, 1, len, stdout);
		if (tty)
			fputs("\033[J", stdout);
		else if (!o->json)
			fputc('\n', stdout);
		fflush(stdout);
		free(buf);
		if (err || (o->count && ++done >= o->count))
			return err;
		ts.tv_sec = (time_t)o->interval;
		ts.tv_nsec = (long)((o->interval - ts.tv_sec) * 1e9);
		if (sigtimedwait(&quit, NULL, &ts) > 0)
			return 0;
	}
}

static int show_version(void)
{
	char v[64];
	FILE *f = fopen(TWG_SYSFS "/version", "re");

	printf("twguard command %s\n", TWG_VERSION);
	if (f && fgets(v, sizeof(v), f))
		printf("twguard module %s", v);
	else
		printf("twguard module not loaded\n");
	if (f)
		fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_DESTINATIONS = 256, OPT_DEFAULT };
	static const struct option longopts[] = {
		{ "netns", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "absolute", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "rows", required_argument, NULL, 'n' },
		{ "destinations", required_argument, NULL, OPT_DESTINATIONS },
		{ "output", required_argument, NULL, 'o' },
		{ "default", no_argument, NULL, OPT_DEFAULT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const struct {
		const char *name;
		int (*fn)(const struct twg_opts *o, int argc, char **argv);
	} cmds[] = {
		{ "stat", twg_cmd_stat },
		{ "top", twg_cmd_top },
		{ "dwell", twg_cmd_dwell },
		{ "policy", twg_cmd_policy },
		{ "metrics", twg_cmd_metrics },
		{ "apply", twg_cmd_apply },
	};
	struct twg_opts o = {};
	char *end;
	size_t i;
	int c, err;

	/* Options may come before or after the command and its words. */
	while ((c = getopt_long(argc, argv, "N:jpai:c:n:o:Vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'N':
			o.netns = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'p':
			o.json = true;
			o.pretty = true;
			break;
		case 'a':
			o.absolute = true;
			break;
		case 'i':
			errno = 0;
			o.interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o.interval) ||
			    o.interval < 0.1 || o.interval > 86400)
				return twg_fail(TWG_EXIT_USAGE,
						"-i: \"%s\" is not a number of seconds from 0.1 to 86400",
						optarg);
			break;
		case 'c':
			err = parse_long("-c", optarg, 1, 1000000000L, &o.count);
			if (err)
				return err;
			break;
		case 'n':
			err = parse_long("-n", optarg, 1, 100000, &o.top);
			if (err)
				return err;
			break;
		case OPT_DESTINATIONS:
			err = parse_long("--destinations", optarg, 0, 1000,
					 &o.destinations);
			if (err)
				return err;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_DEFAULT:
			o.default_policy = true;
			break;
		case 'V':
			return show_version();
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return TWG_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fputs(usage_text, stderr);
		return TWG_EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(&o, argc - optind - 1, argv + optind + 1);
	return twg_fail(TWG_EXIT_USAGE,
			"no command \"%s\": stat, top, dwell, policy, apply or metrics (twguard -h)",
			argv[optind]);
}
