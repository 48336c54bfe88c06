// SPDX-License-Identifier: GPL-2.0
/*
 * twguard policy [show | set KEY=VALUE... | rules FILE]: a namespace's
 * reuse policy (Documentation/networking/twguard-policy.rst).
 *
 * set writes each KEY's file in the order given; if the module refuses
 * one, the keys written before it get their old values back, so that a
 * refused set changes nothing.  rules hands FILE to the module in one
 * write, which replaces the whole list or, refused, changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twguard.h"

static const char *const settable[] = {
	"mode", "timestamps", "min_age_ms", "rtt_factor", "dry_run",
};

static const char *const shown[] = {
	"mode", "timestamps", "min_age_ms", "rtt_factor", "dry_run", "enforcing",
};

/* What a refused write means, in the policy document's words. */
static const char *refusal(int err)
{
	switch (err) {
	case EINVAL:
		return "malformed";
	case ERANGE:
		return "out of range";
	case ENOSPC:
		return "more than 256 rules";
	case E2BIG:
		return "4096 bytes or more";
	case EBUSY:
		return "tcp_twsk_unique() cannot be taken over (dmesg says why)";
	default:
		return strerror(err);
	}
}

int twg_policy_write_error(const struct twg_ns *ns, const char *file, int err)
{
	if (err == EACCES || err == EPERM)
		return twg_fail(TWG_EXIT_PERM, "%s: writing policy/%s: %s (%s)",
				twg_ns_where(ns), file, strerror(err),
				twg_ns_cap(ns));
	if (err == ENOENT && ns->inum)
		return twg_fail(TWG_EXIT_VANISHED,
				"netns %llu went away while being written", ns->inum);
	return twg_fail(err == EBUSY ? TWG_EXIT_ERROR : TWG_EXIT_USAGE,
			"%s: policy/%s refused: %s (%s)", twg_ns_where(ns),
			file, refusal(err), strerror(err));
}

/* The one policy a change is for: --default, -N, or the caller's netns's. */
static int target(const struct twg_opts *o, struct twg_ns **ns)
{
	char self[32];
	unsigned long long inum;
	int nr, err;

	if (o->default_policy) {
		err = twg_module_check();
		if (err)
			return err;
		*ns = calloc(1, sizeof(**ns));	/* inode 0: the default */
		return *ns ? 0 : twg_fail(TWG_EXIT_ERROR, "out of memory");
	}
	if (o->netns)
		return twg_ns_resolve(o->netns, ns, &nr);
	if (twg_ns_self(&inum))
		return twg_fail(TWG_EXIT_ERROR, "cannot read /proc/self/ns/net");
	snprintf(self, sizeof(self), "%llu", inum);
	return twg_ns_resolve(self, ns, &nr);
}

static int show_one(const struct twg_opts *o, FILE *out, const struct twg_ns *ns)
{
	char val[ARRAY_SIZE(shown)][64], rules[8192], rel[64], label[400];
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(shown); i++) {
		snprintf(rel, sizeof(rel), "policy/%s", shown[i]);
		err = twg_read(ns, rel, val[i], sizeof(val[i]));
		if (err)
			return err;
		val[i][strcspn(val[i], "\n")] = 0;
	}
	err = twg_read(ns, "policy/rules", rules, sizeof(rules));
	if (err)
		return err;

	if (o->json) {
		char *line, *save = NULL;

		j_ns_open(ns);
		for (i = 0; i < ARRAY_SIZE(shown); i++) {
			if (strspn(val[i], "0123456789") == strlen(val[i]) && val[i][0])
				j_u64(shown[i], strtoull(val[i], NULL, 10));
			else
				j_str(shown[i], val[i]);
		}
		j_open("rules", '[');
		for (line = strtok_r(rules, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			j_str(NULL, line);
		j_close(']');
		j_close('}');
		return 0;
	}
	fprintf(out, "%s\n ", twg_ns_label(ns, label, sizeof(label)));
	for (i = 0; i < ARRAY_SIZE(shown); i++)
		fprintf(out, " %s %s", shown[i], val[i]);
	fputc('\n', out);
	if (rules[0])
		fprintf(out, "  rules:\n%s", rules);
	else
		fprintf(out, "  rules: none\n");
	return 0;
}

static int policy_show(const struct twg_opts *o)
{
	struct twg_ns *ns = NULL;
	int nr = 1, i, err;

	err = o->default_policy ? target(o, &ns) : twg_ns_resolve(o->netns, &ns, &nr);
	if (err)
		return err;
	if (o->json) {
		j_doc_open(stdout, o->pretty);
		j_open("namespaces", '[');
	}
	for (i = 0; i < nr && !err; i++)
		err = show_one(o, stdout, &ns[i]);
	if (o->json && !err)
		j_doc_close();
	free(ns);
	return err;
}

static int policy_set(const struct twg_opts *o, int argc, char **argv)
{
	char old[16][64];
	struct twg_ns *ns;
	int i, err;
	size_t k;

	if (argc < 1)
		return twg_fail(TWG_EXIT_USAGE, "policy set needs KEY=VALUE");
	if (argc > 16)
		return twg_fail(TWG_EXIT_USAGE, "policy set takes at most 16 settings");
	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		for (k = 0; eq && k < ARRAY_SIZE(settable); k++)
			if (strlen(settable[k]) == (size_t)(eq - argv[i]) &&
			    !strncmp(argv[i], settable[k], eq - argv[i]))
				break;
		if (!eq || k == ARRAY_SIZE(settable))
			return twg_fail(TWG_EXIT_USAGE,
					"policy set: \"%s\" is not KEY=VALUE with KEY one of mode, timestamps, min_age_ms, rtt_factor, dry_run",
					argv[i]);
	}
	err = target(o, &ns);
	if (err)
		return err;
	for (i = 0; i < argc; i++) {
		char rel[64], *eq = strchr(argv[i], '=');

		snprintf(rel, sizeof(rel), "policy/%.*s", (int)(eq - argv[i]), argv[i]);
		err = twg_read(ns, rel, old[i], sizeof(old[i]));
		if (err)
			goto out;
	}
	for (i = 0; i < argc; i++) {
		char rel[64], *eq = strchr(argv[i], '=');
		int werr;

		snprintf(rel, sizeof(rel), "policy/%.*s", (int)(eq - argv[i]), argv[i]);
		werr = twg_write(ns, rel, eq + 1, strlen(eq + 1));
		if (werr) {
			err = twg_policy_write_error(ns, rel + 7, -werr);
			/* Put back what this set already changed. */
			while (--i >= 0) {
				eq = strchr(argv[i], '=');
				snprintf(rel, sizeof(rel), "policy/%.*s",
					 (int)(eq - argv[i]), argv[i]);
				if (twg_write(ns, rel, old[i], strlen(old[i])))
					twg_warn("netns %llu: %s could not be put back to %.*s",
						 ns->inum, rel, (int)strcspn(old[i], "\n"), old[i]);
			}
			goto out;
		}
	}
out:
	free(ns);
	return err;
}

static int policy_rules(const struct twg_opts *o, int argc, char **argv)
{
	char buf[4096];
	struct twg_ns *ns;
	size_t len = 0;
	ssize_t n;
	FILE *f;
	int err;

	if (argc != 1)
		return twg_fail(TWG_EXIT_USAGE, "policy rules takes one FILE (- for stdin)");
	f = strcmp(argv[0], "-") ? fopen(argv[0], "re") : stdin;
	if (!f)
		return twg_fail(TWG_EXIT_USAGE, "%s: %s", argv[0], strerror(errno));
	while ((n = fread(buf + len, 1, sizeof(buf) - len, f)) > 0)
		len += n;
	if (f != stdin)
		fclose(f);
	if (len == sizeof(buf))
		return twg_fail(TWG_EXIT_USAGE,
				"%s: rules are written in one write of under 4096 bytes",
				argv[0]);
	if (!len)
		buf[len++] = '\n';	/* an empty file empties the list */
	err = target(o, &ns);
	if (err)
		return err;
	n = twg_write(ns, "policy/rules", buf, len);
	if (n)
		err = twg_policy_write_error(ns, "rules", -n);
	free(ns);
	return err;
}

int twg_cmd_policy(const struct twg_opts *o, int argc, char **argv)
{
	if (argc == 0 || !strcmp(argv[0], "show")) {
		if (argc > 1)
			return twg_fail(TWG_EXIT_USAGE, "policy show takes no arguments");
		return policy_show(o);
	}
	if (!strcmp(argv[0], "set"))
		return policy_set(o, argc - 1, argv + 1);
	if (!strcmp(argv[0], "rules"))
		return policy_rules(o, argc - 1, argv + 1);
	return twg_fail(TWG_EXIT_USAGE, "policy: show, set KEY=VALUE... or rules FILE, not \"%s\"",
			argv[0]);
}
