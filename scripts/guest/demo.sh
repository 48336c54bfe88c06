# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the guest: a short real workload in its own network
# namespace, connections closing from either side, and what twguard and
# the kernel show of it, side by side.

set -e
ns=twg-demo
ip netns add $ns
ip netns exec $ns ip link set lo up
inode=$(ip netns exec $ns stat -L -c %i /proc/self/ns/net)
dir=/sys/kernel/twguard/netns/$inode

echo "== twguard $(cat /sys/kernel/twguard/version); hooks:" $(cat /sys/kernel/twguard/hooks)
echo "== workload in netns $ns, inode $inode"
ip netns exec $ns ./twg-churn -p 8001 -n 40 client
ip netns exec $ns ./twg-churn -p 8002 -n 25 server
ip netns exec $ns ./twg-churn -p 8003 -n 15 reset
ip netns exec $ns ./twg-churn -p 8004 -n 10 simultaneous
ip netns exec $ns ./twg-churn -6 -p 8005 -n 10 client
# A server that keeps its end open 1.5 s after the client closed.
sleep 1.5 | ip netns exec $ns ./twg-churn -p 8006 -n 3 halfclose

sockstat_tw=$(ip netns exec $ns awk '$1 == "TCP:" { print $7 }' /proc/net/sockstat)
ss_tw=$(ip netns exec $ns ss -Htan state time-wait | wc -l)
ss_tw6=$(ip netns exec $ns ss -Htan6 state time-wait | wc -l)

echo
echo "== $dir/stats, and what the kernel says"
while read -r name value; do
	case $name in
	tw_current) note="sockstat tw: $sockstat_tw, ss: $ss_tw" ;;
	tw_current_ipv6) note="ss -6: $ss_tw6" ;;
	*) note= ;;
	esac
	printf '   %-22s %8s   %s\n' "$name" "$value" "$note"
done <"$dir/stats"

echo
echo "== /proc/net/twguard/destinations: where the ephemeral ports go (ss: time-wait by peer)"
ip netns exec $ns cat /proc/net/twguard/destinations | sed 's/^/   /'
for p in 8001 8004 8005 8006; do
	printf '   ss: %s TIME-WAIT sockets towards port %s\n' \
		"$(ip netns exec $ns ss -Htan state time-wait "( dport = :$p )" | wc -l)" $p
done
echo
echo "== /proc/net/twguard/ports: who closes first"
ip netns exec $ns cat /proc/net/twguard/ports | sed 's/^/   /'
echo
echo "== $dir/dwell/close_wait (ms, count), non-empty buckets"
awk '$2 != 0 { printf "   %10s ms  %s\n", $1, $2 }' "$dir/dwell/close_wait"

echo
echo "== deleting netns $ns: its directory goes with it"
ip netns del $ns
for i in $(seq 50); do [ -d "$dir" ] || break; sleep 0.1; done
[ -d "$dir" ] && echo "   $dir is still there" || echo "   $dir is gone"
echo "== /sys/kernel/twguard/stats keeps its counts (its minisocks: killed)"
grep -E '^(tw_entered|tw_killed|tw_current) ' /sys/kernel/twguard/stats | sed 's/^/   /'
