# SPDX-License-Identifier: GPL-2.0
#
# Who may write a policy and read what names peers: one test per kind of
# caller, each with the exact errno the ABI document promises for every
# writable file and every owner-only file.
#
#   unprivileged user, host netns          EACCES (the files' modes)
#   container root, its own netns          allowed
#   container root, any other netns        EACCES (not its files)
#   host root, any netns                   allowed
#   root without CAP_NET_ADMIN             EPERM (test_policy_privileges)

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
# DIR only their owner may read, one a line.
priv_files() {
	find "$1" -type f -perm -200 | sort
	echo --
	find "$1" -type f ! -perm -004 | sort
}

# priv_script: a script, run as "sh SCRIPT DIR WANT_WRITE WANT_READ
# PREFIX...", that checks that through PREFIX (twg-write, or twg-write -u
# 1000), every writable file of DIR answers WANT_WRITE and every
# owner-only file WANT_READ; that a refused write leaves the file as it
# was and an accepted one as written.  A script, so that twg-userns can
# run it as a container's root.
priv_script() {
	cat <<'EOS'
dir=$1 want_w=$2 want_r=$3 bad=0 n=0
shift 3
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
for f in $(priv_files $dir | sed '1,/^--$/d'); do
	got=$("$@" -r $f)
	n=$((n + 1))
	[ "$got" = "$want_r" ] || { echo "# read $f: got $got, want $want_r"; bad=$((bad + 1)); }
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
	priv_run "$(host_dir)" EACCES EACCES twg-write -u 1000
	expect_eq "/proc/net/twguard/destinations as uid 1000" \
		"$(twg-write -u 1000 -r /proc/net/twguard/destinations)" EACCES
}

# A container's root (user namespace of uid 1000, its own netns) writes
# and reads all of its own netns's files.
test_privilege_userns_own() {
	priv_script >/tmp/priv.sh
	twg-userns 1000 sh -c 'sh /tmp/priv.sh /sys/kernel/twguard/netns/$(stat -L -c %i /proc/self/ns/net) ok ok twg-write &&
		echo "# /proc/net/twguard/destinations: $(twg-write -r /proc/net/twguard/destinations)" &&
		[ "$(twg-write -r /proc/net/twguard/destinations)" = ok ]'
}

# The same container root can neither write nor read the owner-only
# files of the host's netns, nor of a netns the host's root made.
test_privilege_userns_other() {
	local ns
	priv_script >/tmp/priv.sh
	ns=$(new_netns po)
	twg-userns 1000 sh /tmp/priv.sh "$(host_dir)" EACCES EACCES twg-write
	twg-userns 1000 sh /tmp/priv.sh /sys/kernel/twguard/netns/$(netns_inode $ns) EACCES EACCES twg-write
	ip netns del $ns
}

# The host's root writes and reads everything: the host's netns, and a
# container's while it runs.
test_privilege_host_root() {
	local pid inum
	priv_save "$(host_dir)"
	priv_run "$(host_dir)" ok ok twg-write
	priv_restore
	rm -f /tmp/priv.inum
	twg-userns 1000 sh -c 'stat -L -c %i /proc/self/ns/net >/tmp/priv.inum.new &&
		mv /tmp/priv.inum.new /tmp/priv.inum && exec sleep 600' &
	pid=$!
	wait_for 20 test -s /tmp/priv.inum
	inum=$(cat /tmp/priv.inum)
	priv_run /sys/kernel/twguard/netns/$inum ok ok twg-write
	kill $pid
	wait $pid || :
}
