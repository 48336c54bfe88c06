// SPDX-License-Identifier: GPL-2.0
/*
 * twg-bind: one bind() of a TCP socket to a port, as a restarted server
 * makes it, and the errno it got, by name.
 *
 *   twg-bind [-6] [-r] [-l] [-H] PORT
 *
 * Binds to the wildcard address (:: with -6) and PORT, with SO_REUSEADDR
 * if -r, then listen()s if -l.  Prints "bind: ok" or "bind: ERRNO", and
 * with -l "listen: ok" or "listen: ERRNO" after a bind that worked.  With
 * -H (and -l), a listener made holds the port until standard input ends,
 * after printing its line.  Exits 0 when each call was made, whatever it
 * returned; 1 when one could not be.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char **argv)
{
	int family = AF_INET, reuse = 0, do_listen = 0, hold = 0, opt, fd;
	struct sockaddr_storage ss = {};
	socklen_t len;
	char buf[64];
	long port;

	while ((opt = getopt(argc, argv, "6rlH")) != -1) {
		switch (opt) {
		case '6':
			family = AF_INET6;
			break;
		case 'r':
			reuse = 1;
			break;
		case 'l':
			do_listen = 1;
			break;
		case 'H':
			hold = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	port = strtol(argv[optind], NULL, 10);
	if (port < 1 || port > 65535)
		goto usage;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0 || (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
					   &reuse, sizeof(reuse)))) {
		perror("twg-bind: socket");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		printf("bind: %s\n", errname(errno));
		return 0;
	}
	printf("bind: ok\n");
	if (!do_listen)
		return 0;
	if (listen(fd, 16)) {
		printf("listen: %s\n", errname(errno));
		return 0;
	}
	printf("listen: ok\n");
	fflush(stdout);
	while (hold && read(0, buf, sizeof(buf)) > 0)
		;
	return 0;

usage:
	fprintf(stderr, "usage: twg-bind [-6] [-r] [-l] [-H] PORT\n");
	return 2;
}
