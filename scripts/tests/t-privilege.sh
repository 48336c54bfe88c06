# SPDX-License-Identifier: GPL-2.0
#
# Who may read and write what: one test per row of the access table of
# Documentation/admin-guide.rst ("Who sees what"), each cell with the exact
# errno the ABI document promises, for every counter, every owner-only
# file and every writable file of a netns directory.
#
#   who                          own netns          another netns
#                                count priv write   count priv write
#   other netns, unprivileged    ok  EACCES EACCES  EACCES EACCES EACCES
#   other netns, root, no cap    ok  EACCES EPERM   EACCES EACCES EACCES
#   other netns, its admin       ok  ok     ok      EACCES EACCES EACCES
#   host netns, no cap           ok  EACCES E*      ok     EACCES E*
#   host netns, its admin        ok  ok     ok      ok     ok     ok
#
# (E*: EACCES for an unprivileged user, whom the files' modes stop first;
# EPERM for a root without CAP_NET_ADMIN.)

# priv_value FILE: a valid value for FILE, other than its default.
priv_value() {
	case ${1##*/} in
	mode) echo on ;;
	timestamps) echo kernel ;;
	min_age_ms) echo 5 ;;
	rtt_factor) echo 1 ;;
	dry_run) echo 1 ;;
	rules) echo "10.0.0.0/8 deny" ;;
	destinations_max | ports_max) echo 100 ;;
	pressure_alert_pct) echo 50 ;;
	*) echo "# no value known for $1" >&2; return 1 ;;
	esac
}

# priv_files DIR: the writable files of DIR, then "--", then the files of
# DIR only their owner may read, then "--", then the counters, one a line.
priv_files() {
	find "$1" -type f -perm -200 | sort
	echo --
	find "$1" -type f ! -perm -004 | sort
	echo --
	find "$1" -type f -perm -004 | sort
}

# priv_script: a script, run as "sh SCRIPT DIR WANT_WRITE WANT_READ
# WANT_COUNT PREFIX...", that checks that through PREFIX (twg-write, or
# twg-write -u 1000), every writable file of DIR answers WANT_WRITE, every
# owner-only file WANT_READ and every counter WANT_COUNT; that a refused
# write leaves the file as it was and an accepted one as written.  A
# script, so that twg-userns can run it as a container's root.
priv_script() {
	cat <<'EOS'
dir=$1 want_w=$2 want_r=$3 want_c=$4 bad=0 n=0
shift 4
. ./t-privilege.sh
for f in $(priv_files $dir | sed '/^--$/,$d'); do
	v=$(priv_value $f) || exit 1
	before=$(cat $f 2>/dev/null || echo unreadable)
	got=$("$@" $f "$v")
	after=$(cat $f 2>/dev/null || echo unreadable)
	n=$((n + 1))
	if [ "$got" != "$want_w" ]; then
		echo "# write $f: got $got, want $want_w"; bad=$((bad + 1))
	elif [ "$got" != ok ] && [ "$after" != "$before" ]; then
		echo "# write $f: refused, but it changed"; bad=$((bad + 1))
	elif [ "$got" = ok ] && [ "$after" != "$v" ] && [ "$before" != unreadable ]; then
		echo "# write $f: '$after' after writing '$v'"; bad=$((bad + 1))
	fi
done
for f in $(priv_files $dir | sed '1,/^--$/d' | sed '/^--$/,$d'); do
	got=$("$@" -r $f)
	n=$((n + 1))
	[ "$got" = "$want_r" ] || { echo "# read $f: got $got, want $want_r"; bad=$((bad + 1)); }
done
for f in $(priv_files $dir | sed '1,/^--$/d' | sed '1,/^--$/d'); do
	got=$("$@" -r $f)
	n=$((n + 1))
	[ "$got" = "$want_c" ] || { echo "# read $f: got $got, want $want_c"; bad=$((bad + 1)); }
done
echo "# $n files checked, $bad wrong"
[ $n -gt 0 ] && [ $bad = 0 ]
EOS
}

# priv_run DIR WANT_WRITE WANT_READ PREFIX...: priv_script as PREFIX.
priv_run() {
	priv_script >/tmp/priv.sh
	sh /tmp/priv.sh "$@"
}

# priv_save DIR / priv_restore DIR: what the writable files of DIR hold,
# kept and written back, so that the host's netns leaves as it came.
priv_save() {
	local f i=0
	rm -rf /tmp/priv.saved
	mkdir /tmp/priv.saved
	for f in $(priv_files "$1" | sed '/^--$/,$d'); do
		i=$((i + 1))
		echo "$f" >/tmp/priv.saved/$i.name
		cat "$f" >/tmp/priv.saved/$i
	done
}

priv_restore() {
	local n f
	for n in /tmp/priv.saved/*.name; do
		f=$(cat "$n")
		# An empty rule list is written as a blank line.
		if [ -s "${n%.name}" ]; then
			cat "${n%.name}" >"$f"
		else
			echo >"$f"
		fi
	done
}

host_dir() {
	echo /sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net)
}

# An unprivileged user can change nothing, and read nothing that names
# peers, in the host's netns.
test_privilege_unprivileged() {
	local ns
	priv_run "$(host_dir)" EACCES EACCES ok twg-write -u 1000
	priv_proc EACCES twg-write -u 1000
	# Another netns: its counters, as /proc/PID/net/sockstat shows them.
	ns=$(new_netns pu)
	priv_run /sys/kernel/twguard/netns/$(netns_inode $ns) EACCES EACCES ok twg-write -u 1000
	ip netns del $ns
}

# priv_proc WANT PREFIX...: both tables of the caller's /proc/net/twguard.
priv_proc() {
	local want=$1 t
	shift
	for t in destinations ports; do
		expect_eq "/proc/net/twguard/$t" "$("$@" -r /proc/net/twguard/$t)" "$want"
	done
}

# The initial netns's root without CAP_NET_ADMIN (a monitoring agent run
# as root with only the capabilities it needs): counters everywhere, no
# table, rule or alert, and no write (EPERM: the modes let root through).
test_privilege_host_no_cap() {
	local ns
	priv_run "$(host_dir)" EPERM EACCES ok twg-write -N
	priv_proc EACCES twg-write -N
	ns=$(new_netns pn)
	priv_run /sys/kernel/twguard/netns/$(netns_inode $ns) EPERM EACCES ok twg-write -N
	ip netns del $ns
}

# A process of another netns sees its own netns's counters and nothing of
# any other netns: unprivileged, as root without CAP_NET_ADMIN, and as
# root with CAP_NET_ADMIN over the owner of both (what an "ip netns exec"
# root holds).  That last one wrote its neighbour's policy before twguard
# 0.5: now EACCES.
test_privilege_netns_isolated() {
	local a=twg-$$-pi-a b=twg-$$-pi-b da db
	ip netns add $a
	ip netns add $b
	da=/sys/kernel/twguard/netns/$(netns_inode $a)
	db=/sys/kernel/twguard/netns/$(netns_inode $b)
	priv_script >/tmp/priv.sh
	pp ip netns exec $a sh /tmp/priv.sh $da EACCES EACCES ok twg-write -u 1000
	pp ip netns exec $a sh /tmp/priv.sh $da EPERM EACCES ok twg-write -N
	pp ip netns exec $a sh /tmp/priv.sh $db EACCES EACCES EACCES twg-write -u 1000
	pp ip netns exec $a sh /tmp/priv.sh $db EACCES EACCES EACCES twg-write -N
	pp ip netns exec $a sh /tmp/priv.sh $db EACCES EACCES EACCES twg-write
	pp ip netns exec $a sh /tmp/priv.sh "$(host_dir)" EACCES EACCES EACCES twg-write
	expect_eq "$a's admin writes $b's policy/mode" \
		"$(ip netns exec $a twg-write $db/policy/mode on)" EACCES
	expect_eq "$b's mode" "$(cat $db/policy/mode)" kernel
	expect_eq "$a's root without CAP_NET_ADMIN: /proc/net/twguard/ports" \
		"$(ip netns exec $a twg-write -N -r /proc/net/twguard/ports)" EACCES
	expect_eq "$a's admin: /proc/net/twguard/ports" \
		"$(ip netns exec $a twg-write -r /proc/net/twguard/ports)" ok
	# Its own netns, as that netns's admin: everything.
	pp ip netns exec $a sh /tmp/priv.sh $da ok ok ok twg-write
	ip netns del $a
	ip netns del $b
}

# A container's root (user namespace of uid 1000, its own netns) writes
# and reads all of its own netns's files.
test_privilege_userns_own() {
	priv_script >/tmp/priv.sh
	twg-userns 1000 sh -c 'sh /tmp/priv.sh /sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net) ok ok ok twg-write &&
		echo "# /proc/net/twguard/destinations: $(twg-write -r /proc/net/twguard/destinations)" &&
		[ "$(twg-write -r /proc/net/twguard/destinations)" = ok ]'
}

# The same container root can neither write nor read anything of the
# host's netns, nor of a netns the host's root made.
test_privilege_userns_other() {
	local ns
	priv_script >/tmp/priv.sh
	ns=$(new_netns po)
	twg-userns 1000 sh /tmp/priv.sh "$(host_dir)" EACCES EACCES EACCES twg-write
	twg-userns 1000 sh /tmp/priv.sh /sys/kernel/twguard/netns/$(netns_inode $ns) EACCES EACCES EACCES twg-write
	ip netns del $ns
}

# The host's root writes and reads everything: the host's netns, and a
# container's while it runs.
test_privilege_host_root() {
	local pid inum
	priv_save "$(host_dir)"
	priv_run "$(host_dir)" ok ok ok twg-write
	priv_restore
	rm -f /tmp/priv.inum
	twg-userns 1000 sh -c 'stat -L -c %i /proc/self/ns/net >/tmp/priv.inum.new &&
		mv /tmp/priv.inum.new /tmp/priv.inum && exec sleep 600' &
	pid=$!
	wait_for 20 test -s /tmp/priv.inum
	inum=$(cat /tmp/priv.inum)
	priv_run /sys/kernel/twguard/netns/$inum ok ok ok twg-write
	kill $pid
	wait $pid || :
}
