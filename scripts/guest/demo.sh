# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the guest: what TIME-WAIT does to a client and a
# server, told in four acts, with what `twguard stat` and `twguard top`
# show after each, and what the kernel says beside it.  Three namespaces:
# "server", joined by a veth pair each to "browser" (act 1's clients,
# 198.51.100.3 to the server's 198.51.100.2) and to "client" (acts 2 and
# 3, 192.0.2.1 to the server's 192.0.2.2).

set -e
export PATH=/work:$PATH
cd /work

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
tw_of() { ip netns exec "$1" awk '$1 == "TCP:" { print $7 }' /proc/net/sockstat; }

ip netns add server
ip -n server link set lo up
# veth NS NET HOST: NS's eth0 is NET.HOST, the server's end NET.2.
veth() {
	ip netns add $1
	ip -n $1 link set lo up
	ip link add eth0 netns $1 type veth peer name $1 netns server
	ip -n server addr add $2.2/24 dev $1
	ip -n server link set $1 up
	ip -n $1 addr add $2.$3/24 dev eth0
	ip -n $1 link set eth0 up
}
veth client 192.0.2 1
veth browser 198.51.100 3
for ns in client browser server; do
	# No RST ends a TIME-WAIT socket early here (RFC 1337).
	ip netns exec $ns sysctl -qw net.ipv4.tcp_rfc1337=1
done
# churn NS ...: connections from namespace NS to the server (twg-churn -C).
churn() {
	local from=$1 to=192.0.2.2
	shift
	[ $from = client ] || to=198.51.100.2
	ip netns exec server twg-churn -a $to -C /run/netns/$from "$@"
}

say "twguard $(cat /sys/kernel/twguard/version), loaded; its hooks:"
sed 's/^/  /' /sys/kernel/twguard/hooks

say "Act 1. A server that closes first keeps the TIME-WAIT: 300 requests to :8080."
run churn browser -p 8080 -n 300 server
run twguard -N server top -n 3
echo "  (the kernel: sockstat says tw $(tw_of server) in server, $(tw_of browser) in browser)"
say "       The same server, fixed to let the client close first: 300 requests to :8081."
run churn browser -p 8081 -n 300 client
run twguard -N server top -n 3
echo "  (the kernel: tw $(tw_of server) in server, $(tw_of browser) in browser: the new TIME-WAIT is the clients')"

say "Act 2. A client with 200 ephemeral ports and tcp_tw_reuse off, 50 connections a second to one service."
ip netns exec client sysctl -qw net.ipv4.ip_local_port_range="40000 40199"
ip netns exec client sysctl -qw net.ipv4.tcp_tw_reuse=0
run churn client -p 9000 -n 100 -w 20 client
echo "  twguard's forecast, with 100 of 200 ports in TIME-WAIT:"
run twguard -N client top -n 3
run churn client -p 9000 -n 100 -w 20 client
echo "  one more connect():"
run ip netns exec server twg-reuse -a 192.0.2.2 -p 9000 -C /run/netns/client connect || true
run twguard -N client stat -a
echo "  (connect_no_port: the connect() refused; connect_no_port_tw: a reuse policy would have let it through)"

say "Act 3. A policy: reuse a TIME-WAIT 4-tuple to :9000 at once, when its timestamps prove it safe."
run twguard -N client policy set mode=off timestamps=strict
printf '192.0.2.2 port 9000 allow min_age_ms 0\n' >/tmp/rules
run twguard -N client policy rules /tmp/rules
run twguard -N client policy
run churn client -p 9000 -n 50 client
run twguard -N client stat
echo "  (50 connect()s, each through a TIME-WAIT 4-tuple: reuse_allowed, tw_reused;"
echo "   the kernel's TcpExt TWRecycled says $(ip netns exec client awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "TWRecycled") c = i; n = 1 } else print $c }' /proc/net/netstat))"

say "Act 4. The figures as Prometheus scrapes them, through node_exporter's textfile collector."
mkdir -p /tmp/textfile
run twguard metrics -o /tmp/textfile/twguard.prom
./prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory=/tmp/textfile --web.listen-address=127.0.0.1:9100 \
	>/tmp/node-exporter.log 2>&1 &
exporter=$!
for i in $(seq 100); do wget -q -O /tmp/scrape http://127.0.0.1:9100/metrics 2>/dev/null && break; sleep 0.1; done
client=$(stat -L -c %i /run/netns/client)
echo "$ wget -q -O- http://127.0.0.1:9100/metrics | grep netns=\"$client\" (some of it)"
grep -E "^twguard_(tw_current|close_active_total|connect_no_port_total|connect_no_port_tw_total|reuse_allowed_total|tw_reused_total)\{netns=\"$client\"\}|^twguard_netns_info" /tmp/scrape | sed 's/^/  /'
grep -E "^twguard_dwell_seconds_(sum|count)\{netns=\"$client\",state=\"time_wait\"\}" /tmp/scrape | sed 's/^/  /' || true
kill $exporter

twguard -N client policy set mode=kernel
printf '\n' >/tmp/rules
twguard -N client policy rules /tmp/rules
for ns in client browser server; do ip netns del $ns; done
say "The end."
