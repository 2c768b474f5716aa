# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# make bench's pooling of several runs' costs (bench.py pool), on samples
# whose ratios are known: pooled, a program's pairs of rounds are both
# runs' pairs, and none is made of one run's round and another's. Sourced
# by run.sh (unit tier: unit_bench).

unit_bench() {
	check_with "unit bench pool" python3 - <<'PY'
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
    print(f"PASS unit bench pool: {name}" if ok else
          f"FAIL unit bench pool: {name}: {why}")

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
PY
}
