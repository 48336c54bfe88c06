# SPDX-License-Identifier: GPL-2.0
#
# Per-netns TIME-WAIT and close-path accounting: every way a connection
# closes, with exact counts, each checked against what the kernel itself
# reports.  The client and the server of each connection live in their
# own namespaces, A and B, joined by a veth pair.

N=30

test_client_close() {
	local a=twg-$$-cc-a b=twg-$$-cc-b
	veth_pair $a $b
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n $N client
	expect_twg $a tw_current $N
	expect_twg $a tw_entered $N
	expect_twg $a close_active $N
	expect_twg $a close_passive 0
	expect_eq "$a TcpExt TW" "$(ns_tcpext $a TW)" $N
	expect_twg $b tw_current 0
	expect_twg $b close_active 0
	expect_twg $b close_passive $N
	expect_twg $b last_ack_current 0
	check_tw $a
	check_tw $b
	ip netns del $a
	ip netns del $b
}

test_server_close() {
	local a=twg-$$-sc-a b=twg-$$-sc-b
	veth_pair $a $b
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n $N server
	expect_twg $b tw_current $N
	expect_twg $b close_active $N
	expect_twg $b close_passive 0
	expect_eq "$b TcpExt TW" "$(ns_tcpext $b TW)" $N
	expect_twg $a tw_current 0
	expect_twg $a close_passive $N
	expect_twg $a close_active 0
	check_tw $a
	check_tw $b
	ip netns del $a
	ip netns del $b
}

# SO_LINGER 0: the client sends a RST, the server receives it; no TIME-WAIT.
test_reset_close() {
	local a=twg-$$-rs-a b=twg-$$-rs-b
	veth_pair $a $b
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n 20 reset
	expect_twg $a close_reset 20
	expect_twg $b close_reset 20
	expect_eq "$a TcpExt TCPAbortOnData" "$(ns_tcpext $a TCPAbortOnData)" 20
	expect_twg $a tw_current 0
	expect_twg $b tw_current 0
	expect_twg $a close_active 0
	check_tw $a
	check_tw $b
	ip netns del $a
	ip netns del $b
}

# Both FINs cross: CLOSING, counted exactly as the kernel's own tracepoint
# reports it, and TIME-WAIT on both ends.
test_simultaneous_close() {
	local ns closing
	ns=$(new_netns sim)
	closing=$(count_transitions TCP_CLOSING ip netns exec $ns twg-churn -n 10 simultaneous)
	echo "# the kernel traced $closing moves to CLOSING"
	[ "$closing" -ge 10 ]
	expect_twg $ns close_simultaneous "$closing"
	expect_twg $ns close_active 20
	expect_twg $ns tw_current 20
	expect_twg $ns closing_current 0
	check_tw $ns
	ip netns del $ns
}

test_ipv6() {
	local a=twg-$$-v6-a b=twg-$$-v6-b
	veth_pair $a $b
	pp ip netns exec $b twg-churn -a 2001:db8::2 -C /run/netns/$a -n 20 client
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n 5 client
	expect_twg $a tw_current 25
	expect_twg $a tw_current_ipv6 20
	expect_eq "$a ss -6 time-wait" "$(ns_ss $a time-wait -6)" 20
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# fin_wait2_total NS N: a predicate, NS has N FIN_WAIT2 sockets, full or mini.
fin_wait2_total() {
	[ $(($(twg "$1" tw_current_fin_wait2) + $(twg "$1" fin_wait2_current))) = "$2" ]
}

# The client closes first and the server holds its end: FIN_WAIT2
# minisocks and CLOSE_WAIT sockets; when the server closes, its FINs turn
# the minisocks into TIME-WAIT ones.
test_fin_wait2() {
	local a=twg-$$-fw-a b=twg-$$-fw-b pid hold=/tmp/hold.$$
	veth_pair $a $b
	mkfifo $hold
	ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n 10 halfclose <$hold &
	pid=$!
	exec 3>$hold
	wait_for 10 twg_is $b close_wait_current 10
	# Each client reaches FIN_WAIT2 as a minisock, or, when the ACK of its
	# FIN found the socket still locked by close(), as a full socket that
	# becomes one later (tcp_rcv_state_process()): count both.
	wait_for 10 fin_wait2_total $a 10
	expect_twg $a tw_current "$(twg $a tw_current_fin_wait2)"
	expect_eq "$a ss fin-wait-2" "$(ns_ss $a fin-wait-2)" 10
	expect_eq "$b ss close-wait" "$(ns_ss $b close-wait)" 10
	check_tw $a
	exec 3>&-	# the server closes its ends now
	wait $pid
	wait_for 10 twg_is $b last_ack_current 0
	expect_twg $a tw_current_fin_wait2 0
	expect_twg $a tw_current 10
	expect_twg $a tw_entered 10
	expect_twg $b close_wait_current 0
	expect_twg $b close_passive 10
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# A FIN processed from a socket's backlog, by the task that owns it:
# TIME-WAIT is then made in process context, where twguard's minisock
# hooks run with nothing disabled (hooks.c).  Counted as from a softirq.
test_fin_from_backlog() {
	local ns n=10 from
	ns=$(new_netns bl)
	tracefs_mount
	echo tcp_time_wait >$tracefs/set_ftrace_filter
	echo 1 >$tracefs/options/func_stack_trace
	echo function >$tracefs/current_tracer
	echo >$tracefs/trace
	pp ip netns exec $ns twg-churn -n $n backlog
	echo 0 >$tracefs/tracing_on
	from=$(grep -c '=> __release_sock' $tracefs/trace || true)
	echo nop >$tracefs/current_tracer
	echo 0 >$tracefs/options/func_stack_trace
	echo >$tracefs/set_ftrace_filter
	echo 1 >$tracefs/tracing_on
	echo "# TIME-WAIT made from a socket's backlog: $from of $n"
	[ "$from" -gt 0 ] || { echo "# no FIN was processed from a backlog"; return 1; }
	expect_twg $ns tw_entered $n
	expect_twg $ns tw_current $n
	expect_twg $ns close_active $n
	expect_eq "$ns TcpExt TW" "$(ns_tcpext $ns TW)" $n
	check_tw $ns
	ip netns del $ns
}

test_overflow() {
	local ns
	ns=$(new_netns ovf)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_max_tw_buckets=10
	pp ip netns exec $ns twg-churn -n 25 client
	expect_twg $ns tw_current 10
	expect_twg $ns tw_overflow 15
	expect_eq "$ns TcpExt TCPTimeWaitOverflow" "$(ns_tcpext $ns TCPTimeWaitOverflow)" 15
	check_tw $ns
	ip netns del $ns
}

# One ephemeral port, tcp_tw_reuse=1, timestamps on: every connect() after
# the first has to take over the previous connection's TIME-WAIT.
test_reuse() {
	local a=twg-$$-ru-a b=twg-$$-ru-b
	veth_pair $a $b
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_timestamps=1
	ip netns exec $a sysctl -qw net.ipv4.ip_local_port_range="40000 40000"
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -n 4 -w 1100 client
	expect_twg $a tw_reused 3
	expect_eq "$a TcpExt TWRecycled" "$(ns_tcpext $a TWRecycled)" 3
	expect_twg $a tw_entered 4
	expect_twg $a tw_current 1
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# The server closes first and the client comes back from the same port:
# its SYN reopens the server's TIME-WAIT (TCP_TW_SYN).
test_recycle() {
	local a=twg-$$-rc-a b=twg-$$-rc-b
	veth_pair $a $b
	pp ip netns exec $b twg-churn -a 192.0.2.2 -C /run/netns/$a -B 40001 -n 5 server
	expect_twg $b tw_recycled 4
	expect_twg $b tw_entered 5
	expect_twg $b tw_current 1
	check_tw $b
	ip netns del $a
	ip netns del $b
}

# Two namespaces busy at once: each counts its own connections only.
test_two_netns() {
	local n1 n2 p1 p2
	n1=$(new_netns two1)
	n2=$(new_netns two2)
	ip netns exec $n1 twg-churn -n 40 client &
	p1=$!
	ip netns exec $n2 twg-churn -n 25 server &
	p2=$!
	wait $p1
	wait $p2
	expect_twg $n1 tw_entered 40
	expect_twg $n1 close_active 40
	expect_twg $n2 tw_entered 25
	expect_twg $n2 close_active 25
	check_tw $n1
	check_tw $n2
	ip netns del $n1
	ip netns del $n2
}

# A netns that dies with minisocks inside: its directory goes, and the
# totals keep what it counted, its minisocks as killed.
test_netns_death() {
	local ns dir killed0 entered0
	ns=$(new_netns die)
	pp ip netns exec $ns twg-churn -n 12 client
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	[ -d "$dir" ]
	killed0=$(root_stat tw_killed)
	entered0=$(root_stat tw_entered)
	pp ip netns del $ns
	wait_for 10 test ! -d "$dir"
	expect_eq "total tw_killed" "$(root_stat tw_killed)" $((killed0 + 12))
	expect_eq "total tw_entered" "$(root_stat tw_entered)" "$entered0"
}

# Minisocks that exist when twguard loads are counted from the first read.
test_load_with_existing() {
	local ns
	pp rmmod twguard
	ns=$(new_netns pre)
	pp ip netns exec $ns twg-churn -n 15 client
	pp insmod "$TWG_MODULES/twguard.ko"
	dmesg | grep -q "twguard: found 15 TIME-WAIT minisocks and 0 closing connections at load" ||
		{ echo "# no, or a wrong, load message:"; dmesg | grep 'twguard: found'; return 1; }
	expect_twg $ns tw_at_load 15
	expect_twg $ns tw_current 15
	expect_twg $ns tw_entered 0
	check_tw $ns
	pp ip netns exec $ns twg-churn -p 5001 -n 5 client
	expect_twg $ns tw_current 20
	expect_twg $ns tw_entered 5
	check_tw $ns
	ip netns del $ns
}

# ss_is NS STATE N: a predicate for wait_for.
ss_is() {
	[ "$(ns_ss $1 $2)" = "$3" ]
}

# Every population twguard keeps for netns $1 is the kernel's: ss's
# counts by state, and sockstat's tw, against one read of twguard's stats
# (whose values are of one instant); what each was goes to /tmp/pop.$1.
populations_match() {
	{
		sed 's/^/twg /' "/sys/kernel/twguard/netns/$(netns_inode $1)/stats"
		ip netns exec $1 ss -Htan | awk '{ print "ss", $1 }'
		echo "sockstat tw $(ns_sockstat_tw $1)"
	} | awk -v ns=$1 '
	function cmp(what, got, want) {
		printf "# %s %s: %d, want %d\n", ns, what, got, want
		return got + 0 != want + 0
	}
	$1 == "twg" { t[$2] = $3 }
	$1 == "ss" { s[$2]++ }
	$1 == "sockstat" { k = $3 }
	END {
		n = cmp("fin_wait1_current vs ss", t["fin_wait1_current"], s["FIN-WAIT-1"])
		n += cmp("fin_wait2 full and minisocks vs ss",
			t["fin_wait2_current"] + t["tw_current_fin_wait2"], s["FIN-WAIT-2"])
		n += cmp("close_wait_current vs ss", t["close_wait_current"], s["CLOSE-WAIT"])
		n += cmp("last_ack_current vs ss", t["last_ack_current"], s["LAST-ACK"])
		n += cmp("closing_current vs ss", t["closing_current"], s["CLOSING"])
		n += cmp("tw_current vs sockstat tw", t["tw_current"], k)
		n += cmp("tw_current - tw_current_fin_wait2 vs ss time-wait",
			t["tw_current"] - t["tw_current_fin_wait2"], s["TIME-WAIT"])
		n += cmp("at_load + entered - ended vs tw_current",
			t["tw_at_load"] + t["tw_entered"] - t["tw_expired"] - t["tw_killed"] -
			t["tw_reused"] - t["tw_recycled"], t["tw_current"])
		exit n > 0
	}' >/tmp/pop.$1
}

# The same, once the connections in flight have settled; TIME-WAIT
# minisocks expire meanwhile, so it is read again until one read agrees.
expect_populations() {
	if wait_for 10 populations_match $1; then
		cat /tmp/pop.$1
	else
		cat /tmp/pop.$1
		return 1
	fi
}

# The sockets that exist at load are counted bucket by bucket while
# connections open and close (module/snapshot.c): in a netns on the
# shared established hash and in one with its own
# (net.ipv4.tcp_child_ehash_entries), every population matches the
# kernel's after the load, and again once the held connections close.
test_load_under_churn() {
	local s p ns hold=/tmp/luc.$$ stop=/tmp/luc-stop.$$ held= churn= reuse=
	pp rmmod twguard
	s=$(new_netns luc-s)
	sysctl -qw net.ipv4.tcp_child_ehash_entries=256
	p=$(new_netns luc-p)
	sysctl -qw net.ipv4.tcp_child_ehash_entries=0
	expect_eq "$p buckets of its own" \
		"$(ip netns exec $p sysctl -n net.ipv4.tcp_ehash_entries)" 256
	[ "$(ip netns exec $s sysctl -n net.ipv4.tcp_ehash_entries)" -lt 0 ] ||
		{ echo "# $s does not share the initial netns's hash"; return 1; }
	# The held connections' FIN_WAIT2 ends: minisocks in one (for 60 s),
	# full sockets in the other (for the first 540 of 600 s).
	ip netns exec $p sysctl -qw net.ipv4.tcp_fin_timeout=600
	mkfifo $hold
	for ns in $s $p; do
		ip netns exec $ns twg-churn -p 5100 -n 20 halfclose <$hold >/dev/null &
		held="$held $!"
	done
	exec 3>$hold
	for ns in $s $p; do
		wait_for 10 ss_is $ns close-wait 20
		pp ip netns exec $ns twg-churn -p 5101 -n 50 client
	done
	for ns in $s $p; do
		ip netns exec $ns twg-churn -p 5102 -n 1000000 client >/dev/null 2>&1 &
		churn="$churn $!"
		ip netns exec $ns twg-churn -p 5103 -n 1000000 server >/dev/null 2>&1 &
		churn="$churn $!"
		# connect()s from one bound port onto the 4-tuples of its own
		# TIME-WAIT sockets: tcp_twsk_unique() under the bucket's lock,
		# reuses where the kernel allows them (tcp_tw_reuse=1).
		ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=1
		ip netns exec $ns sh -c 'while [ ! -e $0 ]; do
			twg-churn -p 5110 -P 20 -B 6000 -n 20 client || sleep 0.1
		done' $stop >/dev/null 2>&1 &
		reuse="$reuse $!"
	done
	sleep 1
	pp insmod "$TWG_MODULES/twguard.ko"
	sleep 1
	kill $churn
	touch $stop
	wait $churn $reuse 2>/dev/null || :
	dmesg | grep "twguard: found" | tail -n 1 | sed 's/^/# /'
	echo "# 4-tuples taken over from TIME-WAIT since the load: $(twg $s tw_reused), $(twg $p tw_reused)"
	expect_populations $s
	expect_populations $p
	exec 3>&-	# the held connections close now
	wait $held
	expect_populations $s
	expect_populations $p
	rm -f $hold $stop
	ip netns del $s
	ip netns del $p
}

# One read of stats holds every value of the directory, and the root's
# stats is the sum over every namespace.
test_stats_files() {
	local ns dir name value f
	ns=$(new_netns st)
	pp ip netns exec $ns twg-churn -n 7 server
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	while read -r name value; do
		case $name in
		reuse_* | would_*) f=$dir/policy/$name ;;
		*) f=$dir/$name ;;
		esac
		expect_eq "$name in stats vs its file" "$value" "$(cat "$f")"
		[ "$(stat -c %a "$f")" = 444 ]
	done <"$dir/stats"
	expect_eq "values in stats" "$(wc -l <"$dir/stats")" 36
	expect_eq "owner of $dir" "$(stat -c %u:%g "$dir")" 0:0
	expect_eq "root tw_current vs sum of namespaces" "$(root_stat tw_current)" \
		"$(cat /sys/kernel/twguard/netns/*/tw_current | awk '{ s += $1 } END { print s }')"
	# The invariant holds for the sums too, namespaces that died included.
	expect_eq "root at_load + entered - ended" \
		$(($(root_stat tw_at_load) + $(root_stat tw_entered) - $(root_stat tw_expired) -
			$(root_stat tw_killed) - $(root_stat tw_reused) - $(root_stat tw_recycled))) \
		"$(root_stat tw_current)"
	ip netns del $ns
}

# A container's netns: its directory belongs to the container's root (the
# unprivileged user that owns its user namespace), as a network device
# moved into it would; inside, that is root.
test_netns_owner() {
	local out inum inside pid hold=/tmp/owner.$$
	mkfifo $hold
	twg-userns 1000 sh -c 'stat -L -c %i /proc/self/ns/net; d=/sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net); stat -c %u:%g $d $d/stats; read x || true' \
		<$hold >/tmp/owner.out &
	pid=$!
	exec 3>$hold
	wait_for 10 lines_at_least /tmp/owner.out 3
	inum=$(sed -n 1p /tmp/owner.out)
	expect_eq "owner seen from the host" \
		"$(stat -c %u:%g /sys/kernel/twguard/netns/$inum)" 1000:1000
	expect_eq "owner of stats seen from the host" \
		"$(stat -c %u:%g /sys/kernel/twguard/netns/$inum/stats)" 1000:1000
	expect_eq "owner seen from inside" "$(sed -n 2p /tmp/owner.out)" 0:0
	expect_eq "mode of stats" "$(stat -c %a /sys/kernel/twguard/netns/$inum/stats)" 444
	exec 3>&-
	wait $pid
}
