// SPDX-License-Identifier: GPL-2.0
/*
 * twg-fuzz: hostile input for one writable twguard file.
 *
 *   twg-fuzz FILE GRAMMAR COUNT SEED
 *
 * GRAMMAR says what the file accepts, as the ABI document does:
 *   num:MIN:MAX     a decimal number in [MIN, MAX]
 *   names:A,B,...   one of the names
 *   rules           policy rules (Documentation/networking/twguard-policy.rst)
 *
 * Sends COUNT inputs, one write() each (or, for some, split over two
 * write()s, each checked on its own, or a pwrite() at an offset, which
 * sysfs takes as a whole write): random bytes, overlong lines, embedded NULs,
 * numbers at and past every limit, negative, hex, octal and signed forms,
 * whitespace, names with junk, rule lines cut anywhere.  After each:
 *   - a failure must carry an errno the ABI documents for the file
 *     (EINVAL, ERANGE, E2BIG; ENOSPC for rules), and the file must read
 *     back exactly what it held before;
 *   - a success must read back the value written (numbers and names), or
 *     text that, written back, is accepted and reads back the same (rules);
 *     an empty write must change nothing.
 * Prints "twg-fuzz: FILE: N inputs, N accepted, N rejected, N violations"
 * and one line per violation (the first 20); exits 1 on any violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define MAXIN 8192

static const char *path;
static char *names[16];
static int nnames, rules;
static unsigned long long nmin, nmax;
static unsigned long long violations, accepted, rejected;
static unsigned int seed;

static unsigned int rnd(unsigned int n)
{
	seed = seed * 1103515245 + 12345;
	return n ? (seed >> 8) % n : 0;
}

static void die(const char *what)
{
	fprintf(stderr, "twg-fuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

static ssize_t readall(char *buf, size_t len)
{
	ssize_t n = read_file(path, buf, len);

	if (n < 0) {
		errno = -n;
		die("read");
	}
	return n;
}

/* How an input is sent: one write(), or one pwrite() at an offset. */
enum how { WHOLE, AT_OFFSET };

/* Send @in; return 0 or the errno of the (first failing) write. */
static int send_input(const char *in, size_t len, enum how how)
{
	int fd = open(path, O_WRONLY), err = 0;
	ssize_t n;

	if (fd < 0)
		die("open for write");
	if (how == WHOLE)
		n = write(fd, in, len);
	else
		n = pwrite(fd, in, len, 1 + rnd(64));
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

static void violation(const char *what, const char *in, size_t len, int err)
{
	violations++;
	if (violations > 20)
		return;
	printf("twg-fuzz: %s: %s (errno %d) for input of %zu bytes: \"", path,
	       what, err, len);
	for (size_t i = 0; i < len && i < 60; i++)
		putchar(in[i] >= 32 && in[i] < 127 ? in[i] : '.');
	printf("\"\n");
}

static int errno_documented(int err)
{
	return err == EINVAL || err == ERANGE || err == E2BIG ||
	       (rules && err == ENOSPC);
}

/* --- inputs ---------------------------------------------------------------- */

static size_t gen_number(char *b)
{
	static const char *const forms[] = { "%llu", "%llu\n", " %llu", "%llu ",
		"+%llu", "-%llu", "0x%llx", "0%llo", "%llu\n\n", "%llu\t" };
	unsigned long long v;

	/* At and past each limit, past 32 bits, or in range. */
	const unsigned long long pick[] = {
		nmin, nmax, nmax + 1 + rnd(3), nmin ? nmin - 1 : 0,
		0xffffffffULL + rnd(3), nmin + rnd(nmax - nmin + 1),
	};

	v = pick[rnd(6)];
	return snprintf(b, 64, forms[rnd(10)], v);
}

static size_t gen_name(char *b)
{
	const char *n = names[rnd(nnames)];

	switch (rnd(4)) {
	case 0: return sprintf(b, "%s", n);
	case 1: return sprintf(b, "%s\n", n);
	case 2: return sprintf(b, "%s%c", n, "x \t0"[rnd(4)]);
	default: return sprintf(b, "%.*s", (int)rnd(strlen(n) + 1), n);
	}
}

static size_t gen_rule_line(char *b)
{
	static const char *const nets[] = { "10.0.0.0/8", "192.0.2.1", "::/0",
		"2001:db8::/32", "0.0.0.0/0", "10.0.0.0/33", "::1/129", "300.1.1.1",
		"any", "", "fe80::1%lo" };
	/* Port clauses and actions, some valid, some not; sprintf() joins. */
	static const char *const ports[] = { "", " port 80", " port 0",
		" port 65535", " port 65536", " port 1-1024", " port 9-3",
		" port -1", " port x" };
	static const char *const acts[] = { " allow", " deny", " kernel",
		" permit", "", " allow extra" };

	return sprintf(b, "%s%s%s\n", nets[rnd(11)], ports[rnd(9)], acts[rnd(6)]);
}

/* One input into @b; its length. */
static size_t gen(char *b)
{
	static const char fill[] = { '1', 'a', ' ', '\n' };
	size_t len = 0, i, n;

	switch (rnd(8)) {
	case 0:		/* random bytes */
		n = rnd(200);
		for (i = 0; i < n; i++)
			b[i] = rnd(256);
		return n;
	case 1:		/* an overlong line */
		n = 4000 + rnd(4000);
		memset(b, fill[rnd(4)], n);
		return n;
	case 2:		/* an embedded NUL */
		len = rules ? gen_rule_line(b) : nnames ? gen_name(b) : gen_number(b);
		b[rnd(len + 1)] = 0;
		return len ? len : 1;
	case 3:		/* empty, or only whitespace */
		n = rnd(3);
		memcpy(b, "\n \t", n);
		return n;
	default:	/* well-formed, nearly */
		if (rules) {
			n = rnd(rnd(10) ? 6 : 300);
			for (i = 0; i < n && len < MAXIN - 128; i++)
				len += gen_rule_line(b + len);
			if (len && !rnd(5))
				len = rnd(len);	/* cut anywhere */
			return len;
		}
		return nnames ? gen_name(b) : gen_number(b);
	}
}

/* --- checks ------------------------------------------------------------------ */

/* The text a number or name written as @in reads back as; 0 if none. */
static int expected(const char *in, size_t len, char *want)
{
	char tmp[MAXIN];

	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, in, len);
	tmp[len] = 0;
	if (strlen(tmp) != len)
		return 0;
	if (len && tmp[len - 1] == '\n')
		tmp[len - 1] = 0;
	if (nnames) {
		for (int i = 0; i < nnames; i++)
			if (!strcmp(tmp, names[i]))
				return sprintf(want, "%s\n", names[i]);
		return 0;
	}
	char *end;
	unsigned long long v;

	if (!tmp[0] || tmp[0] == '-' || tmp[0] == ' ')
		return 0;
	errno = 0;
	v = strtoull(tmp, &end, 10);
	if (errno || *end || v < nmin || v > nmax)
		return 0;
	return sprintf(want, "%llu\n", v);
}

static void check_one(char *in, size_t len, enum how how)
{
	static char before[MAXIN], after[MAXIN], want[MAXIN], again[MAXIN];
	int err;

	readall(before, sizeof(before));
	err = send_input(in, len, how);
	readall(after, sizeof(after));
	if (err) {
		rejected++;
		if (!errno_documented(err))
			violation("undocumented errno", in, len, err);
		if (strcmp(before, after))
			violation("changed by a rejected write", in, len, err);
		return;
	}
	accepted++;
	/* A write of nothing is no write at all: sysfs returns 0. */
	if (!len) {
		if (strcmp(before, after))
			violation("changed by an empty write", in, len, 0);
		return;
	}
	if (len >= 4096)
		violation("a write of a page or more accepted", in, len, 0);
	if (rules) {
		/* Canonical text writes back to itself. */
		err = send_input(after, strlen(after), WHOLE);
		readall(again, sizeof(again));
		if (err || strcmp(after, again))
			violation("canonical rules do not round-trip", after,
				  strlen(after), err);
		return;
	}
	if (!expected(in, len, want) || strcmp(want, after))
		violation("accepted, but reads back otherwise", in, len, 0);
}

int main(int argc, char **argv)
{
	static char in[MAXIN];
	unsigned long count, i;
	const char *g;

	if (argc != 5) {
		fprintf(stderr, "usage: twg-fuzz FILE num:MIN:MAX|names:A,B|rules COUNT SEED\n");
		return 2;
	}
	path = argv[1];
	g = argv[2];
	count = strtoul(argv[3], NULL, 10);
	seed = strtoul(argv[4], NULL, 10);
	if (!strcmp(g, "rules")) {
		rules = 1;
	} else if (sscanf(g, "num:%llu:%llu", &nmin, &nmax) == 2) {
		;
	} else if (!strncmp(g, "names:", 6)) {
		char *s = strdup(g + 6), *tok;

		for (tok = strtok(s, ","); tok && nnames < 16; tok = strtok(NULL, ","))
			names[nnames++] = tok;
	} else {
		fprintf(stderr, "twg-fuzz: bad grammar %s\n", g);
		return 2;
	}

	for (i = 0; i < count; i++) {
		size_t len = gen(in);
		unsigned int r = rnd(10);

		if (r == 0 && len > 1) {
			/* A partial write: each write() stands alone. */
			check_one(in, len / 2, WHOLE);
			check_one(in + len / 2, len - len / 2, WHOLE);
		} else {
			check_one(in, len, r == 1 ? AT_OFFSET : WHOLE);
		}
	}
	printf("twg-fuzz: %s: %lu inputs, %llu accepted, %llu rejected, %llu violations\n",
	       path, count, accepted, rejected, violations);
	return violations ? 1 : 0;
}
