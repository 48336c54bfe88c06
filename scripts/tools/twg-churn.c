// SPDX-License-Identifier: GPL-2.0
/*
 * twg-churn: open and close TCP connections on loopback, closing each in
 * a chosen way, so that tests know exactly which close-path states and
 * how many TIME-WAIT sockets to expect.
 *
 *   twg-churn [-6] [-a ADDR] [-p PORT] [-P PORTS] [-n COUNT] [-C NETNS]
 *             [-B PORT] [-w MSEC] MODE
 *
 *   client        the connecting side closes first: it ends in TIME-WAIT
 *   server        the accepting side closes first: it ends in TIME-WAIT
 *   reset         the connecting side aborts with SO_LINGER 0: a RST, no
 *                 TIME-WAIT anywhere
 *   simultaneous  both sides close with their FINs queued behind unread
 *                 data, so that each FIN crosses the other: one side
 *                 passes through CLOSING, both end in TIME-WAIT
 *   backlog       the connecting side shuts down its sending half; the
 *                 accepting side fills the connecting side's receive
 *                 window and closes.  The connecting side reads it all:
 *                 each window update it sends from read() brings more
 *                 data on loopback, at last the FIN, while read() owns the
 *                 socket, so the FIN is processed from the socket's
 *                 backlog and TIME-WAIT is made in process context
 *   halfclose     the connecting side closes, the accepting side holds
 *                 its end open (CLOSE_WAIT, FIN_WAIT2 on the other side)
 *                 until its standard input ends, then closes it
 *   open          both sides hold the connection open until standard
 *                 input ends, then the connecting side aborts it with a
 *                 RST: live connections that leave no TIME-WAIT
 *
 * Both ends live in this one process.  The listener is bound to ADDR
 * (default: loopback; -6 for IPv6 loopback) in the caller's network
 * namespace; with -C, the connecting sockets are made in the netns
 * mounted at NETNS (/run/netns/NAME), so that each end of a connection
 * can live in its own namespace.  -B binds every connecting socket to
 * that local port (SO_REUSEADDR), -w waits between connections.  -P
 * listens on PORTS consecutive ports from PORT and sends connection i to
 * the (i mod PORTS)th: as many destinations.
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
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int family = AF_INET;
static const char *addr;
static int client_ns = -1, own_ns = -1, client_port;

static void die(const char *what)
{
	fprintf(stderr, "twg-churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Simultaneous closes need small windows, set before the handshake: a
 * buffer shrunk after it would drop what the window already allowed.
 */
static int small_buffers;

static void size_buffers(int fd)
{
	int small = 4096;

	if (!small_buffers)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)))
		die("SO_RCVBUF");
}

/* The listener's address (ADDR, or loopback), or with @any this host's. */
static socklen_t make_addr(struct sockaddr_storage *ss, int port, int any)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (any)
			return sizeof(*a);
		a->sin6_addr = in6addr_loopback;
		if (addr && inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			die("bad IPv6 address");
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (any)
		return sizeof(*a);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (addr && inet_pton(AF_INET, addr, &a->sin_addr) != 1)
		die("bad IPv4 address");
	return sizeof(*a);
}

static int listener(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, port, 0);
	int one = 1;
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	size_buffers(fd);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (listen(fd, 128))
		die("listen");
	return fd;
}

/* A connecting socket, in the client netns, bound as asked. */
static int client_socket(void)
{
	int fd;

	if (client_ns >= 0 && setns(client_ns, CLONE_NEWNET))
		die("setns");
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (client_ns >= 0 && setns(own_ns, CLONE_NEWNET))
		die("setns back");
	size_buffers(fd);
	if (client_port) {
		struct sockaddr_storage local;
		socklen_t llen = make_addr(&local, client_port, 1);
		int one = 1;

		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			die("SO_REUSEADDR");
		if (bind(fd, (struct sockaddr *)&local, llen))
			die("bind");
	}
	return fd;
}

/*
 * Connect to the listener and accept: the two ends of one connection.
 * With a fixed local port (-B), the previous connection from that port
 * may still wait for its last ACK (LAST_ACK): its 4-tuple is taken until
 * then, so connect() fails with EADDRNOTAVAIL; try again, for 10 s at most.
 */
static void pair(int lfd, int port, int *cfd, int *afd)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, port, 0);
	int tries = 0;

	for (;;) {
		*cfd = client_socket();
		if (!connect(*cfd, (struct sockaddr *)&ss, len))
			break;
		if (errno != EADDRNOTAVAIL || !client_port || ++tries > 1000)
			die("connect");
		close(*cfd);
		usleep(10000);
	}
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

static void close_from_backlog(int cfd, int afd)
{
	if (shutdown(cfd, SHUT_WR))
		die("shutdown");
	fill(afd);
	close(afd);
	drain(cfd, 0);
	close(cfd);
}

/*
 * With unsent data ahead of it, a FIN stays queued.  Queue one on each
 * side, then let the data flow: each side receives the other's FIN before
 * its own was acknowledged.
 */
static void close_simultaneous(int cfd, int afd)
{
	int open = 2, done[2] = { 0, 0 };
	int fds[2] = { cfd, afd };
	char buf[65536];

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
	int port = 5000, count = 1, wait_ms = 0, nports = 1, opt, cfd, afd, i;
	int *held = NULL, *lfds;
	struct timespec t0, t1;
	double secs;
	const char *mode;

	while ((opt = getopt(argc, argv, "6a:p:P:n:C:B:w:")) != -1) {
		switch (opt) {
		case '6':
			family = AF_INET6;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'C':
			client_ns = open(optarg, O_RDONLY);
			own_ns = open("/proc/self/ns/net", O_RDONLY);
			if (client_ns < 0 || own_ns < 0)
				die(optarg);
			break;
		case 'B':
			client_port = atoi(optarg);
			break;
		case 'w':
			wait_ms = atoi(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'P':
			nports = atoi(optarg);
			if (nports < 1)
				goto usage;
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
	small_buffers = !strcmp(mode, "simultaneous");

	if (addr && strchr(addr, ':'))
		family = AF_INET6;
	held = calloc(2 * count, sizeof(*held));
	if (!held)
		die("calloc");
	lfds = calloc(nports, sizeof(*lfds));
	if (!lfds)
		die("calloc");
	for (i = 0; i < nports; i++)
		lfds[i] = listener(port + i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		if (i && wait_ms)
			usleep(wait_ms * 1000);
		pair(lfds[i % nports], port + i % nports, &cfd, &afd);
		if (!strcmp(mode, "client"))
			close_client_first(cfd, afd);
		else if (!strcmp(mode, "server"))
			close_client_first(afd, cfd);
		else if (!strcmp(mode, "reset"))
			close_reset(cfd, afd);
		else if (!strcmp(mode, "simultaneous"))
			close_simultaneous(cfd, afd);
		else if (!strcmp(mode, "backlog"))
			close_from_backlog(cfd, afd);
		else if (!strcmp(mode, "halfclose"))
			close(cfd), held[i] = afd;
		else if (!strcmp(mode, "open"))
			held[2 * i] = cfd, held[2 * i + 1] = afd;
		else
			goto usage;
	}
	for (i = 0; i < nports; i++)
		close(lfds[i]);
	free(lfds);
	if (!strcmp(mode, "halfclose")) {
		char buf[64];

		printf("twg-churn: holding %d half-closed connections\n", count);
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
		for (i = 0; i < count; i++) {
			drain(held[i], 0);
			close(held[i]);
		}
	}
	if (!strcmp(mode, "open")) {
		char buf[64];

		printf("twg-churn: holding %d open connections\n", count);
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
		for (i = 0; i < count; i++)
			close_reset(held[2 * i], held[2 * i + 1]);
	}
	free(held);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("twg-churn: %d %s closes in %.3f s (%.0f/s)\n", count, mode, secs,
	       secs > 0 ? count / secs : 0);
	return 0;

usage:
	fprintf(stderr, "usage: twg-churn [-6] [-a ADDR] [-p PORT] [-P PORTS] [-n COUNT] %s\n%s\n",
		"[-C NETNS] [-B PORT] [-w MSEC]",
		"    client|server|reset|simultaneous|backlog|halfclose|open");
	return 2;
}
