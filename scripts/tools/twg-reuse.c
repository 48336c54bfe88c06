// SPDX-License-Identifier: GPL-2.0
/*
 * twg-reuse: exercise TIME-WAIT reuse from a client netns towards a
 * listener in this one, for the policy tests.
 *
 *   twg-reuse [-6] -a ADDR -p PORT -C NETNS [-B LPORT] MODE
 *
 *   connect   one connect() from NETNS to ADDR:PORT (from LPORT if -B).
 *             Prints "connect: ok" and exits 0, or "connect: EADDRNOTAVAIL"
 *             and exits 3.  A connection made is closed client first, so
 *             it leaves a TIME-WAIT socket behind as its predecessor did.
 *   age       from LPORT, make one connection and close it client first;
 *             then try connect() from LPORT every 200 us until one
 *             succeeds.  Prints "age: denied_last_us N allowed_first_us M
 *             tries T fin_us F".  N is the least age the TIME-WAIT socket
 *             can have had when the last refused connect() was decided,
 *             M the greatest it can have had when the successful one was:
 *             the socket entered TIME-WAIT between the server's close()
 *             and the client's read of its FIN (F us apart), and each
 *             decision fell between its connect()'s call and return.
 *   paws      from LPORT, make a connection, close it client first, and
 *             keep the server's last TSval; connect() again from LPORT
 *             (retrying up to 5 s: the policy decides when).  Then, from
 *             a raw socket here, send the new connection two segments
 *             in its window as if from the server: one with a fresh
 *             TSval (it must arrive: the control), one with the old
 *             connection's TSval (PAWS must drop it).  Prints "paws:
 *             fresh delivered|lost old delivered|dropped" and exits 0
 *             only for "fresh delivered old dropped".  IPv4 only.
 *   seq       from LPORT, make a connection and close it client first,
 *             noting where its sequence space ended; connect() again from
 *             LPORT (retrying up to 5 s).  A reuse starts the new sequence
 *             space 65537 past the old one's end, as tcp_twsk_unique()
 *             does.  Prints "seq: old_end E new_isn I want W" and exits 0
 *             only if I is W.
 *
 * The listener is ADDR:PORT in the caller's netns; client sockets are made
 * in the netns mounted at NETNS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#define TCP_REPAIR_QUEUE 20
#define TCP_QUEUE_SEQ 21
#endif
#ifndef TCP_TIMESTAMP
#define TCP_TIMESTAMP 24
#endif
#define TWG_RECV_QUEUE 1
#define TWG_SEND_QUEUE 2

static int family = AF_INET, port, lport, client_ns = -1, own_ns = -1;
static const char *addr;

static void die(const char *what)
{
	fprintf(stderr, "twg-reuse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t make_addr(struct sockaddr_storage *ss, const char *a, int p)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		if (a && inet_pton(AF_INET6, a, &s6->sin6_addr) != 1)
			die("address");
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(p);
	if (a && inet_pton(AF_INET, a, &s4->sin_addr) != 1)
		die("address");
	return sizeof(*s4);
}

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static int listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, port);
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16))
		die("listen");
	return fd;
}

/* Try one connect() from the client netns: the socket, or -1 on EADDRNOTAVAIL. */
static int try_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, port);
	int fd, one = 1;

	if (setns(client_ns, CLONE_NEWNET))
		die("setns");
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (setns(own_ns, CLONE_NEWNET))
		die("setns back");
	if (lport) {
		struct sockaddr_storage local;
		socklen_t llen = make_addr(&local, NULL, lport);

		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			die("SO_REUSEADDR");
		if (bind(fd, (struct sockaddr *)&local, llen))
			die("bind");
	}
	if (!connect(fd, (struct sockaddr *)&ss, len))
		return fd;
	if (errno != EADDRNOTAVAIL)
		die("connect");
	close(fd);
	return -1;
}

/* The server's end of the connection just made. */
static int accept_one(int lfd, struct sockaddr_in *peer)
{
	socklen_t len = sizeof(*peer);
	int fd = accept(lfd, (struct sockaddr *)peer, peer ? &len : NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

static void drain(int fd)
{
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			die("read");
}

/*
 * Close client first.  The client enters TIME-WAIT on the server's FIN,
 * sent by close(afd) and processed before the client's read() sees the
 * end of the stream: if fin is given, it gets the times just before the
 * one and just after the other, between which the entry fell.
 */
static void close_client_first(int cfd, int afd, long long fin[2])
{
	if (shutdown(cfd, SHUT_WR))
		die("shutdown");
	drain(afd);
	if (fin)
		fin[0] = now_us();
	close(afd);
	drain(cfd);
	if (fin)
		fin[1] = now_us();
	close(cfd);
}

static int mode_connect(int lfd)
{
	int cfd = try_connect(), afd;

	if (cfd < 0) {
		printf("connect: EADDRNOTAVAIL\n");
		return 3;
	}
	afd = accept_one(lfd, NULL);
	close_client_first(cfd, afd, NULL);
	printf("connect: ok\n");
	return 0;
}

static int mode_age(int lfd)
{
	long long fin[2], before, after, denied = -1, allowed = -1;
	int cfd, afd, tries = 0;

	cfd = try_connect();
	if (cfd < 0)
		die("first connect");
	afd = accept_one(lfd, NULL);
	close_client_first(cfd, afd, fin);

	while (allowed < 0) {
		tries++;
		before = now_us();
		cfd = try_connect();
		after = now_us();
		if (cfd >= 0) {
			/* Decided at most at "after", on a socket born at least at fin[0]. */
			allowed = after - fin[0];
			afd = accept_one(lfd, NULL);
			close_client_first(cfd, afd, NULL);
			break;
		}
		/* Decided at least at "before", on a socket born at most at fin[1]. */
		denied = before - fin[1];
		if (after - fin[0] > 70000000)
			break;
		usleep(200);
	}
	printf("age: denied_last_us %lld allowed_first_us %lld tries %d fin_us %lld\n",
	       denied, allowed, tries, fin[1] - fin[0]);
	return allowed < 0;
}

/* --- paws ------------------------------------------------------------------ */

static uint32_t sockopt_u32(int fd, int level, int name)
{
	uint32_t v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len))
		die("getsockopt");
	return v;
}

/* The next sequence number of @fd's @queue, read in repair mode. */
static uint32_t queue_seq(int fd, int queue)
{
	int on = 1, off = 0;
	uint32_t seq;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)))
		die("TCP_REPAIR");
	seq = sockopt_u32(fd, IPPROTO_TCP, TCP_QUEUE_SEQ);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)))
		die("TCP_REPAIR off");
	return seq;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Send, from the server's address, a segment of @data with @tsval. */
static void inject(const struct sockaddr_in *src, const struct sockaddr_in *dst,
		   uint32_t seq, uint32_t ack, uint32_t tsval, uint32_t tsecr,
		   const char *data)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
		uint8_t opt[12];
		char data[16];
	} pkt;		/* no padding: every part is a multiple of 4 bytes */
	struct {
		uint32_t saddr, daddr;
		uint8_t zero, proto;
		uint16_t len;
	} ph;
	size_t dlen = strlen(data), tlen = sizeof(pkt.tcp) + sizeof(pkt.opt) + dlen;
	uint32_t sum;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	if (fd < 0)
		die("raw socket");
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt.ip) + tlen);
	pkt.ip.saddr = src->sin_addr.s_addr;
	pkt.ip.daddr = dst->sin_addr.s_addr;
	pkt.tcp.source = src->sin_port;
	pkt.tcp.dest = dst->sin_port;
	pkt.tcp.seq = htonl(seq);
	pkt.tcp.ack_seq = htonl(ack);
	pkt.tcp.doff = (sizeof(pkt.tcp) + sizeof(pkt.opt)) / 4;
	pkt.tcp.ack = 1;
	pkt.tcp.psh = 1;
	pkt.tcp.window = htons(65535);
	pkt.opt[0] = 1;		/* NOP */
	pkt.opt[1] = 1;		/* NOP */
	pkt.opt[2] = 8;		/* timestamps */
	pkt.opt[3] = 10;
	tsval = htonl(tsval);
	tsecr = htonl(tsecr);
	memcpy(&pkt.opt[4], &tsval, 4);
	memcpy(&pkt.opt[8], &tsecr, 4);
	memcpy(pkt.data, data, dlen);

	ph.saddr = pkt.ip.saddr;
	ph.daddr = pkt.ip.daddr;
	ph.zero = 0;
	ph.proto = IPPROTO_TCP;
	ph.len = htons(tlen);
	sum = csum(&ph, sizeof(ph), 0);
	pkt.tcp.check = htons(~csum(&pkt.tcp, tlen, sum) & 0xffff);

	if (sendto(fd, &pkt, sizeof(pkt.ip) + tlen, 0,
		   (const struct sockaddr *)dst, sizeof(*dst)) < 0)
		die("sendto");
	close(fd);
}

/* Whether @want arrives on @fd within @ms. */
static int arrives(int fd, const char *want, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[64];
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (strstr(buf, want))
		return 1;
	fprintf(stderr, "twg-reuse: unexpected bytes: %s\n", buf);
	return 0;
}

static int mode_paws(int lfd)
{
	struct sockaddr_in srv, cli;
	socklen_t len = sizeof(srv);
	uint32_t old_tsval, seq, ack, tsval, tsecr;
	long long deadline;
	int cfd, afd, fresh, old;

	if (family != AF_INET)
		return 2;
	cfd = try_connect();
	if (cfd < 0)
		die("first connect");
	afd = accept_one(lfd, NULL);
	if (write(afd, "a", 1) != 1 || !arrives(cfd, "a", 2000))
		die("first exchange");
	old_tsval = sockopt_u32(afd, IPPROTO_TCP, TCP_TIMESTAMP);
	close_client_first(cfd, afd, NULL);

	deadline = now_us() + 5000000;
	while ((cfd = try_connect()) < 0) {
		if (now_us() > deadline) {
			printf("paws: no reuse within 5 s\n");
			return 1;
		}
		usleep(1000);
	}
	afd = accept_one(lfd, &cli);
	if (getsockname(afd, (struct sockaddr *)&srv, &len))
		die("getsockname");
	if (write(afd, "b", 1) != 1 || !arrives(cfd, "b", 2000))
		die("second exchange");

	/* Where the new connection's window is, and its clocks, now. */
	seq = queue_seq(afd, TWG_SEND_QUEUE);
	ack = queue_seq(afd, TWG_RECV_QUEUE);
	tsval = sockopt_u32(afd, IPPROTO_TCP, TCP_TIMESTAMP);
	tsecr = sockopt_u32(cfd, IPPROTO_TCP, TCP_TIMESTAMP);

	inject(&srv, &cli, seq, ack, tsval + 1, tsecr, "FRESH");
	fresh = arrives(cfd, "FRESH", 2000);
	inject(&srv, &cli, seq + 5, ack, old_tsval, tsecr, "STALE");
	old = arrives(cfd, "STALE", 1000);

	printf("paws: fresh %s old %s (old TSval %u, new %u)\n",
	       fresh ? "delivered" : "lost", old ? "delivered" : "dropped",
	       old_tsval, tsval);
	return !(fresh && !old);
}

/* --- seq ------------------------------------------------------------------- */

/*
 * The next sequence number @fd will send.  Leaving repair mode clears
 * SO_REUSEADDR (sk_reuse): set again, so that the TIME-WAIT socket @fd
 * leaves lets the next bind() to its port through.
 */
static uint32_t send_seq(int fd)
{
	uint32_t seq = queue_seq(fd, TWG_SEND_QUEUE);
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	return seq;
}

static int mode_seq(int lfd)
{
	uint32_t end, isn, want;
	long long deadline;
	int cfd, afd;

	cfd = try_connect();
	if (cfd < 0)
		die("first connect");
	afd = accept_one(lfd, NULL);
	/* The FIN takes one sequence number past what is queued to send. */
	end = send_seq(cfd) + 1;
	close_client_first(cfd, afd, NULL);

	deadline = now_us() + 5000000;
	while ((cfd = try_connect()) < 0) {
		if (now_us() > deadline) {
			printf("seq: no reuse within 5 s\n");
			return 1;
		}
		usleep(1000);
	}
	afd = accept_one(lfd, NULL);
	/* The SYN took one: the ISN is one before what is queued to send. */
	isn = send_seq(cfd) - 1;
	want = end + 65535 + 2;
	if (!want)
		want = 1;
	printf("seq: old_end %u new_isn %u want %u\n", end, isn, want);
	close_client_first(cfd, afd, NULL);
	return isn != want;
}

int main(int argc, char **argv)
{
	const char *mode;
	int opt, lfd;

	while ((opt = getopt(argc, argv, "6a:p:C:B:")) != -1) {
		switch (opt) {
		case '6':
			family = AF_INET6;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'B':
			lport = atoi(optarg);
			break;
		case 'C':
			client_ns = open(optarg, O_RDONLY);
			own_ns = open("/proc/self/ns/net", O_RDONLY);
			if (client_ns < 0 || own_ns < 0)
				die(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || !addr || !port || client_ns < 0)
		goto usage;
	if (strchr(addr, ':'))
		family = AF_INET6;
	mode = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	lfd = listener();
	if (!strcmp(mode, "connect"))
		return mode_connect(lfd);
	if (!strcmp(mode, "age") && lport)
		return mode_age(lfd);
	if (!strcmp(mode, "paws") && lport)
		return mode_paws(lfd);
	if (!strcmp(mode, "seq") && lport)
		return mode_seq(lfd);
usage:
	fprintf(stderr, "usage: twg-reuse [-6] -a ADDR -p PORT -C NETNS [-B LPORT] %s\n",
		"connect|age|paws|seq");
	return 2;
}
