# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Every kernel quirk (bpf/quirks.bpf.h, user/quirks.c, user/arch.h) names
# the commit that made it, or says it is build-dependent; none is left at
# "not found" (tools/test/quirks_check.py). Reads the tree, needs no root.
# Sourced by run.sh (unit tier: unit_quirks).

unit_quirks() {
	local bad=$TMP/quirks-bad f
	check_with "unit quirks" python3 tools/test/quirks_check.py .
	# The check must be able to fail: a quirk citing only a release.
	mkdir -p "$bad/bpf" "$bad/user"
	for f in bpf/quirks.bpf.h user/quirks.c user/arch.h; do
		cp "$f" "$bad/$f"
	done
	printf '/*\n * Some field moved (6.3).\n */\nint f(void);\n' \
		>>"$bad/user/quirks.c"
	! python3 tools/test/quirks_check.py "$bad" >/dev/null 2>&1
	verdict "unit quirks: a release without its commit fails" $? \
		"quirks_check.py passed a quirk that cites only (6.3)"
}
