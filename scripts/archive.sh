# SPDX-License-Identifier: GPL-2.0
#
# Debian 13's archive, read through a private sources file and lists
# folder under the kernel cache: trixie, its security updates and its
# backports.  The system's apt configuration, lists and cache are never
# touched.  Sourced by scripts/kernel and scripts/buildroot, never run.

TRIXIE_DIR=$TWG_CACHE/apt-trixie
TRIXIE_MIRROR=${TWGUARD_DEBIAN_MIRROR:-http://deb.debian.org}

trixie_opts() {
	TRIXIE_OPTS=(-o "Dir::Etc::sourcelist=$TRIXIE_DIR/sources.list"
		-o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$TRIXIE_DIR/lists"
		-o "Dir::State::status=$TRIXIE_DIR/status"
		-o "Dir::Cache=$TRIXIE_DIR/cache"
		-o "APT::Sandbox::User=root")
}

# Fetch the package lists once; "trixie_update force" fetches them again
# (a package the lists name has left the archive).
trixie_update() {
	local key="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
	trixie_opts
	[ "${1:-}" != force ] && [ -f "$TRIXIE_DIR/updated" ] && return 0
	mkdir -p "$TRIXIE_DIR/lists/partial" "$TRIXIE_DIR/cache/archives/partial"
	touch "$TRIXIE_DIR/status"
	cat >"$TRIXIE_DIR/sources.list" <<-SOURCES
	deb [$key] $TRIXIE_MIRROR/debian trixie main
	deb [$key] $TRIXIE_MIRROR/debian-security trixie-security main
	deb [$key] $TRIXIE_MIRROR/debian trixie-backports main
	SOURCES
	twg_say "reading Debian 13's package lists"
	apt-get -q "${TRIXIE_OPTS[@]}" update >&2
	touch "$TRIXIE_DIR/updated"
}

# trixie_newest PACKAGE PATTERN: the newest version of PACKAGE whose
# version matches the shell PATTERN.
trixie_newest() {
	trixie_update
	apt-cache "${TRIXIE_OPTS[@]}" madison "$1" | awk -F' \\| ' '{ print $2 }' |
		while read -r v; do
			# shellcheck disable=SC2254
			case "$v" in $2) echo "$v" ;; esac
		done | sort -V | tail -n1
}

# trixie_field PACKAGE VERSION FIELD
trixie_field() {
	trixie_update
	apt-cache "${TRIXIE_OPTS[@]}" show "$1=$2" | sed -n "s/^$3: //p" | head -n1
}

# trixie_fetch DIR PACKAGE=VERSION...: the .debs into DIR, unless there.
trixie_fetch() {
	local dir=$1 p
	shift
	mkdir -p "$dir"
	for p; do
		local name=${p%%=*} ver=${p#*=}
		ls "$dir/${name}_${ver//:/%3a}_"*.deb >/dev/null 2>&1 && continue
		trixie_update
		(cd "$dir" && apt-get -q "${TRIXIE_OPTS[@]}" download "$p" >&2) || {
			trixie_update force
			(cd "$dir" && apt-get -q "${TRIXIE_OPTS[@]}" download "$p" >&2)
		} || twg_die "cannot fetch $p from Debian 13"
	done
}

# trixie_deb DIR PACKAGE: the path of the fetched .deb of PACKAGE.
trixie_deb() {
	ls "$1/$2"_*.deb | tail -n1
}
