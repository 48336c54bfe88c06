// SPDX-License-Identifier: GPL-2.0
/*
 * twg-userns: run a command as the root of a new user namespace owned by
 * an unprivileged user, in a new network namespace: what a container's
 * root is.
 *
 *   twg-userns UID CMD [ARG...]
 *
 * Becomes UID (and GID UID), creates a user namespace, maps UID to root
 * in it, and only then creates the network namespace, as container
 * runtimes do: a netns made in the same unshare() call as its user
 * namespace exists before that namespace has a root, so it (its loopback
 * device, its twguard directory) belongs to the global root.  Then it
 * execs CMD there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	char map[64];
	int id;

	if (argc < 3) {
		fprintf(stderr, "usage: twg-userns UID CMD [ARG...]\n");
		return 2;
	}
	id = atoi(argv[1]);
	if (setgroups(0, NULL) || setgid(id) || setuid(id))
		die("setuid");
	/* A changed uid makes /proc/self root's; make it ours again. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		die("PR_SET_DUMPABLE");
	if (unshare(CLONE_NEWUSER))
		die("unshare(CLONE_NEWUSER)");
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %d 1\n", id);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/gid_map", map);
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET)");
	execvp(argv[2], argv + 2);
	die(argv[2]);
}
