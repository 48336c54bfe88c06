# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, inside one boot of the debian-6.1 guest (scripts/vm runs it
# with --no-module: this script loads and unloads twguard itself, so that
# both sides of every comparison run in the same kernel and boot).
#
#   1. churn: loopback connect/accept/close, $CONNS connections a round,
#      $ROUNDS rounds with twguard loaded and $ROUNDS without, alternating
#   2. read cost: one read() of a netns's stats against
#      "ss -tan state time-wait | wc -l", at about 1,000 and at 50,000 or
#      more TIME-WAIT sockets
#   3. memory: slab and per-CPU bytes per netns and per TIME-WAIT socket,
#      loaded minus not loaded
#
# Prints one table; the last column says what the figure is against.

set -e
ROUNDS=${TWG_BENCH_ROUNDS:-5}
CONNS=${TWG_BENCH_CONNS:-20000}
PATH=$PWD:$PATH
results=/tmp/bench.results
: >$results

loaded() { grep -q '^twguard ' /proc/modules; }
load() { loaded || insmod "$TWG_MODULES/twguard.ko"; }
unload() { ! loaded || rmmod twguard; }

# TIME-WAIT minisocks alive in the whole kernel, from the slab allocator.
tw_slab() {
	awk '$1 == "tw_sock_TCP" || $1 == "tw_sock_TCPv6" { s += $2 } END { print s + 0 }' /proc/slabinfo
}

# Bytes in slab objects plus per-CPU memory, the two places kernel
# objects of ours could live.
kmem_bytes() {
	awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s }' /proc/slabinfo |
		{ read -r slab; echo $((slab + $(awk '/^Percpu:/ { print $2 * 1024 }' /proc/meminfo))); }
}

# A namespace for one measurement, with room for many TIME-WAIT sockets.
bench_netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144 \
		net.ipv4.ip_local_port_range="1024 65535"
}

drop_netns() {
	ip netns del "$1"
	# Wait for the kernel to purge its minisocks, so rounds don't overlap.
	i=0
	while [ "$(tw_slab)" -gt 100 ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

churn_round() {
	bench_netns churn
	ip netns exec churn twg-churn -p 7000 -n "$CONNS" client |
		sed -n 's/.*(\([0-9]*\)\/s)$/\1/p'
	drop_netns churn
}

# median/min/max of the numbers on stdin
stats3() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

echo "== 1. churn: $ROUNDS rounds each way of $CONNS connections"
for i in $(seq "$ROUNDS"); do
	for state in off on; do
		# Alternate which goes first, so neither always runs warmer.
		[ $((i % 2)) = 0 ] && state=$([ $state = off ] && echo on || echo off)
		if [ $state = on ]; then load; else unload; fi
		rate=$(churn_round)
		echo "   round $i, twguard $state: $rate connections/s"
		echo "churn_$state $rate" >>$results
	done
done
read -r off_med off_min off_max <<EOT
$(awk '$1 == "churn_off" { print $2 }' $results | stats3)
EOT
read -r on_med on_min on_max <<EOT
$(awk '$1 == "churn_on" { print $2 }' $results | stats3)
EOT
ratio=$(awk -v a="$on_med" -v b="$off_med" 'BEGIN { printf "%.3f", a / b }')

echo "== 2. read cost"
load
bench_netns reads
dir=/sys/kernel/twguard/netns/$(stat -L -c %i /run/netns/reads)
ip netns exec reads twg-churn -p 7100 -n 1000 server >/dev/null
n1=$(cat "$dir/tw_current")
r1=$(twg-bench read "$dir/stats" 2000)
s1=$(ip netns exec reads twg-bench run 20 "ss -tan state time-wait | wc -l")
c1=$(twg-bench run 20 "cat $dir/stats")
# Two workers, one a CPU, to get past 50,000 before the first expire (60 s).
ip netns exec reads twg-churn -p 7101 -n 27000 server >/dev/null &
ip netns exec reads twg-churn -p 7102 -n 27000 server >/dev/null &
wait
n2=$(cat "$dir/tw_current")
r2=$(twg-bench read "$dir/stats" 2000)
s2=$(ip netns exec reads twg-bench run 5 "ss -tan state time-wait | wc -l")
c2=$(twg-bench run 20 "cat $dir/stats")
n2b=$(cat "$dir/tw_current")
echo "   $n1, then $n2 TIME-WAIT sockets ($n2b after the measurements)"
drop_netns reads

echo "== 3. memory"
mem_netns() {
	before=$(kmem_bytes)
	for i in $(seq 100); do ip netns add "mem$i"; done
	after=$(kmem_bytes)
	for i in $(seq 100); do ip netns del "mem$i"; done
	sleep 2
	echo $(((after - before) / 100))
}
mem_tw() {
	bench_netns memtw
	before=$(kmem_bytes)
	ip netns exec memtw twg-churn -p 7200 -n 5000 server >/dev/null
	after=$(kmem_bytes)
	drop_netns memtw
	echo $(((after - before) / 5000))
}
unload
nn_off=$(mem_netns)
tw_off=$(mem_tw)
load
nn_on=$(mem_netns)
tw_on=$(mem_tw)

med() { echo "$1" | sed -n 's/^twg-bench: \([0-9.]*\) .*/\1/p'; }
spread() { echo "$1" | sed -n 's/.*(min \([0-9.]*\), max \([0-9.]*\),.*/\1-\2/p'; }

echo
echo "== results (median, with min-max over the runs)"
printf '%-44s %22s %22s\n' "figure" "twguard not loaded" "twguard loaded"
printf '%-44s %22s %22s   ratio %s\n' "churn, connections/s ($ROUNDS x $CONNS)" \
	"$off_med ($off_min-$off_max)" "$on_med ($on_min-$on_max)" "$ratio"
# read_rows N SS READ CAT: the read-cost rows at N TIME-WAIT sockets.
read_rows() {
	printf '%-44s %22s %22s\n' "ss -tan state time-wait | wc -l, $1 TW, us" \
		"$(med "$2") ($(spread "$2"))" ""
	printf '%-44s %22s %22s   %s\n' "read() of stats, $1 TW, ns" \
		"" "$(med "$3") ($(spread "$3"))" \
		"ss/read: $(awk -v s="$(med "$2")" -v r="$(med "$3")" 'BEGIN { printf "%.0fx", s * 1000 / r }')"
	printf '%-44s %22s %22s   %s\n' "sh -c 'cat stats', $1 TW, us" \
		"" "$(med "$4") ($(spread "$4"))" \
		"ss/cat: $(awk -v s="$(med "$2")" -v r="$(med "$4")" 'BEGIN { printf "%.0fx", s / r }')"
}
read_rows "$n1" "$s1" "$r1" "$c1"
read_rows "$n2" "$s2" "$r2" "$c2"
printf '%-44s %22s %22s   %s\n' "kernel memory per netns, bytes" "$nn_off" "$nn_on" \
	"twguard: $((nn_on - nn_off))"
printf '%-44s %22s %22s   %s\n' "kernel memory per TIME-WAIT socket, bytes" "$tw_off" "$tw_on" \
	"twguard: $((tw_on - tw_off))"
