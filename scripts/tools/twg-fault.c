// SPDX-License-Identifier: GPL-2.0
/*
 * twg-fault: fail the Nth allocation of one system call, for every N.
 *
 *   twg-fault count
 *   twg-fault netns FIRST LAST
 *   twg-fault write FILE OLD NEW
 *
 * Uses the kernel's fault injection: /proc/thread-self/fail-nth makes the
 * Nth fault-injectable call (here: slab allocations, with failslab set to
 * fail sleeping ones too) of the calling thread fail, and reads back 0
 * once it has.  The caller sets /sys/kernel/debug/failslab up.
 *
 * count: how many allocations creating a netns makes; with tracefs
 * mounted, marks "twg-fault: armed" and "twg-fault: done" around them.
 *
 * netns: for each N in [FIRST, LAST], a child fails the Nth allocation of
 * unshare(CLONE_NEWNET).  The call must fail with ENOMEM or succeed; when
 * it succeeds the new netns must have its twguard directory and /proc
 * file, readable.  Prints one line of totals.
 *
 * write: for N = 1, 2... until an N is never reached: FILE is set to OLD,
 * then NEW is written with its Nth allocation failing.  A failed write must
 * fail with ENOMEM and leave FILE reading what it read before; a write that
 * succeeds must leave it reading what NEW reads as without faults.
 *
 * Exits 1 on any violation, 2 when it cannot run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#define BUFLEN 65536
#define ARM_ALL 1000000

static int nth = -1;

static void die(const char *what)
{
	fprintf(stderr, "twg-fault: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Open before arming: opening a file allocates. */
static void nth_open(void)
{
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0)
		die("/proc/thread-self/fail-nth");
}

static void nth_arm(unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	if (pwrite(nth, s, len, 0) != len)
		die("arm fail-nth");
}

/* What is left of the count: 0 once the fault was injected. */
static unsigned int nth_left(void)
{
	char s[16] = "";

	if (pread(nth, s, sizeof(s) - 1, 0) < 0)
		die("read fail-nth");
	return strtoul(s, NULL, 10);
}

/* Write @val to @path with its @n-th allocation failing (0: none). */
static int writefile(const char *path, const char *val, unsigned int n,
		     int *injected)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		die(path);
	if (n)
		nth_arm(n);
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	if (n) {
		*injected = nth_left() == 0;
		nth_arm(0);
	}
	close(fd);
	return err;
}

/* A line in the function tracer's buffer, if it is there to take one. */
static void mark(int fd, const char *what)
{
	if (fd >= 0 && write(fd, what, strlen(what)) < 0)
		die("trace_marker");
}

/*
 * Counts the allocations of one unshare(), between two marks in the
 * trace (if tracefs is mounted), so that a tracer of the same calls can
 * tell which of them are whose.
 */
static int cmd_count(void)
{
	int marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
	unsigned int left;
	int r;

	nth_open();
	mark(marker, "twg-fault: armed");
	nth_arm(ARM_ALL);
	r = unshare(CLONE_NEWNET);
	left = nth_left();
	nth_arm(0);
	mark(marker, "twg-fault: done");
	if (r)
		die("unshare");
	printf("%u\n", ARM_ALL - left);
	return 0;
}

/*
 * In a child: fail the @n-th allocation of unshare().  Exit status:
 * 0 made, 1 failed with ENOMEM, 3 the fault was not reached,
 * 4 made despite the fault, 5 a violation (printed).
 */
static int netns_child(unsigned int n)
{
	static char buf[BUFLEN];
	char dir[64];
	struct stat st;
	int r, err, injected;

	nth_open();
	nth_arm(n);
	r = unshare(CLONE_NEWNET);
	err = errno;
	injected = nth_left() == 0;
	nth_arm(0);
	if (r) {
		if (err == ENOMEM && injected)
			return 1;
		printf("twg-fault: fault %u: unshare: %s%s\n", n, errname(err),
		       injected ? "" : " with no fault injected");
		return 5;
	}
	if (stat("/proc/self/ns/net", &st))
		die("/proc/self/ns/net");
	snprintf(dir, sizeof(dir), "/sys/kernel/twguard/netns/%lu/stats",
		 (unsigned long)st.st_ino);
	if (read_file(dir, buf, BUFLEN) <= 0 ||
	    read_file("/proc/self/net/twguard/ports", buf, BUFLEN) < 0) {
		printf("twg-fault: fault %u: a netns without its twguard files\n", n);
		return 5;
	}
	return injected ? 4 : 3;
}

static int cmd_netns(unsigned int first, unsigned int last)
{
	unsigned long tally[6] = { 0 };
	unsigned int n;
	int status;
	pid_t pid;

	for (n = first; n <= last; n++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			fflush(stdout);
			_exit(netns_child(n));
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 5 ||
		    WEXITSTATUS(status) == 2)
			die("child");
		tally[WEXITSTATUS(status)]++;
	}
	printf("twg-fault: netns, faults %u..%u: %lu failed with ENOMEM, ",
	       first, last, tally[1]);
	printf("%lu made despite the fault, %lu not reached, %lu violations\n",
	       tally[4], tally[3], tally[5]);
	return tally[5] ? 1 : 0;
}

static int cmd_write(const char *path, const char *old, const char *new)
{
	static char want_old[BUFLEN], want_new[BUFLEN], got[BUFLEN];
	unsigned long failed = 0, despite = 0, violations = 0;
	unsigned int n;
	int err, injected = 1;

	nth_open();
	if (writefile(path, new, 0, NULL) || read_file(path, want_new, BUFLEN) < 0 ||
	    writefile(path, old, 0, NULL) || read_file(path, want_old, BUFLEN) < 0)
		die("setting OLD and NEW without faults");

	for (n = 1; injected; n++) {
		if (writefile(path, old, 0, NULL))
			die("restoring OLD");
		err = writefile(path, new, n, &injected);
		if (read_file(path, got, BUFLEN) < 0)
			die("reading back");
		if (err) {
			failed++;
			if (err != ENOMEM || !injected || strcmp(got, want_old)) {
				violations++;
				printf("twg-fault: %s: fault %u: %s, reads \"%.80s\"\n",
				       path, n, errname(err), got);
			}
		} else {
			despite += injected;
			if (strcmp(got, want_new)) {
				violations++;
				printf("twg-fault: %s: fault %u: written, but reads \"%.80s\"\n",
				       path, n, got);
			}
		}
	}
	printf("twg-fault: %s: %u allocations, %lu failed with ENOMEM, ",
	       path, n - 2, failed);
	printf("%lu written despite the fault, %lu violations\n", despite,
	       violations);
	return violations ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "count"))
		return cmd_count();
	if (argc == 4 && !strcmp(argv[1], "netns"))
		return cmd_netns(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: twg-fault count\n"
		"       twg-fault netns FIRST LAST\n"
		"       twg-fault write FILE OLD NEW\n");
	return 2;
}
