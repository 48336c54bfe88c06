// SPDX-License-Identifier: GPL-2.0
/*
 * twg-churn: open and close TCP connections on loopback, closing each in
 * a chosen way, so that tests know exactly which close-path states and
 * how many TIME-WAIT sockets to expect.
 *
 *   twg-churn [-6] [-p PORT] [-n COUNT] MODE
 *
 *   client        the connecting side closes first: it ends in TIME-WAIT
 *   server        the accepting side closes first: it ends in TIME-WAIT
 *   reset         the connecting side aborts with SO_LINGER 0: a RST, no
 *                 TIME-WAIT anywhere
 *   simultaneous  both sides close with their FINs queued behind unread
 *                 data, so that each FIN crosses the other: one side
 *                 passes through CLOSING, both end in TIME-WAIT
 *
 * Both ends live in this one process, in the caller's network namespace.
 * It prints one line, "twg-churn: N MODE closes", and exits 0 only when
 * every connection closed as asked.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int family = AF_INET;

static void die(const char *what)
{
	fprintf(stderr, "twg-churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t make_addr(struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*a);
}

static int listener(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, port);
	int one = 1;
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (listen(fd, 128))
		die("listen");
	return fd;
}

/* Connect to the listener and accept: the two ends of one connection. */
static void pair(int lfd, int port, int *cfd, int *afd)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, port);

	*cfd = socket(family, SOCK_STREAM, 0);
	if (*cfd < 0)
		die("socket");
	if (connect(*cfd, (struct sockaddr *)&ss, len))
		die("connect");
	*afd = accept(lfd, NULL, NULL);
	if (*afd < 0)
		die("accept");
}

/* Read until the peer's FIN; a RST is an error unless @rst_ok. */
static void drain(int fd, int rst_ok)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n == 0)
			return;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET && rst_ok)
			return;
		die("read");
	}
}

static void close_client_first(int cfd, int afd)
{
	close(cfd);
	drain(afd, 0);
	close(afd);
}

static void close_reset(int cfd, int afd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		die("SO_LINGER");
	close(cfd);
	drain(afd, 1);
	close(afd);
}

/* Write until the peer's receive window and our send buffer are full. */
static void fill(int fd)
{
	static char junk[65536];

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	if (errno != EAGAIN)
		die("write");
}

/*
 * With unsent data ahead of it, a FIN stays queued.  Queue one on each
 * side, then let the data flow: each side receives the other's FIN before
 * its own was acknowledged.
 */
static void close_simultaneous(int cfd, int afd)
{
	int small = 4096;
	int open = 2, done[2] = { 0, 0 };
	int fds[2] = { cfd, afd };
	char buf[65536];

	setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(afd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fill(cfd);
	fill(afd);
	if (shutdown(cfd, SHUT_WR) || shutdown(afd, SHUT_WR))
		die("shutdown");
	while (open) {
		struct pollfd p[2] = {
			{ .fd = done[0] ? -1 : cfd, .events = POLLIN },
			{ .fd = done[1] ? -1 : afd, .events = POLLIN },
		};

		if (poll(p, 2, 10000) <= 0)
			die("poll");
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (done[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i], buf, sizeof(buf));
			if (n == 0) {
				done[i] = 1;
				open--;
			} else if (n < 0 && errno != EAGAIN) {
				die("read");
			}
		}
	}
	close(cfd);
	close(afd);
}

int main(int argc, char **argv)
{
	int port = 5000, count = 1, opt, lfd, cfd, afd, i;
	const char *mode;

	while ((opt = getopt(argc, argv, "6p:n:")) != -1) {
		switch (opt) {
		case '6':
			family = AF_INET6;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	mode = argv[optind];

	lfd = listener(port);
	for (i = 0; i < count; i++) {
		pair(lfd, port, &cfd, &afd);
		if (!strcmp(mode, "client"))
			close_client_first(cfd, afd);
		else if (!strcmp(mode, "server"))
			close_client_first(afd, cfd);
		else if (!strcmp(mode, "reset"))
			close_reset(cfd, afd);
		else if (!strcmp(mode, "simultaneous"))
			close_simultaneous(cfd, afd);
		else
			goto usage;
	}
	close(lfd);
	printf("twg-churn: %d %s closes\n", count, mode);
	return 0;

usage:
	fprintf(stderr, "usage: twg-churn [-6] [-p PORT] [-n COUNT] %s\n",
		"client|server|reset|simultaneous");
	return 2;
}
