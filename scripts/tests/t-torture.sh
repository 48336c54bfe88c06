# SPDX-License-Identifier: GPL-2.0
#
# Hostile input and concurrent writers.  `make test` runs these at a size
# that fits its time; TWG_TORTURE_INPUTS sets the inputs per file.

# Inputs per writable file: fewer on the debug kernels (KASAN, lockdep),
# which run the same code some fifteen times slower.
torture_inputs() {
	if [ -n "${TWG_TORTURE_INPUTS:-}" ]; then
		echo "$TWG_TORTURE_INPUTS"
	elif [ -e /sys/kernel/debug/kmemleak ]; then
		echo 300
	else
		echo 2000
	fi
}

# Every writable file of a netns, with what it accepts, gets random and
# malformed input: each write fails with a documented errno and leaves
# the file as it was, or is taken as documented (twg-fuzz checks both).
test_torture_fuzz() {
	local ns dir n
	ns=$(new_netns fuzz)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	n=$(torture_inputs)
	pp twg-fuzz $dir/policy/mode names:kernel,off,loopback,on $n 1
	pp twg-fuzz $dir/policy/timestamps names:strict,kernel $n 2
	pp twg-fuzz $dir/policy/min_age_ms num:0:60000 $n 3
	pp twg-fuzz $dir/policy/rtt_factor num:0:16 $n 4
	pp twg-fuzz $dir/policy/dry_run num:0:1 $n 5
	pp twg-fuzz $dir/policy/rules rules $n 6
	pp twg-fuzz $dir/destinations_max num:16:16384 $n 7
	pp twg-fuzz $dir/ports_max num:16:16384 $n 8
	pp twg-fuzz $dir/pressure_alert_pct num:0:100 $n 9
	# The netns still works, and its directory still reads.
	pp ip netns exec $ns twg-churn -n 5 client
	expect_eq "tw_current after" "$(twg $ns tw_current)" 5
	ip netns del $ns
}

# A fuzzer that cannot find what it looks for proves nothing: a file that
# takes a NUL-cut number, or a number past its limit, must be caught.
test_torture_fuzz_catches() {
	local ns dir out n
	ns=$(new_netns fuzzc)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	# Tell the fuzzer the file takes less than it does: the accepted
	# values past the claimed limit are violations it must report.
	out=$(twg-fuzz $dir/policy/min_age_ms num:0:10 200 3) && return 1
	echo "$out" | tail -n 1
	n=$(echo "$out" | grep -c 'accepted, but reads back otherwise')
	echo "# violations reported: $n"
	[ "$n" -gt 0 ]
	ip netns del $ns
}
