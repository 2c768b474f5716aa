# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# make bench's costs on samples whose ratios are known: pooled (bench.py
# pool), a program's pairs of rounds are both runs' pairs, and none is made
# of one run's round and another's; a program's ratio to the timed floor,
# which runs in rounds of its own, is taken through the count-only floor
# beside each, whatever the load of each round. Sourced by run.sh (unit
# tier: unit_bench).

unit_bench() {
	check_with "unit bench" python3 - <<'PY'
import sys
sys.path.insert(0, "tools/bench")
import json, os, tempfile
import bench

def run(ratios):
    """A run's samples: fork_count_btf at ratio x its floor in each pair."""
    prog, floor = [], []
    for i, x in enumerate(ratios):
        for r in (2 * i, 2 * i + 1):
            prog.append([100.0 * x, 10, r])
            floor.append([100.0, 10, r])
    return {"serve-defaults": {"fork_count_btf": prog},
            "floor serve-defaults": {"floor_newtask_btf": floor}}

def check(name, ok, why=""):
    print(f"PASS unit bench: {name}" if ok else
          f"FAIL unit bench: {name}: {why}")

d = tempfile.mkdtemp()
a, b = os.path.join(d, "a.json"), os.path.join(d, "b.json")
json.dump(run([2.0, 2.0, 2.0]), open(a, "w"))
# An odd round at the end: the next run must still start a pair.
odd = run([1.0])
odd["serve-defaults"]["fork_count_btf"].append([300.0, 10, 2])
odd["floor serve-defaults"]["floor_newtask_btf"].append([100.0, 10, 2])
json.dump(odd, open(b, "w"))
s = bench.pooled_samples([a, b, a])
by = {r: ns for ns, _, r in s["serve-defaults"]["fork_count_btf"]}
fl, _ = bench.floors(s["floor serve-defaults"])
pairs = sorted(bench.paired(by, fl["task_newtask (tp_btf)"]))
check("the three runs' pairs, no other", pairs == [1.0] + [2.0] * 6,
      f"pairs {pairs}")
rounds = sorted(by)
check("rounds numbered on, each run from an even one",
      rounds == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15],
      f"rounds {rounds}")

# Serve's program at 2x the count-only floor, the timed floor at 1.5x it,
# in rounds whose load doubles the count-only floor's cost every round.
def rows(prog, x, rounds):
    return {prog: [[100.0 * 2 ** r * x, 10, r] for r in rounds]}

rs = range(8)
new = {"serve-defaults": rows("contention_end_btf", 2.0, rs),
       "floor serve-defaults": rows("floor_contention_end", 1.0, rs),
       "timed serve-defaults": rows("floor_timed_contention_end", 1.5, rs),
       "floor timed serve-defaults": rows("floor_contention_end", 1.0, rs)}
f, t, tf = bench.config_floors(new, "serve-defaults")
hook = bench.hook_of("contention_end_btf")
by = {r: ns for ns, _, r in new["serve-defaults"]["contention_end_btf"]}
got = bench.ratio_to_timed(by, f[hook], t[hook], tf[hook])
check("timed: through the count-only floor beside each",
      len(got) == 4 and all(abs(x - 4.0 / 3.0) < 1e-9 for x in got),
      f"ratios {got}")
# Kept before 2026-12-03: the timed floor beside serve, in its rounds.
old = {"serve-defaults": rows("contention_end_btf", 2.0, rs),
       "floor serve-defaults": dict(rows("floor_contention_end", 1.0, rs),
                                    **rows("floor_timed_contention_end",
                                           1.6, rs))}
f, t, tf = bench.config_floors(old, "serve-defaults")
by = {r: ns for ns, _, r in old["serve-defaults"]["contention_end_btf"]}
got = bench.ratio_to_timed(by, f[hook], t[hook], tf[hook])
check("timed: samples kept before, side by side",
      len(got) == 4 and all(abs(x - 1.25) < 1e-9 for x in got),
      f"ratios {got}")
PY
}
