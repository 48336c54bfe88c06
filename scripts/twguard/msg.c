// SPDX-License-Identifier: GPL-2.0
/* twguard(8): messages.  Every error names what failed and why. */
#include <stdarg.h>
#include <stdio.h>

#include "twguard.h"

const char *twg_prog = "twguard";
bool twg_quiet;		/* twg_fail() prints nothing */
const char *twg_context;	/* where, before what: "FILE:LINE: " */

static void say(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s%s", twg_prog, twg_context ? twg_context : "", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Print "twguard: MESSAGE" on stderr and return @code, the exit status. */
int twg_fail(int code, const char *fmt, ...)
{
	va_list ap;

	if (twg_quiet)
		return code;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	return code;
}

void twg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}
