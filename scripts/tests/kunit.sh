# SPDX-License-Identifier: GPL-2.0
#
# Loads twguard's KUnit module (twguard is already loaded by scripts/vm),
# which runs its suites, and hands each suite's KTAP results, from
# debugfs, to the host through $TWG_RESULTS.

insmod "$TWG_MODULES/twguard_kunit.ko" || exit 1
found=0
for d in /sys/kernel/debug/kunit/twguard_*; do
	[ -f "$d/results" ] || continue
	found=$((found + 1))
	cat "$d/results"
	cat "$d/results" >>"$TWG_RESULTS"
done
if [ $found = 0 ]; then
	echo "kunit.sh: no twguard suite in /sys/kernel/debug/kunit"
	exit 1
fi
