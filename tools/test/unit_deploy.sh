# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The DaemonSet manifest (tools/deploy/) parses and holds what the README
# promises. No cluster runs it here; host_image.sh runs its pod template
# under podman kube play. Sourced by run.sh (unit tier: unit_deploy).

unit_deploy() {
	check_with "unit deploy" bounded /usr/bin/python3 \
		tools/test/deploy_check.py check tools/deploy/mmtrace-daemonset.yaml
}
