#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of a running `mmtrace serve`, one "PASS name" or "FAIL name: why"
line each (tools/test/host_serve.sh counts them).

  serve_check.py exposition HOST:PORT    both formats parse; histograms hold
  serve_check.py http HOST:PORT          bad, big, slow and many clients
  serve_check.py value HOST:PORT SERIES  prints one sample's value
"""
import socket
import sys
import threading
import time
import urllib.request

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as prom_parser

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
# user/serve.c: HTTP_TIMEOUT_S and HTTP_REQUEST_MEMORY.
SERVER_TIMEOUT_S = 10
REQUEST_MEMORY = 16 * 1024

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
    threads = [threading.Thread(target=scrape) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict("serve 16 concurrent scrapes all answered",
            results == [True] * 16, results)


def value(addr, series):
    for line in fetch(addr)[2].splitlines():
        if line.startswith(series + " "):
            print(line.split()[-1])
            return
    print("absent")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "exposition":
        check_exposition(addr)
    elif cmd == "http":
        check_http(addr)
    elif cmd == "value":
        value(addr, sys.argv[3])
        return
    else:
        sys.exit(__doc__)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
