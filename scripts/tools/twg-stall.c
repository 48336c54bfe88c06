// SPDX-License-Identifier: GPL-2.0
/*
 * twg-stall: how long this CPU was taken away from a task that only
 * wants to run, for make bench's load-time figure.
 *
 *   twg-stall CPU
 *
 * Binds itself to CPU (an otherwise idle one: the caller's business),
 * prints "twg-stall: spinning on CPU N" and reads CLOCK_MONOTONIC in a
 * loop until SIGUSR1.  Then prints "twg-stall: longest gap G us over S
 * ms": the longest time between two reads, that is the longest the CPU
 * was held by something else (a stop_machine() holds every CPU).  An
 * ordinary task, not a real-time one: the kernel's per-CPU workers still
 * run there, as on a host.  Exits 1 if it cannot bind.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "tool.h"

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long long start, last, t, gap = 0;
	sigset_t usr1, pending;
	unsigned long n = 0;
	cpu_set_t cpus;

	if (argc != 2) {
		fprintf(stderr, "usage: twg-stall CPU\n");
		return 2;
	}
	/* Blocked, and looked for now and then: no handler to race with. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	CPU_ZERO(&cpus);
	CPU_SET(atoi(argv[1]), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		perror("twg-stall");
		return 1;
	}
	printf("twg-stall: spinning on CPU %s\n", argv[1]);
	fflush(stdout);
	start = now_ns();
	last = start;
	for (;;) {
		t = now_ns();
		if (t - last > gap)
			gap = t - last;
		last = t;
		if (++n % 4096)
			continue;
		sigpending(&pending);
		if (sigismember(&pending, SIGUSR1))
			break;
	}
	printf("twg-stall: longest gap %lld us over %lld ms\n", gap / 1000,
	       (last - start) / 1000000);
	return 0;
}
