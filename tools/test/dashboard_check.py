#!/usr/bin/env python3
r"""Check a Grafana dashboard for mmtrace serve: importable, only real metric
names, and (optionally) every query accepted by a real Prometheus.

Usage:
    dashboard_check.py DASHBOARD.json --names FILE [--names FILE...]
                       [--prometheus URL]

Prints one line per check, "PASS <name>" or "FAIL <name>: <why>", and exits 1
if any check failed (2 on a usage error). Python 3 standard library only.

(a) Structure: the JSON is a dashboard as Grafana's "Export for sharing
    externally" writes it: title, uid, panels, schemaVersion (>= 36),
    templating, __inputs declaring a Prometheus datasource, __requires naming
    every panel type used; unique integer panel ids; a type and a gridPos
    {x,y,w,h} inside 24 columns for every panel, no two panels overlapping;
    a description and at least one target with expr and refId for every
    panel that is not a row; every datasource reference (panels, targets,
    template variables) is {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    (the built-in "-- Grafana --" annotation is the one exception).

(b) Names: every mmtrace_[a-z0-9_]+ in every expr (and in template variable
    queries) must be listed in a --names FILE, either as written or, for
    names ending in _bucket, _sum, _count, _total or _created, as the family
    base without that suffix. FILE holds one sample/family name per line
    (blank lines and lines starting with '#' are ignored; only the first
    word of a line is used). An expr with no mmtrace_ name fails too.

    The names file used by the tests is made by metric_names in
    tools/test/lib.sh, from the live exporter and the exporter's source
    tables (views that cannot load on the test kernel, observations that
    are not attached, and BPF run-time stats the kernel does not keep
    export nothing live): the families each view's table of numbers
    declares (EXPORT, HISTOGRAM*, EXPORT_ROW per --by label) and those
    user/export.c renders itself.

    No expr subtracts one rate from another (")" then "-"): a count
    derived that way goes negative when its two counters grow in different
    scrapes.

(c) With --prometheus URL, each expr is sent to URL/api/v1/query (an instant
    query at the current time) and must come back with status "success":
    Prometheus parsed and executed it. How many series it returned is
    printed for information (an unavailable view legitimately returns none).
    Template variable queries of the form label_values(SELECTOR, LABEL) are
    sent to URL/api/v1/label/LABEL/values?match[]=SELECTOR the same way
    (label_values(LABEL) without a selector is sent without match[]).

    Grafana variables are replaced before sending, exactly as follows, and
    nothing else is:
      - inside the quoted value of a regex matcher (label=~"..." or
        label!~"..."), every reference to a variable defined in the
        dashboard's templating ($var, ${var}, ${var:format}, [[var]]) becomes
        .*  -- i.e. "all values", which is what the dashboard's "All" means;
      - then, anywhere: $__rate_interval and ${__rate_interval} -> 1m,
        $__interval and ${__interval} -> 15s.
    A variable left anywhere else (e.g. in an = matcher, a metric name or a
    range) makes that check FAIL rather than being guessed at.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

DS_REF = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
BUILTIN_ANNOTATION_DS = {"type": "grafana", "uid": "-- Grafana --"}
GRID_COLUMNS = 24
MIN_SCHEMA_VERSION = 36

# Built-in interval variables and what they become for a check query.
INTERVAL_SUBSTITUTIONS = [
    (re.compile(r"\$\{__rate_interval\}|\$__rate_interval\b"), "1m"),
    (re.compile(r"\$\{__interval\}|\$__interval\b"), "15s"),
]
METRIC_RE = re.compile(r"(?<![A-Za-z0-9_:])mmtrace_[a-z0-9_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
FAMILY_SUFFIXES = HISTOGRAM_SUFFIXES + ("_total", "_created")
REGEX_MATCHER_RE = re.compile(r'(=~|!~)(\s*)"((?:[^"\\]|\\.)*)"')
VAR_REF_RE = r"\$\{%s(?::[^}]*)?\}|\$%s\b|\[\[%s(?::[^\]]*)?\]\]"
LEFTOVER_VAR_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z_]")
LABEL_VALUES_RE = re.compile(
    r"^\s*label_values\(\s*(?:(?P<sel>.*\S)\s*,\s*)?(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$",
    re.S)


class Report:
    def __init__(self):
        self.failed = 0

    def ok(self, name, note=""):
        print("PASS %s%s" % (name, ": " + note if note else ""))

    def fail(self, name, why):
        self.failed += 1
        print("FAIL %s: %s" % (name, why))

    def check(self, name, problems, note=""):
        if problems:
            self.fail(name, "; ".join(problems))
        else:
            self.ok(name, note)


# ------------------------------------------------------------------ helpers

def all_panels(dash):
    """Top-level panels, then the panels inside collapsed rows."""
    out = []
    for p in dash.get("panels") or []:
        if not isinstance(p, dict):
            continue
        out.append(p)
        for child in p.get("panels") or []:
            if isinstance(child, dict):
                out.append(child)
    return out


def panel_label(p):
    return "panel %s %r" % (p.get("id"), p.get("title", ""))


def query_targets(dash):
    """(label, expr) of every panel target."""
    out = []
    for p in all_panels(dash):
        if p.get("type") == "row":
            continue
        for t in p.get("targets") or []:
            if isinstance(t, dict) and isinstance(t.get("expr"), str):
                out.append(("%s %s" % (panel_label(p), t.get("refId")),
                            t["expr"]))
    return out


def variables(dash):
    tmpl = dash.get("templating")
    if not isinstance(tmpl, dict):
        return []
    return [v for v in tmpl.get("list") or [] if isinstance(v, dict)]


def variable_query(v):
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q if isinstance(q, str) else None


def variable_queries(dash):
    """(label, query) of every query-type template variable."""
    return [("variable %s" % v.get("name"), variable_query(v))
            for v in variables(dash)
            if v.get("type") == "query" and variable_query(v)]


def substitute(expr, var_names):
    """Make a dashboard expression a plain PromQL one; see the module doc."""
    def in_matcher(m):
        value = m.group(3)
        for name in var_names:
            n = re.escape(name)
            value = re.sub(VAR_REF_RE % (n, n, n), ".*", value)
        return m.group(1) + m.group(2) + '"' + value + '"'

    expr = REGEX_MATCHER_RE.sub(in_matcher, expr)
    for pattern, value in INTERVAL_SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    left = LEFTOVER_VAR_RE.search(expr)
    if left:
        raise ValueError("variable %r is outside a =~/!~ matcher and is not "
                         "one of $__rate_interval/$__interval" %
                         (left.group(0),))
    return expr


# ------------------------------------------------------------- (a) structure

def check_structure(dash, rep):
    problems = []
    for key, typ in (("title", str), ("uid", str), ("panels", list),
                     ("schemaVersion", int), ("templating", dict),
                     ("__inputs", list), ("__requires", list)):
        if key not in dash:
            problems.append("missing %s" % key)
        elif not isinstance(dash[key], typ) or isinstance(dash[key], bool):
            problems.append("%s is not a %s" % (key, typ.__name__))
    if isinstance(dash.get("title"), str) and not dash["title"].strip():
        problems.append("empty title")
    rep.check("top-level keys", problems)

    uid = dash.get("uid")
    rep.check("uid", [] if isinstance(uid, str) and
              re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid) else
              ["uid %r is not 1-40 characters of [A-Za-z0-9_-]" % (uid,)],
              str(uid))

    sv = dash.get("schemaVersion")
    rep.check("schemaVersion", [] if isinstance(sv, int) and
              sv >= MIN_SCHEMA_VERSION else
              ["schemaVersion %r < %d" % (sv, MIN_SCHEMA_VERSION)], str(sv))

    inputs = dash.get("__inputs") if isinstance(dash.get("__inputs"), list) else []
    prom = [i for i in inputs if isinstance(i, dict) and
            i.get("type") == "datasource" and i.get("pluginId") == "prometheus"]
    problems = []
    if not any(i.get("name") == "DS_PROMETHEUS" for i in prom):
        problems.append("no __inputs entry {name: DS_PROMETHEUS, type: "
                        "datasource, pluginId: prometheus}")
    rep.check("__inputs prometheus datasource", problems)

    requires = dash.get("__requires") if isinstance(dash.get("__requires"), list) else []
    have = {(r.get("type"), r.get("id")) for r in requires if isinstance(r, dict)}
    problems = []
    if ("datasource", "prometheus") not in have:
        problems.append("__requires lacks the prometheus datasource")
    for t in sorted({p.get("type") for p in all_panels(dash)
                     if isinstance(p.get("type"), str)} - {"row"}):
        if ("panel", t) not in have:
            problems.append("__requires lacks panel type %s" % t)
    rep.check("__requires", problems)

    panels = all_panels(dash)
    problems = []
    if not panels:
        problems.append("no panels")
    seen = {}
    for p in panels:
        pid = p.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            problems.append("%s: id is not an integer" % panel_label(p))
        elif pid in seen:
            problems.append("id %d used by %r and %r" %
                            (pid, seen[pid], p.get("title")))
        else:
            seen[pid] = p.get("title")
    rep.check("panel ids unique integers", problems, "%d panels" % len(panels))

    rep.check("panel types", ["%s: no type" % panel_label(p) for p in panels
                              if not isinstance(p.get("type"), str) or
                              not p["type"]])

    problems = []
    rects = []
    for p in panels:
        g = p.get("gridPos")
        if not isinstance(g, dict):
            problems.append("%s: no gridPos" % panel_label(p))
            continue
        vals = [g.get(k) for k in ("x", "y", "w", "h")]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            problems.append("%s: gridPos needs integer x, y, w, h" %
                            panel_label(p))
            continue
        x, y, w, h = vals
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            problems.append("%s: gridPos %r outside %d columns" %
                            (panel_label(p), g, GRID_COLUMNS))
            continue
        rects.append((p, x, y, w, h))
    rep.check("gridPos within 24 columns", problems)

    # Panels of a collapsed row are laid out where they appear once the row
    # is expanded: compare them with each other, not with the top level.
    def group(p):
        for top in dash.get("panels") or []:
            if isinstance(top, dict) and any(c is p for c in top.get("panels") or []):
                return id(top)
        return None

    problems = []
    for i, (a, ax, ay, aw, ah) in enumerate(rects):
        for b, bx, by, bw, bh in rects[i + 1:]:
            if group(a) != group(b):
                continue
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                problems.append("%s overlaps %s" % (panel_label(a),
                                                    panel_label(b)))
    rep.check("panels do not overlap", problems)

    problems = []
    for p in panels:
        if p.get("type") == "row":
            continue
        targets = [t for t in p.get("targets") or [] if isinstance(t, dict)]
        good = [t for t in targets if isinstance(t.get("expr"), str) and
                t["expr"].strip() and isinstance(t.get("refId"), str) and
                t["refId"]]
        if not good or len(good) != len(targets):
            problems.append("%s: every target needs expr and refId (%d of %d "
                            "have both)" % (panel_label(p), len(good),
                                            len(targets)))
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            problems.append("%s: duplicate refId" % panel_label(p))
    rep.check("targets have expr and refId", problems)

    rep.check("panels have descriptions",
              ["%s: no description" % panel_label(p) for p in panels
               if p.get("type") != "row" and
               not (isinstance(p.get("description"), str) and
                    p["description"].strip())])

    problems = []
    for p in panels:
        if p.get("type") != "row" or "datasource" in p:
            if p.get("datasource") != DS_REF:
                problems.append("%s: datasource %r" % (panel_label(p),
                                                       p.get("datasource")))
        for t in p.get("targets") or []:
            if isinstance(t, dict) and t.get("datasource") != DS_REF:
                problems.append("%s %s: datasource %r" %
                                (panel_label(p), t.get("refId"),
                                 t.get("datasource")))
    for v in variables(dash):
        if v.get("type") == "query" and v.get("datasource") != DS_REF:
            problems.append("variable %s: datasource %r" %
                            (v.get("name"), v.get("datasource")))
        if v.get("type") == "datasource":
            problems.append("variable %s: a datasource variable; the export "
                            "uses __inputs DS_PROMETHEUS instead" % v.get("name"))

    # Anything else anywhere that names a datasource.
    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "datasource" and v is not None:
                    if v != DS_REF and not (
                            v == BUILTIN_ANNOTATION_DS and
                            path.startswith("annotations")):
                        problems.append("%s.datasource: %r" % (path, v))
                else:
                    walk(v, "%s.%s" % (path, k) if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s[%d]" % (path, i))
    walk({k: v for k, v in dash.items() if k not in ("panels", "templating")},
         "")
    rep.check("datasources are ${DS_PROMETHEUS}", sorted(set(problems)))

    problems = []
    for v in variables(dash):
        if not isinstance(v.get("name"), str) or not v["name"]:
            problems.append("a variable without a name")
    if not any(v.get("name") in ("instance", "job") for v in variables(dash)):
        problems.append("no job or instance variable")
    rep.check("templating", problems,
              ", ".join("$%s" % v.get("name") for v in variables(dash)))


# ----------------------------------------------------------------- (b) names

def load_names(paths):
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    names.add(line.split()[0])
    return names


def known(name, names):
    if name in names:
        return True
    for suffix in FAMILY_SUFFIXES:
        base = name[:-len(suffix)]
        if not name.endswith(suffix) or base not in names:
            continue
        # A counter (listed as X_total) has no X_total_bucket.
        if suffix in HISTOGRAM_SUFFIXES and base.endswith("_total"):
            continue
        return True
    return False


def check_names(dash, names, rep):
    for label, expr in query_targets(dash) + variable_queries(dash):
        found = sorted(set(METRIC_RE.findall(expr)))
        if not found:
            rep.fail("names %s" % label, "references no mmtrace_ metric")
            continue
        unknown = [n for n in found if not known(n, names)]
        if unknown:
            rep.fail("names %s" % label, "not exported: %s" % ", ".join(unknown))
        else:
            rep.ok("names %s" % label, ", ".join(found))


def check_differences(dash, rep):
    """A count derived by subtracting one counter's rate from another's
    goes negative whenever the two grow in different scrapes: each outcome
    the exporter knows has a counter of its own, to be plotted as it is."""
    problems = ["%s: %s" % (label, expr) for label, expr in query_targets(dash)
                if re.search(r"\)\s*-\s*[a-z(]", expr)]
    rep.check("no counter differences", problems)


# ------------------------------------------------------------ (c) prometheus

def prometheus_get(url):
    """The decoded JSON answer, also for 4xx/5xx (Prometheus puts the error
    in the body); raises OSError/ValueError if there is no JSON answer."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
    return json.loads(body.decode("utf-8"))


def check_prometheus(dash, base, rep):
    base = base.rstrip("/")
    var_names = [v["name"] for v in variables(dash)
                 if isinstance(v.get("name"), str) and v["name"]]

    def ask(label, url):
        try:
            ans = prometheus_get(url)
        except (OSError, ValueError) as e:
            rep.fail(label, "no answer from %s: %s" % (base, e))
            return
        if ans.get("status") != "success":
            rep.fail(label, "%s: %s" % (ans.get("errorType", "status %r" %
                                                ans.get("status")),
                                        ans.get("error", "")))
            return
        data = ans.get("data")
        if isinstance(data, dict):
            n = len(data.get("result") or [])
            what = "%d series" % n
        else:
            n = len(data or [])
            what = "%d values" % n
        warnings = ans.get("warnings")
        rep.ok(label, what + ("; warnings: %s" % warnings if warnings else ""))

    try:
        info = prometheus_get(base + "/api/v1/status/buildinfo")
    except (OSError, ValueError) as e:
        rep.fail("prometheus reachable", "no answer from %s: %s" % (base, e))
        return
    rep.ok("prometheus reachable", "%s, Prometheus %s" % (
        base, (info.get("data") or {}).get("version", "?")))

    for label, expr in query_targets(dash):
        label = "prometheus %s" % label
        try:
            q = substitute(expr, var_names)
        except ValueError as e:
            rep.fail(label, str(e))
            continue
        ask(label, "%s/api/v1/query?%s" % (base, urllib.parse.urlencode(
            {"query": q})))

    for label, query in variable_queries(dash):
        label = "prometheus %s" % label
        m = LABEL_VALUES_RE.match(query)
        if not m:
            rep.fail(label, "only label_values(...) variable queries are "
                     "checked: %r" % query)
            continue
        params = {}
        if m.group("sel"):
            try:
                params["match[]"] = substitute(m.group("sel"), var_names)
            except ValueError as e:
                rep.fail(label, str(e))
                continue
        ask(label, "%s/api/v1/label/%s/values%s" % (
            base, urllib.parse.quote(m.group("label")),
            "?" + urllib.parse.urlencode(params) if params else ""))


def main():
    ap = argparse.ArgumentParser(
        description="Check an mmtrace Grafana dashboard (see the source's "
        "docstring for what each check means).")
    ap.add_argument("dashboard", help="the dashboard JSON")
    ap.add_argument("--names", action="append", required=True, metavar="FILE",
                    help="known metric names, one per line (repeatable)")
    ap.add_argument("--prometheus", metavar="URL",
                    help="also run every query on this Prometheus, e.g. "
                    "http://127.0.0.1:9090")
    args = ap.parse_args()

    rep = Report()
    try:
        with open(args.dashboard, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        rep.fail("json", str(e))
        return 1
    if not isinstance(dash, dict):
        rep.fail("json", "the top level is not an object")
        return 1
    rep.ok("json", args.dashboard)

    try:
        names = load_names(args.names)
    except OSError as e:
        rep.fail("names file", str(e))
        return 1
    rep.check("names file", [] if names else ["no names in %s" %
                                              ", ".join(args.names)],
              "%d names" % len(names))

    check_structure(dash, rep)
    check_names(dash, names, rep)
    check_differences(dash, rep)
    if args.prometheus:
        check_prometheus(dash, args.prometheus, rep)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
