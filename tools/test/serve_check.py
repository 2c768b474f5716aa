#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of a running `mmtrace serve`, one "PASS name" or "FAIL name: why"
line each (tools/test/host_serve.sh counts them).

  serve_check.py exposition HOST:PORT    both formats parse; histograms hold
  serve_check.py http HOST:PORT          bad, big, slow and many clients
  serve_check.py negotiate HOST:PORT     Accept headers, RFC 9110 q-values
  serve_check.py burst HOST:PORT         beyond --max-requests 1: 503s
  serve_check.py strict HOST:PORT        strict parsers, one sample a series
  serve_check.py file PATH               a --textfile file: the same, read
                                         whole from PATH
  serve_check.py value HOST:PORT SERIES  prints one sample's value
  serve_check.py count HOST:PORT PREFIX  prints how many series start so
  serve_check.py lives PROM_URL SELECTOR the samples Prometheus holds for
                                         SELECTOR over 5 min, and their
                                         total as a counter across resets
  serve_check.py clones HOST:PORT CMD... the host's forks, vforks and
                                         threads while CMD runs, against a
                                         tracefs instance's task_newtask
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as prom_parser

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
# user/serve.c: HTTP_TIMEOUT_S, HTTP_REQUEST_MEMORY, --max-requests.
SERVER_TIMEOUT_S = 10
REQUEST_MEMORY = 16 * 1024
MAX_REQUESTS = 8

failed = 0


def verdict(name, ok, why=""):
    global failed
    if ok:
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def fetch(addr, accept=None, path="/metrics", method="GET"):
    req = urllib.request.Request(f"http://{addr}{path}", method=method)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def histogram_problems(families):
    """Cumulative buckets, increasing bounds, +Inf == _count."""
    problems = []
    for fam in families:
        if fam.type != "histogram":
            continue
        series = {}
        for s in fam.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, []).append(s)
        for key, samples in series.items():
            buckets = [(float(s.labels["le"]), s.value) for s in samples
                       if s.name.endswith("_bucket")]
            count = [s.value for s in samples if s.name.endswith("_count")]
            bounds = [b for b, _ in buckets]
            values = [v for _, v in buckets]
            where = f"{fam.name}{dict(key)}"
            if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                problems.append(f"{where}: le not increasing")
            if values != sorted(values):
                problems.append(f"{where}: buckets not cumulative")
            if not buckets or bounds[-1] != float("inf"):
                problems.append(f"{where}: no +Inf bucket")
            elif count != [values[-1]]:
                problems.append(f"{where}: +Inf {values[-1]} != count {count}")
    return problems


def check_exposition(addr):
    status, headers, text = fetch(addr)
    verdict("serve text format content type",
            status == 200 and "version=0.0.4" in headers["Content-Type"],
            f"{status} {headers['Content-Type']}")
    fams = list(prom_parser.text_string_to_metric_families(text))
    verdict("serve text format parses", len(fams) > 10, f"{len(fams)} families")
    problems = histogram_problems(fams)
    verdict("serve text histograms are cumulative, +Inf == count",
            not problems and any(f.type == "histogram" for f in fams),
            "; ".join(problems[:3]) or "no histogram")

    status, headers, text = fetch(addr, accept=OPENMETRICS)
    verdict("serve OpenMetrics on request",
            status == 200 and headers["Content-Type"].startswith(
                "application/openmetrics-text"), headers["Content-Type"])
    try:
        fams = list(om_parser.text_string_to_metric_families(text))
        err = ""
    except ValueError as e:
        fams, err = [], str(e)
    verdict("serve OpenMetrics parses (strict parser, # EOF)",
            not err and text.endswith("# EOF\n"), err)
    problems = histogram_problems(fams)
    verdict("serve OpenMetrics histograms hold", not problems,
            "; ".join(problems[:3]))
    names = {f.name for f in fams}
    verdict("serve self metrics present",
            {"mmtrace_probe_attached", "mmtrace_lost",
             "mmtrace_view_up"} <= names, sorted(names)[:5])


def raw(addr, data, read=True, timeout=5):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return s
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        if read:
            s.close()


def status_of(reply):
    parts = reply.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def alive(addr):
    try:
        return fetch(addr)[0] == 200
    except OSError:
        return False


def check_http(addr):
    verdict("serve 404 elsewhere", fetch(addr, path="/nope")[0] == 404)
    status, headers, _ = fetch(addr, method="POST")
    verdict("serve 405 for POST, with Allow",
            status == 405 and "GET" in (headers["Allow"] or ""), status)
    status, _, body = fetch(addr, method="HEAD")
    verdict("serve HEAD: no body", status == 200 and body == "", status)
    verdict("serve index page", "/metrics" in fetch(addr, path="/")[2])

    # A request line that is not HTTP: a 400, or the connection closed.
    reply = raw(addr, b"GARBAGE\r\n\r\n")
    verdict("serve malformed request refused, server alive",
            status_of(reply) in (400, None) and b"200 OK" not in reply and
            alive(addr), reply[:60])
    reply = raw(addr, b"GET /metrics HTTP/1.1\r\nBad header line\r\n\r\n")
    verdict("serve malformed header refused, server alive",
            status_of(reply) in (400, None) and alive(addr), reply[:60])
    big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + \
        b"a" * (REQUEST_MEMORY * 4) + b"\r\n\r\n"
    reply = raw(addr, big)
    verdict("serve oversized header refused, server alive",
            status_of(reply) in (400, 413, 414, 431) and alive(addr), reply[:60])
    many = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n"
    reply = raw(addr, many)
    verdict("serve 5000 headers refused, server alive",
            status_of(reply) in (400, 413, 431) and alive(addr), reply[:60])

    # Slow clients hold connections, not the server: a scrape still
    # answers at once, and the server drops them after its timeout.
    slow = [raw(addr, b"GET /metrics HTTP/1.1\r\nHo", read=False,
                timeout=SERVER_TIMEOUT_S * 3) for _ in range(20)]
    start = time.monotonic()
    ok = alive(addr)
    took = time.monotonic() - start
    verdict("serve answers while 20 slow clients hang", ok and took < 2,
            f"ok={ok} in {took:.2f}s")
    start = time.monotonic()
    closed = 0
    for s in slow:
        try:
            closed += s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            closed += 1
        s.close()
    took = time.monotonic() - start
    verdict(f"serve drops slow clients after its {SERVER_TIMEOUT_S}s timeout",
            closed == len(slow) and took < SERVER_TIMEOUT_S * 2,
            f"{closed}/{len(slow)} closed in {took:.1f}s")

    results = []

    def scrape():
        results.append(alive(addr))
    # As many as --max-requests lets through by default.
    threads = [threading.Thread(target=scrape) for _ in range(MAX_REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict(f"serve {MAX_REQUESTS} concurrent scrapes all answered",
            results == [True] * MAX_REQUESTS, results)
    check_keepalive(addr)


def duplicates(text):
    """Series that appear more than once in one exposition. Read from the
    text: the OpenMetrics parser drops a repeat that follows its twin."""
    seen, dups = set(), []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key = line.rsplit(" ", 1)[0]
        if key in seen:
            dups.append(key[:200])
        seen.add(key)
    return dups


def check_strict(addr):
    for fmt, accept, parser in (("text", None, prom_parser),
                                ("OpenMetrics", OPENMETRICS, om_parser)):
        _, _, text = fetch(addr, accept=accept)
        try:
            list(parser.text_string_to_metric_families(text))
            err = ""
        except ValueError as e:
            err = str(e)
        dups = duplicates(text)
        verdict(f"serve {fmt} page: strict parser, one sample per series",
                not err and not dups,
                err or f"{len(dups)} repeated: {dups[:2]}")


def check_file(path):
    """A --textfile file: the text format (node_exporter reads no other),
    strict parser, one sample per series, histograms that hold."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        fams = list(prom_parser.text_string_to_metric_families(text))
        err = ""
    except ValueError as e:
        fams, err = [], str(e)
    dups = duplicates(text)
    verdict("serve textfile: strict text parser, one sample per series",
            not err and not dups and len(fams) > 10,
            err or f"{len(dups)} repeated: {dups[:2]}, {len(fams)} families")
    problems = histogram_problems(fams)
    verdict("serve textfile: histograms are cumulative, +Inf == count",
            not problems and any(f.type == "histogram" for f in fams),
            "; ".join(problems[:3]) or "no histogram")


# (Accept, the format it must get): RFC 9110, 12.5.1.
NEGOTIATION = [
    ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "om"),
    ("text/plain;version=0.0.4;q=0.5,"
     "application/openmetrics-text;version=1.0.0;q=0.4", "text"),
    ("text/plain;version=0.0.4, application/openmetrics-text;q=0", "text"),
    ("application/openmetrics-text;version=2.0.0", "text"),
    ("text/plain;q=0, application/openmetrics-text;q=0.1", "om"),
    ("*/*", "text"),
    (None, "text"),
]


def check_negotiate(addr):
    for accept, want in NEGOTIATION:
        status, headers, text = fetch(addr, accept=accept)
        ctype = headers["Content-Type"] or ""
        got = "om" if ctype.startswith("application/openmetrics-text") else \
            "text" if ctype.startswith("text/plain") else ctype
        parser = om_parser if got == "om" else prom_parser
        try:
            list(parser.text_string_to_metric_families(text))
            err = ""
        except ValueError as e:
            err = str(e)
        verdict(f"serve Accept: {accept}: {want}",
                status == 200 and got == want and not err,
                f"{status} {ctype} {err}")


def check_keepalive(addr):
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    ports, closes = [], []
    for _ in range(3):
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        ports.append(conn.sock.getsockname()[1] if conn.sock else None)
        closes.append(r.getheader("Connection"))
    conn.close()
    verdict("serve keeps the connection alive between scrapes",
            None not in ports and len(set(ports)) == 1 and
            "close" not in closes, f"ports {ports}, Connection {closes}")


def check_burst(addr, rounds=30, width=16):
    """With --max-requests 1, simultaneous scrapes beyond it get a 503."""
    host, port = addr.rsplit(":", 1)
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    statuses = []
    for _ in range(rounds):
        socks = [socket.create_connection((host, int(port)), timeout=10)
                 for _ in range(width)]
        for s in socks:
            s.sendall(req)
        for s in socks:
            chunks = []
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
            s.close()
            statuses.append(status_of(b"".join(chunks)))
        if 503 in statuses and 200 in statuses:
            break
    odd = [x for x in statuses if x not in (200, 503)]
    verdict("serve beyond --max-requests: 503, the rest 200",
            503 in statuses and 200 in statuses and not odd,
            f"{statuses.count(200)} x 200, {statuses.count(503)} x 503, "
            f"other {odd[:5]}")
    verdict("serve alive after the burst", alive(addr))


def count(addr, prefix):
    print(sum(line.startswith(prefix) for line in fetch(addr)[2].splitlines()))


def lives(prom, selector):
    """Prometheus's samples of a counter; the increase they add up to."""
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode(
        {"query": f"{selector}[5m]"})
    with urllib.request.urlopen(url, timeout=10) as r:
        result = json.load(r)["data"]["result"]
    if len(result) != 1:
        print(f"series={len(result)}")
        return
    values = [int(float(v)) for _, v in result[0]["values"]]
    total = 0
    for a, b in zip(values, values[1:]):
        total += b - a if b >= a else b
    # Runs of equal values shortened: 0 3 0 9, not 0 3 3 3 0 9 9.
    runs = [v for i, v in enumerate(values) if not i or v != values[i - 1]]
    print(f"total={total} samples={' '.join(map(str, runs))}")


def value(addr, series):
    for line in fetch(addr)[2].splitlines():
        if line.startswith(series + " "):
            print(line.split()[-1])
            return
    print("absent")

# include/uapi/linux/sched.h; PF_KTHREAD: include/linux/sched.h.
CLONE_VM, CLONE_VFORK, CLONE_UNTRACED = 0x100, 0x4000, 0x800000
PF_KTHREAD = 0x00200000
CLONE_KINDS = ("fork", "vfork", "thread")
# A scrape and a task_newtask event closer than this are not ordered: the
# record and serve's count are made in one call of the tracepoint's
# probes, with preemption off (include/linux/tracepoint.h).
MARGIN_S = 0.0001


def clone_kind(flags):
    """fork.bpf.c's clone_kind(), from the record's clone_flags."""
    if flags & CLONE_VFORK:
        return "vfork"
    return "thread" if flags & CLONE_VM else "fork"


def kthread(pid):
    """True or False, or None once the task is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return bool(int(stat.rsplit(")", 1)[1].split()[6]) & PF_KTHREAD)


class NewtaskInstance:
    """A tracefs instance of our own recording task_newtask and markers,
    on the clock BPF reads (mono): the host's clones, counted apart."""

    ROOT = "/sys/kernel/tracing/instances"

    def __init__(self):
        # One a killed run left behind (timeout's SIGKILL).
        for old in os.listdir(self.ROOT):
            if old.startswith("mmtrace-clones-"):
                self.remove(os.path.join(self.ROOT, old))
        self.dir = os.path.join(self.ROOT, f"mmtrace-clones-{os.getpid()}")
        os.mkdir(self.dir)
        self.put("trace_clock", "mono")
        self.put("buffer_size_kb", "4096")
        self.put("events/task/task_newtask/enable", "1")
        self.put("tracing_on", "1")

    def put(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def mark(self, text):
        self.put("trace_marker", text)

    def records(self):
        """(seconds, marker or None, common_pid, clone_flags), in order."""
        out = []
        with open(os.path.join(self.dir, "trace")) as f:
            for line in f:
                m = re.match(r"\s*.*?-(\d+)\s+\[\d+\].*?\s(\d+\.\d+): "
                             r"(tracing_mark_write: (\S+)|task_newtask: .*"
                             r"clone_flags=([0-9a-f]+))", line)
                if m:
                    out.append((float(m[2]), m[4], int(m[1]),
                                int(m[5], 16) if m[5] else 0))
        return out

    @staticmethod
    def remove(path):
        """Best effort: an instance's events must be off before rmdir."""
        for name, text in (("tracing_on", "0"),
                           ("events/task/task_newtask/enable", "0")):
            try:
                with open(os.path.join(path, name), "w") as f:
                    f.write(text)
            except OSError:
                pass
        try:
            os.rmdir(path)
        except OSError:
            pass

    def close(self):
        self.remove(self.dir)


def clone_counts(conn):
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    got = {}
    for kind in CLONE_KINDS:
        m = re.search(rf'^mmtrace_fork_clones_total{{kind="{kind}"}} (\d+)$',
                      text, re.M)
        got[kind] = int(m[1]) if m else None
    return got


def clones_between(records):
    """The clones mmtrace counts between the two scrapes, by kind, or None
    when one may have fallen inside a scrape or its parent is gone."""
    marks = {m: t for t, m, _, _ in records if m}
    if len(marks) != 4:
        return None
    near = [(marks["s1a"] - MARGIN_S, marks["s1b"] + MARGIN_S),
            (marks["s2a"] - MARGIN_S, marks["s2b"] + MARGIN_S)]
    want = dict.fromkeys(CLONE_KINDS, 0)
    for t, m, pid, flags in records:
        if m or t < near[0][0] or t > near[1][1]:
            continue
        if any(a <= t <= b for a, b in near):
            return None
        # The kernel's own clones set CLONE_UNTRACED: a kernel thread's
        # (no mm: not counted), an io_uring or vhost worker's (counted).
        # A user-space clone may set it too: its parent is no kthread.
        if flags & CLONE_UNTRACED:
            k = kthread(pid)
            if k is None:
                return None
            if k:
                continue
        want[clone_kind(flags)] += 1
    return want


def check_clones(addr, argv):
    """Every clone on the host while argv runs, by kind, as tracefs saw it,
    equals the increase of serve's counts between two scrapes."""
    name = "serve counts every clone on the host, as task_newtask does"
    tries = []
    # timeout(1)'s SIGTERM: remove the instance all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    inst = None
    # One connection: serve starts a thread for each (a clone).
    conn = http.client.HTTPConnection(addr, timeout=SERVER_TIMEOUT_S)
    try:
        inst = NewtaskInstance()
        clone_counts(conn)
        for _ in range(8):
            inst.put("trace", "")
            inst.mark("s1a")
            before = clone_counts(conn)
            inst.mark("s1b")
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            inst.mark("s2a")
            after = clone_counts(conn)
            inst.mark("s2b")
            want = clones_between(inst.records())
            if want is None:
                tries.append("a clone next to a scrape, a marker lost, "
                             "or a parent gone")
                continue
            got = {k: after[k] - before[k] for k in CLONE_KINDS
                   if after[k] is not None and before[k] is not None}
            verdict(name, got == want and want["fork"] > 0,
                    f"serve {got}, tracefs {want}")
            return
    finally:
        conn.close()
        if inst:
            inst.close()
    verdict(name, False, f"no clean window in 8 tries: {tries}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "exposition":
        check_exposition(addr)
    elif cmd == "http":
        check_http(addr)
    elif cmd == "negotiate":
        check_negotiate(addr)
    elif cmd == "burst":
        check_burst(addr)
    elif cmd == "strict":
        check_strict(addr)
    elif cmd == "file":
        check_file(addr)
    elif cmd == "value":
        value(addr, sys.argv[3])
        return
    elif cmd == "count":
        count(addr, sys.argv[3])
        return
    elif cmd == "lives":
        lives(addr, sys.argv[3])
        return
    elif cmd == "clones":
        check_clones(addr, sys.argv[3:])
    else:
        sys.exit(__doc__)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
