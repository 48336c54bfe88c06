# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host-side scripts: where things live, and how to say so.
# Sourced, never run.

TWG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TWG_CACHE=${TWGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/twguard}
TWG_BUILD=${TWGUARD_BUILD:-$TWG_ROOT/build}

# The three kernels the project supports, by their stable names.
TWG_KERNELS="debian-6.1 kunit-6.1 kunit-6.12"

twg_say() { printf '[twguard] %s\n' "$*" >&2; }
twg_die() { printf '[twguard] error: %s\n' "$*" >&2; exit 1; }

# The Debian 12 stock kernel release (6.1.0-N-amd64) that linux-image-amd64
# and linux-headers-amd64 point at.
twg_debian_release() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) ||
		return 1
	dep=${dep%%[ ,]*}
	echo "${dep#linux-image-}"
}
