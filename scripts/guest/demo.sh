# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the guest: a short real workload in its own network
# namespace, connections closing from either side, and what twguard and
# the kernel show of it.

set -e
ns=twg-demo
ip netns add $ns
ip netns exec $ns ip link set lo up
inode=$(ip netns exec $ns stat -L -c %i /proc/self/ns/net)

echo "== workload in netns $ns (inode $inode)"
ip netns exec $ns ./twg-churn -p 8001 -n 40 client
ip netns exec $ns ./twg-churn -p 8002 -n 25 server
ip netns exec $ns ./twg-churn -p 8003 -n 15 reset
ip netns exec $ns ./twg-churn -6 -p 8004 -n 10 client

echo
echo "== the kernel's view: /proc/net/sockstat in $ns"
ip netns exec $ns cat /proc/net/sockstat | sed -n '/^TCP/p'
echo "   ss: $(ip netns exec $ns ss -Htan state time-wait | wc -l) sockets in TIME-WAIT"

echo
echo "== twguard: /sys/kernel/twguard/"
for f in /sys/kernel/twguard/*; do
	[ -f "$f" ] && printf '   %-12s %s\n' "$(basename "$f")" "$(cat "$f")"
done
if [ -d /sys/kernel/twguard/netns/$inode ]; then
	echo
	echo "== twguard: /sys/kernel/twguard/netns/$inode/stats"
	sed 's/^/   /' /sys/kernel/twguard/netns/$inode/stats
fi
