/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest-side tools share: errno names as the ABI documents them,
 * so that a test compares "EACCES" with "EACCES", not numbers.
 */
#ifndef TWG_TOOL_H
#define TWG_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline const char *errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EINVAL, "EINVAL" }, { ERANGE, "ERANGE" }, { E2BIG, "E2BIG" },
		{ ENOSPC, "ENOSPC" }, { EPERM, "EPERM" }, { EACCES, "EACCES" },
		{ ENOMEM, "ENOMEM" }, { EIO, "EIO" }, { ENOENT, "ENOENT" },
		{ ENODEV, "ENODEV" }, { EFAULT, "EFAULT" }, { ENXIO, "ENXIO" },
		{ EBUSY, "EBUSY" }, { EADDRINUSE, "EADDRINUSE" },
	};
	static char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno%d", err);
	return buf;
}

/*
 * Read all of @path into @buf (at most @len - 1 bytes), NUL-terminated:
 * the length, or -errno.  One open: sysfs fills its page once per open,
 * so this is one snapshot of the file.
 */
static inline ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[got] = 0;
	return got;
}

#endif /* TWG_TOOL_H */
