#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of container attribution for host_container.sh.

  container_check.py fork OUT --id ID --ct TRUTH --host TRUTH
                     [--gone TRUTH --gone-id ID2]
        a fork tracer's JSON lines (events, then reports), --comm of the
        workload: the rows and events of the pinfork run inside container
        ID (podman exec) carry container_id ID and pod_uid "", those of the
        run on the host container_id "" and pod_uid "", each with the
        forks and pinned copies its truth measured, exactly; the run of
        --gone, in container ID2 removed before the report, has its counts
        under ID2 if a walk of the cgroups saw it (its events name it),
        else null, never under another id
  container_check.py locks OUT --id ID [--gone-id ID2]
        a locks tracer's report has a row of container ID, and one of the
        host (""); one of ID2 (removed before the report, and no event
        made this tracer walk the cgroups while it lived) is null

Prints PASS or FAIL lines, as oracle.py, and a FAIL if it crashes.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (check(), and its failure count)

check = oracle.check
opt = oracle.opt


def want_copies(truth):
    if truth["observed_copies"] is not None:
        return truth["observed_copies"]
    return truth["expected_pinned_copies"]


def split(path):
    lines = oracle.read_json_lines(path)
    return ([x for x in lines if "event" in x],
            [x for x in lines if "final" in x])


def rows_of(reports, cid):
    return [p for r in reports for p in r["processes"]
            if p.get("container_id", "missing") == cid]


def check_run(name, events, reports, cid, truth, where):
    rows = rows_of(reports, cid)
    forks = sum(p["forks"] for p in rows)
    copies = sum(p["pinned_copies"] for p in rows)
    check(f"{name}: {where} rows carry container_id {cid!r}, pod_uid ''",
          rows and all(p.get("pod_uid") == "" for p in rows),
          f"{len(rows)} rows: {rows}")
    check(f"{name}: {where} forks == {truth['forks_ok']}",
          forks == truth["forks_ok"], f"got {forks}")
    check(f"{name}: {where} pinned copies == {want_copies(truth)}",
          copies == want_copies(truth), f"got {copies}")
    evs = [e for e in events if e.get("container_id", "missing") == cid]
    check(f"{name}: {where} fork events == {truth['forks_ok']}, each with "
          f"{truth['pages']} copies and pod_uid ''",
          len(evs) == truth["forks_ok"] and
          all(e["pinned_copies"] == truth["pages"] and e["pod_uid"] == ""
              for e in evs),
          f"got {[(e['pinned_copies'], e['pod_uid']) for e in evs]}")


def check_fork(name, out, cid, ct, host, gone, gone_id):
    events, reports = split(out)
    if not check(f"{name}: a final report", reports, "none"):
        return
    check(f"{name}: every row and event has container_id and pod_uid",
          all("container_id" in p and "pod_uid" in p
              for r in reports for p in r["processes"]) and
          all("container_id" in e and "pod_uid" in e for e in events),
          "missing")
    check_run(name, events, reports, cid, ct, "in the container")
    check_run(name, events, reports, "", host, "on the host")
    ids = {p["container_id"] for r in reports for p in r["processes"]}
    if gone is None:
        check(f"{name}: no other container", ids <= {cid, ""}, f"{ids}")
        return
    rows = rows_of(reports, None) + rows_of(reports, gone_id)
    check(f"{name}: a removed container's rows: container_id its id or "
          f"null, forks == {gone['forks_ok']}, copies == {want_copies(gone)}",
          rows and all(p["pod_uid"] in (None, "") for p in rows) and
          sum(p["forks"] for p in rows) == gone["forks_ok"] and
          sum(p["pinned_copies"] for p in rows) == want_copies(gone),
          f"{rows}")
    check(f"{name}: no other container", ids <= {cid, "", None, gone_id},
          f"{ids}")


def check_locks(name, out, cid, gone_id):
    _, reports = split(out)
    ids = {p.get("container_id", "missing") for r in reports
           for p in r["processes"]}
    check(f"{name}: locks rows of container {cid[:12]} and of the host",
          cid in ids and "" in ids, f"{ids}")
    if gone_id:
        check(f"{name}: the removed container's rows are null, never "
              "another id", None in ids and gone_id not in ids and
              ids <= {cid, "", None}, f"{ids}")


def main(argv):
    name = opt(argv, "--name", "container")
    cid = opt(argv, "--id")
    if argv[1] == "fork":
        gone = opt(argv, "--gone")
        check_fork(name, argv[2], cid, oracle.last_line(opt(argv, "--ct")),
                   oracle.last_line(opt(argv, "--host")),
                   oracle.last_line(gone) if gone else None,
                   opt(argv, "--gone-id"))
    elif argv[1] == "locks":
        check_locks(name, argv[2], cid, opt(argv, "--gone-id"))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if oracle.failures else 0


if __name__ == "__main__":
    oracle.run_main(main, oracle.opt(sys.argv, "--name", "container"), "checker")
