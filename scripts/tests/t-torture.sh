# SPDX-License-Identifier: GPL-2.0
#
# The torture suite: unloading under load, netns churn, concurrent
# writers, hostile input, injected allocation failures.  `make test` runs
# it at a size that fits its time; `make torture` (scripts/torture) sets
# TWG_TORTURE=1 for the sizes of Documentation/testing.rst.  Each test
# prints "twg-figure NAME DONE TARGET" lines for the report of
# `make torture`.

# torture_size TEST_DEBIAN TEST_DEBUG TORTURE_DEBIAN TORTURE_DEBUG: how
# many, for this run and kernel.  The debug kernels (KASAN, lockdep,
# kmemleak) run the same code some fifteen times slower.
torture_size() {
	[ -z "${TWG_TORTURE:-}" ] || shift 2
	if [ -e /sys/kernel/debug/kmemleak ]; then echo "$2"; else echo "$1"; fi
}

# figure NAME DONE TARGET: one line of `make torture`'s report.
figure() {
	echo "twg-figure $1 $2 $3"
}

# Inputs per writable file for the fuzzer; TWG_TORTURE_INPUTS overrides.
torture_inputs() {
	echo "${TWG_TORTURE_INPUTS:-$(torture_size 2000 150 100000 100000)}"
}

# The writable files of netns directory $1, and what each accepts, in the
# grammar of twg-fuzz.
writable_files() {
	cat <<EOT
$1/policy/mode names:kernel,off,loopback,on
$1/policy/timestamps names:strict,kernel
$1/policy/min_age_ms num:0:60000
$1/policy/rtt_factor num:0:16
$1/policy/dry_run num:0:1
$1/policy/rules rules
$1/destinations_max num:16:16384
$1/ports_max num:16:16384
$1/pressure_alert_pct num:0:100
EOT
}

# Background work stops when this file exists.
torture_stop=/tmp/twg-torture.stop

# loop_while_running CMD...: run CMD again and again until $torture_stop.
loop_while_running() {
	while [ ! -e $torture_stop ]; do
		"$@"
	done
}

# Every writable file of a netns, with what it accepts, gets random and
# malformed input: each write fails with a documented errno and leaves
# the file as it was, or is taken as documented (twg-fuzz checks both).
test_torture_fuzz() {
	local ns dir n file grammar seed=0
	ns=$(new_netns fuzz)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	n=$(torture_inputs)
	writable_files $dir >/tmp/fuzz.files
	while read -r file grammar; do
		seed=$((seed + 1))
		pp twg-fuzz $file $grammar $n $seed
	done </tmp/fuzz.files
	figure fuzz_inputs_per_file $n 100000
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

# Predicates for wait_for, read afresh on each poll.
ns_tw_is() {
	[ "$(ns_sockstat_tw "$1")" = "$2" ]
}

# entered_some NS: NS has counted a TIME-WAIT socket in since the load.
entered_some() {
	[ "$(twg "$1" tw_entered)" -gt 0 ]
}

# netns_dirs_save: remember which netns directories exist now;
# no_new_netns_dirs: none exists that did not then.  (Namespaces of
# earlier tests may still be dying: only new directories say anything.)
netns_dirs_save() {
	ls /sys/kernel/twguard/netns >/tmp/netns.before
}

no_new_netns_dirs() {
	! ls /sys/kernel/twguard/netns | grep -qvxF -f /tmp/netns.before
}

# --- unloading under load ----------------------------------------------------

# read_all ERRS: read every file of twguard once, in one process; a
# failure other than the file going away under the reader (ENOENT at
# open, ENODEV at read) is written to ERRS.
read_all() {
	find /sys/kernel/twguard -type f 2>/dev/null | xargs cat 2>&1 >/dev/null |
		grep -v 'No such file or directory\|No such device' >>"$1" || :
}

# write_policy NS: set NS's policy to the next of a few valid states; a
# failure other than the directory being gone is written to $2.
write_policy() {
	local d got f v
	d=/sys/kernel/twguard/netns/$(netns_inode "$1")/policy
	for f in "mode on" "mode kernel" "min_age_ms 0" "min_age_ms 1000" \
		"rules 10.0.0.0/8 deny" "rules 192.0.2.0/24 port 80 allow" \
		"timestamps kernel" "timestamps strict"; do
		v=${f#* }
		got=$(twg-write "$d/${f%% *}" "$v")
		case $got in ok | ENOENT | ENODEV) ;; *) echo "write $f: $got" >>"$2" ;; esac
	done
}

write_policies() {
	local ns
	for ns in $1; do
		write_policy $ns "$2"
	done
}

# churn_ns NS: connections that end in TIME-WAIT; a failed batch is
# written to $2.
churn_ns() {
	ip netns exec "$1" twg-churn -n 20 client >/dev/null 2>>"$2" ||
		echo "churn in $1 failed" >>"$2"
}

# insmod/rmmod again and again while three namespaces make connections,
# readers read every file and writers write policies.  Nothing may
# splat or leak (the guest scans kmemleak at the end), nothing the
# background does may fail for any reason but a file that went away,
# and after the last load the counters agree with the kernel.
test_torture_unload() {
	local cycles i ns all="" idle="" errs=/tmp/unload.errs lost=0
	cycles=$(torture_size 20 3 1000 200)
	rm -f $torture_stop $errs
	touch $errs
	for i in 1 2 3; do
		ns=$(new_netns ul$i)
		# Ephemeral ports enough for every TIME-WAIT of the run: none is
		# reused (which would make tw_reused race the load snapshot).
		ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0 \
			net.ipv4.ip_local_port_range="10000 65001"
		all="$all $ns"
		loop_while_running churn_ns $ns $errs &
	done
	loop_while_running read_all $errs &
	loop_while_running write_policies "$all" $errs &
	for i in $(seq $cycles); do
		rmmod twguard || { echo "# rmmod failed at cycle $i"; touch $torture_stop; wait; return 1; }
		insmod "$TWG_MODULES/twguard.ko" ||
			{ echo "# insmod failed at cycle $i"; touch $torture_stop; wait; return 1; }
	done
	echo "# $cycles cycles"
	# Traffic after the last load, until every namespace has counted
	# TIME-WAIT sockets in; then rest: every TIME-WAIT socket of the run
	# expires (60 s), so that each must have been counted in (at load or
	# as it entered) and out, and none moves while checked.
	for ns in $all; do
		wait_for 120 entered_some $ns || idle="$idle $ns"
	done
	touch $torture_stop
	wait
	figure unload_cycles $cycles "$(torture_size 20 3 1000 200)"
	for ns in $all; do
		wait_for 90 ns_tw_is $ns 0
		check_tw $ns || { lost=$((lost + 1)); twg $ns stats; }
		expect_twg $ns tw_current 0 || lost=$((lost + 1))
	done
	figure unload_counts_lost $lost 0
	if [ -n "$idle" ]; then
		echo "# no TIME-WAIT counted after the last load in:$idle"
		return 1
	fi
	if [ -s $errs ]; then
		echo "# what failed in the background:"
		sort $errs | uniq -c | head -n 20
		return 1
	fi
	[ $lost = 0 ]
	for ns in $all; do ip netns del $ns; done
}

# --- namespace churn ---------------------------------------------------------

# Namespaces, in batches of ten, each with TIME-WAIT sockets inside, are
# made and destroyed while a reader walks every netns directory and a
# holder keeps each one's files open.  Each directory appears with its
# netns and goes with it; a held file then reads ENODEV, never stale
# memory; the rest of twguard is untouched.
test_torture_netns_churn() {
	local total b i ns dir dirs pids n=0 bad=0 errs=/tmp/churn.errs
	total=$(torture_size 50 10 500 50)
	rm -f $torture_stop
	: >$errs
	netns_dirs_save
	loop_while_running read_all $errs &
	b=0
	while [ $n -lt $total ]; do
		b=$((b + 1)) dirs="" pids=""
		for i in $(seq 10); do
			ns=$(new_netns nc$b-$i)
			ip netns exec $ns twg-churn -n 3 client >/dev/null
			dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
			[ "$(cat $dir/tw_current)" = 3 ] ||
				{ echo "# $ns: tw_current $(cat $dir/tw_current), want 3"; bad=$((bad + 1)); }
			twg-hold $dir/stats $dir/tw_current $dir/policy/rules \
				$dir/dwell/time_wait >/tmp/hold.$i &
			pids="$pids $!"
			dirs="$dirs $dir"
			wait_for 10 lines_at_least /tmp/hold.$i 1
			ip netns del $ns
			n=$((n + 1))
		done
		for dir in $dirs; do
			wait_for 60 test ! -e $dir ||
				{ echo "# $dir outlived its netns"; bad=$((bad + 1)); }
		done
		kill -USR1 $pids
		wait $pids
		for i in $(seq 10); do
			# Line 1 says what it holds; every held file reads ENODEV.
			if [ "$(sed 1d /tmp/hold.$i | grep -vc ' ENODEV$')" != 0 ]; then
				echo "# a held file did not read ENODEV:"
				cat /tmp/hold.$i
				bad=$((bad + 1))
			fi
		done
	done
	touch $torture_stop
	wait
	figure netns_churned $n "$(torture_size 50 10 500 50)"
	no_new_netns_dirs || { echo "# directories left:"; ls /sys/kernel/twguard/netns; return 1; }
	if [ -s $errs ]; then
		echo "# what failed in the background:"
		sort $errs | uniq -c | head -n 20
		return 1
	fi
	[ $bad = 0 ]
}

# --- concurrent writers ------------------------------------------------------

# rules_list N: N rules, one a line, all different.
rules_list() {
	local i
	for i in $(seq "$1"); do
		echo "10.$i.0.0/16 port $((1000 + i))-$((2000 + i)) deny min_age_ms $i"
	done
}

# Every writable file is written from every CPU at once, thousands of
# times, while connections make reuse decisions in the same netns; a
# reader checks that every read is one whole value that was written.
test_torture_concurrent_writers() {
	local ns dir n
	n=$(torture_size 300 60 10000 3000)
	ns=$(new_netns cw)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	# Few ports: connections find TIME-WAIT on each, and ask the policy.
	ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="40000 40015"
	rm -f $torture_stop
	loop_while_running sh -c "ip netns exec $ns twg-churn -n 20 client >/dev/null 2>&1 || :" &
	pp twg-race $dir/policy/mode $n kernel off loopback on
	pp twg-race $dir/policy/timestamps $n strict kernel
	pp twg-race $dir/policy/min_age_ms $n 0 5 1000 60000
	pp twg-race $dir/policy/rtt_factor $n 0 3 16
	pp twg-race $dir/policy/dry_run $n 0 1
	echo "[+] twg-race $dir/policy/rules $n (lists of 1, 40, 80 and 1 rules)"
	twg-race $dir/policy/rules $n "$(rules_list 1)" "$(rules_list 40)" \
		"$(rules_list 80)" "2001:db8::/32 allow"
	pp twg-race $dir/destinations_max $n 16 768 16384
	pp twg-race $dir/ports_max $n 16 768 16384
	pp twg-race $dir/pressure_alert_pct $n 0 50 100
	touch $torture_stop
	wait
	figure concurrent_writes_per_file $((n * $(nproc))) "$(($(torture_size 300 60 10000 3000) * 2))"
	# Connections made decisions meanwhile.
	[ $(($(twg $ns policy/reuse_allowed) + $(twg $ns policy/reuse_denied_policy) +
		$(twg $ns policy/reuse_denied_too_young))) -gt 0 ] ||
		{ echo "# no reuse decision was made during the race"; return 1; }
	ip netns del $ns
}

# --- injected allocation failures --------------------------------------------

failslab=/sys/kernel/debug/failslab

# Fail sleeping allocations too (GFP_KERNEL: all of twguard's), quietly:
# the failures are the point, their stack traces are not.
failslab_setup() {
	[ -d $failslab ] || return 1
	echo N >$failslab/ignore-gfp-wait
	echo 0 >$failslab/verbose
}

# fault_window: where twguard's netns init sits among the allocations
# that unshare(CLONE_NEWNET) makes, as "FIRST LAST" fail-nth positions:
# from the ops_init() that calls twg_net_init() (it allocates the netns's
# net_generic slot first) to the next ops_init(), or the end.  Read from
# the function tracer, which sees every should_failslab() call.
fault_window() {
	tracefs_mount
	echo 'should_failslab ops_init twg_net_init' >$tracefs/set_ftrace_filter
	echo function >$tracefs/current_tracer
	echo >$tracefs/trace
	twg-fault count >/tmp/fault.count
	# Stopped before it is read (reading allocates, and would trace
	# itself without end), saved before the tracer changes (which
	# empties the buffer).
	echo 0 >$tracefs/tracing_on
	cat $tracefs/trace >/tmp/fault.trace
	echo nop >$tracefs/current_tracer
	echo >$tracefs/set_ftrace_filter
	echo 1 >$tracefs/tracing_on
	awk -v total="$(cat /tmp/fault.count)" '
		$1 !~ /^twg-fault-/ { next }
		/tracing_mark_write: twg-fault: armed/ { on = 1; next }
		/tracing_mark_write: twg-fault: done/ { on = 0 }
		!on { next }
		/ should_failslab <-/ { n++ }
		/ ops_init <-/ { if (first && !last) last = n; else if (!first) start = n + 1 }
		/ twg_net_init <-/ { first = start }
		END {
			if (!last) last = n
			if (n != total || !first) { print "mismatch", n, total; exit }
			print first, last
		}' /tmp/fault.trace
}

# Every allocation twguard's netns init makes (its own and the kernel's
# on its behalf: kernfs, kobject, procfs) fails once: unshare() fails
# with ENOMEM and leaves no directory behind, or succeeds with every file
# in place.  kmemleak, at the end of the run, sees what was half-freed.
test_torture_fault_netns() {
	local w
	failslab_setup || { echo "# SKIP: this kernel has no failslab"; return 77; }
	w=$(fault_window)
	echo "# twguard's allocations in a netns's creation: $w"
	case $w in mismatch*) return 1 ;; esac
	netns_dirs_save
	pp twg-fault netns $w | tee /tmp/fault.out
	grep -q ' 0 violations$' /tmp/fault.out
	# Failed or not, the namespaces are gone, and their directories too.
	wait_for 60 no_new_netns_dirs
	figure faults_netns $((${w#* } - ${w% *} + 1)) "$((${w#* } - ${w% *} + 1))"
}

# Every allocation of a write to every writable file fails once: the
# write fails with ENOMEM and the file reads as before, or it is taken.
test_torture_fault_writes() {
	local ns dir hold
	failslab_setup || { echo "# SKIP: this kernel has no failslab"; return 77; }
	# The first policy in force places the reuse hook, and ftrace then
	# allocates a trampoline of its own, whose failure the kernel reports
	# with a stack trace: another netns's policy keeps the hook in place,
	# so that only twguard's allocations of each write fail.
	hold=$(new_netns fw-hold)
	pol_set $hold mode off
	ns=$(new_netns fw)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp twg-fault write $dir/policy/mode kernel on
	pp twg-fault write $dir/policy/timestamps strict kernel
	pp twg-fault write $dir/policy/min_age_ms 1000 5
	pp twg-fault write $dir/policy/rtt_factor 0 3
	pp twg-fault write $dir/policy/dry_run 0 1
	echo "[+] twg-fault write $dir/policy/rules (2 rules, then 40)"
	twg-fault write $dir/policy/rules "$(rules_list 2)" "$(rules_list 40)"
	pp twg-fault write $dir/destinations_max 768 16384
	pp twg-fault write $dir/ports_max 768 16
	pp twg-fault write $dir/pressure_alert_pct 0 80
	ip netns del $ns
	ip netns del $hold
}
