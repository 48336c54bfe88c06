# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, inside one boot of a stock kernel (scripts/vm runs it
# with --no-module: this script loads and unloads twguard itself, so that
# both sides of every comparison run in the same kernel and boot).
# scripts/bench makes three boots of it; each writes its figures to
# $TWG_RESULTS, one "KEY VALUE..." line each, and scripts/bench-report
# prints them in one table.
#
# With TWG_BENCH_ICOUNT set, the guest's clock counts instructions
# (scripts/vm --icount, one vCPU): a rate is then connections per 10^9
# instructions executed, and the same to 0.1% from run to run.  That boot
# runs:
#   1. churn: loopback connect/accept/close, $CONNS connections a half
#      round; each of $ROUNDS rounds runs one half in each state, back to
#      back, in an order that turns from round to round: off (twguard not
#      loaded), on (twguard: counters, tables, dwell times), full (on, and
#      a policy in force), bpf (the eBPF peer, twg-counters.bt).  Besides
#      each state's median it keeps the median of the rounds' own ratios
#   1c. enforcement: $REUSE_ROUNDS rounds of $REUSE_CONNS connect()s that
#      each take over a TIME-WAIT 4-tuple (reuse_round): twguard not
#      loaded, loaded with the kernel deciding, and deciding itself
#   5b. the reuse decision (twguard_bench.ko) in instructions: this
#      clock's nanosecond is one instruction, the same in every run
#
# Without it (two vCPUs on two host threads, the host's clock):
#   1. the churn again, off and on, by the clock
#   1b. two churners at once in one namespace, off and on, each round's
#      ratio beside one churner's
#   2. read cost: one read() of a netns's stats against
#      "ss -tan state time-wait | wc -l", at about 1,000 and at 50,000 or
#      more TIME-WAIT sockets
#   3. memory: slab and per-CPU bytes per netns and per TIME-WAIT socket,
#      loaded minus not loaded
#   4. profile: one more round of the churn, loaded, sampled on every
#      CPU at 4 kHz; the share of the busy samples (all but the idle
#      loop's) that fell in twguard's functions and its ftrace
#      trampolines, and what that is per connection.  Hooks run with
#      interrupts on, so a sample lands where the time goes; the kernel
#      functions twguard calls (the clock, the allocator) are not
#      counted in it
#   5. reuse decision: ns per twg_policy_decide() with 0, 16 and 256 rules
#      none of which matches (twguard_bench.ko, the policy code alone):
#      each load's median batch (interrupts off), median and spread over
#      five loads
#
# With TWG_BENCH_LOCKS set (a debug kernel, lock_stat): only the lock
# contention of twguard's table locks, one churner then two.

set -e
ROUNDS=${TWG_BENCH_ROUNDS:-15}
CONNS=${TWG_BENCH_CONNS:-10000}
REUSE_ROUNDS=${TWG_BENCH_REUSE_ROUNDS:-3}
REUSE_CONNS=${TWG_BENCH_REUSE_CONNS:-2000}
PATH=$PWD:$PATH
results=/tmp/bench.results
: >$results

loaded() { grep -q '^twguard ' /proc/modules; }
load() { loaded || insmod "$TWG_MODULES/twguard.ko"; }
unload() { ! loaded || rmmod twguard; }

# The eBPF peer: twg-counters.bt under bpftrace, attached before the
# churn starts and stopped after it.  Its compiler runs before the churn,
# and bpftrace sleeps while the churn runs: what it adds to a connection
# is its programs' work in the kernel.
bpf_pid=
bpf_start() {
	local n=0
	: >/tmp/bpftrace.out
	bpftrace /work/twg-counters.bt >/tmp/bpftrace.out 2>&1 &
	bpf_pid=$!
	until grep -q '^Attaching' /tmp/bpftrace.out; do
		n=$((n + 1))
		[ $n -lt 600 ] || { cat /tmp/bpftrace.out; return 1; }
		sleep 0.2
	done
}
bpf_stop() {
	kill -INT $bpf_pid
	wait $bpf_pid || :
	bpf_pid=
}

# Bytes in slab objects plus per-CPU memory, the two places kernel
# objects of ours could live.
kmem_bytes() {
	awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s }' /proc/slabinfo |
		{ read -r slab; echo $((slab + $(awk '/^Percpu:/ { print $2 * 1024 }' /proc/meminfo))); }
}

# A namespace for one measurement, with room for many TIME-WAIT sockets.
# Listeners use ports below 10000, outside the ephemeral range, so that
# no connection's local port can take a listener's.
bench_netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144 \
		net.ipv4.ip_local_port_range="10000 65535"
}

# The kernel purges a dead netns's minisocks in the background: give it
# time, so that no round pays for the previous one's.
drop_netns() {
	ip netns del "$1"
	sleep 3
}

# churners N NETNS COUNT: N churners at once in NETNS, COUNT connections
# each, to listeners of their own; the sum of their rates.
churners() {
	for j in $(seq "$1"); do
		ip netns exec "$2" twg-churn -p $((7000 + j)) -n "$3" client >/tmp/churn.$j &
	done
	wait
	for j in $(seq "$1"); do
		sed -n 's/.*(\([0-9]*\)\/s)$/\1/p' /tmp/churn.$j
	done | awk '{ s += $1 } END { print s }'
}

# churn_round [STATE [N]]: one half-round's rate, N churners (default 1)
# of $CONNS / N connections each.  STATE full: twguard with a policy in
# force in the churn's namespace too (mode on, as a dry run, so that the
# kernel still decides: the same work for the kernel).
churn_round() {
	bench_netns churn
	[ "${1:-}" != full ] || twguard -N churn policy set mode=on dry_run=1
	churners "${2:-1}" churn $((CONNS / ${2:-1}))
	drop_netns churn
}

# TcpExt TWRecycled of netns $1: connect()s that took over a TIME-WAIT
# 4-tuple, whoever decided.
recycled() {
	ip netns exec "$1" awk '$1 == "TcpExt:" && !n++ { for (i = 2; i <= NF; i++) if ($i == "TWRecycled") k = i; next }
				$1 == "TcpExt:" { print $k }' /proc/net/netstat
}

# reuse_round STATE: "RATE TAKEN" of $REUSE_CONNS connect()s that each
# take over a TIME-WAIT 4-tuple about 0.25 s old: every connection from
# local port 6000 (bound, SO_REUSEADDR) to one of $REUSE_CONNS listeners,
# once to fill, then again, measured.  Bound to its port, a socket needs
# no sysctl for the kernel to let it take a 4-tuple over: the kernel
# allows each (the old connection used timestamps), and so does a policy
# with min_age_ms 100.  STATE kernel: twguard not loaded; loaded:
# twguard loaded, no policy, the kernel decides; policy: a policy in
# force (mode on, enforcing) decides in place of tcp_twsk_unique().
# TAKEN is TWRecycled's count over the measured run.
reuse_round() {
	bench_netns reuse
	ip netns exec reuse sysctl -qw net.ipv4.tcp_tw_reuse=1
	case $1 in
	kernel) unload ;;
	loaded) load ;;
	policy) load; twguard -N reuse policy set mode=on dry_run=0 min_age_ms=100 ;;
	esac
	ulimit -n $((REUSE_CONNS + 64))
	ip netns exec reuse twg-churn -p 20000 -P "$REUSE_CONNS" -B 6000 -n "$REUSE_CONNS" client >/dev/null
	r0=$(recycled reuse)
	rate=$(ip netns exec reuse twg-churn -p 20000 -P "$REUSE_CONNS" -B 6000 -n "$REUSE_CONNS" client |
		sed -n 's/.*(\([0-9]*\)\/s)$/\1/p')
	echo "$rate $(($(recycled reuse) - r0))"
	drop_netns reuse
}

# set_state STATE: off (no twguard), on (twguard: counters, tables,
# dwell times), full (on, and a policy in force), bpf (no twguard, the
# eBPF peer attached).
set_state() {
	case $1 in
	off) unload ;;
	on | full) load ;;
	bpf) unload; bpf_start ;;
	esac
}

# median/min/max of the numbers on stdin
stats3() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# With TWG_BENCH_LOCKS set (a debug kernel built with lock_stat, two
# vCPUs on two host threads): what twguard's table locks saw while one,
# then two churners ran at once in one namespace.  One line a run:
# "locks N CONTENTIONS ACQUISITIONS CONNECTIONS".
if [ -n "${TWG_BENCH_LOCKS:-}" ]; then
	lconns=${TWG_BENCH_LOCK_CONNS:-3000}
	[ -e /proc/lock_stat ] || { echo "bench: this kernel has no lock_stat"; exit 1; }
	echo "== lock contention: twguard's table locks, $lconns connections a churner"
	bench_netns warm
	churners 1 warm 500 >/dev/null
	drop_netns warm
	load
	for n in 1 2; do
		bench_netns locks
		echo 0 >/proc/lock_stat
		echo 1 >/proc/sys/kernel/lock_stat
		rate=$(churners $n locks "$lconns")
		echo 0 >/proc/sys/kernel/lock_stat
		# class name, con-bounces, contentions, ..., acq-bounces, acquisitions
		read -r con acq <<-EOT
		$(awk '$1 == "twg_table.lock:" || $1 == "&t->lock:" { c += $3; a += $9 }
		       END { printf "%d %d\n", c, a }' /proc/lock_stat)
		EOT
		echo "   $n churner(s): $rate connections/s; twguard's table locks: $con contentions in $acq acquisitions"
		echo "locks $n $con $acq $((n * lconns))" >>$results
		drop_netns locks
	done
	unload
	cp $results "$TWG_RESULTS"
	exit 0
fi

# With TWG_BENCH_LOAD set (two vCPUs on two host threads): the longest
# any CPU is held while twguard loads over 100,000 TIME-WAIT and 10,000
# established sockets (TWG_BENCH_LOAD_TW, TWG_BENCH_LOAD_EST), this build
# against the one before the load-time walk went bucket by bucket
# (/work/twguard-before.ko, whose walk runs whole inside one
# stop_machine()).  twg-stall spins on CPU 1 and times the longest gap;
# insmod runs on CPU 0.  Three rounds (TWG_BENCH_LOAD_ROUNDS), each
# loading both, the TIME-WAIT sockets topped up before each load.  One
# line a build: "load_hold BUILD MEDIAN MIN MAX TW CLOSING", in us, with
# what the last load found.
if [ -n "${TWG_BENCH_LOAD:-}" ]; then
	ltw=${TWG_BENCH_LOAD_TW:-100000} lest=${TWG_BENCH_LOAD_EST:-10000}
	lrounds=${TWG_BENCH_LOAD_ROUNDS:-3}
	echo "== load: the longest a CPU is held, over $ltw TIME-WAIT and $lest established sockets"
	unload
	bench_netns load
	ulimit -n $((2 * lest + 256))
	mkfifo /tmp/est
	ip netns exec load twg-churn -p 8000 -P 16 -n "$lest" open </tmp/est >/tmp/est.out &
	est=$!
	exec 3>/tmp/est
	n=0
	until grep -q holding /tmp/est.out; do
		n=$((n + 1))
		[ $n -lt 600 ] || { echo "bench: $lest connections never opened"; exit 1; }
		sleep 1
	done
	for i in $(seq "$lrounds"); do
		for build in before after; do
			# Top up: minisocks older than 60 s are gone meanwhile.
			want=$((ltw - $(ip netns exec load awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)))
			if [ $want -gt 0 ]; then
				fill=
				for j in 1 2; do
					ip netns exec load twg-churn -p $((9000 + 16 * j)) -P 16 \
						-n $((want / 2 + 1)) client >/dev/null &
					fill="$fill $!"
				done
				wait $fill
			fi
			twg-stall 1 >/tmp/stall &
			stall=$!
			until grep -q spinning /tmp/stall; do sleep 0.1; done
			ko=$TWG_MODULES/twguard.ko
			[ $build = after ] || ko=/work/twguard-before.ko
			taskset -c 0 insmod "$ko"
			kill -USR1 $stall
			wait $stall
			held=$(sed -n 's/.*longest gap \([0-9]*\) us.*/\1/p' /tmp/stall)
			found=$(dmesg | grep 'twguard: found' | tail -n 1)
			echo "   round $i, $build: CPU 1 held $held us; $found"
			echo "$held" >>/tmp/load.$build
			echo "$found" | sed -n 's/.*found \([0-9]*\) TIME-WAIT minisocks and \([0-9]*\) closing.*/\1 \2/p' \
				>/tmp/found.$build
			rmmod twguard
		done
	done
	for build in before after; do
		echo "load_hold $build $(stats3 </tmp/load.$build) $(cat /tmp/found.$build)" >>$results
	done
	exec 3>&-
	wait $est || :
	cp $results "$TWG_RESULTS"
	exit 0
fi

# The states compared: in the instruction-counting boot, also twguard
# with a policy in force and the eBPF peer (when bpftrace is there).
STATES="off on"
if [ -n "${TWG_BENCH_ICOUNT:-}" ]; then
	STATES="off on full"
	if command -v bpftrace >/dev/null; then
		STATES="$STATES bpf"
	else
		echo "   (no bpftrace in this guest: the eBPF peer is not measured)"
	fi
fi
nstates=$(echo $STATES | wc -w)

echo "== 1. churn: $ROUNDS rounds of $CONNS connections, each of: $STATES"
# A half not counted: the first churn of a boot pays for growing the
# kernel's caches, and would count against whichever side ran it.
unload
churn_round >/dev/null
for i in $(seq "$ROUNDS"); do
	# Each round starts with the next state, so none always runs warmer.
	order=$(echo $STATES $STATES | cut -d' ' -f$((i % nstates + 1))-$((i % nstates + nstates)))
	for state in $order; do
		set_state $state
		rate=$(churn_round $state)
		[ $state != bpf ] || bpf_stop
		echo "   round $i, $state: $rate connections/s"
		echo "churn_$state $rate" >>$results
		eval "rate_$state=$rate"
	done
	# The halves of a round ran back to back: their ratio is measured
	# under one state of the host, which drifts over minutes.
	for state in $STATES; do
		[ $state = off ] && continue
		a=$(eval echo "\$rate_$state")
		echo "churn_pair_$state $(awk -v a="$a" -v b="$rate_off" 'BEGIN { printf "%.4f", a / b }')" >>$results
	done
done
unload
# med_of STATE: "median min max" of that state's rates
med_of() { awk -v k="churn_$1" '$1 == k { print $2 }' $results | stats3; }
# pair_of STATE: "median q1 q3" of the rounds' STATE/off ratios
pair_of() {
	awk -v k="churn_pair_$1" '$1 == k { print $2 }' $results | sort -n |
		awk '{ v[NR] = $1 }
		     END { printf "%.3f %.3f %.3f\n", v[int((NR + 1) / 2)],
				  v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }'
}
# A rate per guest second is one per 10^9 instructions when the clock
# counts them.
per_conn() { awk -v r="$1" 'BEGIN { printf "%.0f", 1e9 / r }'; }

if [ -n "${TWG_BENCH_ICOUNT:-}" ]; then
	for state in $STATES; do
		read -r med _ <<-EOT
		$(med_of $state)
		EOT
		echo "conn_insns $state $(per_conn "$med")" >>$results
		[ $state = off ] || echo "conn_ratio $state $(pair_of $state)" >>$results
	done

	echo "== 1c. enforcement: connect()s that take over TIME-WAIT 4-tuples, $REUSE_ROUNDS rounds of $REUSE_CONNS"
	for i in $(seq "$REUSE_ROUNDS"); do
		order=$(echo kernel loaded policy kernel loaded policy | cut -d' ' -f$((i % 3 + 1))-$((i % 3 + 3)))
		for state in $order; do
			read -r rate taken <<-EOT
			$(reuse_round $state)
			EOT
			echo "   round $i, $state: $rate connections/s, $taken TIME-WAIT 4-tuples taken over"
			echo "reuse_$state $rate $taken" >>$results
		done
	done
	unload
	for state in kernel loaded policy; do
		read -r med _ <<-EOT
		$(awk -v k="reuse_$state" '$1 == k { print $2 }' $results | stats3)
		EOT
		# The fewest taken over in a round: each should take over all.
		taken=$(awk -v k="reuse_$state" '$1 == k { print $3 }' $results | sort -n | head -1)
		echo "reuse_insns $state $(per_conn "$med") $taken $REUSE_CONNS" >>$results
	done

	echo "== 5b. reuse decision, in instructions"
	dmesg -c >/dev/null
	insmod "$TWG_MODULES/twguard_bench.ko"
	rmmod twguard_bench
	# One nanosecond of this clock is one instruction executed.
	dmesg | sed -n 's/.*twguard_bench: rules=\([0-9]*\) family=\([a-z0-9]*\) .*ns_per_decision=\([0-9]*\).*/decide_insns \1 \2 \3/p' >>$results
	grep '^decide_insns' $results | sed 's/^/   /'
	cp $results "$TWG_RESULTS"
	exit 0
fi

for state in off on; do
	echo "churn_rate $state $(med_of $state)" >>$results
done
echo "churn_ratio 1 $(pair_of on)" >>$results

echo "== 1b. churn, two churners at once in one namespace: $ROUNDS rounds, off and on"
for i in $(seq "$ROUNDS"); do
	order="off on"
	[ $((i % 2)) = 0 ] || order="on off"
	for state in $order; do
		set_state $state
		rate=$(churn_round $state 2)
		echo "   round $i, $state: $rate connections/s"
		echo "churn2_$state $rate" >>$results
		eval "rate2_$state=$rate"
	done
	echo "churn2_pair $(awk -v a="$rate2_on" -v b="$rate2_off" 'BEGIN { printf "%.4f", a / b }')" >>$results
done
unload
ratio2=$(awk '$1 == "churn2_pair" { print $2 }' $results | sort -n |
	awk '{ v[NR] = $1 }
	     END { printf "%.3f %.3f %.3f\n", v[int((NR + 1) / 2)],
			  v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }')
echo "churn_ratio 2 $ratio2" >>$results

echo "== 2. read cost"
load
bench_netns reads
dir=/sys/kernel/twguard/netns/$(stat -L -c %i /run/netns/reads)
# Client-side closes, no reuse: each connection leaves its own TIME-WAIT.
ip netns exec reads sysctl -qw net.ipv4.tcp_tw_reuse=0
ip netns exec reads twg-churn -p 7100 -n 1000 client >/dev/null
n1=$(cat "$dir/tw_current")
r1=$(twg-bench read "$dir/stats" 2000)
s1=$(ip netns exec reads twg-bench run 20 "ss -tan state time-wait | wc -l")
c1=$(twg-bench run 20 "cat $dir/stats")
# Two workers, one a CPU, to get past 50,000 before the first expire (60 s).
ip netns exec reads twg-churn -p 7101 -n 27000 client >/dev/null &
ip netns exec reads twg-churn -p 7102 -n 27000 client >/dev/null &
wait
n2=$(cat "$dir/tw_current")
r2=$(twg-bench read "$dir/stats" 2000)
s2=$(ip netns exec reads twg-bench run 5 "ss -tan state time-wait | wc -l")
c2=$(twg-bench run 20 "cat $dir/stats")
n2b=$(cat "$dir/tw_current")
echo "   $n1, then $n2 TIME-WAIT sockets ($n2b after the measurements)"
drop_netns reads

echo "== 3. memory"
# Namespaces are created and never deleted: a netns's teardown runs in
# the background and would free memory under a later measurement.  Each
# side is measured twice, 300 namespaces at a time; the smaller is kept.
mem_netns() {
	best=
	for try in 1 2; do
		before=$(kmem_bytes)
		for i in $(seq 300); do ip netns add "mem$1$try$i"; done
		after=$(kmem_bytes)
		d=$(((after - before) / 300))
		[ -z "$best" ] || [ $d -lt "$best" ] && best=$d
	done
	echo "$best"
}
mem_tw() {
	bench_netns "memtw$1"
	before=$(kmem_bytes)
	ip netns exec "memtw$1" twg-churn -p 7200 -n 20000 client >/dev/null
	after=$(kmem_bytes)
	echo $(((after - before) / 20000))
}
unload
nn_off=$(mem_netns off)
tw_off=$(mem_tw off)
load
nn_on=$(mem_netns on)
tw_on=$(mem_tw on)

echo "== 4. profile"
load
bench_netns prof
echo -1 >/proc/sys/kernel/perf_event_paranoid
echo 0 >/proc/sys/kernel/kptr_restrict
perf record -q -e cpu-clock -F 4000 -a -o /tmp/prof.data -- \
	ip netns exec prof twg-churn -p 7000 -n "$CONNS" client >/dev/null
awk '$4 == "[twguard]" { print $3 }' /proc/kallsyms >/tmp/prof.ours
echo ftrace_trampoline >>/tmp/prof.ours
# Lines of "ip symbol"; perf prints no symbol without the ip.
perf script -i /tmp/prof.data -F ip,sym 2>/dev/null |
	awk 'NR == FNR { ours[$1] = 1; next }
	     { n++ }
	     $2 ~ /^(native_safe_halt|default_idle|acpi_idle|mwait_idle|poll_idle)/ { idle++; next }
	     ($2 in ours) { mine++ }
	     END { printf "%d %d %d\n", n, n - idle, mine }' /tmp/prof.ours - >/tmp/prof.counts
read -r prof_all prof_busy prof_ours </tmp/prof.counts
prof_share=$(awk -v o="$prof_ours" -v b="$prof_busy" 'BEGIN { printf "%.2f", 100 * o / b }')
# A sample is 250 us of one CPU.
prof_us=$(awk -v o="$prof_ours" -v c="$CONNS" 'BEGIN { printf "%.2f", o * 250 / c }')
echo "   $prof_all samples, $prof_busy busy, $prof_ours in twguard"
drop_netns prof

echo "== 5. reuse decision"
unload
for try in 1 2 3 4 5; do
	dmesg -c >/dev/null
	insmod "$TWG_MODULES/twguard_bench.ko"
	rmmod twguard_bench
	dmesg | sed -n 's/.*twguard_bench: rules=\([0-9]*\) family=\([a-z0-9]*\) .*ns_per_decision=\([0-9]*\)/\1 \2 \3/p' >>/tmp/bench.decide
done
# decide RULES FAMILY: "median min max" of the five loads' figures.
decide() {
	awk -v r="$1" -v f="$2" '$1 == r && $2 == f { print $3 }' /tmp/bench.decide | stats3
}

# twg-bench's "median (min, max, ...)" as "median min max"
msm() { echo "$1" | sed -n 's/^twg-bench: \([0-9.]*\) .*(min \([0-9.]*\), max \([0-9.]*\),.*/\1 \2 \3/p'; }
{
	echo "read_ss $n1 $(msm "$s1")"
	echo "read_stats $n1 $(msm "$r1")"
	echo "read_cat $n1 $(msm "$c1")"
	echo "read_ss $n2 $(msm "$s2")"
	echo "read_stats $n2 $(msm "$r2")"
	echo "read_cat $n2 $(msm "$c2")"
	echo "mem_netns $nn_off $nn_on"
	echo "mem_tw $tw_off $tw_on"
	echo "prof $prof_share $prof_us $prof_ours $prof_busy"
	for n in 0 16 256; do
		for fam in ipv4 ipv6; do
			echo "decide_ns $n $fam $(decide $n $fam)"
		done
	done
} >>$results
cp $results "$TWG_RESULTS"
