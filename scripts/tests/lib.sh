# SPDX-License-Identifier: GPL-2.0
#
# Guest-side helpers for twguard's integration tests.  Sourced by run.sh.
#
# Every test is a shell function test_NAME in a file t-*.sh.  run.sh runs
# each in a subshell under set -e and reports it as one KTAP result in
# suite "integration" (KTAP version 1, the shape KUnit's debugfs results
# have), on stdout and in $TWG_RESULTS for the host to parse.  A test fails
# by exiting non-zero: through a failed command or a failed check below.

# Print a step, WireGuard-style, before running it.
pp() {
	echo "[+] $*"
	"$@"
}

# expect_eq WHAT GOT WANT: a check, with a message that says what differed.
expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "# $1: got '$2', want '$3'"
		return 1
	fi
	echo "# $1 = $2"
}

# Every netns a test makes keeps its TIME-WAIT sockets their full 60 s.
# Loopback queues each segment on the sending CPU, and on a loaded host a
# vCPU can sit on its queue while the other runs on: a segment the server
# sent before its FIN then reaches the client after it.  The client's
# TIME-WAIT socket rejects it (PAWS) and answers with an ACK; the server's
# end is gone, so the answer is a RST, and by default a RST kills a
# TIME-WAIT socket (the assassination of RFC 1337).  twguard counts that
# (tw_killed), but a test's planned counts no longer hold, as
# test_observe_eviction's did on a loaded host.
# tcp_rfc1337=1 makes TIME-WAIT ignore RSTs; no test kills one that way.
twg_netns_setup() {
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_rfc1337=1
}

# A fresh, uniquely named network namespace with loopback up.
new_netns() {
	local ns="twg-$$-$1"
	ip netns add "$ns"
	twg_netns_setup "$ns"
	echo "$ns"
}

# The kernel's own count of TIME-WAIT minisocks in the caller's netns:
# the tw field of /proc/net/sockstat.
sockstat_tw() {
	awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' \
		/proc/net/sockstat
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		if [ $i -ge $((limit * 10)) ]; then
			echo "# timed out after ${limit}s waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# --- namespaces and what the kernel and twguard say about them -----------

# The inode number of named netns $1: the name of its twguard directory.
netns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# twg NS FILE: a value from twguard's directory for named netns NS.
twg() {
	cat "/sys/kernel/twguard/netns/$(netns_inode "$1")/$2"
}

# sockstat_tw, in named netns $1.
ns_sockstat_tw() {
	ip netns exec "$1" sh -c '. ./lib.sh; sockstat_tw'
}

# ns_ss NS STATE [FAMILY-FLAG]: sockets in STATE in NS, as ss counts them.
ns_ss() {
	ip netns exec "$1" ss -Htan $3 state "$2" | wc -l
}

# ns_tcpext NS FIELD: a TcpExt counter of /proc/net/netstat in NS.
ns_tcpext() {
	ip netns exec "$1" awk -v f="$2" '$1 == "TcpExt:" {
		if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1 }
		else { for (i = 2; i <= NF; i++) if (name[i] == f) print $i } }' /proc/net/netstat
}

# Two fresh namespaces, $1 and $2, joined by a veth pair: $1 is 192.0.2.1
# and 2001:db8::1, $2 is 192.0.2.2 and 2001:db8::2 (documentation ranges,
# on a link that exists only inside the guest).
veth_pair() {
	ip netns add "$1"
	ip netns add "$2"
	twg_netns_setup "$1"
	twg_netns_setup "$2"
	ip link add va netns "$1" type veth peer name vb netns "$2"
	ip -n "$1" addr add 192.0.2.1/24 dev va
	ip -n "$2" addr add 192.0.2.2/24 dev vb
	ip -n "$1" addr add 2001:db8::1/64 dev va nodad
	ip -n "$2" addr add 2001:db8::2/64 dev vb nodad
	ip -n "$1" link set va up
	ip -n "$2" link set vb up
}

# The promises of the ABI for netns $1, at rest: tw_current is what the
# kernel counts (sockstat's tw, and ss's TIME-WAIT plus FIN-WAIT-2
# minisocks), and the events add up to it.
check_tw() {
	local cur fw2 bal
	cur=$(twg "$1" tw_current)
	fw2=$(twg "$1" tw_current_fin_wait2)
	expect_eq "$1 tw_current vs sockstat tw" "$cur" "$(ns_sockstat_tw "$1")"
	expect_eq "$1 tw_current - tw_current_fin_wait2 vs ss time-wait" \
		$((cur - fw2)) "$(ns_ss "$1" time-wait)"
	bal=$(($(twg "$1" tw_at_load) + $(twg "$1" tw_entered) - $(twg "$1" tw_expired) -
		$(twg "$1" tw_killed) - $(twg "$1" tw_reused) - $(twg "$1" tw_recycled)))
	expect_eq "$1 at_load + entered - ended" "$bal" "$cur"
}

# expect_twg NS FILE WANT
expect_twg() {
	expect_eq "$1 $2" "$(twg "$1" "$2")" "$3"
}

tracefs=/sys/kernel/tracing
tracefs_mount() {
	[ -d $tracefs/events ] || mount -t tracefs tracefs $tracefs
}

# Count newstate=$1 transitions the kernel traced while running "$@".
count_transitions() {
	local state=$1
	shift
	tracefs_mount
	echo >$tracefs/trace
	echo 1 >$tracefs/events/sock/inet_sock_set_state/enable
	"$@" >/dev/null
	echo 0 >$tracefs/events/sock/inet_sock_set_state/enable
	grep -c "protocol=IPPROTO_TCP.*newstate=$state" $tracefs/trace || true
}

# uptime_ms: the guest's uptime in ms (10 ms steps).
uptime_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# twg_is NS FILE WANT: a predicate for wait_for, read afresh on each poll.
twg_is() {
	[ "$(twg "$1" "$2")" = "$3" ]
}

# lines_at_least FILE N: a predicate for wait_for.
lines_at_least() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# root_stat NAME: a value of /sys/kernel/twguard/stats, summed over netns.
root_stat() {
	awk -v n="$1" '$1 == n { print $2 }' /sys/kernel/twguard/stats
}

# --- calls the kernel makes, counted by its function tracer ----------------

# trace_calls_start FUNC: count calls to FUNC from now on.
trace_calls_start() {
	tracefs_mount
	echo "$1" >$tracefs/set_ftrace_filter
	echo function >$tracefs/current_tracer
	echo >$tracefs/trace
}

# trace_calls FUNC: calls to FUNC since trace_calls_start (or the last
# trace_calls_reset).
trace_calls() {
	grep -c " $1 <-" $tracefs/trace || true
}

trace_calls_reset() {
	echo >$tracefs/trace
}

trace_calls_stop() {
	echo nop >$tracefs/current_tracer
	echo >$tracefs/set_ftrace_filter
}
