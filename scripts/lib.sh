# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host-side scripts: where things live, and how to say so.
# Sourced, never run.

TWG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TWG_CACHE=${TWGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/twguard}
TWG_BUILD=${TWGUARD_BUILD:-$TWG_ROOT/build}

# The kernels the project supports, by their stable names: the stock ones
# production runs, and the debug builds KUnit runs in (scripts/kernel).
TWG_KERNELS="debian-6.1 debian-6.12 debian-7.3 kunit-6.1 kunit-6.12 kunit-7.3"

twg_say() { printf '[twguard] %s\n' "$*" >&2; }
twg_die() { printf '[twguard] error: %s\n' "$*" >&2; exit 1; }

# twguard's version: dkms.conf's PACKAGE_VERSION, its one place.
twg_version() {
	sed -n 's/^PACKAGE_VERSION="\([0-9.]*\)"$/\1/p' "$TWG_ROOT/dkms.conf"
}

# The Debian 12 stock kernel release (6.1.0-N-amd64) that linux-image-amd64
# and linux-headers-amd64 point at.
twg_debian_release() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) ||
		return 1
	dep=${dep%%[ ,]*}
	echo "${dep#linux-image-}"
}

# The integration tests, as functions named test_*, in the order
# scripts/tests/run.sh runs them.
twg_integration_tests() {
	sed -n 's/^\(test_[a-z0-9_]*\)() {$/\1/p' "$@"
}

# twg_boots DIR ENV TEST...: split TESTs between the boots that run
# them, write DIR/BOOT.sh for each (a script for scripts/vm that exports
# ENV and the boot's TWG_TESTS, then runs run.sh), and print the boots
# used: "main" for most, "unload" for the unload test, which runs on its
# own: at full size it takes the better part of an hour on a debug
# kernel, and the kmemleak scan at the end of its boot is its verdict.
# With TWG_ONE_BOOT set, every TEST goes to "main", in the order given.
twg_boots() {
	local dir=$1 env=$2 t boot
	shift 2
	for t; do
		case $t in
		test_torture_unload) boot=unload ;;
		*) boot=main ;;
		esac
		[ -z "${TWG_ONE_BOOT:-}" ] || boot=main
		echo "$t" >>"$dir/$boot.tests"
	done
	for boot in main unload; do
		[ -f "$dir/$boot.tests" ] || continue
		printf 'export %s TWG_TESTS="%s"\nexec sh ./run.sh\n' \
			"$env" "$(tr '\n' ' ' <"$dir/$boot.tests")" >"$dir/$boot.sh"
		echo "$boot"
	done
}

# twg_test_files TOOLS: set TWG_TEST_FILES to what a boot of the
# integration tests needs beside its BOOT.sh: the runner, the tests, the
# ABI documents they check the files against, and the tools in TOOLS.
twg_test_files() {
	TWG_TEST_FILES=("$TWG_ROOT/scripts/tests/run.sh" "$TWG_ROOT/scripts/tests/lib.sh"
		"$TWG_ROOT"/scripts/tests/t-*.sh "$TWG_ROOT/scripts/tests/promcheck.awk"
		"$TWG_ROOT/Documentation/ABI/testing/sysfs-kernel-twguard"
		"$TWG_ROOT/Documentation/ABI/testing/procfs-net-twguard" "$1"/*)
}
