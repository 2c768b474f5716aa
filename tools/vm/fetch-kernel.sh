#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh VER - fetch a Debian kernel for the VM harness and print
# the absolute path of its vmlinuz on stdout. VER: 5.10, 6.1, 6.12 or 7.3
# (x86-64, linux-image-amd64), arm64-6.1 or arm64-6.12 (arm64,
# linux-image-cloud-arm64, plus busybox-static:arm64 for the guest's
# initramfs, since the host's busybox cannot run there).
#
# The packages are extracted under ${MMTRACE_VM_CACHE:-/var/cache/mmtrace-vm}/VER
# and a later call with that tree present does no network work.
set -euo pipefail

die() { echo "fetch-kernel: $*" >&2; exit 1; }

ver=${1:-}
arch=amd64 meta=linux-image-amd64 extra=()
case $ver in
5.10)	suite=bullseye ;;
6.1)	suite=bookworm ;;
6.12)	suite=trixie ;;
7.3)	suite=trixie-backports ;;
arm64-6.1)	suite=bookworm ;;
arm64-6.12)	suite=trixie ;;
*)	echo "usage: $0 5.10|6.1|6.12|7.3|arm64-6.1|arm64-6.12" >&2; exit 2 ;;
esac
# Debian's cloud flavour: the one arm64 image the archive ships small.
if [[ $ver == arm64-* ]]; then
	arch=arm64 meta=linux-image-cloud-arm64 extra=(busybox-static)
fi

cache=${MMTRACE_VM_CACHE:-/var/cache/mmtrace-vm}
dest=$cache/$ver

# Debian up to 6.12 ships /boot/vmlinuz-<abi>; the 7.x packages put it at
# /usr/lib/modules/<abi>/vmlinuz instead.
find_vmlinuz() {
	local k

	k=$(shopt -s nullglob
	    printf '%s\n' "$1"/boot/vmlinuz-* "$1"/{usr/,}lib/modules/*/vmlinuz)
	[[ -n $k && $k != *$'\n'* ]] || die "expected one vmlinuz in $1"
	realpath "$k"
}

# The URI of the main Debian archive as this machine's own apt knows it, so
# that we use whatever mirror or proxy the machine is set up for and never
# record a host name ourselves. The suite must be exactly the host's codename
# and carry "main": that rules out -security, -updates-only entries and
# third-party repositories. Only the first match matters.
archive_uri() {
	local codename uris

	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	[[ -n $codename ]] || return 0
	uris=$(
		for f in /etc/apt/sources.list.d/*.sources; do
			[[ -r $f ]] || continue
			awk -v want="$codename" '
			function flush() {
				if (uri != "" && enabled != "no" &&
				    (" " types " ") ~ / deb / &&
				    (" " comps " ") ~ / main / &&
				    (" " suites " ") ~ (" " want " "))
					print uri
				uri = types = comps = suites = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{ key = tolower($1); val = $0; sub(/^[^:]*:[ \t]*/, "", val) }
			key == "types:"      { types = val }
			key == "uris:"       { uri = $2 }
			key == "suites:"     { suites = val }
			key == "components:" { comps = val }
			key == "enabled:"    { enabled = tolower($2) }
			END { flush() }' "$f"
		done
		if [[ -r /etc/apt/sources.list ]]; then
			awk -v want="$codename" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/)
					while ($i !~ /\]$/ && i < NF)
						i++
				if ($i ~ /^\[|\]$/)
					i++
				if ($(i + 1) != want)
					next
				for (j = i + 2; j <= NF; j++)
					if ($j == "main") {
						print $i
						next
					}
			}' /etc/apt/sources.list
		fi
	)
	echo "${uris%%$'\n'*}"
}

mkdir -p "$cache"

# Serialise per version: two test runs starting at once must not both
# download, and neither may see a half-extracted tree.
exec 9>"$cache/.lock-$ver"
flock 9

if [[ -e $dest/.complete ]]; then
	find_vmlinuz "$dest"
	exit 0
fi

uri=${MMTRACE_VM_MIRROR:-$(archive_uri)}
[[ -n $uri ]] || die "no main Debian archive found in /etc/apt sources (set MMTRACE_VM_MIRROR)"

# A private apt state so that neither the host's sources, its pinning nor its
# dpkg status (which would make apt think dependencies are satisfied or not)
# leak in, and the host's package lists are left alone.
apt=$cache/.apt/$ver
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/parts"
: >"$apt/status"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
	>"$apt/sources.list"
aptopts=(
	-o "Dir::Etc::SourceList=$apt/sources.list"
	-o "Dir::Etc::SourceParts=$apt/parts"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$apt/parts"
	-o "Dir::State::Lists=$apt/lists"
	-o "Dir::State::status=$apt/status"
	-o "Dir::Cache=$apt"
	-o "Dir::Cache::archives=$apt/archives"
	-o "APT::Architecture=$arch"
	-o "APT::Architectures::=$arch"
	-o "Acquire::Languages=none"
)

echo "fetch-kernel: $ver: updating $suite package lists" >&2
apt-get "${aptopts[@]}" -q update >&2

depends() {
	apt-cache "${aptopts[@]}" depends "$1" | awk '$1 == "Depends:" { print $2 }'
}

# linux-image-amd64 names the current ABI. On 7.x linux-image-<abi> is only a
# stub: vmlinuz is in linux-binary-<abi> and the modules (needed for brd and
# friends) in linux-modules-<abi>, so take every linux-*-<abi> it depends on.
image=$(depends "$meta" | grep '^linux-image-' || true)
[[ $image == linux-image-"${ver#arm64-}".* ]] ||
	die "$meta in $suite depends on '$image', not a $ver kernel"
abi=${image#linux-image-}
pkgs=("$image" "${extra[@]}")
for dep in $(depends "$image"); do
	if [[ $dep == linux-*-"$abi" ]]; then
		pkgs+=("$dep")
	fi
done

# Download and extract next to the destination, then rename it into place,
# so that an interrupted run leaves nothing that looks complete.
rm -rf "$dest" "$cache/.tmp-$ver"
tmp=$cache/.tmp-$ver
mkdir -p "$tmp/debs" "$tmp/tree"
trap 'rm -rf "$tmp"' EXIT
chown _apt "$tmp/debs" 2>/dev/null || true	# lets apt's sandbox user write there
echo "fetch-kernel: $ver: downloading ${pkgs[*]}" >&2
(cd "$tmp/debs" && apt-get "${aptopts[@]}" -q download "${pkgs[@]}") >&2
for deb in "$tmp"/debs/*.deb; do
	# shellcheck disable=SC2016 # dpkg-deb expands the format itself
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$tmp/tree/.packages"
	dpkg -x "$deb" "$tmp/tree"
done
cat "$tmp/tree/.packages" >&2
du -cb "$tmp"/debs/*.deb | tail -n1 | awk '{ print "fetch-kernel: downloaded " $1 " bytes" }' >&2
find_vmlinuz "$tmp/tree" >/dev/null
touch "$tmp/tree/.complete"
mv "$tmp/tree" "$dest"
rm -rf "$apt"	# tens of MB of package lists, useless once the tree is complete
find_vmlinuz "$dest"
