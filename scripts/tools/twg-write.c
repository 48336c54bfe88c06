// SPDX-License-Identifier: GPL-2.0
/*
 * twg-write: one write() to a file, and the errno it got, by name.
 *
 *   twg-write [-u UID] [-N] FILE TEXT|@PATH
 *   twg-write [-u UID] [-N] -r FILE
 *
 * Writes TEXT (or the contents of PATH, NULs and all) to FILE in a single
 * write() at offset 0, and prints "ok" or the errno's name (EINVAL,
 * ERANGE...), so that a test can compare it with what the ABI promises.
 * With -u it first becomes UID (GID UID, no groups, no capabilities);
 * with -N it drops CAP_NET_ADMIN and nothing else.  With -r it reads
 * FILE instead, to its end, and says "ok" or the errno in the same way.
 * Exits 0 if the write (or read) was made, whatever its result; 1 if it
 * could not be attempted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

static void die(const char *what)
{
	fprintf(stderr, "twg-write: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		die("capget");
	data[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		die("capset");
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	const char *text;
	size_t len;
	int opt, fd, rd = 0;
	ssize_t n;

	while ((opt = getopt(argc, argv, "u:Nr")) != -1) {
		switch (opt) {
		case 'u':
			if (setgroups(0, NULL) || setgid(atoi(optarg)) ||
			    setuid(atoi(optarg)))
				die("setuid");
			break;
		case 'N':
			drop_net_admin();
			break;
		case 'r':
			rd = 1;
			break;
		default:
			goto usage;
		}
	}
	if (rd && optind == argc - 1) {
		fd = open(argv[optind], O_RDONLY);
		if (fd < 0) {
			printf("%s\n", errname(errno));
			return 0;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		printf("%s\n", n < 0 ? errname(errno) : "ok");
		close(fd);
		return 0;
	}
	if (rd || optind != argc - 2)
		goto usage;

	text = argv[optind + 1];
	if (text[0] == '@') {
		int in = open(text + 1, O_RDONLY);

		if (in < 0)
			die(text + 1);
		n = read(in, buf, sizeof(buf));
		if (n < 0)
			die("read");
		close(in);
		len = n;
		text = buf;
	} else {
		len = strlen(text);
	}

	fd = open(argv[optind], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", errname(errno));
		return 0;
	}
	n = write(fd, text, len);
	printf("%s\n", n < 0 ? errname(errno) : "ok");
	close(fd);
	return 0;

usage:
	fprintf(stderr, "usage: twg-write [-u UID] [-N] FILE TEXT|@PATH\n"
		"       twg-write [-u UID] [-N] -r FILE\n");
	return 2;
}
