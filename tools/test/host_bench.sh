# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# make bench's own instruments, where a fault would make every number it
# prints wrong without a sound. Sourced by run.sh (host_bench).

# The timed floor on contention_end times the waits the one on
# contention_begin starts: both programs use one task storage. Each is
# loaded in an object of its own, and until floor.c handed the first
# object's map to the others, the end's lookup never found a wait.
bench_floor_shares_waits() {
	local name="host bench: the timed contention floors share one storage"
	local fl=$WORKLOADS/bench/floor pid
	if [ ! -x "$fl" ]; then
		fail "$name" "no $fl: make test builds it"
		return
	fi
	"$fl" floor_timed_contention_begin floor_timed_contention_end \
		>"$TMP/floor.out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q ready "$TMP/floor.out" && break
		sleep 0.2
	done
	check_with "$name" python3 - "$name" <<'PY'
import json
import subprocess
import sys

name = sys.argv[1]
out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                     text=True).stdout
maps = json.loads(subprocess.run(["bpftool", "-j", "map", "show"],
                                 capture_output=True, text=True).stdout)
storage = {m["id"] for m in maps if m.get("type") == "task_storage"}
ends = ("begin", "end")
last = {}
for p in json.loads(out):
    for e in ends:
        if p.get("name") == f"floor_timed_contention_{e}":
            if p["id"] > last.get(e, {}).get("id", -1):
                last[e] = p
if set(last) != set(ends):
    print(f"FAIL {name}: attached: {sorted(last)}")
    sys.exit(0)
shared = (set(last["begin"].get("map_ids", [])) &
          set(last["end"].get("map_ids", [])) & storage)
if len(shared) == 1:
    print(f"PASS {name}: task storage map {shared.pop()}")
else:
    print(f"FAIL {name}: begin's maps {last['begin'].get('map_ids')}, "
          f"end's {last['end'].get('map_ids')}, task storage {sorted(storage)}")
PY
	kill -INT "$pid" 2>/dev/null
	wait_for "$pid" 10
}

host_bench() {
	bench_floor_shares_waits
}
