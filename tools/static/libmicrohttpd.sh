#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libmicrohttpd.sh PREFIX [TRIPLET] - build a static libmicrohttpd for
# `make STATIC=1` from Debian's own source package (its patches included)
# and install it under PREFIX (lib/libmicrohttpd.a, include/microhttpd.h).
# TRIPLET (aarch64-linux-gnu) and $CC make it a cross build.
#
# Why not Debian's libmicrohttpd.a: it is built with HTTPS, so a static
# link needs GnuTLS's archives and libp11-kit.a, which Debian does not
# ship. mmtrace serves plain HTTP on loopback (TLS belongs to a proxy in
# front of it), so this build has --disable-https, and nothing beyond libc.
#
# The source comes through a private apt configuration whose deb-src lines
# are the deb lines this machine's apt already uses (its mirror or proxy,
# its suites: security updates included), so no host name is written here
# and the host's apt state is left alone. A PREFIX that holds a finished
# build is used as it is, with no network: remove it to rebuild.
set -euo pipefail

die() { echo "libmicrohttpd.sh: $*" >&2; exit 1; }

prefix=${1:-}
triplet=${2:-}
[[ $prefix == /* ]] || die "usage: $0 ABSOLUTE_PREFIX [TRIPLET]"
export CC=${CC:-gcc}
parent=$(dirname "$prefix")
mkdir -p "$parent"

# Two builds starting at once (make test's tiers) must not race.
exec 9>"$prefix.lock"
flock 9
if [[ -e $prefix/.complete ]]; then
	exit 0
fi

for t in apt-get dpkg-source dpkg-buildflags "$CC" make flock; do
	command -v "$t" >/dev/null || die "needs $t (make deps installs it)"
done

# The host's own deb entries of its release (bookworm, bookworm-updates,
# bookworm-security...), main only: as deb-src lines. apt resolves both
# source formats and every sources.list.d file for us.
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release"
# shellcheck disable=SC2016 # apt expands the format itself
mapfile -t repos < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
	'Identifier: Packages' 'Component: main' | sort -u |
	awk -v c="$codename" '$2 == c || index($2, c "-") == 1')
((${#repos[@]})) || die "no $codename main archive in this machine's apt sources (run apt-get update?)"

tmp=$parent/.tmp-libmicrohttpd.$$
trap 'rm -rf "$tmp"' EXIT
apt=$tmp/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/parts" "$tmp/src"
: >"$apt/status"
for r in "${repos[@]}"; do
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${r% *} ${r#* } main"
done >"$apt/sources.list"
aptopts=(
	-o "Dir::Etc::SourceList=$apt/sources.list"
	-o "Dir::Etc::SourceParts=$apt/parts"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$apt/parts"
	-o "Dir::State::Lists=$apt/lists"
	-o "Dir::State::status=$apt/status"
	-o "Dir::Cache=$apt"
	-o "Acquire::Languages=none"
)
echo "libmicrohttpd.sh: fetching Debian's libmicrohttpd source" >&2
apt-get "${aptopts[@]}" -q update >&2
chown _apt "$tmp/src" 2>/dev/null || true	# apt's sandbox user writes there
# apt checks the files against the signed Sources index.
(cd "$tmp/src" && apt-get "${aptopts[@]}" -q source --download-only \
	libmicrohttpd) >&2
dsc=$(echo "$tmp"/src/libmicrohttpd_*.dsc)
[[ -r $dsc ]] || die "apt-get source gave no .dsc"
# apt checked the files against the signed Sources index already; the
# .dsc's own signature needs debian-keyring, so its warning goes to the log.
dpkg-source -q -x "$dsc" "$tmp/src/tree" >"$tmp/build.log" 2>&1 ||
	die "dpkg-source failed: $(tail -n 5 "$tmp/build.log")"

# Debian's hardening flags, as its own package builds it. Only what serve
# uses: no HTTPS, auth, POST parsing or Upgrade.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
echo "libmicrohttpd.sh: building $(basename "$dsc" .dsc)" >&2
(
	cd "$tmp/src/tree"
	./configure -q --prefix="$prefix" ${triplet:+--host="$triplet"} \
		--disable-shared --enable-static \
		--disable-https --without-gnutls --disable-doc \
		--disable-examples --disable-curl --disable-nls \
		--disable-dauth --disable-postprocessor --disable-httpupgrade \
		CFLAGS="$(dpkg-buildflags --get CFLAGS)" \
		CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)"
	make -s -j2 -C src/microhttpd
	rm -rf "$prefix"
	make -s -C src/microhttpd install
	make -s -C src/include install
	rm -f "$prefix"/lib/*.la
) >>"$tmp/build.log" 2>&1 || die "build failed: $(tail -n 20 "$tmp/build.log")"
[[ -r $prefix/lib/libmicrohttpd.a && -r $prefix/include/microhttpd.h ]] ||
	die "the build installed no libmicrohttpd.a or microhttpd.h in $prefix"
basename "$dsc" .dsc >"$prefix/.complete"
echo "libmicrohttpd.sh: $(cat "$prefix/.complete") in $prefix" >&2
