#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of the event stream (--events) for host_events.sh.

The tracer's output file holds JSON lines: events (with "event") and then
reports (with "final"). Every number is compared exactly, with the
workload's truth or with the report of the same run.

  oracle_events.py fork OUT TRUTH --events N [--copies C] [--stacks]
                   [--symbolized]
        the report counts the forks the workload made, and N of them are
        events, each of the workload's pid, each with C pinned copies
        (reason pinned_copies; without C: reason all); with --stacks
        (the tracer's), each with a stack, with frames named (not raw)
        with --symbolized; without, with no "stack" key at all (fork
        events take no stack by default)
  oracle_events.py drops OUT --forks N [--expect-drops|--expect-no-drops]
        the report counts the N forks made, and events received +
        events_dropped == N
  oracle_events.py locks OUT
        lock-wait events == the waits the report counts, none dropped

Prints PASS or FAIL lines, as oracle.py, and a FAIL if it crashes.
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (check(), and its failure count)

check = oracle.check
FRAME = re.compile(r"^[A-Za-z_.$][\w.$]*\+0x[0-9a-f]+$")
EVENT_FIELDS = ("time", "ts_ns", "view", "event", "pid", "tid", "comm",
                "reason")
FORK_FIELDS = ("latency_ns", "pinned_copies", "child_pid", "has_pinned")


def split(name, path):
    """(events, reports) of a tracer's output, in order."""
    lines = oracle.read_json_lines(path)
    events = [x for x in lines if "event" in x]
    reports = [x for x in lines if "final" in x]
    # The stream comes first: the final report is the last line.
    check(f"{name}: the final report comes last, after the events",
          lines and lines[-1].get("final") is True and
          len(events) + len(reports) == len(lines),
          f"{len(lines)} lines, {len(events)} events, "
          f"{len(reports)} reports")
    return events, reports


def lost(reports, key):
    return sum(r["lost"][key] for r in reports)


def check_fork(name, out, truth, want, copies, stacks, symbolized):
    events, reports = split(name, out)
    if not check(f"{name}: a final report", reports, "none"):
        return
    forks = sum(r["totals"]["forks"] for r in reports)
    made = truth.get("forks_ok", truth.get("forks"))
    check(f"{name}: the report counts the {made} forks made", forks == made,
          f"got {forks}")
    check(f"{name}: {want} fork events", len(events) == want,
          f"got {len(events)}")
    if not want:
        return
    problems = [f"{f} missing" for e in events for f in
                EVENT_FIELDS + FORK_FIELDS if f not in e]
    check(f"{name}: every event has its fields", not problems,
          "; ".join(sorted(set(problems))))
    check(f"{name}: every event is a fork of pid {truth['pid']}",
          all(e["view"] == "fork" and e["event"] == "fork" and
              e["pid"] == truth["pid"] for e in events),
          f"{[(e['view'], e['event'], e['pid']) for e in events][:5]}")
    if copies is not None:
        got = [e["pinned_copies"] for e in events]
        check(f"{name}: each event copied {copies} pinned pages",
              all(c == copies for c in got), f"got {got}")
        check(f"{name}: reason pinned_copies",
              all(e["reason"] == "pinned_copies" for e in events),
              f"got {set(e['reason'] for e in events)}")
    else:
        check(f"{name}: reason all (no threshold)",
              all(e["reason"] == "all" for e in events),
              f"got {set(e['reason'] for e in events)}")
    if not stacks:
        check(f"{name}: no event has a stack (not taken)",
              not any("stack" in e for e in events),
              f"{sum(1 for e in events if 'stack' in e)} with one")
    else:
        check(f"{name}: every event has a stack",
              all(e.get("stack") for e in events),
              f"depths {[len(e.get('stack', [])) for e in events]}")
    if stacks and symbolized:
        raw = sorted({f for e in events for f in e["stack"]
                      if not FRAME.match(f)})
        check(f"{name}: every frame is symbol+offset", not raw,
              f"raw frames {raw[:5]}")
    check(f"{name}: nothing dropped", lost(reports, "events_dropped") == 0
          and lost(reports, "stacks_failed") == 0, f"{reports[-1]['lost']}")


def check_drops(name, out, want, expect_drops):
    events, reports = split(name, out)
    if not check(f"{name}: a final report", reports, "none"):
        return
    forks = sum(r["totals"]["forks"] for r in reports)
    check(f"{name}: the report counts the {want} forks", forks == want,
          f"got {forks}")
    dropped = lost(reports, "events_dropped")
    check(f"{name}: events {len(events)} + dropped {dropped} == forks "
          f"{forks}", len(events) + dropped == forks, "")
    if expect_drops == "some":
        check(f"{name}: events were dropped", dropped > 0, "none dropped")
    elif expect_drops == "none":
        check(f"{name}: nothing dropped", dropped == 0, f"{dropped}")
    check(f"{name}: no stack failed", lost(reports, "stacks_failed") == 0,
          f"{reports[-1]['lost']}")


def hist_count(buckets):
    return sum(b["count"] for b in buckets or [])


def check_locks(name, out):
    events, reports = split(name, out)
    if not check(f"{name}: a final report", reports, "none"):
        return
    waits = sum(hist_count(r["mmap_lock_ns"]["read_wait"]) +
                hist_count(r["mmap_lock_ns"]["write_wait"]) for r in reports)
    contended = sum(r["totals"]["mmap_contended"] +
                    r["totals"]["other_contended"] -
                    r["totals"]["waits_in_flight_charged"] for r in reports)
    kinds = [e["event"] for e in events]
    check(f"{name}: nothing dropped", lost(reports, "events_dropped") == 0
          and lost(reports, "stacks_failed") == 0, f"{reports[-1]['lost']}")
    check(f"{name}: mmap_lock_wait events == waits counted ({waits})",
          kinds.count("mmap_lock_wait") == waits,
          f"got {kinds.count('mmap_lock_wait')}")
    check(f"{name}: lock_contention events == contended waits counted "
          f"({contended})", kinds.count("lock_contention") == contended,
          f"got {kinds.count('lock_contention')}")
    check(f"{name}: the storm contended", contended > 0, "no contention")
    mine = [e for e in events if e["event"] == "lock_contention"
            and e["mmap_lock"]]
    check(f"{name}: contended mmap_lock events are rwsem waits",
          mine and all(e["type"].startswith("rwsem") for e in mine),
          f"{[e['type'] for e in mine][:5]}")
    check(f"{name}: every event has a stack",
          all(e.get("stack") for e in events),
          f"{sum(1 for e in events if not e.get('stack'))} without")


def main(argv):
    opt = oracle.opt
    name = opt(argv, "--name", "events")
    if argv[1] == "fork":
        copies = opt(argv, "--copies")
        check_fork(name, argv[2], oracle.last_line(argv[3]),
                   int(opt(argv, "--events")),
                   None if copies is None else int(copies),
                   "--stacks" in argv, "--symbolized" in argv)
    elif argv[1] == "drops":
        check_drops(name, argv[2], int(opt(argv, "--forks")),
                    "some" if "--expect-drops" in argv else
                    "none" if "--expect-no-drops" in argv else None)
    elif argv[1] == "locks":
        check_locks(name, argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if oracle.failures else 0


if __name__ == "__main__":
    oracle.run_main(main, oracle.opt(sys.argv, "--name", "events"), "oracle")
