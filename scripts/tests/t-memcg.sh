# SPDX-License-Identifier: GPL-2.0
#
# A container pays for its own memory: what a netns makes twguard
# allocate is charged to the memory cgroup of the task that causes it.

# memcg_stat CG FIELD: a field of cgroup CG's memory.stat, in bytes.  The
# kernel folds its per-CPU statistics every 2 s, and on a read only past a
# threshold of updates: wait for the fold.
memcg_stat() {
	sleep 2.5
	awk -v f="$2" '$1 == f { print $2 }' "/sys/fs/cgroup/$1/memory.stat"
}

# memcg_run CG N SCRIPT: run SCRIPT (sh, $1 the netns index) N times in
# cgroup CG; print what that cost CG, "PERCPU KERNEL" in bytes.
memcg_run() {
	local cg=$1 n=$2 p0 k0
	p0=$(memcg_stat $cg percpu)
	k0=$(memcg_stat $cg kernel)
	sh -c 'echo $$ >/sys/fs/cgroup/'$cg'/cgroup.procs
		i=0
		while [ $i -lt '$n' ]; do
			i=$((i + 1))
			sh -c "$1" sh $i || exit 1
		done' sh "$3"
	echo $(($(memcg_stat $cg percpu) - p0)) $(($(memcg_stat $cg kernel) - k0))
}

memcg_cleanup() {
	local i=0
	while [ $i -lt $2 ]; do
		i=$((i + 1))
		ip netns del $1-$i
	done
}

# Twenty netns made with twguard loaded cost their cgroup twguard's
# per-CPU counters besides the kernel's own (against twenty made with
# twguard unloaded); a 200-rule policy written to each costs its writer's
# cgroup its size.  Needs the memory controller (Debian's kernels;
# not the debug ones).
test_netns_memcg() {
	local rules=/tmp/memcg.rules i=0 a b c
	[ -f /sys/fs/cgroup/cgroup.controllers ] || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true
	grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
		{ echo "# no memory cgroup controller in this kernel"; return 77; }
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	: >$rules
	# As many rules as one write can carry (a page).
	while [ $i -lt 200 ]; do
		echo "10.0.$i.0/24 deny" >>$rules
		i=$((i + 1))
	done
	mkdir /sys/fs/cgroup/twg-mc-a /sys/fs/cgroup/twg-mc-b
	a=$(memcg_run twg-mc-a 20 'ip netns add twg-mc-a-$1')
	b=$(memcg_run twg-mc-a 20 'twg-write /sys/kernel/twguard/netns/$(stat -L -c %i /run/netns/twg-mc-a-$1)/policy/rules @'$rules' | grep -qx ok')
	memcg_cleanup twg-mc-a 20
	pp rmmod twguard
	c=$(memcg_run twg-mc-b 20 'ip netns add twg-mc-b-$1')
	memcg_cleanup twg-mc-b 20
	pp insmod "$TWG_MODULES/twguard.ko"
	echo "# percpu, kernel bytes: netns $a, policies $b, netns unloaded $c"
	set -- $a $b $c
	# Per netns and CPU, the counters alone are more than 256 bytes.
	expect_eq "percpu charged for twguard's counters" \
		$(($1 - $5 >= 20 * 256 * $(nproc))) 1
	# A 200-rule policy is more than 4 KiB: its rules and its index.
	expect_eq "kernel memory charged for the policies" $(($4 >= 20 * 4096)) 1
	rmdir /sys/fs/cgroup/twg-mc-a /sys/fs/cgroup/twg-mc-b
}
