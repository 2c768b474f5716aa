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
		grep -q -- '--btf PATH' "$TMP/nobtf.err" &&
		[ "$(wc -l <"$TMP/nobtf.err")" = 1 ] && [ ! -s "$TMP/nobtf.out" ]
	verdict "$name: says so in one line, names --btf, exit 1" $? \
		"$(status $rc): $(cat "$TMP/nobtf.err")"
}

# No BTF in /sys, this kernel's BTF given with --btf (BTFHub's way): CO-RE
# reads the file; fentry, fexit and tp_btf need the kernel's own, so the
# classic tracepoints count, exactly, and 'mmtrace probes' says why.
env_btf_file() {
	local name="host env: --btf FILE" rc btf=$TMP/vmlinux.btf
	local pf=$WORKLOADS/pinfork
	cp /sys/kernel/btf/vmlinux "$btf"
	in_mount_ns "mount -t tmpfs none /sys/kernel/btf &&
		$MMTRACE probes --json --btf $btf >$TMP/btf.probes 2>/dev/null
		exec $MMTRACE fork --json --btf $btf --no-children \
			-o $TMP/btf.rep -- $pf --pages 16 --forks 3" \
		>"$TMP/btf.truth" 2>"$TMP/btf.err"
	rc=$?
	verdict "$name: fork runs" "$rc" "$(status $rc): $(head -c 300 "$TMP/btf.err")"
	[ "$rc" = 0 ] && check_with "$name" oracle fork "$TMP/btf.rep" \
		"$TMP/btf.truth" --name "$name" --tier "$HOST_TIER"
	check_with "$name: probes" python3 - "$TMP/btf.probes" "$btf" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
fork = {o["name"]: o for o in p["views"]["fork"]}
kinds = [x["kind"] for x in fork["fork.pinned_copies"]["points"] or []]
ok = (p["kernel_btf"] is False and p["btf"] == sys.argv[2] and
      fork["fork.pinned_copies"]["tier"] == "tracepoint" and
      kinds == ["tracepoint"] and fork["fork.children"]["tier"] == "none")
print(("PASS" if ok else "FAIL") + " host env: --btf FILE: probes: no kernel "
      "BTF, the file for CO-RE, pinned copies by the classic tracepoint, "
      "no tp_btf children" + ("" if ok else f": {p['kernel_btf']} {p['btf']} "
      f"{fork['fork.pinned_copies']['tier']} {kinds} "
      f"{fork['fork.children']['tier']}"))
PY
	in_mount_ns "exec $MMTRACE fork -d 1 --btf $TMP/nonexistent.btf" \
		>"$TMP/btf-bad.out" 2>"$TMP/btf-bad.err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$TMP/btf-bad.err")" = 1 ] &&
		grep -q "cannot use --btf '$TMP/nonexistent.btf'" "$TMP/btf-bad.err"
	verdict "$name: a missing file: one line, exit 1" $? \
		"$(status $rc): $(cat "$TMP/btf-bad.err")"
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
	env_btf_file
	env_no_tracefs
}
