# SPDX-License-Identifier: GPL-2.0
#
# The per-netns TIME-WAIT reuse policy (policy/ of each netns directory):
# its files, what it lets connect() do, what it counts, and who may set it.
#
#   A (client, 192.0.2.1, 2001:db8::1) ---- veth ---- B (server, .2, ::2)
#
# Most tests give A a two-port ip_local_port_range and fill both ports
# with TIME-WAIT sockets towards one server port in B, so that the next
# connect() to that port can only succeed by taking one over.

# pol NS FILE: a file of NS's policy directory.
pol() {
	twg "$1" "policy/$2"
}

# pol_set NS FILE VALUE: a write that must succeed.
pol_set() {
	local got
	got=$(twg-write "/sys/kernel/twguard/netns/$(netns_inode "$1")/policy/$2" "$3")
	expect_eq "write '$3' to $1 policy/$2" "$got" ok
}

# expect_write NS FILE TEXT ERRNO: a write that must fail with ERRNO and
# leave the file as it was.
expect_write() {
	local f before
	f=/sys/kernel/twguard/netns/$(netns_inode "$1")/policy/$2
	before=$(cat "$f")
	expect_eq "write '$(printf %.40s "$3")' to policy/$2" "$(twg-write -- "$f" "$3")" "$4"
	expect_eq "policy/$2 unchanged" "$(cat "$f")" "$before"
}

# Two namespaces as drawn above, A with ports 40000-40001 only and $2 TIME-WAIT
# sockets (both ports when 2) towards B's port $3.
reuse_setup() {
	veth_pair "$1" "$2"
	ip netns exec "$1" sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
}

fill_tw() {
	pp ip netns exec "$2" twg-churn -a "$3" -p "$4" -C "/run/netns/$1" -n 2 client >/dev/null
}

# The decisions counted in NS's policy/, all verdicts.
decisions() {
	local d=/sys/kernel/twguard/netns/$(netns_inode "$1")/policy
	echo $(($(cat $d/reuse_allowed) + $(cat $d/reuse_denied_policy) +
		$(cat $d/reuse_denied_no_timestamps) + $(cat $d/reuse_denied_too_young) +
		$(cat $d/reuse_denied_ts_order) + $(cat $d/reuse_denied_fin_wait2)))
}

# expect_verdicts NS FILE [WOULD]: every call to tcp_twsk_unique() since the last
# check was one decision, and each gave FILE's verdict.  The kernel asks
# once per candidate port holding a TIME-WAIT socket, and may ask twice:
# its tracer counts the calls.  In dry-run mode, WOULD is the policy's.
expect_verdicts() {
	local calls
	calls=$(trace_calls tcp_twsk_unique)
	[ "$calls" -gt 0 ] || { echo "# no call to tcp_twsk_unique"; return 1; }
	expect_eq "$1 policy/$2 vs calls to tcp_twsk_unique" "$(pol "$1" "$2")" \
		$(($(eval echo \$_base_$2) + calls))
	[ -z "$3" ] || expect_eq "$1 policy/$3 vs calls to tcp_twsk_unique" \
		"$(pol "$1" "$3")" $(($(eval echo \$_base_$3) + calls))
	expect_eq "$1 decisions vs calls" "$(decisions "$1")" $((_base_all + calls))
	_verdicts_mark "$1"
}

# Remember NS's counters, and restart the call count, for expect_verdicts.
_verdicts_mark() {
	local f
	for f in reuse_allowed reuse_denied_policy reuse_denied_no_timestamps \
		reuse_denied_too_young reuse_denied_ts_order reuse_denied_fin_wait2 \
		would_allowed; do
		eval "_base_$f=$(pol "$1" $f)"
	done
	_base_all=$(decisions "$1")
	trace_calls_reset
}

verdicts_start() {
	trace_calls_start tcp_twsk_unique
	_verdicts_mark "$1"
}

# reuse_connect A B ADDR PORT: one connect() from A; prints ok or EADDRNOTAVAIL.
reuse_connect() {
	ip netns exec "$2" twg-reuse -a "$3" -p "$4" -C "/run/netns/$1" connect || true
}

reuse_ok() {
	[ "$(reuse_connect "$@")" = "connect: ok" ]
}

test_policy_defaults() {
	local ns f
	ns=$(new_netns pd)
	expect_eq "mode" "$(pol $ns mode)" kernel
	expect_eq "min_age_ms" "$(pol $ns min_age_ms)" 1000
	expect_eq "rtt_factor" "$(pol $ns rtt_factor)" 0
	expect_eq "timestamps" "$(pol $ns timestamps)" strict
	expect_eq "dry_run" "$(pol $ns dry_run)" 0
	expect_eq "rules" "$(pol $ns rules)" ""
	expect_eq "enforcing" "$(pol $ns enforcing)" 0
	for f in reuse_allowed reuse_denied_policy reuse_denied_no_timestamps \
		reuse_denied_too_young reuse_denied_ts_order reuse_denied_fin_wait2 \
		would_allowed would_denied_policy would_denied_no_timestamps \
		would_denied_too_young would_denied_ts_order would_denied_fin_wait2; do
		expect_eq "$f" "$(pol $ns $f)" 0
		grep -qx "$f 0" "/sys/kernel/twguard/netns/$(netns_inode $ns)/stats"
	done
	expect_eq "hooks: reuse_policy" "$(sed -n 's/^reuse_policy //p' /sys/kernel/twguard/hooks)" kernel
	expect_eq "twguard on tcp_twsk_unique" "$(reuse_hooked)" no
	ip netns del $ns
}

# Whether tracefs lists an ftrace user on tcp_twsk_unique() that modifies
# where it goes (twguard's, the only one in these guests): yes or no.
# reuse_policy_is STATE: the root hooks file's reuse_policy is STATE.
reuse_policy_is() {
	[ "$(sed -n 's/^reuse_policy //p' /sys/kernel/twguard/hooks)" = "$1" ]
}

reuse_hooked() {
	tracefs_mount
	if grep -q '^tcp_twsk_unique .*\(I\|IPMODIFY\|->\)' $tracefs/enabled_functions; then
		echo yes
	else
		echo no
	fi
}

# A predicate for wait_for: no hook of twguard's on tcp_twsk_unique().
reuse_unhooked() {
	[ "$(reuse_hooked)" = no ]
}

# The kernel's tcp_twsk_unique() runs untouched while no namespace has a
# policy in force: twguard's hook is there only while one has, counted
# over namespaces, and reuse counts stay exact across the switches.
test_policy_takeover() {
	local a=twg-$$-tk-a b=twg-$$-tk-b c
	reuse_setup $a $b
	c=$(new_netns tk-c)
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0
	expect_eq "hooked, no policy" "$(reuse_hooked)" no
	fill_tw $a $b 192.0.2.2 7000
	expect_eq "connect, the kernel's tcp_tw_reuse=0" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_eq "decisions counted, no policy" "$(decisions $a)" 0
	pol_set $a mode on
	pol_set $a min_age_ms 0
	expect_eq "hooked, a's policy" "$(reuse_hooked)" yes
	expect_eq "hooks file" "$(sed -n 's/^reuse_policy //p' /sys/kernel/twguard/hooks)" attached
	expect_eq "a enforcing" "$(pol $a enforcing)" 1
	expect_eq "c enforcing" "$(pol $c enforcing)" 0
	pol_set $c mode off
	expect_eq "connect, a's mode=on" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_eq "a reuse_allowed" "$(pol $a reuse_allowed)" 1
	expect_twg $a tw_reused 1
	pol_set $a mode kernel
	pol_set $a min_age_ms 1000
	expect_eq "a enforcing, cleared" "$(pol $a enforcing)" 0
	expect_eq "hooked, c's policy left" "$(reuse_hooked)" yes
	expect_eq "connect, a's policy cleared" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_eq "a reuse_allowed, cleared" "$(pol $a reuse_allowed)" 1
	# The last policy goes with its namespace.
	ip netns del $c
	wait_for 10 reuse_unhooked
	expect_eq "hooked, none left" "$(reuse_hooked)" no
	expect_eq "hooks file, none left" "$(sed -n 's/^reuse_policy //p' /sys/kernel/twguard/hooks)" kernel
	expect_eq "a reuse_allowed vs TcpExt TWRecycled" "$(pol $a reuse_allowed)" "$(ns_tcpext $a TWRecycled)"
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# Every malformed or out-of-range write gets its errno and changes nothing.
test_policy_bad_input() {
	local ns d i
	ns=$(new_netns pb)
	expect_write $ns mode bogus EINVAL
	expect_write $ns mode " " EINVAL
	expect_write $ns mode "on off" EINVAL
	expect_write $ns timestamps loose EINVAL
	expect_write $ns min_age_ms 60001 ERANGE
	expect_write $ns min_age_ms 99999999999 ERANGE
	expect_write $ns min_age_ms -1 EINVAL
	expect_write $ns min_age_ms 0x10 EINVAL
	expect_write $ns min_age_ms 12abc EINVAL
	expect_write $ns rtt_factor 17 ERANGE
	expect_write $ns dry_run 2 ERANGE
	expect_write $ns dry_run yes EINVAL
	pol_set $ns rules "192.0.2.0/24 allow"
	expect_write $ns rules "192.0.2.1/24 deny" EINVAL
	expect_write $ns rules "192.0.2.0/33 deny" ERANGE
	expect_write $ns rules "2001:db8::/129 deny" ERANGE
	expect_write $ns rules "192.0.2.0/24 port 0 deny" ERANGE
	expect_write $ns rules "192.0.2.0/24 port 65536 deny" ERANGE
	expect_write $ns rules "192.0.2.0/24 port 90-80 deny" EINVAL
	expect_write $ns rules "192.0.2.0/24 maybe" EINVAL
	expect_write $ns rules "192.0.2.0/24" EINVAL
	expect_write $ns rules "192.0.2.0/24 deny min_age_ms 60001" ERANGE
	expect_write $ns rules "192.0.2.0/24 deny extra" EINVAL
	expect_write $ns rules "192.0.2 deny" EINVAL
	expect_write $ns rules "$(printf '10.0.0.0/8 deny\n10.0.0.0/8 nope\n')" EINVAL
	d=/tmp/twg-rules-$$
	i=0
	while [ $i -lt 257 ]; do
		echo "10.0.$((i / 256)).$((i % 256)) deny"
		i=$((i + 1))
	done >$d
	expect_write $ns rules "@$d" ENOSPC
	head -n 256 $d >$d.256
	pol_set $ns rules "@$d.256"
	expect_eq "256 rules" "$(pol $ns rules | wc -l)" 256
	pol_set $ns rules "192.0.2.0/24 allow"
	awk 'BEGIN { for (i = 0; i < 600; i++) printf "10.0.0.0/8     deny\n" }' >$d
	expect_write $ns rules "@$d" E2BIG
	printf '10.0.0.0/8 deny\0\n' >$d
	expect_write $ns rules "@$d" EINVAL
	expect_eq "enforcing is read-only" \
		"$(twg-write /sys/kernel/twguard/netns/$(netns_inode $ns)/policy/enforcing 0)" EACCES
	rm -f $d $d.256
	ip netns del $ns
}

# rules reads back in one canonical form, which writes back to itself.
test_policy_rules_canonical() {
	local ns want
	ns=$(new_netns pc)
	pol_set $ns rules "$(printf '  192.0.2.0/24\t port 80-443 allow min_age_ms 0200\n\n2001:DB8:0:0::/32 deny\n10.1.2.3/32 port 7000-7000 default\n::/0 port 1-65535 allow\n')"
	want=$(printf '192.0.2.0/24 port 80-443 allow min_age_ms 200\n2001:db8::/32 deny\n10.1.2.3 port 7000 default\n::/0 allow')
	expect_eq "canonical rules" "$(pol $ns rules)" "$want"
	pol_set $ns rules "$(pol $ns rules)"
	expect_eq "rules written back" "$(pol $ns rules)" "$want"
	pol_set $ns rules " "
	expect_eq "rules cleared" "$(pol $ns rules)" ""
	ip netns del $ns
}

# Both local ports hold TIME-WAIT: mode=off refuses connect(), mode=on lets
# it take one over, whatever net.ipv4.tcp_tw_reuse says.
test_policy_reuse_off_on() {
	local a=twg-$$-ro-a b=twg-$$-ro-b
	reuse_setup $a $b
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0
	fill_tw $a $b 192.0.2.2 7000
	expect_eq "$a tw" "$(ns_sockstat_tw $a)" 2
	pol_set $a mode off
	pol_set $a min_age_ms 0
	verdicts_start $a
	expect_eq "connect, mode=off" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_verdicts $a reuse_denied_policy
	expect_twg $a tw_reused 0
	pol_set $a mode on
	expect_eq "connect, mode=on" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_verdicts $a reuse_allowed
	trace_calls_stop
	expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" 1
	expect_eq "reuse_allowed vs TcpExt TWRecycled" "$(pol $a reuse_allowed)" "$(ns_tcpext $a TWRecycled)"
	expect_twg $a tw_reused 1
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# An old connection without timestamps can never be told apart by PAWS.
test_policy_no_timestamps() {
	local a=twg-$$-nt-a b=twg-$$-nt-b
	reuse_setup $a $b
	ip netns exec $a sysctl -qw net.ipv4.tcp_timestamps=0
	fill_tw $a $b 192.0.2.2 7000
	ip netns exec $a sysctl -qw net.ipv4.tcp_timestamps=1
	pol_set $a mode on
	pol_set $a min_age_ms 0
	verdicts_start $a
	expect_eq "connect" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_verdicts $a reuse_denied_no_timestamps
	trace_calls_stop
	expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" 0
	ip netns del $a
	ip netns del $b
}

# tcp_timestamps changed from 1 (random offsets) to 2 (none) in between:
# the TSvals of the two connections cannot be ordered, strict says no,
# timestamps=kernel says yes.
test_policy_ts_order() {
	local a=twg-$$-to-a b=twg-$$-to-b
	reuse_setup $a $b
	fill_tw $a $b 192.0.2.2 7000
	ip netns exec $a sysctl -qw net.ipv4.tcp_timestamps=2
	pol_set $a mode on
	pol_set $a min_age_ms 0
	verdicts_start $a
	expect_eq "connect, strict" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	expect_verdicts $a reuse_denied_ts_order
	pol_set $a timestamps kernel
	expect_eq "connect, kernel" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_verdicts $a reuse_allowed
	trace_calls_stop
	ip netns del $a
	ip netns del $b
}

# min_age_ms to the millisecond: from one fixed local port, connect() is
# refused until the TIME-WAIT socket is 300 ms old, then allowed.
# twg-reuse reports bounds, not estimates: the least age the socket can
# have had at the last refusal, and the greatest at the first success.
# Those bounds must hold on every attempt.  How close they come to 300 ms
# depends on the guest's scheduling as well: an attempt whose bounds are
# wide (a connect() or the FIN's wake-up delayed by tens of ms) proves
# nothing either way, and is made again from another port, three times
# at most.
test_policy_min_age_ms() {
	local a=twg-$$-ma-a b=twg-$$-ma-b out denied allowed tries young ok segs
	local attempt=0 tight=
	veth_pair $a $b
	pol_set $a mode on
	pol_set $a min_age_ms 300
	# A loaded guest spaces its tries wider: up to ten attempts, each
	# well under a second.
	while [ -z "$tight" ] && [ $attempt -lt 10 ]; do
		young=$(pol $a reuse_denied_too_young) ok=$(pol $a reuse_allowed)
		# A segment that reaches the TIME-WAIT socket (an ACK the
		# loaded guest delivered after the FIN) restarts its 2MSL,
		# and its age with it, as the kernel's own timer.
		trace_calls_start tcp_timewait_state_process
		out=$(ip netns exec $b twg-reuse -a 192.0.2.2 -p 7000 \
			-B $((41000 + attempt)) -C /run/netns/$a age)
		segs=$(trace_calls tcp_timewait_state_process)
		trace_calls_stop
		attempt=$((attempt + 1))
		echo "# attempt $attempt: $out; segments to TIME-WAIT: $segs"
		set -- $out
		denied=$3 allowed=$5 tries=$7
		# Refused only below 300 ms (1 ms for the clocks' rounding),
		# unless a segment restarted the age.
		if [ "$denied" -ge 301000 ] && [ "$segs" -gt 0 ]; then
			echo "# refused at $denied us, after a segment restarted the age: again"
			continue
		fi
		[ "$denied" -lt 301000 ] ||
			{ echo "# refused at an age of at least $denied us"; return 1; }
		# Allowed only from 300 ms on: the age twg-reuse measures
		# starts at its close(), before the kernel's TIME-WAIT does.
		[ "$allowed" -ge 300000 ] ||
			{ echo "# allowed at an age of at most $allowed us"; return 1; }
		expect_eq "reuse_denied_too_young" "$(pol $a reuse_denied_too_young)" \
			$((young + tries - 1))
		expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" $((ok + 1))
		# Close enough to 300 ms to tell it from 280 or 330.
		if [ "$denied" -ge 280000 ] && [ "$allowed" -lt 330000 ]; then
			tight=1
		else
			echo "# bounds wider than 280-330 ms: again"
		fi
	done
	[ -n "$tight" ] ||
		{ echo "# no attempt in $attempt bounded the threshold within 280-330 ms"; return 1; }
	ip netns del $a
	ip netns del $b
}

# dry_run counts what the policy would do, and lets the kernel decide.
test_policy_dry_run() {
	local a=twg-$$-dr-a b=twg-$$-dr-b
	reuse_setup $a $b
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=0
	fill_tw $a $b 192.0.2.2 7000
	pol_set $a mode on
	pol_set $a min_age_ms 0
	pol_set $a dry_run 1
	verdicts_start $a
	expect_eq "connect, dry run" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	# The kernel's verdict is enforced and counted; the policy's is counted.
	expect_verdicts $a reuse_denied_policy would_allowed
	expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" 0
	expect_twg $a tw_reused 0
	pol_set $a dry_run 0
	expect_eq "connect, enforcing" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_verdicts $a reuse_allowed
	trace_calls_stop
	expect_eq "would_allowed after" "$(pol $a would_allowed)" "$_base_would_allowed"
	expect_twg $a tw_reused 1
	ip netns del $a
	ip netns del $b
}

# A rule allows one destination while the mode refuses the others, and a
# rule denies one IPv6 destination while the mode allows the others.
test_policy_rules() {
	local a=twg-$$-ru-a b=twg-$$-ru-b
	reuse_setup $a $b
	fill_tw $a $b 192.0.2.2 7000
	fill_tw $a $b 192.0.2.2 7001
	fill_tw $a $b 2001:db8::2 7000
	fill_tw $a $b 2001:db8::2 7001
	expect_eq "$a tw" "$(ns_sockstat_tw $a)" 8
	pol_set $a min_age_ms 0
	pol_set $a mode off
	pol_set $a rules "$(printf '192.0.2.2 port 7000 allow\n2001:db8::/64 port 7000 deny\n')"
	verdicts_start $a
	expect_eq "to 192.0.2.2:7000 (rule allows)" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: ok"
	expect_verdicts $a reuse_allowed
	expect_eq "to 192.0.2.2:7001 (mode off)" "$(reuse_connect $a $b 192.0.2.2 7001)" "connect: EADDRNOTAVAIL"
	expect_verdicts $a reuse_denied_policy
	pol_set $a mode on
	_verdicts_mark $a
	expect_eq "to [2001:db8::2]:7000 (rule denies)" "$(reuse_connect $a $b 2001:db8::2 7000)" "connect: EADDRNOTAVAIL"
	expect_verdicts $a reuse_denied_policy
	expect_eq "to [2001:db8::2]:7001 (mode on)" "$(reuse_connect $a $b 2001:db8::2 7001)" "connect: ok"
	expect_verdicts $a reuse_allowed
	trace_calls_stop
	expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" 2
	expect_twg $a tw_reused 2
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# After a reuse, a segment of the old connection (its TSval, a sequence
# number in the new window) must be dropped by PAWS, while the same
# segment with a fresh TSval is delivered.
test_policy_paws() {
	local a=twg-$$-pw-a b=twg-$$-pw-b paws0
	veth_pair $a $b
	pol_set $a mode on
	pol_set $a min_age_ms 0
	paws0=$(ns_tcpext $a PAWSEstab)
	pp ip netns exec $b twg-reuse -a 192.0.2.2 -p 7000 -B 42000 -C /run/netns/$a paws
	expect_eq "$a TcpExt PAWSEstab" "$(ns_tcpext $a PAWSEstab)" $((paws0 + 1))
	expect_eq "reuse_allowed" "$(pol $a reuse_allowed)" 1
	ip netns del $a
	ip netns del $b
}

# A reuse starts the new connection's sequence space past the old one's,
# as the kernel's tcp_twsk_unique() does: under the kernel's decision and
# under twguard's, the same ISN, over IPv4, IPv6 and a v4-mapped IPv6
# socket (which decides as IPv4: its rule, its counters).
test_policy_write_seq() {
	local a=twg-$$-ws-a b=twg-$$-ws-b v4 v6
	veth_pair $a $b
	# mode=kernel: a socket bound to its port skips the sysctl.
	pp ip netns exec $b twg-reuse -a 192.0.2.2 -p 7000 -B 43000 -C /run/netns/$a seq
	expect_eq "kernel's decisions counted" "$(decisions $a)" 0
	pol_set $a mode on
	pol_set $a min_age_ms 0
	pp ip netns exec $b twg-reuse -a 192.0.2.2 -p 7000 -B 43001 -C /run/netns/$a seq
	pp ip netns exec $b twg-reuse -a 2001:db8::2 -p 7000 -B 43002 -C /run/netns/$a seq
	expect_eq "reuse_allowed, IPv4 and IPv6" "$(pol $a reuse_allowed)" 2
	# A v4-mapped connect() follows an IPv4 rule, and counts as IPv4.
	pp twg-write /sys/kernel/twguard/netns/$(netns_inode $a)/policy/rules "192.0.2.2 deny"
	v6=$(twg $a tw_current_ipv6)
	if ip netns exec $b twg-reuse -6 -a ::ffff:192.0.2.2 -p 7000 -B 43003 -C /run/netns/$a seq; then
		echo "# a v4-mapped reuse past an IPv4 deny rule"
		return 1
	fi
	# Every retry of its 5 s was a decision, each denied by the rule.
	[ "$(pol $a reuse_denied_policy)" -gt 0 ]
	expect_eq "reuse_allowed, v4-mapped" "$(pol $a reuse_allowed)" 2
	expect_eq "tw_current_ipv6, v4-mapped" "$(twg $a tw_current_ipv6)" "$v6"
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# A TIME-WAIT socket that was there before twguard loaded has no stamp of
# twguard's, only what the load made of its timer: a policy reuses it by
# that age (one jiffy conservative), and counts it.
test_policy_reuse_existing() {
	local a=twg-$$-re-a b=twg-$$-re-b
	pp rmmod twguard
	reuse_setup $a $b
	fill_tw $a $b 192.0.2.2 7000
	pp insmod "$TWG_MODULES/twguard.ko"
	expect_twg $a tw_at_load 2
	pol_set $a mode on
	# Younger than a TIME-WAIT period lasts, whatever the guest's speed:
	# too young, by the age the load gave.  (3000 ms was too little for a
	# debug kernel on a loaded host: seen allowed.)
	pol_set $a min_age_ms 60000
	expect_eq "connect at once" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	[ "$(pol $a reuse_denied_too_young)" -ge 1 ]
	expect_eq "$a reuse_allowed" "$(pol $a reuse_allowed)" 0
	pol_set $a min_age_ms 3000
	wait_for 10 reuse_ok $a $b 192.0.2.2 7000
	expect_eq "$a reuse_allowed" "$(pol $a reuse_allowed)" "$(ns_tcpext $a TWRecycled)"
	[ "$(pol $a reuse_allowed)" -ge 1 ]
	expect_twg $a tw_reused "$(pol $a reuse_allowed)"
	check_tw $a
	ip netns del $a
	ip netns del $b
}

# Writers need CAP_NET_ADMIN over the netns: a container's root sets its
# own policy, and neither another netns's nor, unprivileged, any.
test_policy_privileges() {
	local init_dir own
	init_dir=/sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net)/policy
	# A container's root: its own netns, then the host's.
	own=$(twg-userns 1000 sh -c 'd=/sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net)/policy
		twg-write $d/mode on; cat $d/mode; twg-write $d/rules "10.0.0.0/8 deny"
		twg-write '"$init_dir"'/mode off; cat '"$init_dir"'/rules 2>&1 >/dev/null | grep -c "Permission denied"')
	expect_eq "container root: own mode, mode, own rules, host mode, host rules read" \
		"$(echo $own)" "ok on ok EACCES 1"
	expect_eq "host mode" "$(cat $init_dir/mode)" kernel
	# Unprivileged, on the host's netns.
	expect_eq "uid 1000 writes mode" "$(twg-write -u 1000 $init_dir/mode on)" EACCES
	# Root without CAP_NET_ADMIN: the file lets it write, twguard does not.
	expect_eq "root without CAP_NET_ADMIN" "$(twg-write -N $init_dir/mode on)" EPERM
	expect_eq "host mode after" "$(cat $init_dir/mode)" kernel
}

# Unloading twguard gives the decision back to the kernel, mid-traffic.
test_policy_unload_restores_kernel() {
	local a=twg-$$-un-a b=twg-$$-un-b c=twg-$$-un-c d=twg-$$-un-d churn
	reuse_setup $a $b
	veth_pair $c $d
	# tcp_tw_reuse=1 only once both ports hold a TIME-WAIT socket: set
	# before, it would let the fill's second connect() take over the
	# first one's socket if a second ticked between them.
	fill_tw $a $b 192.0.2.2 7000
	expect_eq "$a tw" "$(ns_sockstat_tw $a)" 2
	ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=1
	pol_set $a mode off
	expect_eq "connect, mode=off" "$(reuse_connect $a $b 192.0.2.2 7000)" "connect: EADDRNOTAVAIL"
	ip netns exec $d twg-churn -a 192.0.2.2 -C /run/netns/$c -n 3000 client >/dev/null &
	churn=$!
	sleep 1
	pp rmmod twguard
	# tcp_tw_reuse=1: the kernel reuses once its seconds clock has
	# ticked past the old connection's last segment: a second or two,
	# longer on a loaded guest.
	wait_for 20 reuse_ok $a $b 192.0.2.2 7000 ||
		{ echo "# connect, twguard gone: $(reuse_connect $a $b 192.0.2.2 7000)"; return 1; }
	echo "# connect, twguard gone = connect: ok"
	pp insmod "$TWG_MODULES/twguard.ko"
	# The churn was there for the unload; a debug kernel would take
	# minutes over the rest of it.
	kill $churn 2>/dev/null || :
	wait $churn 2>/dev/null || :
	ip netns del $a
	ip netns del $b
	ip netns del $c
	ip netns del $d
}

# mode=kernel is the kernel's own decision, tcp_tw_reuse_delay (7.x) and
# all: the same verdicts with twguard loaded (its hook off, and its hook
# placed for another namespace's policy) as without it.
test_policy_kernel_delay() {
	local delay how other
	[ -f /proc/sys/net/ipv4/tcp_tw_reuse_delay ] ||
		{ echo "# no net.ipv4.tcp_tw_reuse_delay in this kernel"; return 77; }
	for how in unloaded loaded hooked; do
		case $how in
		unloaded) pp rmmod twguard ;;
		loaded) pp insmod "$TWG_MODULES/twguard.ko" ;;
		hooked)
			other=$(new_netns kd-o)
			pol_set $other mode off ;;
		esac
		for delay in 2000 200; do
			kernel_delay_round $how $delay
		done
	done
	expect_eq "hooked for the other netns" "$(reuse_hooked)" yes
	ip netns del $other
}

# One round of test_policy_kernel_delay: two TIME-WAIT sockets fill both
# ports; a connect() at once is refused under 2000 ms and allowed once
# the delay has passed.
kernel_delay_round() {
	local a=twg-$$-kd-a b=twg-$$-kd-b t0 got tries=0
	reuse_setup $a $b
	while :; do
		# The sockets enter TIME-WAIT after t0: a decision made before
		# t0 + 2 s saw them younger than the delay.  On a slow guest
		# the round may take longer than that: it proves nothing then,
		# and is made again.
		t0=$(uptime_ms)
		fill_tw $a $b 192.0.2.2 7000
		ip netns exec $a sysctl -qw net.ipv4.tcp_tw_reuse=1 \
			net.ipv4.tcp_tw_reuse_delay=$2
		[ $2 = 2000 ] || { sleep 0.5; break; }
		got=$(reuse_connect $a $b 192.0.2.2 7000)
		[ $(($(uptime_ms) - t0)) -ge 1990 ] || break
		tries=$((tries + 1))
		echo "# $1, delay $2: the round outlasted the delay, again ($tries)"
		[ $tries -lt 5 ] || { echo "# every round outlasted the delay"; return 1; }
		ip netns del $a
		ip netns del $b
		reuse_setup $a $b
	done
	[ $2 != 2000 ] || expect_eq "$1, delay $2, at once" "$got" "connect: EADDRNOTAVAIL"
	wait_for 10 reuse_ok $a $b 192.0.2.2 7000
	echo "# $1, delay $2: allowed once past the delay"
	if [ $1 != unloaded ]; then
		expect_eq "$1 enforcing" "$(pol $a enforcing)" 0
		expect_eq "$1 decisions counted" "$(decisions $a)" 0
		expect_twg $a tw_reused 1
	fi
	ip netns del $a
	ip netns del $b
}

# With tcp_twsk_unique() held by someone else (a stand-in for a
# livepatch), twguard loads and counts; a policy that cannot be enforced
# is refused with EBUSY and leaves the kernel's; once the function is free
# again, the same write succeeds.
test_policy_observe_only() {
	local ns
	# A namespace deleted by an earlier test lets go of its policy when
	# the kernel destroys it, some time after ip netns del returns.
	wait_for 60 reuse_policy_is kernel ||
		{ echo "# a policy is still in force:"; grep -l 1 /sys/kernel/twguard/netns/*/policy/enforcing; return 1; }
	pp insmod "$TWG_MODULES/twguard_test_ipmodify.ko"
	ns=$(new_netns oo)
	dmesg -c >/dev/null
	expect_write $ns mode off EBUSY
	dmesg | grep -q "twguard: TIME-WAIT reuse policy refused: cannot take over tcp_twsk_unique()"
	expect_eq "enforcing" "$(pol $ns enforcing)" 0
	pp ip netns exec $ns twg-churn -n 5 client >/dev/null
	expect_twg $ns tw_entered 5
	pp rmmod twguard_test_ipmodify
	pol_set $ns mode off
	expect_eq "enforcing after" "$(pol $ns enforcing)" 1
	ip netns del $ns
}

# The default policy reaches the namespaces made after it is set, and no
# other; the host's admin alone sets it; bad input changes nothing.
test_policy_default() {
	local d=/sys/kernel/twguard/default_policy old new other
	wait_for 60 reuse_policy_is kernel
	old=$(new_netns dfo)
	expect_eq "at load" "$(cat $d/mode $d/timestamps $d/min_age_ms $d/rtt_factor $d/dry_run $d/enforcing | tr '\n' ' ')" \
		"kernel strict 1000 0 0 0 "
	expect_eq "no rules" "$(wc -c <$d/rules)" 0
	expect_eq "set mode" "$(twg-write $d/mode on)" ok
	expect_eq "set rules" "$(twg-write $d/rules '192.0.2.0/24 port 443 allow min_age_ms 500')" ok
	expect_eq "set min_age_ms" "$(twg-write $d/min_age_ms 1500)" ok
	expect_eq "enforcing" "$(cat $d/enforcing)" 1
	# A default in force counts as a policy in force: new namespaces
	# then never have to place the hook themselves.
	expect_eq "hooks: reuse_policy" "$(sed -n 's/^reuse_policy //p' /sys/kernel/twguard/hooks)" attached
	expect_eq "twguard on tcp_twsk_unique" "$(reuse_hooked)" yes
	# Refused, and nothing changes.
	expect_eq "bad mode" "$(twg-write $d/mode bogus)" EINVAL
	expect_eq "min_age_ms past its limit" "$(twg-write $d/min_age_ms 60001)" ERANGE
	expect_eq "bad rule" "$(twg-write $d/rules '192.0.2.1/24 deny')" EINVAL
	expect_eq "unprivileged" "$(twg-write -u 1000 $d/mode off)" EACCES
	expect_eq "root without CAP_NET_ADMIN" "$(twg-write -N $d/mode off)" EPERM
	expect_eq "another netns's root" "$(ip netns exec $old twg-write $d/mode off)" EACCES
	expect_eq "rules: the host's admin's" "$(twg-write -u 1000 -r $d/rules)" EACCES
	expect_eq "rules: not a container's" "$(ip netns exec $old twg-write -r $d/rules)" EACCES
	expect_eq "settings: everyone's" "$(twg-write -u 1000 -r $d/mode)" ok
	expect_eq "unchanged" "$(cat $d/mode $d/min_age_ms $d/rules | tr '\n' ' ')" \
		"on 1500 192.0.2.0/24 port 443 allow min_age_ms 500 "
	# A namespace made now starts with it; the one before keeps its own.
	new=$(new_netns dfn)
	expect_eq "new netns" "$(pol $new mode) $(pol $new min_age_ms) $(pol $new enforcing)" "on 1500 1"
	expect_eq "new netns rules" "$(pol $new rules)" "192.0.2.0/24 port 443 allow min_age_ms 500"
	expect_eq "older netns" "$(pol $old mode) $(pol $old enforcing)" "kernel 0"
	# Its own copy: changing it leaves the default alone, and back.
	pol_set $new mode off
	expect_eq "default unchanged" "$(cat $d/mode)" on
	expect_eq "clear mode" "$(twg-write $d/mode kernel)" ok
	# (A blank line empties the rules: a write of nothing writes nothing.)
	printf '\n' >/tmp/dfl.nl
	expect_eq "clear rules" "$(twg-write $d/rules @/tmp/dfl.nl)" ok
	expect_eq "clear min_age_ms" "$(twg-write $d/min_age_ms 1000)" ok
	expect_eq "enforcing after" "$(cat $d/enforcing)" 0
	other=$(new_netns dfx)
	expect_eq "made after" "$(pol $other mode) $(pol $other enforcing)" "kernel 0"
	expect_eq "set earlier, kept" "$(pol $new mode) $(pol $new enforcing)" "off 1"
	ip netns del $old
	ip netns del $new
	ip netns del $other
}
