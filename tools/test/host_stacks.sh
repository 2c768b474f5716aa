# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# bpf/stacks.bpf.h, which keeps the calling paths of gup's callers and
# locks' waiters, on paths made to collide (tools/test/bpf/stacks.c).
# Sourced by run.sh (host_stacks).

host_stacks() {
	local bin=$WORKLOADS/test/stacks
	if [ ! -x "$bin" ]; then
		fail "host stacks" "no $bin: make test builds it"
		return
	fi
	check_with "host stacks" "$bin"
}
