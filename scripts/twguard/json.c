// SPDX-License-Identifier: GPL-2.0
/*
 * twguard(8): a small JSON writer, compact (-j) or indented (-p).  Strings
 * are escaped as RFC 8259 asks; numbers are integers or finite decimals.
 */
#include <math.h>
#include <stdio.h>

#include "twguard.h"

#define J_DEPTH	16

static struct {
	FILE *f;
	bool pretty;
	int depth;
	bool first[J_DEPTH];
} j;

static void j_init(FILE *f, bool pretty)
{
	j.f = f;
	j.pretty = pretty;
	j.depth = 0;
	j.first[0] = true;
}

static void j_indent(void)
{
	int i;

	fputc('\n', j.f);
	for (i = 0; i < j.depth; i++)
		fputs("  ", j.f);
}

static void j_string(const char *s)
{
	fputc('"', j.f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(j.f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", j.f);
		else if (c == '\t')
			fputs("\\t", j.f);
		else if (c < 0x20)
			fprintf(j.f, "\\u%04x", c);
		else
			fputc(c, j.f);
	}
	fputc('"', j.f);
}

/* The separator and key of the next value. */
static void j_sep(const char *key)
{
	if (!j.first[j.depth])
		fputc(',', j.f);
	j.first[j.depth] = false;
	if (j.pretty && j.depth)
		j_indent();
	if (key) {
		j_string(key);
		fputs(j.pretty ? ": " : ":", j.f);
	}
}

void j_open(const char *key, char c)
{
	j_sep(key);
	fputc(c, j.f);
	if (j.depth < J_DEPTH - 1)
		j.depth++;
	j.first[j.depth] = true;
}

void j_close(char c)
{
	bool empty = j.first[j.depth];

	j.depth--;
	if (j.pretty && !empty)
		j_indent();
	fputc(c, j.f);
}

void j_str(const char *key, const char *s)
{
	j_sep(key);
	j_string(s);
}

void j_u64(const char *key, unsigned long long v)
{
	j_sep(key);
	fprintf(j.f, "%llu", v);
}

void j_i64(const char *key, long long v)
{
	j_sep(key);
	fprintf(j.f, "%lld", v);
}

void j_dbl(const char *key, double v)
{
	j_sep(key);
	if (isfinite(v))
		fprintf(j.f, "%.3f", v);
	else
		fputs("null", j.f);
}

void j_bool(const char *key, bool v)
{
	j_sep(key);
	fputs(v ? "true" : "false", j.f);
}

void j_null(const char *key)
{
	j_sep(key);
	fputs("null", j.f);
}

/* A document: an object, one per line. */
void j_doc_open(FILE *f, bool pretty)
{
	j_init(f, pretty);
	j_open(NULL, '{');
}

/* The end of the document's "namespaces" list, and of the document. */
void j_doc_close(void)
{
	j_close(']');
	j_close('}');
	fputc('\n', j.f);
	j.first[0] = true;
}

/* A namespace's object, as every command names it. */
void j_ns_open(const struct twg_ns *ns)
{
	j_open(NULL, '{');
	if (!ns->inum) {		/* the default policy */
		j_null("netns");
		j_null("name");
		j_null("pid");
		j_bool("default", true);
		return;
	}
	j_u64("netns", ns->inum);
	if (ns->name[0])
		j_str("name", ns->name);
	else
		j_null("name");
	if (ns->pid)
		j_i64("pid", ns->pid);
	else
		j_null("pid");
}
