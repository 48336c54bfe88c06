// SPDX-License-Identifier: GPL-2.0
/*
 * twg-bench: time what a monitoring agent does, for the benchmark.
 *
 *   twg-bench read FILE COUNT     open, read() once and close FILE, COUNT
 *                                 times: prints the median ns per read
 *   twg-bench run COUNT CMD       run CMD with /bin/sh -c, COUNT times:
 *                                 prints the median us per run
 *
 * Output, one line: "twg-bench: MEDIAN UNIT (min MIN, max MAX, n COUNT)".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(double *v, int n, const char *unit)
{
	qsort(v, n, sizeof(*v), cmp);
	printf("twg-bench: %.1f %s (min %.1f, max %.1f, n %d)\n",
	       v[n / 2], unit, v[0], v[n - 1], n);
}

static void time_read(const char *file, int n, double *v)
{
	static char buf[65536];
	int i, fd;

	for (i = 0; i < n; i++) {
		double t = now_ns();

		fd = open(file, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) {
			perror(file);
			exit(1);
		}
		close(fd);
		v[i] = now_ns() - t;
	}
}

static void time_run(const char *cmd, int n, double *v)
{
	int i, status;

	for (i = 0; i < n; i++) {
		double t = now_ns();
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || status) {
			fprintf(stderr, "twg-bench: '%s' failed\n", cmd);
			exit(1);
		}
		v[i] = (now_ns() - t) / 1e3;
	}
}

int main(int argc, char **argv)
{
	double *v;
	int n;

	if (argc != 4)
		goto usage;
	n = atoi(argc == 4 && !strcmp(argv[1], "read") ? argv[3] : argv[2]);
	if (n <= 0)
		goto usage;
	v = calloc(n, sizeof(*v));
	if (!v)
		return 1;
	if (!strcmp(argv[1], "read")) {
		time_read(argv[2], n, v);
		report(v, n, "ns/read");
	} else if (!strcmp(argv[1], "run")) {
		time_run(argv[3], n, v);
		report(v, n, "us/run");
	} else {
		goto usage;
	}
	free(v);
	return 0;
usage:
	fprintf(stderr, "usage: twg-bench read FILE COUNT | run COUNT CMD\n");
	return 2;
}
