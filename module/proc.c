// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/twguard/: the destination and port tables of the reader's
 * network namespace.  Documented in Documentation/ABI/testing/procfs-net-twguard.
 *
 *   destinations  0400  remote endpoint, TIME-WAIT, live, rate, pressure,
 *                       forecast, connect()s refused a 4-tuple: the 100
 *                       rows with the most TIME-WAIT
 *   ports         0400  side, port, active closes, passive closes,
 *                       connections in CLOSE_WAIT now and the oldest's age
 *                       (closewait.c)
 *
 * Why /proc/net and not sysfs: a table of 100 IPv6 endpoints does not fit
 * in the one page a sysfs file may show, and seq_file has no such limit.
 * And /proc/net is per-netns by construction: a process sees its own
 * netns's files, the files belong to the root of the user namespace that
 * owns the netns, and another netns's table is reachable only through
 * /proc/PID/net of a process in it, which needs ptrace access to that
 * process besides the file's owner.  Both tables tell what the netns
 * talks to, so both are its admin's alone: a reader must also pass
 * twg_netns_access() (CAP_NET_ADMIN over the netns from inside it, or in
 * the initial user namespace from the initial netns), so that a
 * container's root whose uid happens to own the file is still refused.
 *
 * A reader takes the rows it shows first, then prints them: each row's
 * counts are of one moment, read without the table's lock, so that no
 * reader keeps a connection waiting (table.c).  An open file holds its netns
 * (as every /proc/net file does); the directory goes before twguard's
 * state for the netns does.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "closewait.h"
#include "netns.h"
#include "proc.h"

/* The first TWG_TABLE_SHOW rows of @t, as of @now, in a new array. */
static struct twg_row *twg_proc_top(struct twg_table *t, u32 now,
				    unsigned int *nr)
{
	struct twg_row *rows;

	rows = kmalloc_array(TWG_TABLE_SHOW, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return NULL;
	*nr = twg_table_top(t, rows, TWG_TABLE_SHOW, now);
	return rows;
}

static int twg_proc_destinations_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct twg_netns *ns = twg_netns_of(net);
	u32 range = twg_observe_range(net);
	u32 now = ktime_get_seconds();
	struct twg_row *rows;
	char ep[TWG_KEY_TEXT_MAX];
	unsigned int i, nr;
	int err;

	if (!ns)
		return -ENODEV;
	err = twg_netns_access(ns, TWG_ACCESS_PRIVATE);
	if (err)
		return err;
	rows = twg_proc_top(&ns->obs.dest, now, &nr);
	if (!rows)
		return -ENOMEM;

	seq_puts(seq, "destination tw live rate pressure_pct forecast_s no_port\n");
	for (i = 0; i < nr; i++) {
		const struct twg_row *e = &rows[i];
		u32 rate = e->rate, secs = 0;

		twg_observe_key_format(&e->key, ep, sizeof(ep));
		seq_printf(seq, "%s %u %u %u.%03u %u ", ep, e->a, e->b,
			   rate / 1000, rate % 1000,
			   twg_pressure_pct(e->a, e->b, range));
		switch (twg_forecast(e->a, e->b, range, rate, &secs)) {
		case TWG_FORECAST_NONE:
			seq_puts(seq, "-");
			break;
		case TWG_FORECAST_NOW:
			seq_puts(seq, "0");
			break;
		case TWG_FORECAST_SECONDS:
			seq_printf(seq, "%u", secs);
			break;
		}
		seq_printf(seq, " %u\n", e->c);
	}
	kfree(rows);
	return 0;
}

static const char *const twg_proc_side[] = {
	[TWG_KEY_SERVER] = "server", [TWG_KEY_CLIENT] = "client",
};

/*
 * The ports with connections in CLOSE_WAIT that no row printed shows:
 * the TWG_TABLE_SHOW with the most, most first, each with its closes
 * from the table if it has a row there.
 */
static void twg_proc_close_wait_rest(struct seq_file *seq, struct twg_table *t,
				     const struct twg_close_wait *cw)
{
	unsigned int top[TWG_TABLE_SHOW], nr, i;

	nr = twg_close_wait_top(cw, top, TWG_TABLE_SHOW);
	for (i = 0; i < nr; i++) {
		u16 port = top[i] % TWG_CW_PORTS;
		struct twg_row_key key = {
			.kind = top[i] < TWG_CW_PORTS ? TWG_KEY_SERVER :
							TWG_KEY_CLIENT,
			.port = htons(port),
		};
		struct twg_row row = {};

		twg_table_row(t, &key, 0, &row);
		seq_printf(seq, "%s %u %u %u %u %u %u %u\n",
			   twg_proc_side[key.kind], port, row.a, row.b,
			   cw[top[i]].n, cw[top[i]].oldest_s, row.c, row.d);
	}
}

static int twg_proc_ports_show(struct seq_file *seq, void *v)
{
	struct twg_netns *ns = twg_netns_of(seq_file_single_net(seq));
	struct twg_close_wait *cw;
	struct twg_row *rows;
	unsigned int i, nr;
	int err;

	if (!ns)
		return -ENODEV;
	err = twg_netns_access(ns, TWG_ACCESS_PRIVATE);
	if (err)
		return err;
	rows = twg_proc_top(&ns->obs.ports, 0, &nr);
	if (!rows)
		return -ENOMEM;
	cw = twg_close_wait_scan(ns);
	if (!cw) {
		kfree(rows);
		return -ENOMEM;
	}

	seq_puts(seq, "side port active passive close_wait close_wait_age_s bind_refused_tw bind_reuseaddr_tw\n");
	for (i = 0; i < nr; i++) {
		const struct twg_row *e = &rows[i];
		struct twg_close_wait *c;

		c = &cw[twg_close_wait_index(e->key.kind, ntohs(e->key.port))];
		seq_printf(seq, "%s %u %u %u %u %u %u %u\n",
			   twg_proc_side[e->key.kind], ntohs(e->key.port),
			   e->a, e->b, c->n, c->oldest_s, e->c, e->d);
		c->n = 0;	/* shown */
	}
	twg_proc_close_wait_rest(seq, &ns->obs.ports, cw);
	kvfree(cw);
	kfree(rows);
	return 0;
}

int twg_proc_netns_add(struct net *net)
{
	struct proc_dir_entry *dir;

	dir = proc_net_mkdir(net, "twguard", net->proc_net);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_net_single("destinations", 0400, dir,
				    twg_proc_destinations_show, NULL) ||
	    !proc_create_net_single("ports", 0400, dir, twg_proc_ports_show,
				    NULL)) {
		remove_proc_subtree("twguard", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

/* Waits for readers inside a show(). */
void twg_proc_netns_del(struct net *net)
{
	remove_proc_subtree("twguard", net->proc_net);
}
