// SPDX-License-Identifier: GPL-2.0
/*
 * bind() and listen() refused a port because of TIME-WAIT, and those let
 * through over TIME-WAIT only by SO_REUSEADDR.
 *
 * inet_csk_get_port() decides both calls for TCP: bind() to a port, and
 * listen() on the port bound (again, in LISTEN, where SO_REUSEADDR no
 * longer relaxes anything).  A kretprobe sees its answer: on EADDRINUSE,
 * the port's bind bucket is read under its own lock, and the refusal
 * counts as TIME-WAIT's when every socket holding the port in this netns
 * is a minisock (TIME_WAIT, or FIN_WAIT2 as a minisock); a live socket
 * holding it, on any address, makes it a refusal of another kind, not
 * counted.  On success in bind(), a socket with SO_REUSEADDR that shares
 * the port with a minisock on an address that overlaps its own (the same,
 * or either a wildcard) got past it only by the option: counted too.
 *
 * Cost: bind() and listen() only, never connect() (inet_hash_connect()
 * takes ports its own way), about one probe hit each, and a walk of the
 * port's holders that stops at the first that settles it.  bind() to port 0
 * (the kernel picks) is not looked at: no port was asked for.  A return
 * the probe could not track (its instances all in use) is counted in the
 * root hooks file, never silently lost.
 */
#include <linux/kprobes.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "bind.h"
#include "netns.h"
#include "observe.h"

struct twg_bind_call {
	struct sock *sk;
	u16 port;
};

/*
 * What holds a port, besides the socket asking for it, as far as the
 * walk went: it stops once the answer is known (@refused: a live holder;
 * else a minisock that overlaps), so that a bind() with SO_REUSEADDR to a
 * port that thousands of minisocks hold reads one of them, not them all.
 */
struct twg_port_holders {
	bool refused;
	unsigned int live, tw, tw_overlap;
};

/* Whether minisock @tw's local address overlaps @sk's (IPv4 or IPv6). */
static bool twg_bind_overlap(const struct sock *sk,
			     const struct inet_timewait_sock *tw)
{
	const struct sock_common *c = &tw->__tw_common;

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && c->skc_family == AF_INET6)
		return ipv6_addr_any(&sk->sk_v6_rcv_saddr) ||
		       ipv6_addr_any(&c->skc_v6_rcv_saddr) ||
		       ipv6_addr_equal(&sk->sk_v6_rcv_saddr,
				       &c->skc_v6_rcv_saddr);
	if (sk->sk_family == AF_INET6)	/* an IPv4 minisock */
		return !ipv6_only_sock(sk) &&
		       (ipv6_addr_any(&sk->sk_v6_rcv_saddr) ||
			(ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr) &&
			 (!c->skc_rcv_saddr ||
			  sk->sk_rcv_saddr == c->skc_rcv_saddr)));
	if (c->skc_family == AF_INET6)	/* an IPv6 minisock */
		return !c->skc_ipv6only &&
		       (ipv6_addr_any(&c->skc_v6_rcv_saddr) ||
			(ipv6_addr_v4mapped(&c->skc_v6_rcv_saddr) &&
			 (!sk->sk_rcv_saddr ||
			  sk->sk_rcv_saddr == c->skc_rcv_saddr)));
#endif
	return !sk->sk_rcv_saddr || !c->skc_rcv_saddr ||
	       sk->sk_rcv_saddr == c->skc_rcv_saddr;
}

static bool twg_bind_holder(const struct sock *sk, struct sock *sk2,
			    void *arg)
{
	struct twg_port_holders *h = arg;

	if (sk2 == sk)
		return false;
	if (sk2->sk_state != TCP_TIME_WAIT) {
		h->live++;
		return h->refused;
	}
	h->tw++;
	if (twg_bind_overlap(sk, inet_twsk(sk2)))
		h->tw_overlap++;
	return !h->refused && h->tw_overlap;
}

/* Who holds @port in @sk's netns, under the port's bind bucket lock. */
static void twg_bind_holders(const struct sock *sk, u16 port,
			     struct twg_port_holders *h)
{
	struct net *net = sock_net(sk);
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct inet_bind_hashbucket *head;
	struct inet_bind_bucket *tb;
	int l3mdev = inet_sk_bound_l3mdev((struct sock *)sk);

	head = &hinfo->bhash[inet_bhashfn(net, port, hinfo->bhash_size)];
	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain) {
		if (!net_eq(ib_net(tb), net) || tb->port != port ||
		    tb->l3mdev != l3mdev)
			continue;
		if (twg_tb_owners_walk(tb, sk, twg_bind_holder, h))
			break;
	}
	spin_unlock_bh(&head->lock);
}

static int twg_bind_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct twg_bind_call *call = (struct twg_bind_call *)ri->data;
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	u16 port = regs_get_kernel_argument(regs, 1);

	/* Not TCP, or no port asked for: no return handler. */
	if (!port || sk->sk_protocol != IPPROTO_TCP)
		return 1;
	call->sk = sk;
	call->port = port;
	return 0;
}

static atomic64_t twg_bind_unchecked = ATOMIC64_INIT(0);

static int twg_bind_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct twg_bind_call *call = (struct twg_bind_call *)ri->data;
	struct sock *sk = call->sk;
	/* An int: the upper half of the register is not part of it. */
	int ret = (int)regs_return_value(regs);
	bool refused = ret == -EADDRINUSE;
	struct twg_port_holders h = { .refused = refused };
	bool reuse = !ret && sk->sk_reuse && sk->sk_state != TCP_LISTEN;

	if (!refused && !reuse)
		return 0;
	/* The bucket lock wants bottom halves off, which needs irqs on. */
	if (irqs_disabled()) {
		atomic64_inc(&twg_bind_unchecked);
		return 0;
	}
	twg_bind_holders(sk, call->port, &h);
	if (refused && (h.live || !h.tw))
		return 0;
	if (reuse && !h.tw_overlap)
		return 0;
	twg_with_netns(sock_net(sk),
		       twg_observe_bind(ns, s, call->port, refused));
	return 0;
}

static struct kretprobe twg_bind_probe = {
	.kp.symbol_name = "inet_csk_get_port",
	.entry_handler = twg_bind_entry,
	.handler = twg_bind_return,
	.data_size = sizeof(struct twg_bind_call),
	/* bind() and listen() sleep only around the call, never in it. */
	.maxactive = 64,
};

int twg_bind_attach(void)
{
	int err = register_kretprobe(&twg_bind_probe);

	if (err)
		pr_err("cannot hook inet_csk_get_port()'s return (%d): bind() and listen() refusals would go uncounted; not loading\n",
		       err);
	return err;
}

void twg_bind_detach(void)
{
	unregister_kretprobe(&twg_bind_probe);
}

/* Returns the probe missed (no free instance), or could not look at. */
u64 twg_bind_missed(void)
{
	return READ_ONCE(twg_bind_probe.nmissed) +
	       atomic64_read(&twg_bind_unchecked);
}
