#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: what tracing costs, measured side by side in one run.

One table, from rounds that alternate configurations, medians and ratios:
  - per-event cost of each BPF program (kernel.bpf_stats_enabled), next to
    a floor that only counts on the same hook, and next to bpftrace doing
    the same aggregation on the same hooks;
  - workload time untraced, under mmtrace fork, under every view, and
    under bpftrace;
  - start-up: exec to attached, mmtrace and bpftrace;
  - memory: peak and steady RSS, and the BPF maps' memory.
Targets are printed beside the numbers; this script asserts nothing.
Run as root. MMTRACE_BENCH_ROUNDS (default 5) sets the rounds.
"""
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

BUILD = os.environ.get("BUILD", "build")
MMTRACE = os.path.join(BUILD, "mmtrace")
TOOLS = os.path.join(BUILD, "tools")
ROUNDS = int(os.environ.get("MMTRACE_BENCH_ROUNDS", "5"))
CLONES = ("clone", "clone3", "fork", "vfork")

# The fork view's tracepoint-tier aggregation, written for bpftrace.
BPFTRACE_FORK = """
tracepoint:syscalls:sys_enter_clone, tracepoint:syscalls:sys_enter_clone3,
tracepoint:syscalls:sys_enter_fork, tracepoint:syscalls:sys_enter_vfork
{ @start[tid] = nsecs; @copies[tid] = 0; }
tracepoint:kmem:mm_page_alloc
/@start[tid] && args->order == 0 && (args->gfp_flags & 0xa) == 0xa/
{ @copies[tid]++; }
tracepoint:syscalls:sys_exit_clone, tracepoint:syscalls:sys_exit_clone3,
tracepoint:syscalls:sys_exit_fork, tracepoint:syscalls:sys_exit_vfork
/@start[tid]/
{ @us = hist((nsecs - @start[tid]) / 1000); @per_fork = hist(@copies[tid]);
  @forks[pid, comm] = count(); @pinned[pid] = sum(@copies[tid]);
  delete(@start[tid]); delete(@copies[tid]); }
"""

# The floor: the same hooks, each program only counts.
BPFTRACE_FLOOR = "\n".join(
    ["tracepoint:syscalls:sys_enter_%s { @enter = count(); }" % c
     for c in CLONES] +
    ["tracepoint:syscalls:sys_exit_%s { @exit = count(); }" % c
     for c in CLONES] +
    ["tracepoint:kmem:mm_page_alloc { @alloc = count(); }"])

# Which hook each program serves, to line up mmtrace, floor and bpftrace:
# bpftrace names a program after its tracepoint, mmtrace after its role.
HOOKS = (
    ("page alloc", re.compile(r"^(mm_page_alloc|fork_page_alloc.*)$")),
    ("clone entry", re.compile(r"^(sys_enter_.*|fork_enter)$")),
    ("clone exit", re.compile(r"^(sys_exit_.*|fork_exit)$")),
)


def workloads():
    pinfork = os.path.join(TOOLS, "pinfork")
    forkmix = os.path.join(TOOLS, "forkmix")
    return [
        ("fork storm", [forkmix, "5000", "0", "0"]),
        ("pinned fork", [pinfork, "--pages", "512", "--forks", "300"]),
        ("page faults", [pinfork, "--mode", "nopin", "--pages", "100000",
                         "--forks", "0"]),
    ]


def views():
    """The subcommands `mmtrace --help` lists that can run on this kernel,
    and those that cannot (a view without any hook here exits at once)."""
    out = subprocess.run([MMTRACE, "--help"], capture_output=True,
                         text=True).stdout
    names = re.findall(r"^  (\w+)\s", out.split("Subcommands:")[1], re.M)
    runnable, absent = [], []
    for name in (n for n in names if n != "probes"):
        try:
            mmtrace(name).start().stop()
            runnable.append(name)
        except RuntimeError:
            absent.append(name)
    return runnable, absent


class Tracer:
    """A tracer process, from exec to attached to stopped."""

    def __init__(self, name, argv, ready):
        self.name, self.argv, self.ready = name, argv, ready
        self.proc = None
        self.attach_s = None

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        buf = ""
        while self.ready not in buf:
            r, _, _ = select.select([self.proc.stdout], [], [], 30)
            line = self.proc.stdout.readline() if r else ""
            if not line:
                raise RuntimeError(f"{self.name} did not attach: {buf}")
            buf += line
        self.attach_s = time.monotonic() - t0
        return self

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def bpf_ids(self, kind):
        """IDs of the programs or maps this process holds (fdinfo)."""
        ids = set()
        fddir = f"/proc/{self.proc.pid}/fdinfo"
        for fd in os.listdir(fddir):
            try:
                with open(os.path.join(fddir, fd)) as f:
                    m = re.search(rf"^{kind}_id:\s*(\d+)", f.read(), re.M)
            except OSError:
                continue
            if m:
                ids.add(int(m.group(1)))
        return ids

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def mmtrace(view):
    return Tracer(f"mmtrace {view}", [MMTRACE, view, "-d", "3600"],
                  "Ctrl-C to stop")


def bpftrace(name, script):
    prog = 'BEGIN { printf("ready\\n"); }\n' + script
    return Tracer(name, ["bpftrace", "-e", prog], "ready")


def run_workload(argv):
    t0 = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def bpftool(what):
    out = subprocess.run(["bpftool", "-j", what, "show"],
                         capture_output=True, text=True).stdout
    return {p["id"]: p for p in json.loads(out or "[]")}


def hook_of(prog):
    for hook, pattern in HOOKS:
        if pattern.search(prog.get("name", "")):
            return hook
    return None


def program_costs(tracer, argv):
    """ns per event per hook, from kernel.bpf_stats_enabled counters."""
    tracer.start()
    try:
        ids = tracer.bpf_ids("prog")
        before = bpftool("prog")
        run_workload(argv)
        after = bpftool("prog")
    finally:
        tracer.stop()
    per_hook = {}
    for pid in ids:
        b, a = before.get(pid, {}), after.get(pid, {})
        hook = hook_of(a)
        cnt = a.get("run_cnt", 0) - b.get("run_cnt", 0)
        ns = a.get("run_time_ns", 0) - b.get("run_time_ns", 0)
        if hook and cnt:
            c, t = per_hook.get(hook, (0, 0))
            per_hook[hook] = (c + cnt, t + ns)
    return {h: t / c for h, (c, t) in per_hook.items()}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def bench_costs():
    """Alternating rounds of the three tracers over a fork+fault load."""
    load = [os.path.join(TOOLS, "forkmix"), "1500", "0", "0"]
    configs = {
        "mmtrace": lambda: mmtrace("fork"),
        "floor": lambda: bpftrace("floor", BPFTRACE_FLOOR),
        "bpftrace": lambda: bpftrace("bpftrace", BPFTRACE_FORK),
    }
    samples = {c: {} for c in configs}
    for _ in range(ROUNDS):
        for name, make in configs.items():
            for hook, ns in program_costs(make(), load).items():
                samples[name].setdefault(hook, []).append(ns)
    return {c: {h: median(v) for h, v in s.items()}
            for c, s in samples.items()}


def bench_throughput(all_views):
    configs = {
        "untraced": lambda: [],
        "mmtrace fork": lambda: [mmtrace("fork")],
        "every view": lambda: [mmtrace(v) for v in all_views],
        "bpftrace": lambda: [bpftrace("bpftrace", BPFTRACE_FORK)],
    }
    times = {(w, c): [] for w, _ in workloads() for c in configs}
    for _ in range(ROUNDS):
        for cname, make in configs.items():
            tracers = [t.start() for t in make()]
            try:
                for wname, argv in workloads():
                    times[(wname, cname)].append(run_workload(argv))
            finally:
                for t in tracers:
                    t.stop()
    return {k: median(v) for k, v in times.items()}, list(configs)


def bench_startup_memory():
    attach = {"mmtrace": [], "bpftrace": []}
    mem = {}
    for _ in range(ROUNDS):
        for name, make in (("mmtrace", lambda: mmtrace("fork")),
                           ("bpftrace",
                            lambda: bpftrace("bpftrace", BPFTRACE_FORK))):
            t = make().start()
            try:
                attach[name].append(t.attach_s * 1000)
                run_workload(workloads()[0][1])
                maps = bpftool("map")
                mem[name] = (t.status("VmHWM"), t.status("VmRSS"),
                             sum(maps.get(i, {}).get("bytes_memlock", 0)
                                 for i in t.bpf_ids("map")))
            finally:
                t.stop()
    return {k: median(v) for k, v in attach.items()}, mem


def verdict(ok):
    return "ok" if ok else "MISS"


def print_costs(costs):
    print("\nPer-event cost of the BPF programs (ns, bpf_stats, median)")
    print(f"  {'hook':<13} {'mmtrace':>8} {'floor':>8} {'bpftrace':>9}"
          f" {'vs floor':>9} {'vs bpftrace':>12}  target <=1.3x floor,"
          " <=0.5x bpftrace")
    for hook, _ in HOOKS:
        m, f, b = (costs[c].get(hook, float("nan"))
                   for c in ("mmtrace", "floor", "bpftrace"))
        rf, rb = m / f, m / b
        print(f"  {hook:<13} {m:8.0f} {f:8.0f} {b:9.0f} {rf:8.2f}x"
              f" {rb:11.2f}x  {verdict(rf <= 1.3)}/{verdict(rb <= 0.5)}")


def print_throughput(times, configs):
    print("\nWorkload wall time (s, median) and slowdown against untraced"
          "  target <=2% with every view")
    print(f"  {'workload':<12}" + "".join(f" {c:>14}" for c in configs))
    for wname, _ in workloads():
        base = times[(wname, "untraced")]
        cells = []
        for c in configs:
            t = times[(wname, c)]
            cells.append(f"{t:6.3f}" if c == "untraced" else
                         f"{t:6.3f} {100 * (t / base - 1):+5.1f}%")
        print(f"  {wname:<12}" + "".join(f" {x:>14}" for x in cells))


def print_startup_memory(attach, mem):
    m, b = attach["mmtrace"], attach["bpftrace"]
    print("\nStart-up, exec to attached (ms, median)"
          "  target <=30 ms and <=0.5x bpftrace")
    print(f"  mmtrace fork {m:6.1f}   bpftrace {b:6.1f}   ratio {m / b:.2f}x"
          f"  {verdict(m <= 30)}/{verdict(m / b <= 0.5)}")
    print("\nMemory  target: mmtrace peak RSS <=8 MB")
    for name, (hwm, rss, maps) in mem.items():
        print(f"  {name:<9} peak RSS {hwm / 1024:6.1f} MB  steady RSS"
              f" {rss / 1024:6.1f} MB  BPF maps {maps / 1024:7.0f} KiB"
              + (f"  {verdict(hwm <= 8192)}" if name == "mmtrace" else ""))


def main():
    if os.geteuid() != 0:
        print("bench: run as root (it loads BPF programs)", file=sys.stderr)
        return 2
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        stats_was = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        all_views, absent = views()
        costs = bench_costs()
        times, configs = bench_throughput(all_views)
        attach, mem = bench_startup_memory()
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_was)
    u = os.uname()
    print(f"mmtrace bench: kernel {u.release}, {os.cpu_count()} CPUs,"
          f" {ROUNDS} rounds alternating configurations, medians;"
          f" views: {', '.join(all_views)}"
          + (f" (not on this kernel: {', '.join(absent)})" if absent else ""))
    print_costs(costs)
    print_throughput(times, configs)
    print_startup_memory(attach, mem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
