// SPDX-License-Identifier: GPL-2.0
/*
 * twg-race: writers on every CPU against one reader, on one file.
 *
 *   twg-race FILE COUNT VALUE...
 *
 * First writes each VALUE once and reads back the text the file then
 * shows: the set of canonical values.  Then one writer per online CPU,
 * pinned to it, writes COUNT values picked at random from VALUE..., each
 * in one write() that must succeed, while a reader reads the file without
 * pause.  Every read must be, byte for byte, one of the canonical values:
 * anything else is a torn or half-applied write.  Prints
 * "twg-race: FILE: N writes, N reads, N torn, N failed writes" and the
 * first torn reads; exits 1 if any read was torn or any write failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#define MAXVAL 64
#define BUFLEN 65536

static const char *path;

static void die(const char *what)
{
	fprintf(stderr, "twg-race: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void readfile(char *buf)
{
	ssize_t n = read_file(path, buf, BUFLEN);

	if (n < 0) {
		errno = -n;
		die("read");
	}
}

static int writefile(const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		die("open for write");
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int writer(int cpu, long count, int nval, char **val)
{
	unsigned int seed = 2654435761u * (cpu + 1);
	cpu_set_t set;
	long i, failed = 0;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
	for (i = 0; i < count; i++) {
		seed = seed * 1103515245 + 12345;
		err = writefile(val[(seed >> 8) % nval]);
		if (err && failed++ < 5)
			printf("twg-race: %s: write on CPU %d: %s\n", path, cpu,
			       errname(err));
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	static char canon[MAXVAL][BUFLEN], buf[BUFLEN];
	long count, reads = 0, torn = 0, failed = 0;
	int nval, ncpu, i, running, status, err;
	pid_t pid[64];

	if (argc < 4 || argc - 3 > MAXVAL) {
		fprintf(stderr, "usage: twg-race FILE COUNT VALUE...\n");
		return 2;
	}
	path = argv[1];
	count = atol(argv[2]);
	nval = argc - 3;
	for (i = 0; i < nval; i++) {
		err = writefile(argv[3 + i]);
		if (err) {
			printf("twg-race: %s: value %d: %s\n", path, i, errname(err));
			return 1;
		}
		readfile(canon[i]);
	}

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 64)
		ncpu = 64;
	for (i = 0; i < ncpu; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork");
		if (!pid[i])
			exit(writer(i, count, nval, argv + 3));
	}

	for (running = ncpu; running;) {
		int j, ok = 0;

		readfile(buf);
		reads++;
		for (j = 0; j < nval && !ok; j++)
			ok = !strcmp(buf, canon[j]);
		if (!ok && torn++ < 5)
			printf("twg-race: %s: torn read: \"%.200s\"\n", path, buf);
		while (running && waitpid(-1, &status, WNOHANG) > 0) {
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				failed++;
		}
	}
	printf("twg-race: %s: %ld writes, %ld reads, %ld torn, %ld failed writers\n",
	       path, count * ncpu, reads, torn, failed);
	return torn || failed;
}
