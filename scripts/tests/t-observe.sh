# SPDX-License-Identifier: GPL-2.0
#
# Destinations, close attribution, dwell times and the pressure alert
# (Documentation/admin-guide.rst, "Which destination, which port, how long").
#
# Each test makes its own netns and its own connections on loopback, so
# that it knows every row it must see; the kernel's own view (ss, the
# netns's counters) is the reference where it has one.

# tproc NS FILE: a table of /proc/net/twguard/ as NS sees it.
tproc() {
	ip netns exec "$1" cat "/proc/net/twguard/$2"
}

# ss_tw_to NS PORT: TIME-WAIT sockets in NS towards local port PORT.
ss_tw_to() {
	ip netns exec "$1" ss -Htan state time-wait "( dport = :$2 )" | wc -l
}

# The destinations a client connects to, one row each, exactly counted.
test_observe_destinations() {
	local ns dir range rows p
	ns=$(new_netns dest)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="40000 40199"
	# No reuse: on a slow kernel the first TIME-WAIT sockets are a second
	# old before the last connect(), and tcp_tw_reuse=2 would take them.
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 5001 -n 50 client
	pp ip netns exec $ns twg-churn -p 5002 -n 20 client
	pp ip netns exec $ns twg-churn -p 5003 -n 5 client
	pp ip netns exec $ns twg-churn -6 -p 5004 -n 3 client
	tproc $ns destinations
	rows=$(tproc $ns destinations | awk '{ print $1, $2, $3 }')
	expect_eq "rows: destination tw live" "$(echo $rows)" \
		"destination tw live 127.0.0.1:5001 50 0 127.0.0.1:5002 20 0 127.0.0.1:5003 5 0 [::1]:5004 3 0"
	for p in 5001 5002 5003 5004; do
		expect_eq "ss: time-wait to :$p" "$(ss_tw_to $ns $p)" \
			"$(tproc $ns destinations | awk -v p=$p '$1 ~ ":" p "$" { print $2 }')"
	done
	range=$(ip netns exec $ns awk '{ print $2 - $1 + 1 }' /proc/sys/net/ipv4/ip_local_port_range)
	expect_eq "pressure of :5001, :5002" \
		"$(tproc $ns destinations | awk '$1 ~ /:500[12]$/ { print $5 }' | tr '\n' ' ')" \
		"$((50 * 100 / range)) $((20 * 100 / range)) "
	expect_eq "pressure of :5001, by hand" "$((50 * 100 / range))" 25
	expect_eq rows "$(cat $dir/destinations_rows)" 4
	expect_eq evicted "$(cat $dir/destinations_evicted)" 0
	# 768 rows of 80 bytes, 256 buckets and their 16-byte header: at
	# most 64 KiB.
	expect_eq max "$(cat $dir/destinations_max)" 768
	expect_eq bytes "$(cat $dir/destinations_bytes)" $((4 * 80 + 16 + 256 * 8))
	ip netns del $ns
}

# Two ephemeral ports: two TIME-WAIT sockets fill the range, the row says
# so, and the next connect() fails as it forecasts.
test_observe_pressure_full() {
	local ns out
	ns=$(new_netns full)
	pp ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 5001 -n 2 client
	tproc $ns destinations
	expect_eq "row: tw live pressure_pct forecast_s" \
		"$(tproc $ns destinations | awk '$1 == "127.0.0.1:5001" { print $2, $3, $5, $6 }')" \
		"2 0 100 0"
	out=$(ip netns exec $ns twg-churn -p 5001 -n 1 client 2>&1) && return 1
	echo "# $out"
	expect_eq "next connect()" "$(echo "$out" | grep -c 'connect: Cannot assign requested address')" 1
	# The failed connect() was live for a moment, and is not now.
	expect_eq "row after" \
		"$(tproc $ns destinations | awk '$1 == "127.0.0.1:5001" { print $2, $3 }')" "2 0"
	ip netns del $ns
}

# A server that closes first is the active closer on its port; one whose
# clients close first is not.  Both ends are in one netns, so each port
# shows a server row and a client row, mirror images.
test_observe_close_attribution() {
	local ns dir ports
	ns=$(new_netns ports)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp ip netns exec $ns twg-churn -p 6001 -n 10 server
	pp ip netns exec $ns twg-churn -p 6002 -n 7 client
	tproc $ns ports
	ports=$(tproc $ns ports)
	expect_eq "header" "$(echo "$ports" | head -n 1)" \
		"side port active passive close_wait close_wait_age_s bind_refused_tw bind_reuseaddr_tw"
	expect_eq "server 6001" "$(echo "$ports" | grep -c '^server 6001 10 0 0 0 0 0$')" 1
	expect_eq "client 6001" "$(echo "$ports" | grep -c '^client 6001 0 10 0 0 0 0$')" 1
	expect_eq "server 6002" "$(echo "$ports" | grep -c '^server 6002 0 7 0 0 0 0$')" 1
	expect_eq "client 6002" "$(echo "$ports" | grep -c '^client 6002 7 0 0 0 0 0$')" 1
	expect_eq "rows" "$(cat $dir/ports_rows)" 4
	# Every close is in the table: the columns add up to the counters.
	expect_eq "active column vs close_active" \
		"$(echo "$ports" | awk 'NR > 1 { n += $3 } END { print n }')" "$(twg $ns close_active)"
	expect_eq "passive column vs close_passive" \
		"$(echo "$ports" | awk 'NR > 1 { n += $4 } END { print n }')" "$(twg $ns close_passive)"
	expect_eq "unattributed" "$(cat $dir/ports_unattributed_active) $(cat $dir/ports_unattributed_passive)" "0 0"
	ip netns del $ns
}

# nonzero FILE: "lower-bound count" of the buckets that counted anything.
nonzero() {
	awk '$2 != 0 { printf "%s %s ", $1, $2 }' "$1"
}

# A peer that half-closes, and a server that holds its end open for 1.5 s:
# one CLOSE_WAIT (server) and one FIN_WAIT2 (client) of [1024, 2048) ms.
# close_wait_of NS SIDE PORT: the ports file's close_wait and age for a row.
close_wait_of() {
	tproc $1 ports | awk -v s=$2 -v p=$3 '$1 == s && $2 == p { print $5, $6 }'
}

# ss_close_wait NS PORT: ss's CLOSE_WAIT sockets on local port PORT.
ss_close_wait() {
	ip netns exec $1 ss -Htan state close-wait "( sport = :$2 )" | wc -l
}

# A service that accepts and never closes: its CLOSE_WAIT count, per
# port, is ss's, its age grows, and both drop when it closes at last.
test_observe_close_wait_ports() {
	local ns hold=/tmp/cwp.$$ pid age start most
	ns=$(new_netns cwp)
	mkfifo $hold
	start=$(cut -d. -f1 /proc/uptime)
	ip netns exec $ns twg-churn -p 6101 -P 2 -n 9 halfclose <$hold >/tmp/cwp.out &
	pid=$!
	exec 3>$hold
	wait_for 10 twg_is $ns close_wait_current 9
	expect_eq "ss close-wait on 6101" "$(ss_close_wait $ns 6101)" 5
	expect_eq "ss close-wait on 6102" "$(ss_close_wait $ns 6102)" 4
	expect_eq "server 6101 close_wait" "$(close_wait_of $ns server 6101 | cut -d' ' -f1)" \
		"$(ss_close_wait $ns 6101)"
	expect_eq "server 6102 close_wait" "$(close_wait_of $ns server 6102 | cut -d' ' -f1)" \
		"$(ss_close_wait $ns 6102)"
	# The clients' ends are in FIN_WAIT2, not CLOSE_WAIT: no client row
	# counts any.
	expect_eq "client rows' close_wait" \
		"$(tproc $ns ports | awk '$1 == "client" { n += $5 } END { print n + 0 }')" 0
	sleep 2
	age=$(close_wait_of $ns server 6101 | cut -d' ' -f2)
	# At least the 2 s slept; at most the time since the first connect()
	# (a second more for the rounding of both): a debug kernel under
	# load takes its time over the checks above.
	most=$(($(cut -d. -f1 /proc/uptime) - start + 1))
	echo "# oldest CLOSE_WAIT on 6101 after 2 s: $age s, $most s since the first connect()"
	[ "$age" -ge 2 ] && [ "$age" -le "$most" ] ||
		{ echo "# the age is $age s, not 2 to $most"; return 1; }
	exec 3>&-	# the service closes them now
	wait $pid
	wait_for 10 twg_is $ns close_wait_current 0
	expect_eq "server 6101 after close" "$(close_wait_of $ns server 6101)" "0 0"
	expect_eq "ss close-wait after close" "$(ss_close_wait $ns 6101)" 0
	rm -f $hold
	ip netns del $ns
}

# CLOSE_WAIT that began before the load: counted by local port, on a
# row of its own after the table's (it has no closes there), its age
# from the peer's FIN, which the kernel's time of the last ACK it took
# says, though it began 3 s before twguard did.
test_observe_close_wait_at_load() {
	local ns hold=/tmp/cwl.$$ pid start age most
	pp rmmod twguard
	ns=$(new_netns cwl)
	mkfifo $hold
	start=$(cut -d. -f1 /proc/uptime)
	ip netns exec $ns twg-churn -p 6201 -n 3 halfclose <$hold >/tmp/cwl.out &
	pid=$!
	exec 3>$hold
	wait_for 10 lines_at_least /tmp/cwl.out 1
	sleep 3
	pp insmod "$TWG_MODULES/twguard.ko"
	expect_eq "ss close-wait on 6201" "$(ss_close_wait $ns 6201)" 3
	tproc $ns ports
	expect_eq "server 6201 before load" \
		"$(tproc $ns ports | grep -c '^server 6201 0 0 3 [0-9]* 0 0$')" 1
	age=$(close_wait_of $ns server 6201 | cut -d' ' -f2)
	most=$(($(cut -d. -f1 /proc/uptime) - start + 1))
	echo "# oldest CLOSE_WAIT on 6201: $age s, $most s since the first connect()"
	[ "$age" -ge 3 ] && [ "$age" -le "$most" ] ||
		{ echo "# the age is $age s, not 3 to $most"; return 1; }
	exec 3>&-
	wait $pid
	wait_for 10 ss_close_wait_is $ns 6201 0
	expect_eq "rows for 6201 once closed" "$(tproc $ns ports | grep -c ' 6201 ')" 0
	rm -f $hold
	ip netns del $ns
}

ss_close_wait_is() {
	[ "$(ss_close_wait $1 $2)" = "$3" ]
}

test_observe_dwell_close_wait() {
	local ns d
	ns=$(new_netns dwell)
	d=/sys/kernel/twguard/netns/$(netns_inode $ns)/dwell
	sleep 1.5 | pp ip netns exec $ns twg-churn -n 1 halfclose
	expect_eq "close_wait" "$(nonzero $d/close_wait)" "1024 1 "
	expect_eq "fin_wait2" "$(nonzero $d/fin_wait2)" "1024 1 "
	expect_eq "last_ack samples" "$(awk '{ n += $2 } END { print n }' $d/last_ack)" 1
	# Its TIME_WAIT has 60 s to go.
	expect_eq "time_wait samples" "$(awk '{ n += $2 } END { print n }' $d/time_wait)" 0
	expect_eq "buckets" "$(awk '{ printf "%s ", $1 }' $d/close_wait | cut -d' ' -f1-5)" "0 1 2 4 8"
	expect_eq "last bucket" "$(tail -n 1 $d/close_wait | cut -d' ' -f1)" 268435456
	ip netns del $ns
}

# A poll() on alert wakes when a destination crosses pressure_alert_pct,
# and again when it crosses back down.
test_observe_alert_poll() {
	local ns dir poll churn tmp
	ns=$(new_netns alert)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	tmp=$(mktemp -d)
	pp ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="40000 40009"
	pp twg-write $dir/pressure_alert_pct 50
	expect_eq "alert at first" "$(cat $dir/alert)" none

	twg-poll $dir/alert 30000 >$tmp/up &
	poll=$!
	wait_for 10 lines_at_least $tmp/up 1
	mkfifo $tmp/hold
	ip netns exec $ns twg-churn -p 5000 -n 5 open <$tmp/hold >$tmp/churn &
	churn=$!
	exec 3>$tmp/hold
	wait $poll
	expect_eq "woken going up" "$(tail -n 1 $tmp/up)" "woke: 127.0.0.1:5000 50 above"
	wait_for 10 lines_at_least $tmp/churn 1
	expect_eq "live" "$(tproc $ns destinations | awk 'NR == 2 { print $2, $3, $5 }')" "0 5 50"

	twg-poll $dir/alert 30000 >$tmp/down 3>&- &
	poll=$!
	wait_for 10 lines_at_least $tmp/down 1
	exec 3>&-
	wait $poll || { cat $tmp/down; return 1; }
	expect_eq "woken going down" "$(tail -n 1 $tmp/down)" "woke: 127.0.0.1:5000 40 below"
	wait $churn
	expect_eq "no row left" "$(cat $dir/destinations_rows)" 0
	rm -rf $tmp
	ip netns del $ns
}

# The tables and the alert tell what the netns talks to: only the netns's
# admin reads them, from inside or (root on the host) from outside.
test_observe_private() {
	local ns dir pid got
	ns=$(new_netns priv)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	ip netns exec $ns sleep 60 &
	pid=$!
	expect_eq "host root, through /proc/PID/net" \
		"$(twg-write -r /proc/$pid/net/twguard/destinations)" ok
	expect_eq "host root, alert" "$(twg-write -r $dir/alert)" ok
	expect_eq "uid 1000 in the netns" \
		"$(ip netns exec $ns twg-write -u 1000 -r /proc/net/twguard/destinations)" EACCES
	expect_eq "uid 1000 in the netns, ports" \
		"$(ip netns exec $ns twg-write -u 1000 -r /proc/net/twguard/ports)" EACCES
	expect_eq "host root, ports through /proc/PID/net" \
		"$(twg-write -r /proc/$pid/net/twguard/ports)" ok
	expect_eq "root without CAP_NET_ADMIN" \
		"$(ip netns exec $ns twg-write -N -r /proc/net/twguard/destinations)" EACCES
	expect_eq "root without CAP_NET_ADMIN, alert" "$(twg-write -N -r $dir/alert)" EACCES
	# A container's root: its own table, and not this one.
	got=$(twg-userns 1000 sh -c "twg-write -r /proc/net/twguard/destinations
		twg-write -r /proc/$pid/net/twguard/destinations; twg-write -r $dir/alert
		twg-write $dir/pressure_alert_pct 10")
	expect_eq "container root: own, other, other's alert, other's setting" \
		"$(echo $got)" "ok EACCES EACCES EACCES"
	expect_eq "stat destinations" "$(ip netns exec $ns stat -c %a:%u /proc/net/twguard/destinations)" 400:0
	expect_eq "stat ports" "$(ip netns exec $ns stat -c %a:%u /proc/net/twguard/ports)" 400:0
	kill $pid
	wait $pid || true
	ip netns del $ns
}

# Bad settings are refused with the documented errno and change nothing.
test_observe_bad_input() {
	local ns dir f
	ns=$(new_netns bad)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	for f in destinations_max ports_max; do
		expect_eq "$f 15" "$(twg-write $dir/$f 15)" ERANGE
		expect_eq "$f 16385" "$(twg-write $dir/$f 16385)" ERANGE
		expect_eq "$f -1" "$(twg-write -- $dir/$f -1)" EINVAL
		expect_eq "$f 0x20" "$(twg-write $dir/$f 0x20)" EINVAL
		expect_eq "$f abc" "$(twg-write $dir/$f abc)" EINVAL
		expect_eq "$f uid 1000" "$(twg-write -u 1000 $dir/$f 100)" EACCES
		expect_eq "$f no CAP_NET_ADMIN" "$(twg-write -N $dir/$f 100)" EPERM
		expect_eq "$f after" "$(cat $dir/$f)" 768
	done
	expect_eq "pressure_alert_pct 101" "$(twg-write $dir/pressure_alert_pct 101)" ERANGE
	expect_eq "pressure_alert_pct x" "$(twg-write $dir/pressure_alert_pct x)" EINVAL
	head -c 5000 /dev/zero | tr '\0' 1 >/tmp/twg-long
	expect_eq "pressure_alert_pct, a page" "$(twg-write $dir/pressure_alert_pct @/tmp/twg-long)" E2BIG
	expect_eq "pressure_alert_pct after" "$(cat $dir/pressure_alert_pct)" 0
	expect_eq "destinations_max 16" "$(twg-write $dir/destinations_max 16)" ok
	expect_eq "destinations_max 16384" "$(twg-write $dir/destinations_max 16384)" ok
	expect_eq "destinations_max now" "$(cat $dir/destinations_max)" 16384
	ip netns del $ns
}

# Past its limit the table keeps the heaviest rows: a new destination
# takes the place of the oldest row of weight 1, or, when every row is
# heavier, is not kept.  Memory stays within the bound.
test_observe_eviction() {
	local ns dir rows
	ns=$(new_netns evict)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp twg-write $dir/destinations_max 16
	# 15 destinations of weight 2, then three of weight 1, one by one.
	pp ip netns exec $ns twg-churn -p 7001 -P 15 -n 30 client
	pp ip netns exec $ns twg-churn -p 7101 -n 1 client
	expect_eq "full" "$(cat $dir/destinations_rows) $(cat $dir/destinations_evicted)" "16 0"
	pp ip netns exec $ns twg-churn -p 7102 -n 1 client
	pp ip netns exec $ns twg-churn -p 7103 -n 1 client
	expect_eq "light rows evicted" "$(cat $dir/destinations_rows) $(cat $dir/destinations_evicted)" "16 2"
	rows=$(tproc $ns destinations | awk 'NR > 1 && $2 == 1 { print $1 }')
	expect_eq "the light row kept is the newest" "$rows" "127.0.0.1:7103"
	# Now every row weighs 2: a newcomer is not kept.
	pp ip netns exec $ns twg-churn -p 7103 -n 1 client
	pp ip netns exec $ns twg-churn -p 7104 -n 1 client
	expect_eq "newcomer refused" "$(cat $dir/destinations_rows) $(cat $dir/destinations_evicted)" "16 3"
	expect_eq "rows of weight 2" "$(tproc $ns destinations | awk 'NR > 1 && $2 == 2' | wc -l)" 16
	expect_eq "bytes" "$(cat $dir/destinations_bytes)" $((16 * 80 + 16 + 16 * 8))

	# The default bound, filled past: 800 destinations.
	pp twg-write $dir/destinations_max 768
	pp ip netns exec $ns twg-churn -p 20000 -P 800 -n 800 client
	# The sums below hold only if every TIME-WAIT socket is still there.
	expect_eq "TIME-WAIT, twguard and sockstat" \
		"$(twg $ns tw_current) $(ns_sockstat_tw $ns)" "835 835"
	expect_eq "rows at the default limit" "$(cat $dir/destinations_rows)" 768
	expect_eq "within 64 KiB" "$(($(cat $dir/destinations_bytes) <= 65536))" 1
	expect_eq "evicted" "$(cat $dir/destinations_evicted)" $((3 + 800 + 16 - 768))
	expect_eq "shown" "$(tproc $ns destinations | wc -l)" 101
	ip netns del $ns
}
