# SPDX-License-Identifier: GPL-2.0
#
# The harness and the module's first promises: the guest's TCP behaves as
# the tests assume, and twguard's root directory lives exactly as long as
# the module.

# N connections closed by the client leave N TIME-WAIT sockets in the
# client's netns and none in any other.
test_netns_time_wait() {
	local ns tw_init
	tw_init=$(sockstat_tw)
	ns=$(new_netns tw)
	pp ip netns exec "$ns" twg-churn -n 20 client
	expect_eq "sockstat tw in $ns" "$(ns_sockstat_tw "$ns")" 20
	expect_eq "ss time-wait in $ns" "$(ns_ss "$ns" time-wait)" 20
	expect_eq "sockstat tw in init netns" "$(sockstat_tw)" "$tw_init"
	pp ip netns del "$ns"
}

# A reset close leaves no TIME-WAIT at all.
test_netns_reset_no_time_wait() {
	local ns
	ns=$(new_netns rst)
	pp ip netns exec "$ns" twg-churn -n 10 reset
	expect_eq "sockstat tw in $ns" "$(ns_sockstat_tw "$ns")" 0
	pp ip netns del "$ns"
}

# /sys/kernel/twguard/version is the module's version, and goes away with
# the module.
test_sysfs_lifecycle() {
	local want
	want=$(modinfo -F version "$TWG_MODULES/twguard.ko" 2>/dev/null ||
		strings "$TWG_MODULES/twguard.ko" | sed -n 's/^version=//p')
	expect_eq "version" "$(cat /sys/kernel/twguard/version)" "$want"
	pp rmmod twguard
	[ ! -e /sys/kernel/twguard ] || { echo "# /sys/kernel/twguard outlived the module"; return 1; }
	pp insmod "$TWG_MODULES/twguard.ko"
	expect_eq "version after reload" "$(cat /sys/kernel/twguard/version)" "$want"
}

# Every file twguard shows, at the root and in a netns directory, has its
# entry in the ABI document.
test_abi_documented() {
	local f name dir
	[ -f ./sysfs-kernel-twguard ]
	dir=/sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net)
	[ -f "$dir/policy/mode" ]
	[ -f ./procfs-net-twguard ]
	for f in /sys/kernel/twguard/* "$dir"/* "$dir"/policy/* "$dir"/dwell/* \
		/proc/net/twguard/*; do
		[ -f "$f" ] || continue
		case $f in
		"$dir"/policy/*) name="/sys/kernel/twguard/netns/<inum>/policy/${f##*/}" ;;
		"$dir"/dwell/*) name="/sys/kernel/twguard/netns/<inum>/dwell/${f##*/}" ;;
		"$dir"/*) name="/sys/kernel/twguard/netns/<inum>/${f##*/}" ;;
		*) name=$f ;;
		esac
		grep -qxF "What:		$name" ./sysfs-kernel-twguard ./procfs-net-twguard ||
			{ echo "# $name is not in the ABI document"; return 1; }
	done
	# The walk saw the newest files too.
	[ -f "$dir/dwell/close_wait" ] && [ -f /proc/net/twguard/destinations ]
}

# A hook target that is missing, or split by the compiler so that its
# callers may bypass a hook on its entry, refuses the load with a message
# naming it: counts are exact or absent (test builds only can pretend).
test_hooks_refused() {
	local fn how
	pp rmmod twguard
	for how in missing split; do
		for fn in inet_twsk_kill __inet_twsk_schedule; do
			dmesg -c >/dev/null
			if insmod "$TWG_MODULES/twguard.ko" test_hook_$how=$fn 2>/dev/null; then
				echo "# loaded with $fn $how"
				return 1
			fi
			expect_eq "loaded with $fn $how" "$(grep -c '^twguard ' /proc/modules)" 0
			expect_eq "root directory with $fn $how" "$(ls -d /sys/kernel/twguard 2>/dev/null)" ""
			dmesg | grep "twguard: cannot hook $fn(): " | head -n1
			dmesg | grep -q "twguard: cannot hook $fn(): "
		done
	done
	pp insmod "$TWG_MODULES/twguard.ko"
	expect_eq "hooks" "$(sed -n 's/^time_wait //p' /sys/kernel/twguard/hooks)" attached
}
