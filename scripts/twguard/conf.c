// SPDX-License-Identifier: GPL-2.0
/*
 * twguard apply FILE: the policies of a configuration file
 * (/etc/twguard/policy.conf; the format is in Documentation/twguard.rst),
 * all or nothing.
 *
 *   [default]                 namespaces created from now on
 *   [host]                    the initial network namespace
 *   [netns NAME|INODE|PID]    one namespace
 *   mode = on                 a setting of the section's policy
 *   rule = 192.0.2.0/24 port 443 allow min_age_ms 500
 *
 * A section says the whole policy: a setting it leaves out takes its
 * default value, and its rule lines are the whole list.  The file is
 * checked in full first: the first mistake is reported with its line
 * number and nothing is applied.  Then each section is written; if the
 * module refuses anything, every policy written so far gets its old value
 * back.  A [netns] whose namespace does not exist (yet) is skipped, with
 * a warning: the [default] section is what reaches namespaces made later.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twguard.h"

#define NR_SETTINGS	5
#define RULES_MAX	256

static const char *const settings[NR_SETTINGS] = {
	"mode", "timestamps", "min_age_ms", "rtt_factor", "dry_run",
};

/* What a policy is when a section does not say. */
static const char *const defaults[NR_SETTINGS] = {
	"kernel", "strict", "1000", "0", "0",
};

static const char *const mode_names[] = { "kernel", "off", "loopback", "on" };
static const char *const ts_names[] = { "strict", "kernel" };

struct section {
	int line;
	char target[256];		/* "default", "host" or a -N word */
	char val[NR_SETTINGS][32];
	int val_line[NR_SETTINGS];
	char rules[4096];
	size_t rules_len;
	int nr_rules;
	struct twg_ns ns;		/* resolved */
	bool skip;			/* no such namespace */
	/* What it was, for putting it back. */
	char old[NR_SETTINGS][32];
	char old_rules[8192];
	bool written;
};

static int bad(const char *file, int line, const char *fmt, const char *what)
{
	fprintf(stderr, "%s: %s:%d: ", twg_prog, file, line);
	fprintf(stderr, fmt, what);
	fputs(": nothing applied\n", stderr);
	return TWG_EXIT_USAGE;
}

static bool one_of(const char *v, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return true;
	return false;
}

/* A decimal number from 0 to @max, as the module takes it. */
static bool number(const char *v, unsigned long max)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	return !errno && !*end && n <= max;
}

static bool setting_ok(int k, const char *v)
{
	switch (k) {
	case 0:
		return one_of(v, mode_names, ARRAY_SIZE(mode_names));
	case 1:
		return one_of(v, ts_names, ARRAY_SIZE(ts_names));
	case 2:
		return number(v, 60000);
	case 3:
		return number(v, 16);
	default:
		return number(v, 1);
	}
}

/* An address with host bits clear for its /LEN, as the module wants. */
static bool prefix_ok(const char *w)
{
	unsigned char a[16];
	char addr[64];
	const char *slash = strchr(w, '/');
	unsigned long len;
	int family, bits, i;

	if (strlen(w) >= sizeof(addr))
		return false;
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - w) : (int)strlen(w), w);
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, a) != 1)
		return false;
	bits = family == AF_INET ? 32 : 128;
	if (!slash)
		return true;
	if (!number(slash + 1, bits))
		return false;
	len = strtoul(slash + 1, NULL, 10);
	for (i = len; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static bool port_ok(const char *w)
{
	char lo[8], hi[8];
	const char *dash = strchr(w, '-');

	if (!dash)
		return number(w, 65535) && strtoul(w, NULL, 10) > 0;
	if (dash - w >= (int)sizeof(lo) || strlen(dash + 1) >= sizeof(hi))
		return false;
	snprintf(lo, sizeof(lo), "%.*s", (int)(dash - w), w);
	snprintf(hi, sizeof(hi), "%s", dash + 1);
	return number(lo, 65535) && number(hi, 65535) && strtoul(lo, NULL, 10) > 0 &&
	       strtoul(lo, NULL, 10) <= strtoul(hi, NULL, 10);
}

/* PREFIX [port P[-Q]] ACTION [min_age_ms N] */
static bool rule_ok(char *rule)
{
	static const char *const actions[] = { "allow", "deny", "default" };
	char *w[8], *save = NULL, *t;
	int n = 0, i = 1;

	for (t = strtok_r(rule, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 8)
			return false;
		w[n++] = t;
	}
	if (n < 2 || !prefix_ok(w[0]))
		return false;
	if (!strcmp(w[i], "port")) {
		if (i + 1 >= n || !port_ok(w[i + 1]))
			return false;
		i += 2;
	}
	if (i >= n || !one_of(w[i], actions, ARRAY_SIZE(actions)))
		return false;
	i++;
	if (i < n) {
		if (strcmp(w[i], "min_age_ms") || i + 2 != n || !number(w[i + 1], 60000))
			return false;
		i += 2;
	}
	return i == n;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int parse(const char *file, FILE *f, struct section **out, int *nr)
{
	struct section *secs = NULL, *cur = NULL;
	char buf[1024];
	int line = 0, n = 0, i, k;

	while (fgets(buf, sizeof(buf), f)) {
		char *s, *eq, *key, *val;

		line++;
		if (!strchr(buf, '\n') && !feof(f))
			return bad(file, line, "%s", "line longer than 1023 bytes");
		s = strchr(buf, '#');
		if (s)
			*s = 0;
		s = trim(buf);
		if (!*s)
			continue;
		if (*s == '[') {
			struct section *more;
			char *end = strchr(s, ']');
			char *name = s + 1;

			if (!end || end[1])
				return bad(file, line,
					   "\"%s\" is not [default], [host] or [netns NAME]", s);
			*end = 0;
			name = trim(name);
			if (!strncmp(name, "netns", 5) && isspace((unsigned char)name[5]))
				name = trim(name + 5);
			else if (strcmp(name, "default") && strcmp(name, "host"))
				return bad(file, line,
					   "[%s] is not [default], [host] or [netns NAME|INODE|PID]",
					   name);
			for (i = 0; i < n; i++)
				if (!strcmp(secs[i].target, name))
					return bad(file, line, "a second section for %s", name);
			more = realloc(secs, (n + 1) * sizeof(*secs));
			if (!more)
				return twg_fail(TWG_EXIT_ERROR, "out of memory");
			secs = more;
			cur = &secs[n++];
			memset(cur, 0, sizeof(*cur));
			cur->line = line;
			snprintf(cur->target, sizeof(cur->target), "%s", name);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return bad(file, line, "\"%s\" is not KEY = VALUE", s);
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		if (!cur)
			return bad(file, line, "\"%s\" before any section", key);
		if (!strcmp(key, "rule")) {
			char copy[1024];
			size_t len = strlen(val);

			snprintf(copy, sizeof(copy), "%s", val);
			if (!rule_ok(copy))
				return bad(file, line,
					   "rule \"%s\": not PREFIX [port P[-Q]] allow|deny|default [min_age_ms N]",
					   val);
			if (cur->nr_rules == RULES_MAX)
				return bad(file, line, "%s", "more than 256 rules");
			if (cur->rules_len + len + 2 > sizeof(cur->rules))
				return bad(file, line, "%s",
					   "the rules of a section must be under 4096 bytes");
			memcpy(cur->rules + cur->rules_len, val, len);
			cur->rules_len += len;
			cur->rules[cur->rules_len++] = '\n';
			cur->nr_rules++;
			continue;
		}
		for (k = 0; k < NR_SETTINGS; k++)
			if (!strcmp(key, settings[k]))
				break;
		if (k == NR_SETTINGS)
			return bad(file, line,
				   "unknown key \"%s\" (mode, timestamps, min_age_ms, rtt_factor, dry_run, rule)",
				   key);
		if (cur->val_line[k])
			return bad(file, line, "a second %s in this section", key);
		if (strlen(val) >= sizeof(cur->val[k]) || !setting_ok(k, val))
			return bad(file, line, k == 0 ? "mode \"%s\": kernel, off, loopback or on" :
					       k == 1 ? "timestamps \"%s\": strict or kernel" :
					       k == 2 ? "min_age_ms \"%s\": 0 to 60000" :
					       k == 3 ? "rtt_factor \"%s\": 0 to 16" :
							"dry_run \"%s\": 0 or 1", val);
		snprintf(cur->val[k], sizeof(cur->val[k]), "%s", val);
		cur->val_line[k] = line;
	}
	if (ferror(f))
		return twg_fail(TWG_EXIT_ERROR, "%s: %s", file, strerror(errno));
	*out = secs;
	*nr = n;
	return 0;
}

static int resolve(struct section *sec)
{
	char self[32];
	struct twg_ns *ns;
	int nr, err;

	if (!strcmp(sec->target, "default"))
		return 0;		/* inode 0 */
	if (!strcmp(sec->target, "host")) {
		unsigned long long inum;
		char link[64];
		ssize_t n;

		n = readlink("/proc/1/ns/net", link, sizeof(link) - 1);
		if (n < 0)
			return twg_fail(TWG_EXIT_PERM, "[host]: /proc/1/ns/net: %s",
					strerror(errno));
		link[n] = 0;
		if (sscanf(link, "net:[%llu]", &inum) != 1)
			return twg_fail(TWG_EXIT_ERROR, "[host]: /proc/1/ns/net is %s", link);
		snprintf(self, sizeof(self), "%llu", inum);
		err = twg_ns_resolve(self, &ns, &nr);
	} else {
		/* Quietly: a missing namespace is a warning here. */
		twg_quiet = true;
		err = twg_ns_resolve(sec->target, &ns, &nr);
		twg_quiet = false;
	}
	if (err == TWG_EXIT_NO_NETNS) {
		twg_warn("line %d: [netns %s]: no such namespace now: skipped",
			 sec->line, sec->target);
		sec->skip = true;
		return 0;
	}
	if (err)
		return err;
	sec->ns = *ns;
	free(ns);
	return 0;
}

static int save_old(struct section *sec)
{
	char rel[64];
	int k, err;

	for (k = 0; k < NR_SETTINGS; k++) {
		snprintf(rel, sizeof(rel), "policy/%s", settings[k]);
		err = twg_read(&sec->ns, rel, sec->old[k], sizeof(sec->old[k]));
		if (err)
			return err;
		sec->old[k][strcspn(sec->old[k], "\n")] = 0;
	}
	return twg_read(&sec->ns, "policy/rules", sec->old_rules, sizeof(sec->old_rules));
}

/* Write @vals and @rules to @sec's policy: the errno of the first refusal. */
static int write_policy(struct section *sec, char vals[][32], const char *rules,
			const char **what)
{
	char rel[64];
	int k, err;

	for (k = 0; k < NR_SETTINGS; k++) {
		snprintf(rel, sizeof(rel), "policy/%s", settings[k]);
		err = twg_write(&sec->ns, rel, vals[k], strlen(vals[k]));
		if (err) {
			*what = settings[k];
			return -err;
		}
	}
	*what = "rules";
	err = twg_write(&sec->ns, "policy/rules", *rules ? rules : "\n",
			*rules ? strlen(rules) : 1);
	return -err;
}

static void put_back(struct section *secs, int n)
{
	const char *what;
	int i;

	for (i = 0; i < n; i++)
		if (secs[i].written &&
		    write_policy(&secs[i], secs[i].old, secs[i].old_rules, &what))
			twg_warn("%s: its policy/%s could not be put back",
				 twg_ns_where(&secs[i].ns), what);
}

int twg_cmd_apply(const struct twg_opts *o, int argc, char **argv)
{
	struct section *secs = NULL;
	const char *what;
	int nr = 0, i, k, err;
	FILE *f;

	if (argc != 1 || o->netns || o->default_policy)
		return twg_fail(TWG_EXIT_USAGE,
				"apply takes one FILE, and no -N: the file names the namespaces");
	f = strcmp(argv[0], "-") ? fopen(argv[0], "re") : stdin;
	if (!f)
		return twg_fail(TWG_EXIT_USAGE, "%s: %s", argv[0], strerror(errno));
	err = parse(argv[0], f, &secs, &nr);
	if (f != stdin)
		fclose(f);
	if (!err)
		err = twg_module_check();
	for (i = 0; !err && i < nr; i++)
		err = resolve(&secs[i]);
	for (i = 0; !err && i < nr; i++) {
		if (secs[i].skip)
			continue;
		err = save_old(&secs[i]);
	}
	for (i = 0; !err && i < nr; i++) {
		char vals[NR_SETTINGS][32];

		if (secs[i].skip)
			continue;
		for (k = 0; k < NR_SETTINGS; k++)
			snprintf(vals[k], sizeof(vals[k]), "%s",
				 secs[i].val_line[k] ? secs[i].val[k] : defaults[k]);
		secs[i].written = true;
		secs[i].rules[secs[i].rules_len] = 0;
		err = write_policy(&secs[i], vals, secs[i].rules, &what);
		if (err) {
			char where[600];

			snprintf(where, sizeof(where), "%s:%d: [%s%s]: ", argv[0],
				 secs[i].line,
				 strcmp(secs[i].target, "host") &&
				 strcmp(secs[i].target, "default") ? "netns " : "",
				 secs[i].target);
			twg_context = where;
			err = twg_policy_write_error(&secs[i].ns, what, err);
			twg_context = NULL;
			put_back(secs, i + 1);
			twg_warn("nothing applied from %s", argv[0]);
		}
	}
	free(secs);
	return err;
}
