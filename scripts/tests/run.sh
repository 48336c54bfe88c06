# SPDX-License-Identifier: GPL-2.0
#
# Runs every integration test (test_* functions in t-*.sh beside this
# file) and reports them as KTAP.  Usage, from the host:
#
#   scripts/vm run --kernel NAME scripts/tests/run.sh scripts/tests/lib.sh \
#       scripts/tests/t-*.sh build/tools/twg-churn [-- TEST...]
#
# TWG_TESTS, if set, names the tests to run (default: all).  A test that
# exits 77 needs something this kernel does not have: it is reported as
# skipped.

tests=${TWG_TESTS:-$(sed -n 's/^\(test_[a-z0-9_]*\)() {$/\1/p' ./t-*.sh)}
n=$(echo $tests | wc -w)

out() {
	echo "$1"
	echo "$1" >>"$TWG_RESULTS"
}

out "KTAP version 1"
out "1..1"
out "    KTAP version 1"
out "    # Subtest: integration"
out "    1..$n"
i=0 failed=0
for t in $tests; do
	i=$((i + 1))
	echo "# ---- $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	# Its own shell, not a subshell in an "if": errexit is ignored in any
	# command whose status is tested, which would let a failed check pass.
	sh -e -c '. ./lib.sh; for f in ./t-*.sh; do . "$f"; done; PATH=$PWD:$PATH; '"$t"
	rc=$?
	# How long it took, for the choice of what runs where (testing.rst).
	echo "# ---- $t took $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
	if [ $rc -eq 0 ]; then
		out "    ok $i ${t#test_}"
	elif [ $rc -eq 77 ]; then
		# What the kernel cannot do (said in the test's output) is
		# a skip, never a pass.
		out "    ok $i ${t#test_} # SKIP"
	else
		out "    not ok $i ${t#test_}"
		failed=1
		# A test that failed half-way leaves its namespaces, and any
		# policy in them: gone before the next test, which would fail
		# for them too.
		for ns in $(ip netns list | cut -d' ' -f1); do
			echo "# removing netns $ns, left by $t"
			ip netns del "$ns"
		done
		# And the default policy, set back to the one at load.
		d=/sys/kernel/twguard/default_policy
		if [ -d $d ] && [ "$(cat $d/enforcing)" != 0 ]; then
			echo "# setting the default policy back, left by $t"
			echo kernel >$d/mode
			echo >$d/rules
			echo 0 >$d/dry_run
		fi
	fi
done
if [ $failed = 0 ]; then
	out "ok 1 integration"
else
	out "not ok 1 integration"
fi
exit $failed
