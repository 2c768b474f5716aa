# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of container attribution: pinfork run in a podman container
# (runc; an image built here from scratch, no registry) and on the host,
# traced by fork and locks (JSON rows and events) and by serve --by
# container, each run exact under its own container_id. Sourced by run.sh;
# uses host_serve.sh's serve_start, serve_poll and serve_stop.

CT_IMAGE=localhost/mmtrace-test-workload:latest
# This sandbox refuses the limits rootful podman raises by default, and
# crun this host's hybrid cgroup layout (/work/shared/kernel-matrix.md).
# No network: the workload needs none, and none needs CNI plugins, which
# podman only recommends.
CT_RUN=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=4096:4096
	--network none
	# pinfork pins with io_uring, which the default seccomp profile
	# refuses; CAP_SYS_ADMIN lets it read PFNs, its measured truth.
	--security-opt seccomp=unconfined --cap-add sys_admin)

# ct_image: a static pinfork named pfleet, and busybox (static in
# busybox-static) to keep the container alive, in an image FROM scratch.
ct_image() {
	local dir=$TMP/ct-image
	mkdir -p "$dir"
	cc -O2 -static -D_GNU_SOURCE tools/pinfork.c -o "$dir/pfleet" &&
		cp /bin/busybox "$dir/busybox" || return 1
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY pfleet /pfleet\n' \
		>"$dir/Containerfile"
	bounded podman build -q -t "$CT_IMAGE" "$dir" >"$TMP/ct-build.log" 2>&1
}

# ct_stop: removes the test's containers, whatever state they are in.
# One at a time: podman 4.3 removes none of several names if one is gone.
ct_stop() {
	local c
	for c in "mmtrace-ct.$$" "mmtrace-ct-gone.$$"; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	! podman container exists "mmtrace-ct.$$"
	verdict "host container: containers removed" $? \
		"$(podman ps -a --format '{{.Names}}' | grep mmtrace-ct)"
}

host_container() {
	local name="host container" cid pid cg port=$((SERVE_PORT + 11))
	local lpid tpid series want n_ct n_host gone
	if ! command -v podman >/dev/null; then
		skip "$name" "podman is not installed (make deps)"
		return
	fi
	if ! ct_image; then
		fail "$name: image from scratch" "$(tail -c 400 "$TMP/ct-build.log")"
		return
	fi
	pass "$name: image from scratch built"
	if ! cid=$(podman run -d --name "mmtrace-ct.$$" "${CT_RUN[@]}" \
		"$CT_IMAGE" /bin/busybox sleep 600 2>"$TMP/ct-run.log"); then
		fail "$name: podman run" "$(tail -c 400 "$TMP/ct-run.log")"
		ct_stop
		return
	fi
	cid=$(podman inspect -f '{{.Id}}' "mmtrace-ct.$$")
	pid=$(podman inspect -f '{{.State.Pid}}' "mmtrace-ct.$$")
	cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	echo "container $cid, pid $pid, cgroup2 $cg"

	if ! start_tracer fork "$TMP/ct-fork.rep" --events --comm pfleet; then
		fail "$name" "fork did not attach: $(head -c 300 "$TMP/ct-fork.rep.err")"
		ct_stop
		return
	fi
	"$MMTRACE" locks --json --comm pfleet -o "$TMP/ct-locks.rep" \
		2>"$TMP/ct-locks.err" &
	lpid=$!
	# Text event lines name the container by its short id.
	"$MMTRACE" fork --events --comm pfleet -o "$TMP/ct-text.rep" \
		2>"$TMP/ct-text.err" &
	tpid=$!
	if ! wait_line "$TMP/ct-locks.err" 'Ctrl-C to stop' "$lpid" ||
		! wait_line "$TMP/ct-text.err" 'Ctrl-C to stop' "$tpid" ||
		! serve_start "$TMP/ct-serve.err" --views fork --by container \
			--comm pfleet --listen "127.0.0.1:$port"; then
		fail "$name" "locks or serve did not start: $(head -c 300 "$TMP/ct-locks.err" "$TMP/ct-serve.err")"
		kill "$tracer_pid" "$lpid" "$tpid" 2>/dev/null
		ct_stop
		return
	fi
	bounded podman exec "mmtrace-ct.$$" /pfleet --pages 32 --forks 4 \
		>"$TMP/ct.truth" 2>"$TMP/ct.wl"
	cp "$TMP/ct-image/pfleet" "$TMP/pfleet"
	bounded "$TMP/pfleet" --pages 16 --forks 2 >"$TMP/ct-host.truth" 2>&1
	# A container that is gone, cgroup and all, before the report.
	rm -f "$TMP/ct-gone.cid"
	bounded podman run --rm --name "mmtrace-ct-gone.$$" "${CT_RUN[@]}" \
		--cidfile "$TMP/ct-gone.cid" \
		"$CT_IMAGE" /pfleet --pages 8 --forks 3 >"$TMP/ct-gone.truth" \
		2>"$TMP/ct-gone.wl"

	gone=$(cat "$TMP/ct-gone.cid")
	want=$(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
		"$TMP/ct.truth")
	series="mmtrace_fork_container_pinned_copies_total{container_id=\"$cid\",pod_uid=\"\"}"
	serve_poll "127.0.0.1:$port" "$series" "$want"
	verdict "$name: serve --by container: the container's pinned copies == $want" \
		$? "got '$serve_got'"
	serve_poll "127.0.0.1:$port" \
		"mmtrace_fork_container_forks_total{container_id=\"$cid\",pod_uid=\"\"}" 4
	verdict "$name: serve --by container: the container's forks == 4" $? \
		"got '$serve_got'"
	# The host's pfleet and nothing else: --comm pfleet. The removed
	# container's process was read by a collect while it lived, or goes
	# to "unknown"; either way not to "".
	serve_poll "127.0.0.1:$port" \
		'mmtrace_fork_container_forks_total{container_id="",pod_uid=""}' 2
	verdict "$name: serve --by container: the host's forks == 2, container_id=\"\"" \
		$? "got '$serve_got'"
	serve_stop "$name: serve --by container"

	stop_tracer "$name: fork" INT &&
		check_with "$name: fork" bounded python3 tools/test/container_check.py \
			fork "$TMP/ct-fork.rep" --id "$cid" --ct "$TMP/ct.truth" \
			--host "$TMP/ct-host.truth" --gone "$TMP/ct-gone.truth" \
			--gone-id "$gone" \
			--name "$name: fork"
	kill -INT "$lpid"
	wait_for "$lpid" 30
	verdict "$name: locks stops on SIGINT" $? "$(head -c 300 "$TMP/ct-locks.err")"
	check_with "$name: locks" bounded python3 tools/test/container_check.py \
		locks "$TMP/ct-locks.rep" --id "$cid" --gone-id "$gone" \
		--name "$name: locks"
	kill -INT "$tpid"
	wait_for "$tpid" 30
	n_ct=$(grep -c " fork pid .* comm pfleet container ${cid:0:12} " "$TMP/ct-text.rep")
	n_host=$(grep " fork pid .* comm pfleet " "$TMP/ct-text.rep" |
		grep -c -v " container ")
	[ "$n_ct" = 4 ] && [ "$n_host" = 2 ]
	verdict "$name: text events: 4 say 'container ${cid:0:12}', the host's 2 none" \
		$? "got $n_ct and $n_host: $(head -c 400 "$TMP/ct-text.rep")"
	ct_stop
}
