#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: mmtrace fork, system-wide with a report every 10 s, for
# SOAK_SECONDS (600 by default) while workloads fork, pin and exit in a
# loop. mmtrace's resident set is sampled every 10 s: after a minute of
# warm-up it must stay flat (within 512 KiB), and mmtrace must exit 0.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
SECS=${SOAK_SECONDS:-600}
TMP=$(mktemp -d /tmp/mmtrace-soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

"$BUILD/mmtrace" fork --json -i 10 -d "$SECS" -o "$TMP/soak.rep" \
	2>"$TMP/soak.err" &
tracer=$!
sleep 2
# New pids all the time, so rows are created, reported and deleted.
(while :; do "$BUILD/tools/pinfork" --pages 32 --forks 5 >/dev/null; done) &
(while :; do "$BUILD/tools/forkmix" 20 5 5 >/dev/null; done) &

samples=()
while kill -0 "$tracer" 2>/dev/null; do
	rss=$(rss_kib "$tracer")
	[ -n "$rss" ] && samples+=("$rss")
	sleep 10
done
wait "$tracer"
rc=$?
echo "RSS (KiB) every 10 s: ${samples[*]}"
reports=$(wc -l <"$TMP/soak.rep")
lost=$(python3 -c 'import json, sys
print(sum(sum(json.loads(l)["lost"].values()) for l in open(sys.argv[1])))' \
	"$TMP/soak.rep")
echo "$reports reports, $lost events lost"
# Flat after warm-up: the largest sample past the first minute against
# the first sample after it.
warm=${samples[6]:-${samples[-1]}}
max=$warm
for s in "${samples[@]:6}"; do
	[ "$s" -gt "$max" ] && max=$s
done
growth=$((max - warm))
echo "growth after warm-up: ${growth} KiB (limit 512)"
if [ "$rc" = 0 ] && [ "$growth" -le 512 ] && [ "$lost" = 0 ]; then
	echo "1 passed, 0 failed"
	exit 0
fi
echo "mmtrace exit $rc; $(head -c 300 "$TMP/soak.err")"
echo "0 passed, 1 failed"
exit 1
