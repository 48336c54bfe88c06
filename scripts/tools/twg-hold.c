// SPDX-License-Identifier: GPL-2.0
/*
 * twg-hold: hold files open across an event, then read them.
 *
 *   twg-hold FILE...
 *
 * Opens every FILE for reading, prints "twg-hold: holding N files" and
 * waits for SIGUSR1.  Then reads each FILE from offset 0 through the
 * descriptor it held and prints one line per file: "FILE ok" or
 * "FILE ERRNO" (ENODEV, EIO...).  A test holds a netns's files this way
 * while the netns goes away, to see what a reader that was too slow gets.
 * Exits 1 if a FILE cannot be opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	sigset_t set;
	int i, sig, *fd;

	if (argc < 2) {
		fprintf(stderr, "usage: twg-hold FILE...\n");
		return 2;
	}
	/* Blocked before we say we hold them: the signal cannot be lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fd = calloc(argc, sizeof(*fd));
	if (!fd)
		return 1;
	for (i = 1; i < argc; i++) {
		fd[i] = open(argv[i], O_RDONLY);
		if (fd[i] < 0) {
			fprintf(stderr, "twg-hold: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	printf("twg-hold: holding %d files\n", argc - 1);
	fflush(stdout);
	sigwait(&set, &sig);

	for (i = 1; i < argc; i++) {
		ssize_t n = pread(fd[i], buf, sizeof(buf), 0);

		printf("%s %s\n", argv[i], n < 0 ? errname(errno) : "ok");
		close(fd[i]);
	}
	return 0;
}
