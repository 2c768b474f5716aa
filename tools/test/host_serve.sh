# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace serve: the exposition (promtool, both formats), a
# real Prometheus scraping the fork oracle, the dashboard's queries, HTTP
# abuse, and a wrk load with memory flat. Sourced by run.sh.

# Debian's python3, which has python3-prometheus-client (the machine's
# default python3 may be another one).
SYS_PYTHON=/usr/bin/python3
SERVE_PORT=$((20000 + RANDOM % 10000))
PROM_PORT=$((SERVE_PORT + 1))

# serve_start OUT ARGS...: mmtrace serve in the background, attached.
serve_start() {
	serve_err=$1
	shift
	: >"$serve_err"
	"$MMTRACE" serve --tier "$HOST_TIER" "$@" 2>>"$serve_err" &
	serve_pid=$!
	wait_line "$serve_err" 'Ctrl-C to stop' "$serve_pid" && return 0
	kill -KILL "$serve_pid" 2>/dev/null
	wait "$serve_pid" 2>/dev/null
	return 1
}

# serve_stop NAME: SIGTERM must end it with 0 and every program detached.
serve_stop() {
	local held rc left
	held=$(held_prog_ids "$serve_pid")
	kill -TERM "$serve_pid"
	wait_for "$serve_pid" 30
	rc=$?
	verdict "$1: SIGTERM exits 0" "$rc" "$(status "$rc"): $(tail -c 300 "$serve_err")"
	left=$(progs_left "$held")
	[ -n "$held" ] && [ -z "$left" ]
	verdict "$1: programs detached" $? "held '$held', left '$left'"
}

serve_value() {
	bounded "$SYS_PYTHON" tools/test/serve_check.py value "$1" "$2"
}

# prom_query EXPR: the value of a one-sample instant query, or "none".
prom_query() {
	curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" |
		"$SYS_PYTHON" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")' 2>/dev/null || echo none
}

prom_start() {
	mkdir -p "$TMP/prom"
	cat >"$TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mmtrace
    static_configs:
      - targets: ['127.0.0.1:$SERVE_PORT']
EOF
	prometheus --config.file="$TMP/prom/prometheus.yml" \
		--storage.tsdb.path="$TMP/prom/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" \
		>"$TMP/prom/log" 2>&1 &
	prom_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		curl -sf --max-time 1 "http://127.0.0.1:$PROM_PORT/-/ready" \
			>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# prom_wait EXPR WANT: until the query answers WANT (30 s at most).
prom_wait() {
	local i
	for ((i = 0; i < 60; i++)); do
		prom_got=$(prom_query "$1")
		[ "$prom_got" = "$2" ] && return 0
		sleep 0.5
	done
	return 1
}

# The fork oracle, scraped by a real Prometheus: exactly the pinned-page
# copies pinfork measured, under its own comm.
serve_prometheus_oracle() {
	local name="host serve: Prometheus scrapes the fork oracle" want
	local series='mmtrace_fork_comm_pinned_copies_total{comm="pfserve"}'
	if ! prom_start; then
		fail "$name" "prometheus not ready: $(tail -c 300 "$TMP/prom/log")"
		return
	fi
	cp "$PINFORK" "$TMP/pfserve"
	if ! bounded "$TMP/pfserve" --pages 64 --forks 10 >"$TMP/pfserve.truth"; then
		fail "$name" "pinfork failed"
		return
	fi
	want=$("$SYS_PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
		"$TMP/pfserve.truth")
	[ "$(serve_value "127.0.0.1:$SERVE_PORT" "$series")" = "$want" ]
	verdict "host serve: /metrics pinned copies of pfserve == $want" $? \
		"got $(serve_value "127.0.0.1:$SERVE_PORT" "$series")"
	[ "$(serve_value "127.0.0.1:$SERVE_PORT" \
		'mmtrace_fork_comm_forks_total{comm="pfserve"}')" = 10 ]
	verdict "host serve: /metrics forks of pfserve == 10" $? "not 10"
	prom_wait "$series" "$want"
	verdict "$name: PromQL says $want" $? "got '$prom_got'"
	prom_wait 'up{job="mmtrace"}' 1
	verdict "host serve: Prometheus target up" $? "got '$prom_got'"
	serve_dashboard
	kill "$prom_pid"
	wait "$prom_pid" 2>/dev/null
}

# Every dashboard query parses and runs in Prometheus, over names the
# exporter really has (live, plus the views this kernel cannot load).
serve_dashboard() {
	local names=$TMP/metric-names
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" |
		awk '/^# TYPE/ { print $3 }' >"$names"
	# The families of views that cannot load here, and of the other
	# --by labels, from the views' tables.
	grep -ho 'METRIC_[A-Z0-9_]*(BSS, "[a-z0-9_]*"' user/*.c |
		sed 's/.*"\(.*\)"/mmtrace_\1/' >>"$names"
	# Self metrics that depend on this host (BPF stats may be off).
	sed -n 's/.*family(&*m, "\([a-z0-9_]*\)", METRIC_COUNTER.*/mmtrace_\1_total/p' \
		user/export.c >>"$names"
	sed -n 's/.*family(&*m, "\([a-z0-9_]*\)", METRIC_[GH].*/mmtrace_\1/p' \
		user/export.c >>"$names"
	for f in fork gup hugetlb locks; do
		grep -o '^	ROW("[a-z0-9_]*"' "user/$f.c" | cut -d'"' -f2 |
			sed "s/.*/mmtrace_${f}_comm_&_total\nmmtrace_${f}_cgroup_&_total/"
	done >>"$names"
	check_with "host serve: dashboard" bounded "$SYS_PYTHON" \
		tools/test/dashboard_check.py tools/dashboards/mmtrace.json \
		--names "$names" --prometheus "http://127.0.0.1:$PROM_PORT"
}

# wrk on loopback: no error at all, and RSS flat between two equal runs.
serve_load() {
	local name="host serve: wrk load" out rss1 rss2 i
	for i in 1 2 3; do
		out=$(bounded wrk -t2 -c16 -d4s --timeout 5s \
			"http://127.0.0.1:$SERVE_PORT/metrics" 2>&1)
		if ! grep -q 'requests in' <<<"$out" ||
			grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
			fail "$name: run $i" "$(tr '\n' ' ' <<<"$out" | head -c 400)"
			return
		fi
		# The first run warms the allocator; the next two must match.
		[ "$i" = 2 ] && rss1=$(awk '/VmRSS/ { print $2 }' /proc/"$serve_pid"/status)
		[ "$i" = 3 ] && rss2=$(awk '/VmRSS/ { print $2 }' /proc/"$serve_pid"/status)
	done
	pass "$name: 3 runs, every request 200 ($(grep -o '[0-9]* requests in' <<<"$out"))"
	# Under ASan, freed memory sits in its quarantine by design: there
	# LeakSanitizer, at serve_stop, is the check instead.
	[ -n "${SANITIZED:-}" ] && return
	# 256 KiB: malloc's trim threshold; a leak per request (thousands
	# of requests a run) would be far above it.
	[ $((rss2 - rss1)) -le 256 ]
	verdict "$name: RSS flat (${rss1} -> ${rss2} KiB)" $? "grew $((rss2 - rss1)) KiB"
}

serve_by_cgroup() {
	local name="host serve --by cgroup" root port=$((SERVE_PORT + 2)) got
	root=$(cgroup2_root)
	if [ -z "$root" ]; then
		skip "$name" "no cgroup v2 hierarchy mounted"
		return
	fi
	CGROUP_DIR=$root/mmtrace-serve.$$
	mkdir -p "$CGROUP_DIR/inner" || { fail "$name" "mkdir"; return; }
	if ! serve_start "$TMP/serve-cg.err" --views fork --by cgroup \
		--listen "127.0.0.1:$port"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-cg.err")"
		cgroup_remove
		return
	fi
	# shellcheck disable=SC2016
	bounded sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --pages 32 --forks 5' \
		sh "$CGROUP_DIR/inner" "$PINFORK" >/dev/null
	got=$(serve_value "127.0.0.1:$port" \
		"mmtrace_fork_cgroup_pinned_copies_total{cgroup=\"/${CGROUP_DIR#"$root"/}/inner\"}")
	[ "$got" = 160 ]
	verdict "$name: the cgroup's pinned copies == 160" $? "got '$got'"
	serve_stop "$name"
	cgroup_remove || fail "$name" "cannot remove $CGROUP_DIR"
}

serve_usage() {
	local args rc
	for args in "--by pid" "--listen nope" "--listen 127.0.0.1:0" \
		"--listen 127.0.0.1:99999" "--views fork,nope" "--views ," \
		"--top 0" "extra"; do
		# shellcheck disable=SC2086
		bounded "$MMTRACE" serve $args >/dev/null 2>"$TMP/usage.err"
		rc=$?
		[ "$rc" = 2 ] && [ "$(wc -l <"$TMP/usage.err")" = 1 ]
		verdict "host serve $args: one line, exit 2" $? \
			"$(status $rc): $(head -c 200 "$TMP/usage.err")"
	done
}

serve_port_taken() {
	local rc
	bounded "$MMTRACE" serve --tier "$HOST_TIER" -d 2 \
		--listen "127.0.0.1:$SERVE_PORT" >/dev/null 2>"$TMP/taken.err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'cannot listen' "$TMP/taken.err"
	verdict "host serve: port in use says so, exit 1" $? \
		"$(status $rc): $(tail -c 200 "$TMP/taken.err")"
}

host_serve() {
	local name="host serve"
	serve_usage
	if ! serve_start "$TMP/serve.err" --listen "127.0.0.1:$SERVE_PORT"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve.err")"
		return
	fi
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$TMP/metrics.txt"
	bounded promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1
	verdict "$name: promtool check metrics" $? "$(head -c 400 "$TMP/promtool.out")"
	check_with "$name: exposition" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py exposition "127.0.0.1:$SERVE_PORT"
	serve_port_taken
	serve_prometheus_oracle
	check_with "$name: http" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py http "127.0.0.1:$SERVE_PORT"
	serve_load
	serve_stop "$name"
	serve_by_cgroup
}
