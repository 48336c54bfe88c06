// SPDX-License-Identifier: GPL-2.0
/*
 * twguard(8): which namespaces there are, how each is named, and reading
 * their files.
 *
 * A namespace is its inode number, the name of its directory under
 * /sys/kernel/twguard/netns/.  Its ip netns name is the file in /run/netns
 * with that inode; a PID in it is the lowest one whose /proc/PID/ns/net
 * links to "net:[INODE]".  The counters are in sysfs, readable from
 * anywhere the module lets the reader see; the tables are in the
 * namespace's own /proc/net/twguard/, reached through /proc/self/net in
 * the reader's namespace, /proc/PID/net for another one with a process
 * in it, or by entering it through its /run/netns name (setns(2), which
 * needs CAP_SYS_ADMIN) when none has.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twguard.h"

int twg_module_check(void)
{
	struct stat st;

	if (stat(TWG_SYSFS "/netns", &st) == 0)
		return 0;
	if (errno == ENOENT)
		return twg_fail(TWG_EXIT_NO_MODULE,
				"the twguard module is not loaded (no %s): modprobe twguard",
				TWG_SYSFS);
	return twg_fail(TWG_EXIT_ERROR, "%s: %s", TWG_SYSFS, strerror(errno));
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The inode of the namespace /proc/PID/ns/net (or any such link) names. */
static int ns_link_inum(const char *path, unsigned long long *inum)
{
	char link[64];
	ssize_t n = readlink(path, link, sizeof(link) - 1);

	if (n < 0)
		return -errno;
	link[n] = 0;
	if (sscanf(link, "net:[%llu]", inum) != 1)
		return -EINVAL;
	return 0;
}

int twg_ns_self(unsigned long long *inum)
{
	return ns_link_inum("/proc/self/ns/net", inum);
}

static bool ns_visible(unsigned long long inum)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), TWG_SYSFS "/netns/%llu", inum);
	return stat(path, &st) == 0;
}

static int cmp_ns(const void *a, const void *b)
{
	const struct twg_ns *x = a, *y = b;

	return x->inum < y->inum ? -1 : x->inum > y->inum;
}

/* Fill in the names and PIDs of @nr namespaces. */
static void ns_name_all(struct twg_ns *ns, int nr)
{
	struct dirent *de;
	DIR *d;
	int i;

	d = opendir(TWG_NETNS_RUN);
	while (d && (de = readdir(d))) {
		char path[512];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), TWG_NETNS_RUN "/%s", de->d_name);
		if (stat(path, &st))
			continue;
		for (i = 0; i < nr; i++)
			/* Of two names for one namespace, the first in order. */
			if (ns[i].inum == st.st_ino &&
			    (!ns[i].name[0] ||
			     strcmp(de->d_name, ns[i].name) < 0))
				snprintf(ns[i].name, sizeof(ns[i].name), "%s",
					 de->d_name);
	}
	if (d)
		closedir(d);

	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		unsigned long long inum;
		char path[300];
		int pid;

		if (!all_digits(de->d_name))
			continue;
		pid = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (ns_link_inum(path, &inum))
			continue;
		for (i = 0; i < nr; i++)
			if (ns[i].inum == inum && (!ns[i].pid || pid < ns[i].pid))
				ns[i].pid = pid;
	}
	if (d)
		closedir(d);
}

/* Every namespace whose directory the reader can see. */
static int ns_list_all(struct twg_ns **out, int *nr)
{
	struct twg_ns *ns = NULL;
	struct dirent *de;
	int n = 0, cap = 0;
	DIR *d;

	d = opendir(TWG_SYSFS "/netns");
	if (!d)
		return twg_fail(TWG_EXIT_ERROR, "%s/netns: %s", TWG_SYSFS,
				strerror(errno));
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		if (n == cap) {
			struct twg_ns *more;

			cap = cap ? 2 * cap : 16;
			more = realloc(ns, cap * sizeof(*ns));
			if (!more) {
				closedir(d);
				free(ns);
				return twg_fail(TWG_EXIT_ERROR, "out of memory");
			}
			ns = more;
		}
		memset(&ns[n], 0, sizeof(ns[n]));
		ns[n++].inum = strtoull(de->d_name, NULL, 10);
	}
	closedir(d);
	qsort(ns, n, sizeof(*ns), cmp_ns);
	ns_name_all(ns, n);
	*out = ns;
	*nr = n;
	return 0;
}

/*
 * The namespaces a command covers: @want (-N: an inode, a PID or an ip
 * netns name, tried in that order), or every one visible when NULL.
 */
int twg_ns_resolve(const char *want, struct twg_ns **out, int *nr)
{
	/* What @want named the first time: -i's later rounds stay with it. */
	static unsigned long long resolved;
	static char resolved_want[256];
	unsigned long long inum = 0;
	struct twg_ns *ns;
	char path[512];
	struct stat st;
	int err;

	err = twg_module_check();
	if (err)
		return err;
	if (!want)
		return ns_list_all(out, nr);
	if (resolved && !strcmp(want, resolved_want)) {
		if (!ns_visible(resolved))
			return twg_fail(TWG_EXIT_VANISHED,
					"netns %llu (%s) went away while being read",
					resolved, want);
		inum = resolved;
		goto found;
	}

	if (all_digits(want) && ns_visible(strtoull(want, NULL, 10))) {
		inum = strtoull(want, NULL, 10);
	} else if (all_digits(want)) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", want);
		err = ns_link_inum(path, &inum);
		if (err == -EACCES || err == -EPERM)
			return twg_fail(TWG_EXIT_PERM,
					"netns of PID %s: %s (another user's process needs CAP_SYS_PTRACE)",
					want, strerror(-err));
		if (err)
			return twg_fail(TWG_EXIT_NO_NETNS,
					"no such namespace: %s is neither a namespace inode under %s/netns nor a running PID",
					want, TWG_SYSFS);
	} else if (!strchr(want, '/') && strcmp(want, ".") && strcmp(want, "..")) {
		snprintf(path, sizeof(path), TWG_NETNS_RUN "/%s", want);
		if (stat(path, &st))
			return twg_fail(TWG_EXIT_NO_NETNS,
					"no such namespace: %s (not in %s)",
					want, TWG_NETNS_RUN);
		inum = st.st_ino;
	} else {
		return twg_fail(TWG_EXIT_NO_NETNS,
				"no such namespace: %s (a name may not hold '/')",
				want);
	}
	if (!ns_visible(inum))
		return twg_fail(TWG_EXIT_NO_NETNS,
				"namespace %llu (%s) has no directory under %s/netns: it is gone, or not visible from here",
				inum, want, TWG_SYSFS);
	resolved = inum;
	snprintf(resolved_want, sizeof(resolved_want), "%s", want);
found:
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return twg_fail(TWG_EXIT_ERROR, "out of memory");
	ns->inum = inum;
	ns_name_all(ns, 1);
	*out = ns;
	*nr = 1;
	return 0;
}

const char *twg_ns_label(const struct twg_ns *ns, char *buf, size_t len)
{
	int n;

	if (!ns->inum)
		return snprintf(buf, len, "default policy (namespaces created from now on)"), buf;
	n = snprintf(buf, len, "netns %llu", ns->inum);

	if (ns->name[0] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " \"%s\"", ns->name);
	if (ns->pid && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " pid %d", ns->pid);
	return buf;
}

/* An errno from reading or writing @what of @ns, as an exit status. */
/* How messages name @ns, and the capability its files need. */
const char *twg_ns_where(const struct twg_ns *ns)
{
	static char buf[32];

	if (!ns->inum)
		return "default_policy";
	snprintf(buf, sizeof(buf), "netns %llu", ns->inum);
	return buf;
}

const char *twg_ns_cap(const struct twg_ns *ns)
{
	if (ns->inum)
		return "needs CAP_NET_ADMIN over that namespace";
	return "needs CAP_NET_ADMIN in the initial user namespace, from the initial netns";
}

static int ns_error(const struct twg_ns *ns, const char *what, int err,
		    bool write)
{
	const char *how = write ? "writing" : "reading";

	if (err == EACCES || err == EPERM)
		return twg_fail(TWG_EXIT_PERM, "%s: %s %s: %s (%s)",
				twg_ns_where(ns), how, what, strerror(err),
				twg_ns_cap(ns));
	if ((err == ENOENT || err == ENODEV) && ns->inum && !ns_visible(ns->inum))
		return twg_fail(TWG_EXIT_VANISHED,
				"netns %llu went away while being read", ns->inum);
	if (err == ENOENT)
		return twg_fail(TWG_EXIT_ERROR,
				"%s: no %s: is the module older than this command?",
				twg_ns_where(ns), what);
	return twg_fail(TWG_EXIT_ERROR, "%s: %s %s: %s", twg_ns_where(ns), how,
			what, strerror(err));
}

/* All of @path in one read (sysfs fills its page once per open). */
static int read_whole(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	if (n < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[got] = 0;
	return 0;
}

/*
 * The file @rel of @ns's directory.  The default policy (inode 0) has
 * only a policy: its policy/X is default_policy/X.
 */
static void ns_path(const struct twg_ns *ns, const char *rel, char *path,
		    size_t len)
{
	if (!ns->inum && !strncmp(rel, "policy/", 7))
		snprintf(path, len, TWG_SYSFS "/default_policy/%s", rel + 7);
	else
		snprintf(path, len, TWG_SYSFS "/netns/%llu/%s", ns->inum, rel);
}

/* @what of @ns could not be read: errno @err, as an exit status. */
int twg_read_error(const struct twg_ns *ns, const char *what, int err)
{
	return ns_error(ns, what, err, false);
}

int twg_read(const struct twg_ns *ns, const char *rel, char *buf, size_t len)
{
	char path[256];
	int err;

	ns_path(ns, rel, path, sizeof(path));
	err = read_whole(path, buf, len);
	return err ? ns_error(ns, rel, err, false) : 0;
}

int twg_read_root(const char *rel, char *buf, size_t len)
{
	char path[256];
	int err;

	snprintf(path, sizeof(path), TWG_SYSFS "/%s", rel);
	err = read_whole(path, buf, len);
	if (err == ENOENT)
		return twg_module_check() ?:
			twg_fail(TWG_EXIT_ERROR, "no %s", path);
	return err ? twg_fail(TWG_EXIT_ERROR, "%s: %s", path, strerror(err)) : 0;
}

/* One write(2) of @buf, as the module wants a value: whole or not at all. */
int twg_write(const struct twg_ns *ns, const char *rel, const char *buf,
	      size_t len)
{
	char path[256];
	ssize_t n;
	int fd, err = 0;

	ns_path(ns, rel, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

/*
 * Open the namespace's /proc/net/twguard/@table.  Entering a namespace by
 * its name changes this process's namespace for the open alone.
 */
int twg_open_table(const struct twg_ns *ns, const char *table, FILE **f)
{
	unsigned long long self = 0;
	char path[512];
	int err = 0, home, there;

	twg_ns_self(&self);
	if (ns->inum == self || ns->pid) {
		if (ns->inum == self)
			snprintf(path, sizeof(path), "/proc/self/net/twguard/%s", table);
		else
			snprintf(path, sizeof(path), "/proc/%d/net/twguard/%s",
				 ns->pid, table);
		*f = fopen(path, "re");
		if (*f)
			return 0;
		return ns_error(ns, path, errno, false);
	}
	if (!ns->name[0])
		return twg_fail(TWG_EXIT_NO_NETNS,
				"netns %llu: no process in it and no name in %s: its tables cannot be reached",
				ns->inum, TWG_NETNS_RUN);
	snprintf(path, sizeof(path), TWG_NETNS_RUN "/%s", ns->name);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (there < 0)
		return ns_error(ns, path, errno, false);
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		err = errno;
		close(there);
		return twg_fail(TWG_EXIT_ERROR, "/proc/self/ns/net: %s", strerror(err));
	}
	if (setns(there, CLONE_NEWNET)) {
		err = errno;
		close(there);
		close(home);
		if (err == EPERM)
			return twg_fail(TWG_EXIT_PERM,
					"netns %llu: entering it as \"%s\" needs CAP_SYS_ADMIN",
					ns->inum, ns->name);
		return twg_fail(TWG_EXIT_ERROR, "netns %llu: setns: %s",
				ns->inum, strerror(err));
	}
	snprintf(path, sizeof(path), "/proc/self/net/twguard/%s", table);
	*f = fopen(path, "re");
	if (!*f)
		err = errno;
	if (setns(home, CLONE_NEWNET))
		abort();	/* cannot go home: nothing after this is right */
	close(there);
	close(home);
	return err ? ns_error(ns, table, err, false) : 0;
}

/* Gauges: what is there now, never a delta. */
bool twg_stat_gauge(const char *key)
{
	size_t n = strlen(key);

	return (n > 8 && !strcmp(key + n - 8, "_current")) ||
	       !strncmp(key, "tw_current_", 11) || !strcmp(key, "tw_at_load");
}

int twg_read_stats(const struct twg_ns *ns, struct twg_stats *st)
{
	char buf[8192], *line, *save = NULL;
	int err = twg_read(ns, "stats", buf, sizeof(buf));

	if (err)
		return err;
	st->nr = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct twg_kv *kv = &st->kv[st->nr];

		if (st->nr == TWG_MAX_KV)
			return twg_fail(TWG_EXIT_ERROR,
					"netns %llu: stats has more than %d lines",
					ns->inum, TWG_MAX_KV);
		if (sscanf(line, "%63s %llu", kv->key, &kv->val) != 2)
			return twg_fail(TWG_EXIT_ERROR,
					"netns %llu: stats: cannot parse \"%s\"",
					ns->inum, line);
		st->nr++;
	}
	return 0;
}
