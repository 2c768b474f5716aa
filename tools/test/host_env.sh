# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Hostile environments, each built in a private mount namespace so the
# host's own mounts stay as they are. Sourced by run.sh (host_env).

# in_mount_ns SCRIPT: runs SCRIPT (sh) in a new, private mount namespace.
in_mount_ns() {
	bounded unshare --mount --propagation private sh -c "$1"
}

# A kernel without BTF: one line that says so, exit 1, nothing loaded.
env_no_btf() {
	local name="host env: no BTF" rc
	in_mount_ns "mount -t tmpfs none /sys/kernel/btf &&
		exec $MMTRACE fork -d 1" >"$TMP/nobtf.out" 2>"$TMP/nobtf.err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'no BTF' "$TMP/nobtf.err" &&
		[ ! -s "$TMP/nobtf.out" ]
	verdict "$name: says so, exit 1" $? "$(status $rc): $(cat "$TMP/nobtf.err")"
}

# tracefs not mounted, as on this machine at boot: mmtrace mounts it,
# says so, and the numbers are exact.
env_no_tracefs() {
	local name="host env: tracefs not mounted" rc
	local pf=$WORKLOADS/pinfork
	in_mount_ns "for m in \$(awk '\$3 == \"tracefs\" || \$3 == \"debugfs\" \\
			{ print \$2 }' /proc/mounts | sort -r); do umount \$m; done
		! ls /sys/kernel/tracing/events >/dev/null 2>&1 || exit 3
		exec $MMTRACE fork --json --tier $HOST_TIER -o $TMP/notfs.rep \\
			-- $pf --pages 8 --forks 2" \
		>"$TMP/notfs.truth" 2>"$TMP/notfs.err"
	rc=$?
	[ "$rc" = 0 ] && grep -q 'mounted tracefs on /sys/kernel/tracing' \
		"$TMP/notfs.err"
	verdict "$name: mounts it and says so" $? \
		"$(status $rc): $(head -c 300 "$TMP/notfs.err")"
	[ "$rc" = 0 ] && check_with "$name" oracle fork "$TMP/notfs.rep" \
		"$TMP/notfs.truth" --name "$name" --tier "$HOST_TIER"
}

host_env() {
	if ! command -v unshare >/dev/null; then
		skip "host env" "unshare (util-linux) is missing"
		return
	fi
	env_no_btf
	env_no_tracefs
}
