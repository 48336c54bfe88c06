// SPDX-License-Identifier: GPL-2.0
/*
 * twg-poll: wait in poll() for a sysfs file to change, as a monitoring
 * agent waits on twguard's alert file.
 *
 *   twg-poll FILE TIMEOUT_MS
 *
 * Reads FILE once (sysfs arms poll() on a read), prints "armed: TEXT" and
 * flushes, so a test knows when to make the change; then waits.  When
 * sysfs_notify()/kernfs_notify() wakes it, it reads FILE again, prints
 * "woke: TEXT" and exits 0; after TIMEOUT_MS with no wake-up it prints
 * "timeout" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "twg-poll: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Read the whole file from its start into @buf, without the newline. */
static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		die("lseek");
	n = read(fd, buf, len - 1);
	if (n < 0)
		die("read");
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

int main(int argc, char **argv)
{
	char buf[256];
	struct pollfd p;
	int fd, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: twg-poll FILE TIMEOUT_MS\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		die(argv[1]);
	slurp(fd, buf, sizeof(buf));
	printf("armed: %s\n", buf);
	fflush(stdout);

	p.fd = fd;
	p.events = POLLPRI | POLLERR;
	do
		ret = poll(&p, 1, atoi(argv[2]));
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		die("poll");
	if (!ret) {
		printf("timeout\n");
		return 1;
	}
	slurp(fd, buf, sizeof(buf));
	printf("woke: %s\n", buf);
	return 0;
}
