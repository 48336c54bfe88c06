# SPDX-License-Identifier: GPL-2.0
#
# The failures TIME-WAIT causes, as applications see them: connect()
# refused a 4-tuple (EADDRNOTAVAIL), bind() refused a port (EADDRINUSE),
# counted per namespace, destination and port, against the errno each
# call returned.  Namespaces as in
# t-policy.sh: A (client, 192.0.2.1) ---- veth ---- B (server, .2).

# dest_row NS ENDPOINT: tw, live and no_port of ENDPOINT's row, or nothing.
dest_row() {
	tproc "$1" destinations | awk -v d="$2" '$1 == d { print $2, $3, $7 }'
}

# Two ephemeral ports, both in TIME-WAIT towards B:7000: the third
# connect() is refused, counted once, as one a reuse would have let
# through; with a policy that allows the reuse it succeeds, uncounted.
test_failures_connect_no_port() {
	local a=twg-$$-np-a b=twg-$$-np-b dir
	reuse_setup $a $b
	dir=/sys/kernel/twguard/netns/$(netns_inode $a)
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0
	fill_tw $a $b 192.0.2.2 7000
	expect_eq "$a tw" "$(ns_sockstat_tw $a)" 2
	expect_eq "third connect()" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_twg $a connect_no_port 1
	expect_twg $a connect_no_port_tw 1
	expect_twg $a connect_bound_taken 0
	tproc $a destinations
	expect_eq "row: tw live no_port" "$(dest_row $a 192.0.2.2:7000)" "2 0 1"
	grep -qx "connect_no_port 1" $dir/stats
	# The reuse allowed: the same connect() succeeds, nothing is counted.
	pol_set $a mode on
	pol_set $a min_age_ms 0
	expect_eq "connect(), reuse allowed" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_twg $a tw_reused 1
	expect_twg $a connect_no_port 1
	expect_twg $a connect_no_port_tw 1
	pol_set $a mode kernel
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# Both ports held by live connections to B:7001: refused, and not as one
# a reuse would have let through; the row is made for it, and stays.
test_failures_connect_live() {
	local a=twg-$$-nl-a b=twg-$$-nl-b hold=/tmp/nl.$$ pid
	reuse_setup $a $b
	mkfifo $hold
	ip netns exec $b twg-churn -a 192.0.2.2 -p 7001 -C /run/netns/$a -n 2 open \
		<$hold >/tmp/nl.out &
	pid=$!
	exec 3>$hold
	wait_for 10 lines_at_least /tmp/nl.out 1
	expect_eq "$a established" "$(ns_ss $a established)" 2
	expect_eq "connect()" "$(reuse_connect $a $b 192.0.2.2 7001)" "connect: EADDRNOTAVAIL"
	expect_eq "connect() again" "$(reuse_connect $a $b 192.0.2.2 7001)" "connect: EADDRNOTAVAIL"
	expect_twg $a connect_no_port 2
	expect_twg $a connect_no_port_tw 0
	expect_eq "row: tw live no_port" "$(dest_row $a 192.0.2.2:7001)" "0 2 2"
	exec 3>&-
	wait $pid
	expect_eq "row once closed" "$(dest_row $a 192.0.2.2:7001)" "0 0 2"
	rm -f $hold
	ip netns del $a
	ip netns del $b
}

# A socket bound to its port (bind() before connect()): its one 4-tuple
# is in TIME-WAIT, and the kernel says EADDRNOTAVAIL for it too.  Without
# timestamps: with them, the kernel lets a bound socket take over a
# TIME-WAIT 4-tuple whatever tcp_tw_reuse says (tcp_twsk_unique()).
test_failures_connect_bound() {
	local a=twg-$$-nb-a b=twg-$$-nb-b
	reuse_setup $a $b
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0 net.ipv4.tcp_timestamps=0
	expect_eq "first connect() from 45000" \
		"$(ip netns exec $b twg-reuse -a 192.0.2.2 -p 7002 -C /run/netns/$a -B 45000 connect)" \
		"connect: ok"
	expect_eq "second connect() from 45000" \
		"$(ip netns exec $b twg-reuse -a 192.0.2.2 -p 7002 -C /run/netns/$a -B 45000 connect || :)" \
		"connect: EADDRNOTAVAIL"
	expect_twg $a connect_bound_taken 1
	expect_twg $a connect_no_port 0
	expect_eq "no row for a bound socket" "$(dest_row $a 192.0.2.2:7002)" ""
	ip netns del $a
	ip netns del $b
}

# The alert, when set, says so at the first such failure, and wakes poll().
test_failures_alert() {
	local a=twg-$$-na-a b=twg-$$-na-b dir tmp poll
	reuse_setup $a $b
	dir=/sys/kernel/twguard/netns/$(netns_inode $a)
	tmp=$(mktemp -d)
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp twg-write $dir/pressure_alert_pct 100
	fill_tw $a $b 192.0.2.2 7003
	expect_eq "alert when full" "$(cat $dir/alert)" "192.0.2.2:7003 100 above"
	twg-poll $dir/alert 30000 >$tmp/poll &
	poll=$!
	wait_for 10 lines_at_least $tmp/poll 1
	expect_eq "connect()" "$(reuse_connect $a $b 192.0.2.2 7003)" "connect: EADDRNOTAVAIL"
	wait $poll
	expect_eq "woken" "$(tail -n 1 $tmp/poll)" "woke: 192.0.2.2:7003 100 exhausted"
	# Once per run of failures: the next raises nothing new.
	expect_eq "connect() again" "$(reuse_connect $a $b 192.0.2.2 7003)" "connect: EADDRNOTAVAIL"
	expect_eq "alert" "$(cat $dir/alert)" "192.0.2.2:7003 100 exhausted"
	expect_twg $a connect_no_port 2
	rm -rf $tmp
	ip netns del $a
	ip netns del $b
}

# ss_tw_port NS PORT: ss's TIME-WAIT sockets on local port PORT.
ss_tw_port() {
	ip netns exec $1 ss -Htan state time-wait "( sport = :$2 )" | wc -l
}

# A server that closed first and exits leaves TIME-WAIT on its port: its
# restart without SO_REUSEADDR is refused (counted), with it let through
# (counted as a reuse of the option); a port a live listener holds is
# refused, with or without the option, and not counted.
test_failures_bind_time_wait() {
	local ns dir hold=/tmp/bt.$$ pid
	ns=$(new_netns bt)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp ip netns exec $ns twg-churn -p 6301 -n 3 server
	expect_eq "time-wait on 6301" "$(ss_tw_port $ns 6301)" 3
	expect_eq "restart without SO_REUSEADDR" "$(ip netns exec $ns twg-bind -l 6301)" \
		"bind: EADDRINUSE"
	expect_twg $ns bind_refused_tw 1
	expect_twg $ns bind_reuseaddr_tw 0
	expect_eq "restart with SO_REUSEADDR" \
		"$(ip netns exec $ns twg-bind -r -l 6301 | tr '\n' ' ')" "bind: ok listen: ok "
	expect_twg $ns bind_refused_tw 1
	expect_twg $ns bind_reuseaddr_tw 1
	tproc $ns ports
	expect_eq "server 6301: bind_refused_tw bind_reuseaddr_tw" \
		"$(tproc $ns ports | awk '$1 == "server" && $2 == 6301 { print $7, $8 }')" "1 1"
	grep -qx "bind_refused_tw 1" $dir/stats
	mkfifo $hold
	ip netns exec $ns twg-bind -r -l -H 6302 <$hold >/tmp/bt.out &
	pid=$!
	exec 3>$hold
	wait_for 10 lines_at_least /tmp/bt.out 2
	expect_eq "bind to a listener's port" "$(ip netns exec $ns twg-bind 6302)" "bind: EADDRINUSE"
	expect_eq "the same, SO_REUSEADDR" "$(ip netns exec $ns twg-bind -r 6302)" "bind: EADDRINUSE"
	expect_twg $ns bind_refused_tw 1
	expect_twg $ns bind_reuseaddr_tw 1
	exec 3>&-
	wait $pid
	expect_eq "hooks: bind_missed" "$(sed -n 's/^bind_missed //p' /sys/kernel/twguard/hooks)" 0
	rm -f $hold
	ip netns del $ns
}
