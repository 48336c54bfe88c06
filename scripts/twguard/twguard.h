/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twguard(8): what the command's files share.  The command reads only the
 * module's ABI (Documentation/ABI/testing/): /sys/kernel/twguard/ and each
 * namespace's /proc/net/twguard/.
 */
#ifndef TWGUARD_H
#define TWGUARD_H

#include <stdbool.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TWG_SYSFS	"/sys/kernel/twguard"
#define TWG_NETNS_RUN	"/run/netns"

/* Exit codes, as twguard(8) documents them. */
enum {
	TWG_EXIT_OK,
	TWG_EXIT_ERROR,		/* anything not below */
	TWG_EXIT_USAGE,		/* a bad command line or input file */
	TWG_EXIT_NO_MODULE,	/* the module is not loaded */
	TWG_EXIT_NO_NETNS,	/* no such namespace */
	TWG_EXIT_VANISHED,	/* a namespace went away while being read */
	TWG_EXIT_PERM,		/* permission denied */
};

/* A network namespace as the command names it. */
struct twg_ns {
	unsigned long long inum;	/* its inode: the sysfs directory */
	char name[256];			/* its ip netns name, or "" */
	int pid;			/* the lowest PID in it, or 0 */
};

/* One "name value" line of a stats file. */
struct twg_kv {
	char key[64];
	unsigned long long val;
};

#define TWG_MAX_KV	96

struct twg_stats {
	int nr;
	struct twg_kv kv[TWG_MAX_KV];
};

/* The command line, as every subcommand sees it. */
struct twg_opts {
	const char *netns;	/* -N, or NULL: every namespace visible */
	bool json;		/* -j */
	bool pretty;		/* -p */
	bool absolute;		/* -a */
	double interval;	/* -i, 0: once */
	long count;		/* -c, 0: for ever (with -i) */
	long top;		/* -n */
	long destinations;	/* metrics --destinations */
	const char *output;	/* metrics -o */
	bool default_policy;	/* policy --default */
};

extern const char *twg_prog;
extern bool twg_quiet;
extern const char *twg_context;

/* msg.c */
/* As the kernel spells it (include/linux/compiler_attributes.h). */
#define twg_printf_format(a, b) __format__(__printf__, a, b)
#define __printf(a, b) __attribute__((twg_printf_format(a, b)))

__printf(2, 3) int twg_fail(int code, const char *fmt, ...);
__printf(1, 2) void twg_warn(const char *fmt, ...);

/* ns.c */
int twg_module_check(void);
int twg_ns_resolve(const char *want, struct twg_ns **out, int *nr);
int twg_ns_self(unsigned long long *inum);
int twg_read(const struct twg_ns *ns, const char *rel, char *buf, size_t len);
int twg_read_error(const struct twg_ns *ns, const char *what, int err);
int twg_read_root(const char *rel, char *buf, size_t len);
int twg_write(const struct twg_ns *ns, const char *rel, const char *buf,
	      size_t len);
int twg_open_table(const struct twg_ns *ns, const char *table, FILE **f);
int twg_read_stats(const struct twg_ns *ns, struct twg_stats *st);
bool twg_stat_gauge(const char *key);
const char *twg_ns_label(const struct twg_ns *ns, char *buf, size_t len);
const char *twg_ns_where(const struct twg_ns *ns);
const char *twg_ns_cap(const struct twg_ns *ns);

/* json.c */
void j_doc_open(FILE *f, bool pretty);
void j_doc_close(void);
void j_ns_open(const struct twg_ns *ns);
void j_open(const char *key, char c);
void j_close(char c);
void j_str(const char *key, const char *s);
void j_u64(const char *key, unsigned long long v);
void j_i64(const char *key, long long v);
void j_dbl(const char *key, double v);
void j_bool(const char *key, bool v);
void j_null(const char *key);

/* main.c: run @round once, or every -i seconds, each printed whole. */
int twg_repeat(const struct twg_opts *o,
	       int (*round)(const struct twg_opts *o, FILE *out, void *arg),
	       void *arg);

/* The subcommands. */
int twg_cmd_stat(const struct twg_opts *o, int argc, char **argv);
int twg_cmd_top(const struct twg_opts *o, int argc, char **argv);
int twg_cmd_dwell(const struct twg_opts *o, int argc, char **argv);
int twg_cmd_policy(const struct twg_opts *o, int argc, char **argv);
int twg_cmd_metrics(const struct twg_opts *o, int argc, char **argv);
int twg_cmd_apply(const struct twg_opts *o, int argc, char **argv);

/* policy.c, for conf.c */
int twg_policy_write_error(const struct twg_ns *ns, const char *file, int err);

/* dwell.c, for metrics.c */
#define TWG_DWELL_BUCKETS	30
struct twg_dwell {
	unsigned long long low[TWG_DWELL_BUCKETS];
	unsigned long long n[TWG_DWELL_BUCKETS];
	unsigned long long sum_ms;
};

extern const char *const twg_dwell_states[4];
int twg_read_dwell(const struct twg_ns *ns, const char *state,
		   struct twg_dwell *d);

/* top.c, for metrics.c */
struct twg_dest {
	char dest[64];
	unsigned long long tw, live, no_port;
	double rate;
	unsigned int pressure_pct;
	long long forecast_s;		/* -1: none */
};

int twg_read_destinations(const struct twg_ns *ns, struct twg_dest **out,
			  int *nr);

#endif /* TWGUARD_H */
