// SPDX-License-Identifier: GPL-2.0
/*
 * twg-as: run a command as an unprivileged user of the initial user
 * namespace, with no supplementary groups and no capabilities: what a
 * monitoring agent run as its own user is.
 *
 *   twg-as UID CMD [ARG...]
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t uid;

	if (argc < 3) {
		fprintf(stderr, "usage: twg-as UID CMD [ARG...]\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("twg-as");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
