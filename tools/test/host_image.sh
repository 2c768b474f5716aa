# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of `make image`: the image holds the static binary alone,
# is tagged with the version, and run as the README says (podman, runc),
# serves on the host's loopback and counts exactly the fork oracle run in
# another container. Sourced by run.sh.

# The README's podman run line: runc (crun refuses this host's hybrid
# cgroup layout), limits this sandbox accepts (rootful podman would raise
# them), the host's network, pids and cgroup tree, the systemd unit's four
# capabilities (the default seccomp profile allows bpf() and
# perf_event_open() only with CAP_SYS_ADMIN), and tracefs, which a
# container does not have unless it is mounted in.
IMAGE_RUN=(--runtime runc --ulimit nofile=1024:1024
	--ulimit nproc=4096:4096)
# shellcheck disable=SC2054 # --cap-add takes a comma-separated list
IMAGE_SERVE=(--network host --pid host --cgroupns host --read-only
	--cap-drop ALL --cap-add SYS_ADMIN,BPF,PERFMON,SYSLOG
	--security-opt no-new-privileges
	-v /sys/kernel/tracing:/sys/kernel/tracing:ro)

# The README's podman run command, continuation lines joined.
readme_podman_run() {
	awk '/^    podman run / { on = 1 } on { print; if ($0 !~ /\\$/) exit }' \
		README.md | tr -d '\\\n' | tr -s ' '
}

image_version() {
	sed -n 's/^#define MMTRACE_VERSION "\(.*\)"$/\1/p' user/view.h
}

# The image's files: /mmtrace and nothing else.
image_files() {
	local mnt
	mnt=$(podman image mount "$1" 2>/dev/null) || return
	(cd "$mnt" && find . ! -name . | sort | tr '\n' ' ')
	podman image unmount "$1" >/dev/null 2>&1
}

# The fork oracle in a container of its own: the image as a root file
# system, the static pinfork mounted in as /pfimage (its comm). Debian's
# default seccomp profile refuses io_uring, with which pinfork pins its
# pages, so this container runs without one; CAP_SYS_ADMIN lets pinfork
# read page frame numbers and so measure its copies.
image_workload() {
	bounded podman run --rm "${IMAGE_RUN[@]}" --network none \
		--security-opt seccomp=unconfined --cap-add SYS_ADMIN \
		-v "$(realpath "$BUILD/static/tools/pinfork"):/pfimage:ro" \
		--entrypoint /pfimage "$1" --pages 64 --forks 10
}

# The capabilities the DaemonSet keeps, as /proc/PID/status shows them:
# CAP_SYS_ADMIN (21), CAP_SYSLOG (34), CAP_PERFMON (38), CAP_BPF (39).
DEPLOY_CAPS=000000c400200000

# wait_log CTR FILE: until the container's log says it attached (60 s).
wait_log() {
	local i
	for ((i = 0; i < 120; i++)); do
		podman logs "$1" >"$2" 2>&1
		grep -q 'Ctrl-C to stop' "$2" && return 0
		sleep 0.5
	done
	return 1
}

# The DaemonSet's pod template as a Pod under podman kube play, which runs
# no DaemonSet: with the template's capabilities, read-only root, seccomp
# filter, mounts and memory limit, mmtrace attaches and serves. kube play
# ignores hostPID, and mmtrace then traces its own pid namespace alone, so
# no workload is counted here (the image's own test counts one).
image_kube_play() {
	local name="host image: the DaemonSet's pod template" tag=$1
	local yaml=$TMP/deploy-pod.yaml conf=$TMP/containers.conf
	local port=$((SERVE_PORT + 11)) ctr=mmtrace-deploy-test-mmtrace
	local image pid cg got
	if ! command -v catatonit >/dev/null; then
		skip "$name" "catatonit is not installed (podman kube play's pause; make deps installs it)"
		return
	fi
	image=$("$SYS_PYTHON" tools/test/deploy_check.py pod \
		tools/deploy/mmtrace-daemonset.yaml "$yaml" \
		serve --views fork --listen "127.0.0.1:$port" 2>&1)
	[ "$image" = "$tag" ]
	verdict "$name: its image is make image's tag" $? "image: $image"
	# Limits this sandbox accepts: kube play has no --ulimit.
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$conf"
	podman pod rm -f mmtrace-deploy-test >/dev/null 2>&1
	if ! CONTAINERS_CONF=$conf bounded podman --runtime runc kube play \
		--network host "$yaml" >"$TMP/kube.out" 2>&1 ||
		! wait_log "$ctr" "$TMP/kube.log"; then
		fail "$name: runs under podman kube play" \
			"$(tail -c 400 "$TMP/kube.out") $(tail -c 400 "$TMP/kube.log" 2>/dev/null)"
		podman pod rm -f mmtrace-deploy-test >/dev/null 2>&1
		return
	fi
	pass "$name: runs under podman kube play, attaches"
	pid=$(podman inspect --format '{{.State.Pid}}' "$ctr")
	got=$(awk '/^(CapEff|CapBnd|NoNewPrivs|Seccomp):/ { printf "%s %s ", $1, $2 }' \
		/proc/"$pid"/status)
	[ "$got" = "CapEff: $DEPLOY_CAPS CapBnd: $DEPLOY_CAPS NoNewPrivs: 1 Seccomp: 2 " ]
	verdict "$name: four capabilities, no new privileges, a seccomp filter" \
		$? "got '$got'"
	got=$(awk '$5 == "/" || $5 == "/sys/kernel/tracing" { printf "%s %s %s ", $5, $6, $9 }' \
		/proc/"$pid"/mountinfo)
	[[ $got == "/ ro"*" /sys/kernel/tracing ro"*" tracefs " ]]
	verdict "$name: read-only root, the node's tracefs read-only" $? "mounts: $got"
	cg=$(awk -F: '$2 == "memory" || $2 == "" { print $3 }' /proc/"$pid"/cgroup | head -n 1)
	got=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" \
		"/sys/fs/cgroup$cg/memory.max" 2>/dev/null | head -n 1)
	[ "$got" = $((64 << 20)) ]
	verdict "$name: memory limit 64Mi" $? "got '$got' in $cg"
	serve_got=$(serve_value "127.0.0.1:$port" 'mmtrace_view_up{view="fork"}')
	[ "$serve_got" = 1 ]
	verdict "$name: serves, view fork up" $? "got '$serve_got'"
	bounded podman kube down "$yaml" >/dev/null 2>&1 ||
		podman pod rm -f mmtrace-deploy-test >/dev/null 2>&1
}

host_image() {
	local name="host image" version tag got ctr=mmtrace-test-$$ cpid held
	local port=$((SERVE_PORT + 10)) rc want left
	local series='mmtrace_fork_comm_pinned_copies_total{comm="pfimage"}'
	# The image holds the static build; the san tier has nothing to add.
	[ -n "${SANITIZED:-}" ] && return
	if ! command -v podman >/dev/null; then
		skip "$name" "podman is not installed (make deps installs it)"
		return
	fi
	version=$(image_version)
	tag=localhost/mmtrace:$version
	if ! env -u MAKEFLAGS make -s --no-print-directory OUT="$BUILD" image \
		>"$TMP/image.out" 2>&1; then
		fail "$name: make image" "$(grep -v getaddrinfo "$TMP/image.out" | tail -n 5)"
		return
	fi
	pass "$name: make image builds $tag"
	# The other container's workload: static, as the image's binary is.
	if ! env -u MAKEFLAGS make -s --no-print-directory STATIC=1 \
		OUT="$BUILD/static" "$BUILD/static/tools/pinfork" \
		>"$TMP/image.out" 2>&1; then
		fail "$name: static pinfork" "$(tail -n 5 "$TMP/image.out")"
		return
	fi
	got=$(readme_podman_run)
	local flag missing=""
	for flag in "${IMAGE_RUN[@]}" "${IMAGE_SERVE[@]}" "$tag"; do
		[[ " $got " == *" $flag "* ]] || missing="$missing $flag"
	done
	[ -z "$missing" ]
	verdict "$name: the README's podman run line is the one tested" $? \
		"missing:$missing in '$got'"
	got=$(image_files "$tag")
	[ "$got" = "./mmtrace " ]
	verdict "$name: holds the static binary alone" $? "files: $got"
	got=$(podman image inspect --format '{{len .RootFS.Layers}} {{index .Labels "org.opencontainers.image.version"}}' "$tag")
	[ "$got" = "1 $version" ]
	verdict "$name: one layer, no base image, labelled $version" $? "got '$got'"
	got=$(bounded podman run --rm "${IMAGE_RUN[@]}" --network none "$tag" --version 2>&1)
	[ "$got" = "mmtrace $version" ]
	verdict "$name: mmtrace --version in it says $version" $? "got '$got'"
	# The host's tracefs, for the container to bind-mount.
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs tracefs /sys/kernel/tracing
	: >"$TMP/image.err"
	podman run --rm --name "$ctr" "${IMAGE_RUN[@]}" "${IMAGE_SERVE[@]}" \
		"$tag" serve --views fork --comm pfimage \
		--listen "127.0.0.1:$port" >/dev/null 2>"$TMP/image.err" &
	local job=$! i
	# Starting a container and loading BPF: up to 60 s.
	for ((i = 0; i < 600; i++)); do
		grep -q 'Ctrl-C to stop' "$TMP/image.err" && break
		kill -0 "$job" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'Ctrl-C to stop' "$TMP/image.err"; then
		fail "$name: serves" "did not start: $(head -c 400 "$TMP/image.err")"
		podman rm -f "$ctr" >/dev/null 2>&1
		wait "$job" 2>/dev/null
		return
	fi
	pass "$name: serve attaches in the container"
	cpid=$(podman inspect --format '{{.State.Pid}}' "$ctr")
	held=$(held_prog_ids "$cpid")
	if ! image_workload "$tag" >"$TMP/pfimage.truth" 2>"$TMP/pfimage.err"; then
		fail "$name: workload container" "$(head -c 300 "$TMP/pfimage.err")"
	else
		want=$("$SYS_PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
			"$TMP/pfimage.truth")
		serve_poll "127.0.0.1:$port" "$series" "$want"
		verdict "$name: pinned copies of the other container's pinfork == $want" \
			$? "got $serve_got"
		serve_poll "127.0.0.1:$port" \
			'mmtrace_fork_comm_forks_total{comm="pfimage"}' 10
		verdict "$name: its forks == 10" $? "got $serve_got"
	fi
	bounded podman stop -t 30 "$ctr" >/dev/null 2>&1
	wait_for "$job" 40
	rc=$?
	verdict "$name: podman stop (SIGTERM): exit 0" "$rc" \
		"$(status "$rc"): $(tail -c 300 "$TMP/image.err")"
	left=$(progs_left "$held")
	[ -n "$held" ] && [ -z "$left" ]
	verdict "$name: programs detached" $? "held '$held', left '$left'"
	image_kube_play "$tag"
}
