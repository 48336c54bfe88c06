# SPDX-License-Identifier: GPL-2.0
#
# The twguard command (scripts/twguard/): its JSON checked field by field
# with jq against the module's own files and the kernel's counts, its
# error exits, and its Prometheus exposition checked by Debian's promtool,
# by promcheck.awk, and served by Debian's prometheus-node-exporter.

# jqv JSON FILTER: one value of a JSON document, as jq prints it raw.
jqv() {
	printf '%s\n' "$1" | jq -r "$2"
}

# expect_exit WANT CMD...: CMD exits with status WANT; its stderr is shown.
expect_exit() {
	local want=$1 rc=0
	shift
	"$@" >/tmp/cmd.out 2>/tmp/cmd.err || rc=$?
	sed 's/^/# stderr: /' /tmp/cmd.err
	expect_eq "exit status of $*" "$rc" "$want"
}

# Every line of the stats file is in the JSON, counters and gauges apart,
# with the file's value.
test_command_stat_json() {
	local ns json
	ns=$(new_netns cmds)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 7001 -n 12 client
	json=$(twguard -a -j -N $ns stat)
	echo "# $json"
	expect_eq "namespaces" "$(jqv "$json" '.namespaces | length')" 1
	expect_eq "netns" "$(jqv "$json" '.namespaces[0].netns')" "$(netns_inode $ns)"
	expect_eq "name" "$(jqv "$json" '.namespaces[0].name')" "$ns"
	expect_eq "absolute" "$(jqv "$json" '.absolute')" true
	expect_eq "policy_mode" "$(jqv "$json" '.namespaces[0].policy_mode')" kernel
	twg $ns stats >/tmp/cmd.stats
	expect_eq "every stats line, with its value" \
		"$(jqv "$json" '.namespaces[0] | .counters + .gauges | to_entries[] | "\(.key) \(.value)"' | sort)" \
		"$(sort /tmp/cmd.stats)"
	expect_eq "the gauges" "$(jqv "$json" '.namespaces[0].gauges | keys[]' | sort)" \
		"$(awk '$1 ~ /_current$|^tw_current_|^tw_at_load$/ { print $1 }' /tmp/cmd.stats | sort)"
	expect_eq "close_active" "$(jqv "$json" '.namespaces[0].counters.close_active')" 12
	expect_eq "tw_current vs sockstat tw" "$(jqv "$json" '.namespaces[0].gauges.tw_current')" \
		"$(ns_sockstat_tw $ns)"
	# Every namespace without -N, each once.
	json=$(twguard -a -j stat)
	expect_eq "this namespace in the list" \
		"$(jqv "$json" "[.namespaces[] | select(.netns == $(netns_inode $ns))] | length")" 1
	expect_eq "the list vs sysfs" "$(jqv "$json" '.namespaces | length')" \
		"$(ls /sys/kernel/twguard/netns | wc -l)"
	ip netns del $ns
}

# By default, gains since the last run, from a history file that only
# its owner's counts are taken from; -i repeats, one document a round.
test_command_stat_gains() {
	local ns json h=/tmp/cmd.hist
	ns=$(new_netns cmdg)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	export TWGUARD_HISTORY=$h
	rm -f $h
	pp ip netns exec $ns twg-churn -p 7002 -n 4 client
	json=$(twguard -j -N $ns stat)
	expect_eq "first run: since load" "$(jqv "$json" '.namespaces[0].counters.close_active') $(jqv "$json" '.interval_s')" "4 null"
	pp ip netns exec $ns twg-churn -p 7002 -n 5 client
	json=$(twguard -j -N $ns stat)
	echo "# $json"
	expect_eq "gain" "$(jqv "$json" '.namespaces[0].counters.close_active')" 5
	expect_eq "gauge stays whole" "$(jqv "$json" '.namespaces[0].gauges.tw_current')" 9
	expect_eq "interval" "$(jqv "$json" '.interval_s > 0')" true
	expect_eq "rate" "$(jqv "$json" '.namespaces[0].rates.close_active > 0')" true
	json=$(twguard -j -N $ns stat)
	expect_eq "no traffic, no gain" "$(jqv "$json" '.namespaces[0].counters.close_active')" 0
	expect_eq "-a" "$(twguard -a -j -N $ns stat | jq '.namespaces[0].counters.close_active')" 9
	# A history file of another user's is not believed.
	chown 1000 $h
	json=$(twguard -j -N $ns stat)
	expect_eq "foreign history ignored" "$(jqv "$json" '.namespaces[0].counters.close_active')" 9
	rm -f $h
	twguard -j -N $ns -i 0.2 -c 3 stat >/tmp/cmd.rounds
	expect_eq "rounds" "$(wc -l </tmp/cmd.rounds)" 3
	expect_eq "each a document" "$(jq -s 'length' </tmp/cmd.rounds)" 3
	expect_eq "later rounds gain nothing" \
		"$(jq -s '[.[1:][] | .namespaces[0].counters.close_active] | add' </tmp/cmd.rounds)" 0
	unset TWGUARD_HISTORY
	rm -f $h
	ip netns del $ns
}

# top: the rows of /proc/net/twguard, sorted and cut to -n.
test_command_top_json() {
	local ns json raw
	ns=$(new_netns cmdt)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 7003 -n 8 server
	pp ip netns exec $ns twg-churn -p 7004 -n 5 client
	pp ip netns exec $ns twg-churn -p 7005 -n 3 client
	# From inside the namespace (its /proc/self/net), and from the host
	# by its name (entered with setns()).
	json=$(ip netns exec $ns twguard -j -N $ns top)
	echo "# $json"
	raw=$(ip netns exec $ns cat /proc/net/twguard/destinations | sed 1d | sort -k2,2nr -k1,1)
	expect_eq "destinations" \
		"$(jqv "$json" '.namespaces[] | select(.name == "'$ns'") | .destinations[] |
			"\(.destination) \(.tw) \(.live) \(.pressure_pct) \(.forecast_s // "-") \(.no_port)"')" \
		"$(echo "$raw" | awk '{ print $1, $2, $3, $5, $6, $7 }')"
	expect_eq "first destination" \
		"$(jqv "$json" '.namespaces[] | select(.name == "'$ns'") | .destinations[0] | "\(.destination) \(.tw)"')" \
		"127.0.0.1:7004 5"
	expect_eq "closing first" \
		"$(jqv "$json" '.namespaces[] | select(.name == "'$ns'") | .closing_first[] | "\(.port) \(.active) \(.passive)"')" \
		"7003 8 0"
	# (The rates move on with the clock, and the PID inside was the
	# command's own: the rest is the same.)
	expect_eq "from the host" "$(twguard -j -N $ns top | jq -c 'del(.namespaces[].destinations[].rate, .namespaces[].pid)')" \
		"$(jqv "$json" 'del(.namespaces[].destinations[].rate, .namespaces[].pid)' | jq -c .)"
	expect_eq "-n 1" "$(twguard -j -n 1 -N $ns top | jq '.namespaces[0].destinations | length')" 1
	twguard -N $ns top
	ip netns del $ns
}

# dwell: the histogram's buckets, count and sum as the module has them.
test_command_dwell_json() {
	local ns json dir
	ns=$(new_netns cmdd)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)
	pp ip netns exec $ns twg-churn -p 7006 -n 10 client
	json=$(twguard -j -N $ns dwell fin_wait2)
	expect_eq "buckets" "$(jqv "$json" '.namespaces[0].buckets[] | "\(.low_ms) \(.count)"')" \
		"$(cat $dir/dwell/fin_wait2)"
	expect_eq "count" "$(jqv "$json" '.namespaces[0].count')" \
		"$(awk '{ n += $2 } END { print n }' $dir/dwell/fin_wait2)"
	expect_eq "count vs connections" "$(jqv "$json" '.namespaces[0].count')" 10
	expect_eq "sum_ms" "$(jqv "$json" '.namespaces[0].sum_ms')" \
		"$(awk '$1 == "fin_wait2" { print $2 }' $dir/dwell/sum_ms)"
	# The sum lies within what the buckets allow.
	expect_eq "sum within the buckets" "$(jqv "$json" '.namespaces[0] |
		([.buckets[] | .low_ms * .count] | add) <= .sum_ms and
		.sum_ms <= ([.buckets[] | (.high_ms // 1e12) * .count] | add)')" true
	twguard -N $ns dwell fin_wait2 | tee /tmp/cmd.out
	expect_eq "text" "$(grep -c ': fin_wait2, 10 counted' /tmp/cmd.out)" 1
	ip netns del $ns
}

# policy set writes all or nothing; rules go in one write.
test_command_policy() {
	local ns dir json
	ns=$(new_netns cmdp)
	dir=/sys/kernel/twguard/netns/$(netns_inode $ns)/policy
	pp twguard -N $ns policy set mode=on timestamps=kernel min_age_ms=1500
	expect_eq "set" "$(cat $dir/mode $dir/timestamps $dir/min_age_ms | tr '\n' ' ')" "on kernel 1500 "
	# The second setting is refused: the first is put back.
	expect_exit 2 twguard -N $ns policy set mode=kernel min_age_ms=70000
	expect_eq "refused set changed nothing" "$(cat $dir/mode $dir/min_age_ms | tr '\n' ' ')" "on 1500 "
	expect_exit 2 twguard -N $ns policy set bogus=1
	expect_exit 2 twguard -N $ns policy set mode
	printf '192.0.2.0/24 port 80 deny\n\n2001:db8::/32 allow min_age_ms 500\n' >/tmp/cmd.rules
	pp twguard -N $ns policy rules /tmp/cmd.rules
	expect_eq "rules" "$(cat $dir/rules)" "$(printf '192.0.2.0/24 port 80 deny\n2001:db8::/32 allow min_age_ms 500')"
	echo '300.0.0.1 deny' >/tmp/cmd.rules.bad
	expect_exit 2 twguard -N $ns policy rules /tmp/cmd.rules.bad
	expect_eq "bad rules changed nothing" "$(wc -l <$dir/rules)" 2
	json=$(twguard -j -N $ns policy)
	expect_eq "show" "$(jqv "$json" '.namespaces[0] | "\(.mode) \(.timestamps) \(.min_age_ms) \(.enforcing) \(.rules | length)"')" \
		"on kernel 1500 1 2"
	: >/tmp/cmd.rules
	pp twguard -N $ns policy rules /tmp/cmd.rules
	pp twguard -N $ns policy set mode=kernel timestamps=strict min_age_ms=1000
	expect_eq "cleared" "$(cat $dir/enforcing) $(wc -c <$dir/rules)" "0 0"
	ip netns del $ns
}

# Distinct exit statuses, and messages that say what to do.
test_command_errors() {
	local ns inum pid rc
	expect_exit 2 twguard
	expect_exit 2 twguard bogus
	expect_exit 2 twguard dwell nosuch
	expect_exit 2 twguard -i 0 stat
	expect_exit 2 twguard metrics --destinations 1001
	expect_exit 4 twguard -N twg-no-such-ns stat
	expect_eq "says which" "$(grep -c 'no such namespace: twg-no-such-ns' /tmp/cmd.err)" 1
	expect_exit 4 twguard -N 999999 stat
	# Permission: the tables need CAP_NET_ADMIN, and the message says so;
	# the counters, and so the metrics, do not.
	inum=$(stat -L -c %i /proc/self/ns/net)
	expect_exit 6 twg-as 1000 twguard -N $inum top
	expect_eq "names the capability" "$(grep -c CAP_NET_ADMIN /tmp/cmd.err)" 1
	expect_exit 6 twg-as 1000 twguard -N $inum policy set mode=on
	expect_eq "unchanged" "$(cat /sys/kernel/twguard/netns/$inum/policy/mode)" kernel
	expect_exit 0 twg-as 1000 twguard metrics
	expect_exit 0 twg-as 1000 twguard -a stat
	# A namespace deleted between two rounds of -i.
	ns=$(new_netns cmde)
	inum=$(netns_inode $ns)
	twguard -N $inum -i 0.2 -c 1000 stat >/dev/null 2>/tmp/cmd.err &
	pid=$!
	sleep 1
	pp ip netns del $ns
	rc=0
	wait $pid || rc=$?
	cat /tmp/cmd.err
	expect_eq "vanished" "$rc" 5
	expect_eq "says so" "$(grep -c "netns $inum.*went away" /tmp/cmd.err)" 1
	# No module.
	pp rmmod twguard
	rc=0
	twguard stat 2>/tmp/cmd.err || rc=$?
	pp insmod "$TWG_MODULES/twguard.ko"
	cat /tmp/cmd.err
	expect_eq "module not loaded" "$rc" 3
	expect_eq "says so" "$(grep -c 'module is not loaded' /tmp/cmd.err)" 1
}

# series FILE NAME LABELS: the value of one sample of an exposition.
series() {
	awk -v s="$2${3:+\{$3\}}" '$1 == s { print $2 }' "$1"
}

# The exposition passes promtool and promcheck.awk, and says what the
# module's files say.
test_command_metrics() {
	local ns inum m=/tmp/cmd.prom dir rc=0
	ns=$(new_netns cmdm)
	inum=$(netns_inode $ns)
	dir=/sys/kernel/twguard/netns/$inum
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 7010 -n 9 client
	twguard metrics --destinations 10 >$m
	/work/promtool check metrics <$m || rc=$?
	expect_eq "promtool check metrics" "$rc" 0
	pp awk -f /work/promcheck.awk $m
	expect_eq "tw_current" "$(series $m twguard_tw_current "netns=\"$inum\"")" "$(ns_sockstat_tw $ns)"
	expect_eq "tw_current is 9" "$(series $m twguard_tw_current "netns=\"$inum\"")" 9
	expect_eq "close_active_total" "$(series $m twguard_close_active_total "netns=\"$inum\"")" "$(twg $ns close_active)"
	expect_eq "every stats line" \
		"$(grep -c "^twguard_[a-z0-9_]*{netns=\"$inum\"} " $m)" \
		"$(($(wc -l <$dir/stats) + 1))"
	expect_eq "netns_info" "$(series $m twguard_netns_info "netns=\"$inum\",name=\"$ns\"")" 1
	expect_eq "dwell count" "$(series $m twguard_dwell_seconds_count "netns=\"$inum\",state=\"fin_wait2\"")" \
		"$(awk '{ n += $2 } END { print n }' $dir/dwell/fin_wait2)"
	expect_eq "dwell +Inf" "$(series $m twguard_dwell_seconds_bucket "netns=\"$inum\",state=\"fin_wait2\",le=\"+Inf\"")" 9
	expect_eq "dwell sum" "$(series $m twguard_dwell_seconds_sum "netns=\"$inum\",state=\"fin_wait2\"")" \
		"$(awk '$1 == "fin_wait2" { printf "%d.%03d\n", $2 / 1000, $2 % 1000 }' $dir/dwell/sum_ms)"
	expect_eq "le=0.001 holds 0 and 1 ms" \
		"$(series $m twguard_dwell_seconds_bucket "netns=\"$inum\",state=\"fin_wait2\",le=\"0.001\"")" \
		"$(awk 'NR <= 2 { n += $2 } END { print n }' $dir/dwell/fin_wait2)"
	expect_eq "destination" "$(series $m twguard_destination_tw "netns=\"$inum\",destination=\"127.0.0.1:7010\"")" 9
	expect_eq "no destination series unless asked" "$(twguard metrics | grep -c '^twguard_destination_')" 0
	expect_eq "capped" "$(twguard metrics --destinations 1 | grep -c '^twguard_destination_tw{')" 1
	ip netns del $ns
}

# promcheck.awk fails on each thing it is there to catch.
test_command_promcheck_catches() {
	local m=/tmp/cmd.prom rc
	twguard metrics >$m
	pp awk -f /work/promcheck.awk $m
	# A bucket below the one before it.
	awk '/_bucket.*le="0.003"/ && !done { sub(/ [0-9]+$/, " 999999"); done = 1 } { print }' $m >$m.1
	# No +Inf bucket.
	grep -v 'le="+Inf"' $m >$m.2
	# A series twice.
	(cat $m; grep '^twguard_tw_entered_total' $m | head -n1) >$m.3
	# A per-namespace series without its netns label.
	sed 's/^twguard_tw_current{netns="[0-9]*"}/twguard_tw_current/' $m >$m.4
	# A _count that is not the +Inf bucket.
	awk '/^twguard_dwell_seconds_count/ && !done { sub(/ [0-9]+$/, " 123456789"); done = 1 } { print }' $m >$m.5
	for f in $m.1 $m.2 $m.3 $m.4 $m.5; do
		rc=0
		awk -f /work/promcheck.awk $f || rc=$?
		expect_eq "promcheck on ${f#$m}" "$rc" 1
	done
}

# node_exporter's textfile collector serves the file twguard metrics -o
# wrote, with the module's figures.
test_command_node_exporter() {
	local ns inum d=/tmp/textfile pid
	ns=$(new_netns cmdn)
	inum=$(netns_inode $ns)
	pp ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=0
	pp ip netns exec $ns twg-churn -p 7011 -n 6 client
	mkdir -p $d
	pp twguard metrics -o $d/twguard.prom
	expect_eq "only the file" "$(ls $d)" twguard.prom
	expect_eq "mode" "$(stat -c %a $d/twguard.prom)" 644
	/work/prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory=$d --web.listen-address=127.0.0.1:9100 \
		>/tmp/cmd.ne.log 2>&1 &
	pid=$!
	wait_for 60 wget -q -O /tmp/cmd.scrape http://127.0.0.1:9100/metrics
	kill $pid
	expect_eq "scrape error" "$(series /tmp/cmd.scrape node_textfile_scrape_error "")" 0
	expect_eq "tw_current served" "$(series /tmp/cmd.scrape twguard_tw_current "netns=\"$inum\"")" 6
	expect_eq "tw_current vs the kernel" "$(series /tmp/cmd.scrape twguard_tw_current "netns=\"$inum\"")" \
		"$(ns_sockstat_tw $ns)"
	expect_eq "close_active_total served" \
		"$(series /tmp/cmd.scrape twguard_close_active_total "netns=\"$inum\"")" 6
	expect_eq "dwell histogram served" \
		"$(series /tmp/cmd.scrape twguard_dwell_seconds_count "netns=\"$inum\",state=\"fin_wait2\"")" 6
	ip netns del $ns
}

# policy_of NS: a namespace's (or, for "default", the default's) policy
# settings and rules, on one line.
policy_of() {
	local d
	if [ "$1" = default ]; then
		d=/sys/kernel/twguard/default_policy
	else
		d=/sys/kernel/twguard/netns/$(netns_inode $1)/policy
	fi
	echo $(cat $d/mode $d/timestamps $d/min_age_ms $d/rtt_factor $d/dry_run $d/rules)
}

# apply: a file's sections set whole policies; a mistake anywhere is
# reported with its line and applies nothing.
test_command_apply() {
	local a b c=/tmp/cmd.conf before
	wait_for 60 reuse_policy_is kernel
	a=$(new_netns cmda)
	b=$(new_netns cmdb)
	pol_set $b rtt_factor 4
	cat >$c <<-CONF
	# twguard's policies
	[default]
	mode = on
	rule = 192.0.2.0/24 port 443 allow min_age_ms 500

	[netns $a]
	mode = loopback        # loopback peers only
	timestamps = kernel
	rule = 2001:db8::/32 deny
	rule = 198.51.100.0/24 port 1000-2000 default

	[netns $(netns_inode $b)]
	min_age_ms = 2000

	[netns twg-no-such-ns]
	mode = on
	CONF
	pp twguard apply $c 2>/tmp/cmd.err
	cat /tmp/cmd.err
	expect_eq "missing namespace: a warning" "$(grep -c 'line 15: \[netns twg-no-such-ns\]: no such namespace now: skipped' /tmp/cmd.err)" 1
	expect_eq "default" "$(policy_of default)" "on strict 1000 0 0 192.0.2.0/24 port 443 allow min_age_ms 500"
	expect_eq "$a" "$(policy_of $a)" \
		"loopback kernel 1000 0 0 2001:db8::/32 deny 198.51.100.0/24 port 1000-2000 default"
	# What a section leaves out is the default value, not what was there.
	expect_eq "$b" "$(policy_of $b)" "kernel strict 2000 0 0"
	pp twguard apply $c 2>/dev/null
	expect_eq "twice, the same" "$(policy_of $a)" \
		"loopback kernel 1000 0 0 2001:db8::/32 deny 198.51.100.0/24 port 1000-2000 default"
	expect_eq "the default reaches a new namespace" "$(twguard -j -N $(new_netns cmdn2) policy | jq -r '.namespaces[0].mode')" on
	ip netns del twg-$$-cmdn2

	# Each mistake: its line, and nothing applied.
	before="$(policy_of default) / $(policy_of $a) / $(policy_of $b)"
	for bad in "mode = onn:3" "timestamps = loose:3" "min_age_ms = 60001:3" \
		"rtt_factor = 17:3" "dry_run = 2:3" "rule = 192.0.2.1/24 deny:3" \
		"rule = 192.0.2.0/24 port 0 deny:3" "rule = 192.0.2.0/24 port 9-8 deny:3" \
		"rule = 192.0.2.0/24 allow min_age_ms 70000:3" "colour = blue:3" "mode:3"; do
		printf '[netns %s]\nmin_age_ms = 3000\n%s\n[default]\nmode = kernel\n' $b "${bad%:*}" >$c
		expect_exit 2 twguard apply $c
		expect_eq "'${bad%:*}': line" "$(grep -c "$c:${bad##*:}: " /tmp/cmd.err)" 1
		expect_eq "'${bad%:*}': nothing applied" "$(policy_of default) / $(policy_of $a) / $(policy_of $b)" "$before"
	done
	printf 'mode = on\n' >$c
	expect_exit 2 twguard apply $c
	printf '[default]\n[default]\n' >$c
	expect_exit 2 twguard apply $c
	printf '[nets x]\n' >$c
	expect_exit 2 twguard apply $c
	expect_eq "still nothing applied" "$(policy_of default) / $(policy_of $a) / $(policy_of $b)" "$before"

	printf '[default]\n' >$c
	pp twguard apply $c
	expect_eq "default back" "$(policy_of default) $(cat /sys/kernel/twguard/default_policy/enforcing)" "kernel strict 1000 0 0 0"
	ip netns del $a
	ip netns del $b
}

# A refusal only the module can make (the hook cannot be placed: a
# stand-in for a livepatch holds tcp_twsk_unique()) puts back what the
# file had changed before it.
test_command_apply_rollback() {
	local a b c=/tmp/cmd.conf
	wait_for 60 reuse_policy_is kernel
	a=$(new_netns cmdr)
	b=$(new_netns cmds)
	pp insmod "$TWG_MODULES/twguard_test_ipmodify.ko"
	printf '[netns %s]\nmin_age_ms = 2500\nrtt_factor = 3\n[netns %s]\nmode = on\n' $a $b >$c
	expect_exit 1 twguard apply $c
	expect_eq "says where" "$(grep -c "$c:4: \[netns $b\]: netns [0-9]*: policy/mode refused: tcp_twsk_unique() cannot be taken over" /tmp/cmd.err)" 1
	expect_eq "says nothing applied" "$(grep -c 'nothing applied' /tmp/cmd.err)" 1
	expect_eq "$a put back" "$(policy_of $a)" "kernel strict 1000 0 0"
	expect_eq "$b unchanged" "$(policy_of $b)" "kernel strict 1000 0 0"
	pp rmmod twguard_test_ipmodify
	pp twguard apply $c
	expect_eq "$a once free" "$(policy_of $a)" "kernel strict 2500 3 0"
	expect_eq "$b once free" "$(policy_of $b)" "on strict 1000 0 0"
	ip netns del $a
	ip netns del $b
}

# policy --default: the command on the default policy.
test_command_policy_default() {
	local json
	pp twguard --default policy set mode=on min_age_ms=2000
	json=$(twguard --default -j policy)
	expect_eq "show" "$(jqv "$json" '.namespaces[0] | "\(.default) \(.netns) \(.mode) \(.min_age_ms) \(.enforcing)"')" \
		"true null on 2000 1"
	expect_exit 6 twg-as 1000 twguard --default policy set mode=off
	expect_eq "names what is needed" "$(grep -c 'CAP_NET_ADMIN in the initial user namespace' /tmp/cmd.err)" 1
	pp twguard --default policy set mode=kernel min_age_ms=1000
	expect_eq "back" "$(policy_of default)" "kernel strict 1000 0 0"
}
