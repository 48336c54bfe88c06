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

# A fresh, uniquely named network namespace with loopback up.
new_netns() {
	local ns="twg-$$-$1"
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	echo "$ns"
}

# The kernel's own count of TIME-WAIT minisocks in the caller's netns:
# the tw field of /proc/net/sockstat.
sockstat_tw() {
	awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' \
		/proc/net/sockstat
}

# Sockets in state $1 in the caller's netns, as ss counts them.
ss_count() {
	ss -Htan state "$1" | wc -l
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt $((limit * 10)) ] || return 1
		sleep 0.1
	done
}
