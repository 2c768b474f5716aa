#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of mmtrace top's plain table and of the findings in reports.

  top_check.py plain TABLES TRUTH [--name N] [--comm C]
      the rows of COMM (default: the workload's own name), summed over
      every table, give the pinfork truth exactly: FORKS = forks_ok,
      PINNED = observed_copies, all in the row of the workload's pid.
  top_check.py findings REPORTS TRUTH --expect ID|none [--name N]
      the final JSON report's findings: exactly one of ID about the
      workload's pid, with evidence equal to the report's own numbers,
      or none at all.
  top_check.py nofindings REPORTS [--name N]
      no report carries a findings key (--no-findings).
Prints PASS/FAIL lines; exits 1 on any FAIL.
"""
import json
import sys

failed = False


def check(name, ok, detail=""):
    global failed
    if ok:
        print(f"PASS {name}")
    else:
        failed = True
        print(f"FAIL {name}: {detail}")


def opt(argv, flag, default=None):
    return argv[argv.index(flag) + 1] if flag in argv else default


def last_json(path):
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    return json.loads(lines[-1]) if lines else {}


def tables(path):
    """Each table's rows as dicts keyed by the header's names."""
    out, header = [], None
    with open(path) as f:
        for line in f:
            words = line.split()
            if words[:2] == ["PID", "COMM"]:
                header = words
                out.append([])
            elif header and words and words[0].isdigit() and \
                    len(words) == len(header):
                out[-1].append(dict(zip(header, words)))
            elif not words:
                header = None
    return out


def plain(argv):
    name = opt(argv, "--name", "top plain")
    truth = last_json(argv[3])
    comm = opt(argv, "--comm", "topexact")
    tabs = tables(argv[2])
    check(f"{name}: tables printed", len(tabs) >= 2, f"{len(tabs)} tables")
    rows = [r for t in tabs for r in t if r["COMM"] == comm]
    forks = sum(int(r["FORKS"]) for r in rows)
    pinned = sum(int(r["PINNED"]) for r in rows)
    check(f"{name}: FORKS add up to {truth['forks_ok']}",
          forks == truth["forks_ok"], f"got {forks}")
    check(f"{name}: PINNED add up to {truth['observed_copies']}",
          pinned == truth["observed_copies"], f"got {pinned}")
    own = [r for r in rows if int(r["FORKS"]) or int(r["PINNED"])]
    check(f"{name}: all of it in pid {truth['pid']}'s row",
          own and all(int(r["PID"]) == truth["pid"] for r in own),
          f"rows {own}")
    unknown = {r["GUPSLW"] for r in rows} | {r["PMDms"] for r in rows}
    check(f"{name}: gup and hugetlb columns unavailable ('-')",
          unknown == {"-"}, f"got {unknown}")


def findings(argv):
    name = opt(argv, "--name", "findings")
    expect = opt(argv, "--expect")
    rep = last_json(argv[2])
    truth = last_json(argv[3])
    found = rep.get("findings")
    check(f"{name}: report has a findings list",
          isinstance(found, list), f"got {found!r}")
    if not isinstance(found, list):
        return
    if expect == "none":
        check(f"{name}: no finding", found == [], json.dumps(found))
        return
    mine = [f for f in found if f.get("id") == expect]
    check(f"{name}: exactly one {expect}", len(mine) == 1 and
          len(found) == 1, json.dumps(found))
    if len(mine) != 1:
        return
    f = mine[0]
    rows = [r for r in rep.get("processes", []) if r["pid"] == truth["pid"]]
    check(f"{name}: subject is pid {truth['pid']}",
          f["subject"]["pid"] == truth["pid"] and
          f["subject"]["comm"] == rows[0]["comm"] if rows else False,
          json.dumps(f["subject"]))
    check(f"{name}: severity, what and advice said",
          f.get("severity") in ("warning", "info") and f.get("what") and
          f.get("advice"), json.dumps(f))
    if not rows:
        return
    row, ev = rows[0], f["evidence"]
    if expect == "fork.pinned_copies":
        want = {"pinned_copies": truth["observed_copies"],
                "forks": truth["forks_ok"],
                "bytes_per_fork": truth["observed_copies"] * 4096 //
                truth["forks_ok"]}
        got = {k: ev.get(k) for k in want}
        check(f"{name}: evidence is the workload's truth", got == want,
              f"got {got}, want {want}")
    elif expect == "fork.page_table_copy":
        want = {"forks": truth["forks_ok"], "pinned_copies": 0,
                "fork_mean_ns": row["fork_total_ns"] // row["forks"],
                "fork_max_ns": row["fork_max_ns"]}
        got = {k: ev.get(k) for k in want}
        check(f"{name}: evidence is the report's numbers", got == want,
              f"got {got}, want {want}")
        check(f"{name}: mean fork at or above the 2 ms threshold",
              ev.get("fork_mean_ns", 0) >= 2000000, json.dumps(ev))


def nofindings(argv):
    name = opt(argv, "--name", "no findings")
    with open(argv[2]) as f:
        reps = [json.loads(line) for line in f if line.strip()]
    check(f"{name}: {len(reps)} reports, none with findings",
          reps and all("findings" not in r for r in reps), "")


def main(argv):
    {"plain": plain, "findings": findings,
     "nofindings": nofindings}[argv[1]](argv)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
