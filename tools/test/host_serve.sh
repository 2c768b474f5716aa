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

# prom_start PORT...: a Prometheus scraping mmtrace on each PORT every
# second; its log is $prom_log.
prom_start() {
	local dir=$TMP/prom.$1 targets="" port
	for port in "$@"; do
		targets="$targets'127.0.0.1:$port', "
	done
	# A fresh TSDB: the san tier runs these tests again on the same ports,
	# and the first run's samples would join the second's series.
	rm -rf "$dir"
	mkdir -p "$dir"
	prom_log=$dir/log
	cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mmtrace
    static_configs:
      - targets: [${targets%, }]
EOF
	prom_launch "$dir" "$PROM_PORT"
	local rc=$?
	prom_pid=$launched_pid
	return $rc
}

# prom_launch DIR PORT [ARGS...]: Prometheus on DIR/prometheus.yml with a
# TSDB in DIR/data, until ready; its pid is $launched_pid, its log DIR/log.
prom_launch() {
	local dir=$1 port=$2 i
	shift 2
	prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" "$@" \
		>"$dir/log" 2>&1 &
	launched_pid=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf --max-time 1 "http://127.0.0.1:$port/-/ready" \
			>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

prom_stop() {
	kill "$prom_pid"
	wait "$prom_pid" 2>/dev/null
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
	if ! prom_start "$SERVE_PORT"; then
		fail "$name" "prometheus not ready: $(tail -c 300 "$prom_log")"
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
	# A new series is born at 0: the counts show from the next scrape.
	serve_poll "127.0.0.1:$SERVE_PORT" "$series" "$want"
	verdict "host serve: /metrics pinned copies of pfserve == $want" $? \
		"got $serve_got"
	serve_poll "127.0.0.1:$SERVE_PORT" \
		'mmtrace_fork_comm_forks_total{comm="pfserve"}' 10
	verdict "host serve: /metrics forks of pfserve == 10" $? "got $serve_got"
	prom_wait "$series" "$want"
	verdict "$name: PromQL says $want" $? "got '$prom_got'"
	prom_wait 'up{job="mmtrace"}' 1
	verdict "host serve: Prometheus target up" $? "got '$prom_got'"
	serve_dashboard
	prom_stop
}

# Every dashboard query parses and runs in Prometheus, over names the
# exporter really has (live, plus the views this kernel cannot load).
serve_dashboard() {
	local names=$TMP/metric-names
	metric_names "$SERVE_PORT" >"$names"
	check_with "host serve: dashboard" bounded "$SYS_PYTHON" \
		tools/test/dashboard_check.py tools/dashboards/mmtrace.json \
		--names "$names" --prometheus "http://127.0.0.1:$PROM_PORT"
}

# Until serve is down to its main and HTTP threads (10 s at most).
serve_idle() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '/^Threads:/ { print $2 }' /proc/"$serve_pid"/status)" -le 2 ] &&
			return
		sleep 0.1
	done
}

# wrk on loopback: no error at all, and RSS flat between two equal runs.
serve_load() {
	local name="host serve: wrk load" out rss1 rss2 i
	for i in 1 2 3; do
		# 8 connections: as many as --max-requests renders by default.
		out=$(bounded wrk -t2 -c8 -d4s --timeout 5s \
			"http://127.0.0.1:$SERVE_PORT/metrics" 2>&1)
		if ! grep -q 'requests in' <<<"$out" ||
			grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
			fail "$name: run $i" "$(tr '\n' ' ' <<<"$out" | head -c 400)"
			return
		fi
		# The renders of the previous run's last requests still hold
		# --max-requests slots for a moment: wait for their threads.
		serve_idle
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
	local name="host serve --by cgroup" root port=$((SERVE_PORT + 2))
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
	serve_poll "127.0.0.1:$port" \
		"mmtrace_fork_cgroup_pinned_copies_total{cgroup=\"/${CGROUP_DIR#"$root"/}/inner\"}" 160
	verdict "$name: the cgroup's pinned copies == 160" $? "got '$serve_got'"
	serve_stop "$name"
	cgroup_remove || fail "$name" "cannot remove $CGROUP_DIR"
}

# in_cgroup DIR CMD...: CMD in cgroup v2 DIR, from its first instruction.
in_cgroup() {
	# shellcheck disable=SC2016
	bounded sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' \
		sh "$@"
}

# Removes the test's cgroup tree, leaves first.
series_cgroup_remove() {
	local i
	for ((i = 0; i < 50; i++)); do
		find "$CGROUP_DIR" -mindepth 1 -depth -type d \
			-exec rmdir {} + 2>/dev/null
		rmdir "$CGROUP_DIR" 2>/dev/null && break
		sleep 0.1
	done
	[ -d "$CGROUP_DIR" ] && return 1
	CGROUP_DIR=""
}

# serve_poll ADDR SERIES WANT: until /metrics shows WANT (20 s at most).
serve_poll() {
	local i
	for ((i = 0; i < 40; i++)); do
		serve_got=$(serve_value "$1" "$2")
		[ "$serve_got" = "$3" ] && return 0
		sleep 0.5
	done
	return 1
}

# A cgroup path of 512 bytes or more below the mount is cut to 511 bytes
# the same way at every collect: one series, which PromQL reads whole.
series_long_cgroup() {
	local name="host serve --by cgroup, a 600-byte path" addr=$1 dir rel
	local l=llllllllllllllllllllllllllllllllllllllllllllllllll
	dir=$CGROUP_DIR/$l$l$l$l/${l//l/m}${l//l/m}${l//l/m}${l//l/m}
	dir=$dir/${l//l/n}${l//l/n}${l//l/n}${l//l/n}
	mkdir -p "$dir" || { fail "$name" "mkdir"; return; }
	cp "$PINFORK" "$TMP/pflong"
	rel=${dir#"$(cgroup2_root)"}
	[ "${#rel}" -ge 512 ] || { fail "$name" "path only ${#rel} bytes"; return; }
	rel=${rel:0:511}
	# Two runs, folded by different collects: both in one series.
	in_cgroup "$dir" "$TMP/pflong" --pages 1 --forks 3 >/dev/null ||
		{ fail "$name" "pinfork failed"; return; }
	prom_wait "mmtrace_fork_cgroup_forks_total{cgroup=\"$rel\"}" 3
	verdict "$name: PromQL says 3 forks" $? "got '$prom_got'"
	in_cgroup "$dir" "$TMP/pflong" --pages 1 --forks 5 >/dev/null ||
		{ fail "$name" "pinfork failed"; return; }
	prom_wait "mmtrace_fork_cgroup_forks_total{cgroup=\"$rel\"}" 8
	verdict "$name: then 3 + 5 forks" $? "got '$prom_got'"
	serve_got=$(bounded "$SYS_PYTHON" tools/test/serve_check.py count \
		"$addr" "mmtrace_fork_cgroup_forks_total{cgroup=\"${rel:0:80}")
	[ "$serve_got" = 1 ]
	verdict "$name: one series" $? "$serve_got series"
	check_with "$name" bounded "$SYS_PYTHON" tools/test/serve_check.py \
		strict "$addr"
}

# A cgroup made just after a cgroupfs scan is named once a later scan
# sees it; "unknown" is only for cgroups gone by then.
series_new_cgroup() {
	local name="host serve --by cgroup, a cgroup made while serving"
	local addr=$1 rel=${CGROUP_DIR#"$(cgroup2_root)"}
	mkdir "$CGROUP_DIR/a" || { fail "$name" "mkdir"; return; }
	cp "$PINFORK" "$TMP/pfa"
	cp "$PINFORK" "$TMP/pfb"
	in_cgroup "$CGROUP_DIR/a" "$TMP/pfa" --pages 1 --forks 1 >/dev/null
	# Its series shows up right after the scan that named it.
	serve_poll "$addr" "mmtrace_fork_cgroup_forks_total{cgroup=\"$rel/a\"}" 1
	verdict "$name: the first cgroup named" $? "got '$serve_got'"
	mkdir "$CGROUP_DIR/b" || { fail "$name" "mkdir b"; return; }
	in_cgroup "$CGROUP_DIR/b" "$TMP/pfb" --pages 1 --forks 10 >/dev/null
	serve_poll "$addr" "mmtrace_fork_cgroup_forks_total{cgroup=\"$rel/b\"}" 10
	verdict "$name: the next one, made within 5 s of that scan: 10 forks" \
		$? "got '$serve_got'"
	serve_got=$(serve_value "$addr" \
		'mmtrace_fork_cgroup_forks_total{cgroup="unknown"}')
	[ "$serve_got" = absent ]
	verdict "$name: nothing charged to unknown" $? "unknown: $serve_got"
}

# A process name that did all its work between two collects: its series
# is born at 0, so increase() sees the growth.
series_born() {
	local name="host serve: a series born between two scrapes" want
	local series='mmtrace_fork_comm_pinned_copies_total{comm="pfnew"}'
	cp "$PINFORK" "$TMP/pfnew"
	in_cgroup "$CGROUP_DIR/comm" "$TMP/pfnew" --pages 64 --forks 10 \
		>"$TMP/pfnew.truth" || { fail "$name" "pinfork failed"; return; }
	want=$("$SYS_PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
		"$TMP/pfnew.truth")
	prom_wait "$series" "$want"
	verdict "$name: PromQL says $want" $? "got '$prom_got'"
	prom_got=$(prom_query "min_over_time(${series}[1m])")
	[ "$prom_got" = 0 ]
	verdict "$name: first scraped at 0" $? "min_over_time: $prom_got"
	prom_got=$(prom_query "increase(${series}[1m])")
	"$SYS_PYTHON" -c 'import sys; sys.exit(float(sys.argv[1]) < float(sys.argv[2]))' \
		"$prom_got" "$want" 2>/dev/null
	verdict "$name: increase() >= $want" $? "increase: $prom_got"
}

# run_comm NAME FORKS: pinfork as NAME in the comm cgroup.
run_comm() {
	cp "$PINFORK" "$TMP/$1"
	in_cgroup "$CGROUP_DIR/comm" "$TMP/$1" --pages 1 --forks "$2" >/dev/null
}

# --top 2 and slots idle after 4 s: a name whose slot went to others and
# that comes back restarts visibly (at 0, below its last value), so
# Prometheus adds both lives: 3 + 9.
series_returns() {
	local name="host serve: a recycled label comes back"
	local series='mmtrace_fork_comm_forks_total{comm="pfx"}'
	run_comm pfx 3
	prom_wait "$series" 3
	verdict "$name: first life, 3 forks" $? "got '$prom_got'"
	sleep 5
	# Both slots idle: pfz and pfw take them, pfx's series ends.
	run_comm pfz 1
	run_comm pfw 1
	prom_wait "$series" none
	verdict "$name: its series ended" $? "got '$prom_got'"
	sleep 5
	run_comm pfx 9
	prom_wait "$series" 9
	verdict "$name: second life, 9 forks" $? "got '$prom_got'"
	prom_got=$(bounded "$SYS_PYTHON" tools/test/serve_check.py lives \
		"http://127.0.0.1:$PROM_PORT" "$series")
	[ "$prom_got" = "total=12 samples=0 3 0 9" ]
	verdict "$name: Prometheus counts both lives, 3 + 9" $? "$prom_got"
	prom_got=$(prom_query "resets(${series}[5m])")
	[ "$prom_got" = 1 ]
	verdict "$name: the restart is visible to resets()" $? "got '$prom_got'"
}

# Label identity and series birth, as a real Prometheus stores them: two
# exporters on the test's own cgroup, one by cgroup and one by comm.
serve_series() {
	local name="host serve series" root cg_addr comm_addr
	local cg_port=$((SERVE_PORT + 3)) comm_port=$((SERVE_PORT + 4))
	local cg_pid comm_pid
	cg_addr=127.0.0.1:$cg_port
	comm_addr=127.0.0.1:$comm_port
	root=$(cgroup2_root)
	if [ -z "$root" ]; then
		skip "$name" "no cgroup v2 hierarchy mounted"
		return
	fi
	CGROUP_DIR=$root/mmtrace-series.$$
	mkdir -p "$CGROUP_DIR/comm" || { fail "$name" "mkdir"; return; }
	if ! serve_start "$TMP/serve-series-cg.err" --views fork --by cgroup \
		--top 1000 --cgroup "$CGROUP_DIR" --listen "$cg_addr"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-series-cg.err")"
		series_cgroup_remove
		return
	fi
	cg_pid=$serve_pid
	if ! MMTRACE_LABEL_IDLE_S=4 serve_start "$TMP/serve-series-comm.err" \
		--views fork --by comm --top 2 --cgroup "$CGROUP_DIR/comm" \
		--listen "$comm_addr"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-series-comm.err")"
		kill "$cg_pid"
		wait "$cg_pid"
		series_cgroup_remove
		return
	fi
	comm_pid=$serve_pid
	if prom_start "$cg_port" "$comm_port"; then
		series_long_cgroup "$cg_addr"
		series_new_cgroup "$cg_addr"
		series_born
		series_returns
		prom_stop
	else
		fail "$name" "prometheus not ready: $(tail -c 300 "$prom_log")"
	fi
	serve_pid=$comm_pid
	serve_err=$TMP/serve-series-comm.err
	serve_stop "$name --by comm"
	serve_pid=$cg_pid
	serve_err=$TMP/serve-series-cg.err
	serve_stop "$name --by cgroup"
	series_cgroup_remove || fail "$name" "cannot remove $CGROUP_DIR"
}

# SIGHUP: every CLI view stops with its final report; serve ignores it
# and says so.
serve_sighup_views() {
	local v out rc
	for v in fork gup hugetlb locks; do
		out=$TMP/hup.$v
		if ! start_tracer "$v" "$out" --tier "$HOST_TIER" -p $$; then
			# gup has no tracepoint: host_gup.sh checks it refuses.
			grep -q "cannot trace $v" "$out.err"
			verdict "host $v: SIGHUP: cannot trace here, nothing to stop" \
				$? "$(head -c 200 "$out.err")"
			continue
		fi
		kill -HUP "$tracer_pid"
		wait_for "$tracer_pid" 30
		rc=$?
		"$SYS_PYTHON" -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not (r and r[-1].get("final") is True))' "$out" 2>/dev/null
		verdict "host $v --json -o FILE: SIGHUP stops, exit 0, final report" \
			$((rc || $?)) "$(status $rc), $(wc -c <"$out") bytes: $(head -c 200 "$out.err")"
	done
	out=$TMP/hup.text
	: >"$out.err"
	"$MMTRACE" fork --tier "$HOST_TIER" -p $$ -o "$out" 2>>"$out.err" &
	tracer_pid=$!
	wait_line "$out.err" 'Ctrl-C to stop' "$tracer_pid"
	kill -HUP "$tracer_pid"
	wait_for "$tracer_pid" 30
	rc=$?
	[ "$rc" = 0 ] && [ -s "$out" ]
	verdict "host fork -o FILE (text): SIGHUP stops, exit 0, final report" \
		$? "$(status $rc), $(wc -c <"$out") bytes"
}

serve_sighup() {
	local name="host serve: SIGHUP" alive
	kill -HUP "$serve_pid"
	wait_line "$serve_err" 'SIGHUP ignored' "$serve_pid"
	verdict "$name: ignored, with a log line" $? "$(tail -c 200 "$serve_err")"
	alive=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"http://127.0.0.1:$SERVE_PORT/metrics")
	[ "$alive" = 200 ]
	verdict "$name: still serving" $? "HTTP $alive"
}

# [::] takes IPv4 too, so an IPv4 port held elsewhere fails the start.
serve_dual_stack() {
	local name="host serve --listen [::]" port=$((SERVE_PORT + 5)) code rc
	local holder
	if [ ! -e /proc/net/if_inet6 ]; then
		skip "$name" "no IPv6 on this host"
		return
	fi
	if ! serve_start "$TMP/serve-v6.err" --views fork \
		--listen "[::]:$port"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-v6.err")"
		return
	fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"http://127.0.0.1:$port/metrics")
	[ "$code" = 200 ]
	verdict "$name: IPv4 scrape answered" $? "HTTP $code"
	code=$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"http://[::1]:$port/metrics")
	[ "$code" = 200 ]
	verdict "$name: IPv6 scrape answered" $? "HTTP $code"
	serve_stop "$name"
	port=$((SERVE_PORT + 6))
	"$SYS_PYTHON" -c 'import socket, sys, time
s = socket.socket()
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
time.sleep(60)' "$port" >"$TMP/holder.out" &
	holder=$!
	wait_line "$TMP/holder.out" listening "$holder"
	bounded "$MMTRACE" serve --tier "$HOST_TIER" --views fork -d 2 \
		--listen "[::]:$port" >/dev/null 2>"$TMP/taken6.err"
	rc=$?
	kill "$holder"
	wait "$holder" 2>/dev/null
	[ "$rc" = 1 ] && grep -q 'cannot listen' "$TMP/taken6.err"
	verdict "$name: IPv4 port taken: says so, exit 1" $? \
		"$(status $rc): $(tail -c 200 "$TMP/taken6.err")"
}

# --max-requests 1: simultaneous scrapes beyond it get 503 at once.
serve_max_requests() {
	local name="host serve --max-requests 1" port=$((SERVE_PORT + 7))
	if ! serve_start "$TMP/serve-burst.err" --views fork --max-requests 1 \
		--listen "127.0.0.1:$port"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-burst.err")"
		return
	fi
	check_with "$name" bounded "$SYS_PYTHON" tools/test/serve_check.py \
		burst "127.0.0.1:$port"
	serve_stop "$name"
}

serve_usage() {
	local args rc
	for args in "--by pid" "--listen nope" "--listen 127.0.0.1:0" \
		"--listen 127.0.0.1:99999" "--views fork,nope" "--views ," \
		"--top 0" "--max-requests 0" "--max-requests 65" "extra" \
		"--textfile /nonexistent-dir" "--textfile /etc/hostname" \
		"--textfile-interval 0"; do
		# shellcheck disable=SC2086
		bounded "$MMTRACE" serve $args >/dev/null 2>"$TMP/usage.err"
		rc=$?
		[ "$rc" = 2 ] && [ "$(wc -l <"$TMP/usage.err")" = 1 ]
		verdict "host serve $args: one line, exit 2" $? \
			"$(status $rc): $(head -c 200 "$TMP/usage.err")"
	done
}

# textfile_value FILE SERIES: one sample's value in an exposition file.
textfile_value() {
	awk -v s="$2" '$1 == s { print $2 }' "$1" 2>/dev/null
}

# textfile_poll FILE SERIES WANT: until the file shows WANT (20 s at most).
textfile_poll() {
	local i
	for ((i = 0; i < 40; i++)); do
		serve_got=$(textfile_value "$1" "$2")
		[ "$serve_got" = "$3" ] && return 0
		sleep 0.5
	done
	return 1
}

# Debian's node_exporter, its textfile collector alone, reading DIR: the
# file's consumer, whose own parser must accept it.
node_exporter_check() {
	local name=$1 dir=$2 series=$3 want=$4 port=$((SERVE_PORT + 9)) ne i
	if ! command -v prometheus-node-exporter >/dev/null; then
		skip "$name: node_exporter reads it" "prometheus-node-exporter is not installed"
		return
	fi
	prometheus-node-exporter --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$dir" \
		--web.listen-address="127.0.0.1:$port" >"$TMP/ne.log" 2>&1 &
	ne=$!
	for ((i = 0; i < 50; i++)); do
		curl -s --max-time 2 "http://127.0.0.1:$port/metrics" \
			>"$TMP/ne.metrics" 2>/dev/null && break
		sleep 0.2
	done
	kill "$ne"
	wait "$ne" 2>/dev/null
	serve_got=$(textfile_value "$TMP/ne.metrics" node_textfile_scrape_error)
	[ "$serve_got" = 0 ]
	verdict "$name: node_exporter reads it without error" $? \
		"node_textfile_scrape_error '$serve_got': $(grep -m 3 -i 'error' "$TMP/ne.log")"
	serve_got=$(textfile_value "$TMP/ne.metrics" "$series")
	[ "$serve_got" = "$want" ]
	verdict "$name: node_exporter serves $series == $want" $? "got '$serve_got'"
}

# --textfile alone: no port; DIR/mmtrace.prom is replaced whole at every
# write, holds the fork oracle's exact counts, is read by node_exporter,
# and goes at the stop.
serve_textfile() {
	local name="host serve --textfile" dir=$TMP/textfile file want ino
	local series='mmtrace_fork_comm_pinned_copies_total{comm="pftext"}'
	file=$dir/mmtrace.prom
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! serve_start "$TMP/serve-tf.err" --views fork --textfile "$dir" \
		--textfile-interval 1; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-tf.err")"
		return
	fi
	# Written before the start is announced.
	[ -f "$file" ] && [ "$(stat -c %a "$file")" = 644 ]
	verdict "$name: mmtrace.prom written at the start, mode 644" $? \
		"$(ls -la "$dir")"
	serve_got=$(ss -Hltnp | grep "pid=$serve_pid,")
	[ -z "$serve_got" ]
	verdict "$name: opens no listening socket" $? "$serve_got"
	ino=$(stat -c %i "$file")
	cp "$PINFORK" "$TMP/pftext"
	if ! bounded "$TMP/pftext" --pages 64 --forks 10 >"$TMP/pftext.truth"; then
		fail "$name" "pinfork failed"
		serve_stop "$name"
		return
	fi
	want=$("$SYS_PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
		"$TMP/pftext.truth")
	textfile_poll "$file" "$series" "$want"
	verdict "$name: pinned copies of pftext == $want" $? "got '$serve_got'"
	textfile_poll "$file" 'mmtrace_fork_comm_forks_total{comm="pftext"}' 10
	verdict "$name: forks of pftext == 10" $? "got '$serve_got'"
	cp "$file" "$TMP/textfile.copy"
	bounded promtool check metrics <"$TMP/textfile.copy" >"$TMP/promtool-tf.out" 2>&1
	verdict "$name: promtool check metrics" $? "$(head -c 400 "$TMP/promtool-tf.out")"
	check_with "$name: strict parsers" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py file "$TMP/textfile.copy"
	# A rename puts a new inode in place; a rewrite in place would not.
	[ "$(stat -c %i "$file")" != "$ino" ]
	verdict "$name: replaced by rename, not rewritten in place" $? \
		"inode $ino still"
	serve_got=$(ls -A "$dir")
	[ "$serve_got" = mmtrace.prom ]
	verdict "$name: nothing else in DIR" $? "$serve_got"
	node_exporter_check "$name" "$dir" "$series" "$want"
	serve_stop "$name"
	[ ! -e "$file" ]
	verdict "$name: removed at the stop" $? "$(ls -A "$dir")"
}

# A full disk: the write fails, says so once, and the last whole file
# stays; with room again, the next write says so. In a mount namespace of
# its own, on a 128 KiB tmpfs, which a filler file then fills.
serve_textfile_full() {
	local name="host serve --textfile, disk full" dir=$TMP/textfile-full
	local got rc
	mkdir -p "$dir"
	# One page: the first write, at the start, cannot fit.
	# shellcheck disable=SC2016
	bounded unshare -m --propagation private sh -c \
		'mount -t tmpfs -o size=4k tmpfs "$1" && shift && exec "$@"' \
		sh "$dir" "$MMTRACE" serve --tier "$HOST_TIER" --views fork \
		--textfile "$dir" -d 5 >/dev/null 2>"$TMP/tff-start.err"
	rc=$?
	[ "$rc" = 1 ] && grep -q "^mmtrace serve: cannot write $dir/mmtrace.prom: No space left on device$" \
		"$TMP/tff-start.err"
	verdict "$name at the start: says so, exit 1" $? \
		"$(status $rc): $(tail -c 300 "$TMP/tff-start.err")"
	: >"$TMP/serve-tff.err"
	# shellcheck disable=SC2016
	unshare -m --propagation private sh -c \
		'mount -t tmpfs -o size=128k tmpfs "$1" && shift && exec "$@"' \
		sh "$dir" "$MMTRACE" serve --tier "$HOST_TIER" --views fork \
		--textfile "$dir" --textfile-interval 1 2>>"$TMP/serve-tff.err" &
	serve_pid=$!
	serve_err=$TMP/serve-tff.err
	if ! wait_line "$serve_err" 'Ctrl-C to stop' "$serve_pid"; then
		fail "$name" "did not start: $(head -c 300 "$serve_err")"
		kill -KILL "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
		return
	fi
	# shellcheck disable=SC2016
	nsenter -t "$serve_pid" -m -- sh -c 'cat /dev/zero >"$1/filler"' \
		sh "$dir" 2>/dev/null
	wait_line "$serve_err" 'warning: cannot write' "$serve_pid"
	verdict "$name: a failed write says so" $? "$(tail -c 300 "$serve_err")"
	sleep 2.5
	got=$(grep -c 'cannot write' "$serve_err")
	[ "$got" = 1 ]
	verdict "$name: once, not at every write" $? "$got lines"
	nsenter -t "$serve_pid" -m -- cat "$dir/mmtrace.prom" >"$TMP/tff.prom"
	bounded promtool check metrics <"$TMP/tff.prom" >"$TMP/tff.out" 2>&1
	verdict "$name: the last whole file stays" $? "$(head -c 300 "$TMP/tff.out")"
	got=$(nsenter -t "$serve_pid" -m -- ls -A "$dir" | tr '\n' ' ')
	[ "$got" = "filler mmtrace.prom " ]
	verdict "$name: no temporary file left" $? "$got"
	nsenter -t "$serve_pid" -m -- rm -f "$dir/filler"
	wait_line "$serve_err" 'written again' "$serve_pid"
	verdict "$name: with room again, says so" $? "$(tail -c 300 "$serve_err")"
	serve_stop "$name"
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

# serve_has ADDR REGEX: does one sample line of /metrics match REGEX?
serve_has() {
	curl -s --max-time 5 "http://$1/metrics" | grep -v '^#' | grep -q -- "$2"
}

# serve_storm ADDR: mmap_lock contention (mmapstorm, 4 threads), then two
# scrapes a second apart (a series is born at 0 for one scrape); true if
# the second has waits by calling path.
serve_storm() {
	"$WORKLOADS/mmapstorm" --threads 4 --count 2000 >/dev/null 2>&1
	serve_has "$1" '^mmtrace_locks_contended_total'
	sleep 1
	serve_has "$1" '^mmtrace_locks_caller_contended_total{'
}

# early_maps PID PROG: the maps whose values program PROG of process PID
# loads before its first helper call, one name a line; "none" if PID holds
# no PROG.
early_maps() {
	local id prog=""
	for id in $(held_prog_ids "$1"); do
		bpftool prog show id "$id" | grep -q " name $2 " && prog=$id
	done
	[ -n "$prog" ] || { echo none; return; }
	bpftool prog dump xlated id "$prog" | awk '/ call /{exit}
		{ while (match($0, /map\[id:[0-9]+\]\[0\]/)) {
			print substr($0, RSTART + 7, RLENGTH - 11)
			$0 = substr($0, RSTART + RLENGTH) } }' | sort -u |
		while read -r id; do
			bpftool map show id "$id" | sed -n 's/^[0-9]*: [a-z_]*  name \([^ ]*\) .*/\1/p'
		done
}

# The defaults are always-on (issue 13): opt-in detail is not attached and
# says so, BPF run time is not kept, and its series are absent, not 0.
# --detail and --bpf-stats bring them back, for the attached programs only.
serve_defaults() {
	local early name="host serve defaults" addr="127.0.0.1:$((SERVE_PORT + 5))"
	if ! serve_start "$TMP/serve-def.err" --listen "$addr"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-def.err")"
		return
	fi
	# fork.clones is always on; the clone syscalls' windows are detail.
	! grep -q 'view fork is opt-in detail' "$TMP/serve-def.err" &&
		serve_has "$addr" '^mmtrace_view_up{view="fork"} 1$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="fork",observation="fork.clones",tier="tracepoint"} 1$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="fork",observation="fork.syscalls",tier="none"} 0$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="fork",observation="fork.pinned_copies",tier="none"} 0$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="fork",observation="fork.children",tier="none"} 0$' &&
		serve_has "$addr" '^mmtrace_fork_clones_total{kind="fork"} ' &&
		! serve_has "$addr" '^mmtrace_fork_latency_seconds' &&
		! serve_has "$addr" '^mmtrace_fork_failed_total' &&
		! serve_has "$addr" '^mmtrace_fork_pinned_copies_total'
	verdict "$name: fork view up with fork.clones alone, clone counts exported, latency, copies and fork.children left out" $? \
		"$(head -c 300 "$TMP/serve-def.err")"
	# Unfiltered counts come from the unarmed program (fork_count_btf).
	check_with "$name: clones" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py clones "$addr" "$FORKMIX" 3 4 5
	serve_has "$addr" '^mmtrace_probe_attached{view="locks",observation="locks.mmap_lock",tier="none"} 0$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="locks",observation="locks.vma_faults",tier="none"} 0$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="locks",observation="locks.contention",tier="tracepoint"} 1$' &&
		! serve_has "$addr" '^mmtrace_locks_mmap_lock_' &&
		! serve_has "$addr" '^mmtrace_locks_faults_total'
	verdict "$name: locks keeps contention; mmap_lock and fault detail left out" $?
	serve_has "$addr" '^mmtrace_bpf_stats_enabled 0$' &&
		! serve_has "$addr" '^mmtrace_bpf_program_run' &&
		serve_has "$addr" '^mmtrace_bpf_program_recursion_misses_total{view="locks",program="contention_end_btf"}' &&
		! serve_has "$addr" 'program="mmap_start_btf"'
	verdict "$name: no BPF run time series, recursion misses of attached programs only" $?
	! serve_storm "$addr" &&
		serve_has "$addr" '^mmtrace_locks_contended_total{lock="mmap_lock"} [1-9]'
	verdict "$name: contention counted, no stack walk for its calling path" $?
	# Most contention ends find no wait: a .bss line read before the test
	# that skips the rest is a cache line each of them pays (clang moved
	# the load of waits_open there; READ_ONCE in the BPF code).
	early=$(early_maps "$serve_pid" contention_end_btf | tr '\n' ' ')
	[ "$early" != "none " ] && ! grep -q '\.bss' <<<"$early"
	verdict "$name: contention_end_btf reads no .bss before its first helper call" $? \
		"maps loaded early: $early"
	serve_stop "$name"
	if ! serve_start "$TMP/serve-det.err" --listen "$addr" --detail --bpf-stats; then
		fail "$name: --detail" "did not start: $(head -c 300 "$TMP/serve-det.err")"
		return
	fi
	serve_has "$addr" '^mmtrace_view_up{view="fork"} 1$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="fork",observation="fork.syscalls",tier="tracepoint"} 1$' &&
		serve_has "$addr" '^mmtrace_probe_attached{view="locks",observation="locks.mmap_lock",tier="tracepoint"} 1$' &&
		serve_has "$addr" '^mmtrace_bpf_stats_enabled 1$' &&
		serve_has "$addr" '^mmtrace_bpf_program_run_seconds_total{view="locks",program="mmap_start_btf"}' &&
		serve_has "$addr" '^mmtrace_bpf_program_runs_total{view="fork",program="fork_exit"}' &&
		! serve_has "$addr" 'program="fork_page_alloc"}'
	verdict "$name: --detail --bpf-stats: every view, run time of attached programs" $?
	serve_stop "$name: --detail"
	if ! serve_start "$TMP/serve-views.err" --listen "$addr" --views locks; then
		fail "$name: --views" "did not start: $(head -c 300 "$TMP/serve-views.err")"
		return
	fi
	serve_has "$addr" '^mmtrace_probe_attached{view="locks",observation="locks.mmap_lock",tier="tracepoint"} 1$' &&
		serve_storm "$addr"
	verdict "$name: --views locks loads locks whole, calling paths too" $?
	serve_stop "$name: --views"
}

# serve_clones NAME [ARGS...]: serve (ARGS, --comm NAME) counts forkmix's
# forks, vforks and threads exactly, each once, whether fork.syscalls is
# loaded or not; with it (--detail), each fork and vfork is timed once
# too, and the process has its row.
serve_clones() {
	local comm=$1 addr kind want port=$((SERVE_PORT + 8))
	shift
	local name="host serve --comm${*:+ $*}: forkmix's clones"
	addr=127.0.0.1:$port
	if ! serve_start "$TMP/serve-clones.err" --listen "$addr" \
		--comm "$comm" "$@"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve-clones.err")"
		return
	fi
	cp "$FORKMIX" "$TMP/$comm"
	if ! bounded "$TMP/$comm" 3 4 5 >/dev/null; then
		fail "$name" "forkmix failed"
		serve_stop "$name"
		return
	fi
	for kind in fork=3 vfork=4 thread=5; do
		want=${kind#*=}
		serve_poll "$addr" "mmtrace_fork_clones_total{kind=\"${kind%=*}\"}" "$want"
		verdict "$name: ${kind%=*} clones == $want" $? "got '$serve_got'"
	done
	if [ "${1:-}" = --detail ]; then
		serve_poll "$addr" "mmtrace_fork_comm_forks_total{comm=\"$comm\"}" 3
		verdict "$name: forks of $comm by comm == 3" $? "got '$serve_got'"
		serve_got=$(serve_value "$addr" 'mmtrace_fork_latency_seconds_count{parent="no_pinned"}'):$(serve_value "$addr" 'mmtrace_fork_vfork_latency_seconds_count'):$(serve_value "$addr" 'mmtrace_fork_failed_total')
		[ "$serve_got" = 3:4:0 ]
		verdict "$name: fork.syscalls times 3 forks and 4 vforks, none failed" \
			$? "got '$serve_got'"
	else
		! serve_has "$addr" '^mmtrace_fork_latency_seconds' &&
			! serve_has "$addr" '^mmtrace_fork_comm_'
		verdict "$name: no latency and no per-process series without fork.syscalls" $?
	fi
	serve_stop "$name"
}

# waits_run TAG ADDR CLI LOCKHOLD_ARGS...: one lockhold run (its faults
# wait behind its holder) under serve -p on ADDR and, if CLI is "locks",
# under mmtrace locks -p too (its final report in $TMP/TAG.rep, taken
# while lockhold lives). After lockhold's "done", two scrapes: a label's
# series first shows 0 (Prometheus's increase() needs it), so the second,
# $TMP/TAG.prom, is the one with lockhold's own sums. Non-zero: not run.
waits_run() {
	local tag=$1 addr=$2 cli=$3 name="host serve waits" wl
	shift 3
	: >"$TMP/$tag.wl"
	"$WORKLOADS/lockhold" --wait-start "$@" >"$TMP/$tag.truth" \
		2>>"$TMP/$tag.wl" </dev/null &
	wl=$!
	if ! wait_line "$TMP/$tag.wl" 'ready' "$wl" ||
	   ! serve_start "$TMP/$tag.err" --listen "$addr" -p "$wl"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/$tag.err" "$TMP/$tag.wl")"
		kill -KILL "$wl" 2>/dev/null
		return 1
	fi
	if [ "$cli" = locks ] &&
	   ! start_tracer locks "$TMP/$tag.rep" --tier "$HOST_TIER" -p "$wl"; then
		fail "$name" "locks did not attach"
		kill -KILL "$wl" "$serve_pid" 2>/dev/null
		return 1
	fi
	kill -USR1 "$wl"
	wait_line "$TMP/$tag.wl" 'done' "$wl" "$LIMIT"
	verdict "$name: lockhold${*:+ $*} ran" $? "$(cat "$TMP/$tag.wl")"
	curl -s --max-time 5 "http://$addr/metrics" >/dev/null
	curl -s --max-time 5 "http://$addr/metrics" >"$TMP/$tag.prom"
	[ "$cli" = locks ] && stop_tracer "$name" INT
	kill -USR1 "$wl"
	wait_for "$wl" "$LIMIT"
	serve_stop "$name"
}

# waits_folded NAME PROM: the same waits' time, summed per process (the
# row, after the fold) and in the histogram (each wait as it ends), in a
# scrape where lockhold is all that -p traces.
waits_folded() {
	local got want
	got=$(sed -n 's/^mmtrace_locks_comm_contention_wait_seconds_total{comm="lockhold"} //p' "$2")
	want=$(sed -n 's/^mmtrace_locks_contention_wait_seconds_sum{lock="mmap_lock"} //p' "$2")
	[ -n "$got" ] && [ "$got" = "$want" ]
	verdict "$1, its wait time folded: $got s == histogram $want s" $? \
		"$(grep contention_wait_seconds "$2")"
}

# serve keeps a contended wait, and the waits a thread has ended, in its
# thread's task storage until a collect's task iterator or the thread's
# exit moves them to the row; the CLI keeps waits in a hash that its final
# report reads and adds each ended one to the row (locks.bpf.c,
# waits_in_thread). The two follow one lockhold run and must count the
# same waits, as many as the CLI's report, itself checked against
# lockhold's holder (host locks owner). --linger keeps lockhold's threads
# alive through the scrape: only the iterator can have moved their waits.
serve_waits_agree() {
	local name="host serve waits" got want class mmap=0
	waits_run agree "127.0.0.1:$((SERVE_PORT + 7))" locks --linger ||
		return
	for class in mmap other; do
		got=$(sed -n "s/^mmtrace_locks_contended_total{lock=\"${class}[a-z_]*\"} //p" \
			"$TMP/agree.prom")
		want=$(bounded "$SYS_PYTHON" -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print(r["totals"][sys.argv[2] + "_contended"])' "$TMP/agree.rep" "$class")
		[ -n "$got" ] && [ "$got" = "$want" ]
		verdict "$name: $class contended: serve $got == locks $want" $? \
			"$(grep contended_total "$TMP/agree.prom")"
		[ "$class" = mmap ] && mmap=${got:-0}
	done
	[ "$mmap" -gt 0 ] 2>/dev/null
	verdict "$name: lockhold's faults waited on its mmap_lock ($mmap)" $? \
		"$(cat "$TMP/agree.truth")"
	waits_folded "$name: lockhold's threads alive" "$TMP/agree.prom"
}

# Without --linger lockhold's threads have exited by "done", its process
# lives on: only their exit can have moved their waits to its row.
serve_waits_exited() {
	waits_run exited "127.0.0.1:$((SERVE_PORT + 8))" - || return
	waits_folded "host serve waits: lockhold's threads exited" \
		"$TMP/exited.prom"
}

# proc_rows_of PID TGID: the per-process maps ("procs") that process PID
# holds that have a row of TGID, one id a line.
proc_rows_of() {
	local id
	for id in $(cat /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -n 's/^map_id:[[:space:]]*//p' | sort -un); do
		bpftool map show id "$id" | grep -q " name procs " || continue
		# shellcheck disable=SC2046
		bpftool map lookup id "$id" key $(le32 "$2") >/dev/null 2>&1 &&
			echo "$id"
	done
}

# A process whose leader exits first (lockhold --leader-exits): a scrape
# reports its row, marked exited, and deletes it, while its threads, that
# keep sums for that row, live on; they wait again and exit. Their exits
# must still find the row (user/rows.c, delete_rows), so that serve's total
# is the histogram's; and the row they make again must not outlive them
# (bpf/common.bpf.h, PROC_ROW_BORN), or the pid's next process would
# inherit it.
serve_waits_leader_exits() {
	local name="host serve waits, leader exits first" wl rc before after
	local addr="127.0.0.1:$((SERVE_PORT + 12))" held
	: >"$TMP/lx.wl"
	"$WORKLOADS/lockhold" --wait-start --leader-exits >"$TMP/lx.truth" \
		2>>"$TMP/lx.wl" </dev/null &
	wl=$!
	if ! wait_line "$TMP/lx.wl" 'ready' "$wl" ||
	   ! serve_start "$TMP/lx.err" --listen "$addr" -p "$wl"; then
		fail "$name" "did not start: $(head -c 300 "$TMP/lx.err" "$TMP/lx.wl")"
		kill -KILL "$wl" 2>/dev/null
		return
	fi
	kill -USR1 "$wl"
	wait_line "$TMP/lx.wl" 'leader exited' "$wl" "$LIMIT"
	verdict "$name: lockhold's first run, its leader exited" $? \
		"$(cat "$TMP/lx.wl")"
	curl -s --max-time 5 "http://$addr/metrics" >"$TMP/lx1.prom"
	kill -USR1 "$wl"
	wait_for "$wl" "$LIMIT"
	rc=$?
	verdict "$name: lockhold's second run" "$rc" \
		"$(status "$rc"): $(cat "$TMP/lx.wl")"
	curl -s --max-time 5 "http://$addr/metrics" >/dev/null
	curl -s --max-time 5 "http://$addr/metrics" >"$TMP/lx2.prom"
	before=$(sed -n 's/^mmtrace_locks_contention_wait_seconds_count{lock="mmap_lock"} //p' "$TMP/lx1.prom")
	after=$(sed -n 's/^mmtrace_locks_contention_wait_seconds_count{lock="mmap_lock"} //p' "$TMP/lx2.prom")
	[ "${after:-0}" -gt "${before:-0}" ] 2>/dev/null
	verdict "$name: the threads waited after the row was reported ($before, then $after waits)" $? \
		"$(cat "$TMP/lx.truth")"
	waits_folded "$name" "$TMP/lx2.prom"
	held=$(proc_rows_of "$serve_pid" "$wl")
	[ -z "$held" ]
	verdict "$name: no row of lockhold left once it is gone" $? \
		"maps $held hold pid $wl"
	serve_stop "$name"
}

# serve_losses METRICS: each view's mmtrace_lost_total reasons in METRICS
# are the keys of its JSON report's "lost" (but the recursion misses, which
# mmtrace_bpf_program_recursion_misses_total carries): a loss the report
# counts is never missing from the exporter, and no series stands for a
# loss the view cannot have.
serve_losses() {
	local v rc seen=""
	for v in $(sed -n 's/^mmtrace_lost_total{view="\([a-z]*\)".*/\1/p' "$1" | sort -u); do
		seen="$seen $v"
		: >"$TMP/losses-$v.why"
		bounded "$MMTRACE" "$v" --json --tier "$HOST_TIER" -d 1 \
			>"$TMP/losses-$v.json" 2>"$TMP/losses-$v.err"
		rc=$?
		[ "$rc" = 0 ] && "$SYS_PYTHON" -c 'import json, re, sys
rep = json.load(open(sys.argv[1]))
json_keys = set(rep["lost"]) - {"recursion_misses", "recursion_misses_by_program"}
got = set(re.findall(r"^mmtrace_lost_total\{view=\"%s\",reason=\"([a-z_]+)\"\}"
                     % sys.argv[3], open(sys.argv[2]).read(), re.M))
sys.exit(0 if got == json_keys else
         "JSON only: %s; serve only: %s" % (sorted(json_keys - got), sorted(got - json_keys)))' \
			"$TMP/losses-$v.json" "$1" "$v" 2>"$TMP/losses-$v.why"
		rc=$?
		verdict "host serve: mmtrace_lost_total{view=\"$v\"} has the reasons of the $v report's lost keys" "$rc" \
			"$(cat "$TMP/losses-$v.why") $(head -c 300 "$TMP/losses-$v.err")"
	done
	# The views this host runs at its tier, each compared.
	[ "$seen" = " fork locks" ]
	verdict "host serve: the losses of fork and locks compared" $? "views '$seen'"
}

host_serve() {
	local name="host serve"
	# MMTRACE_SERVE_ONLY=serve_waits_leader_exits runs that one function
	# (any command, as MMTRACE_SAFETY_ONLY), for development.
	if [ -n "${MMTRACE_SERVE_ONLY:-}" ]; then
		"$MMTRACE_SERVE_ONLY"
		return
	fi
	serve_usage
	serve_defaults
	serve_clones fmixsrv$$
	serve_clones fmixdet$$ --detail
	serve_waits_agree
	serve_waits_exited
	serve_waits_leader_exits
	if ! serve_start "$TMP/serve.err" --listen "127.0.0.1:$SERVE_PORT" \
		--detail --bpf-stats; then
		fail "$name" "did not start: $(head -c 300 "$TMP/serve.err")"
		return
	fi
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$TMP/metrics.txt"
	bounded promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1
	verdict "$name: promtool check metrics" $? "$(head -c 400 "$TMP/promtool.out")"
	serve_losses "$TMP/metrics.txt"
	check_with "$name: exposition" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py exposition "127.0.0.1:$SERVE_PORT"
	check_with "$name: negotiation" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py negotiate "127.0.0.1:$SERVE_PORT"
	serve_sighup
	serve_port_taken
	serve_prometheus_oracle
	check_with "$name: http" bounded "$SYS_PYTHON" \
		tools/test/serve_check.py http "127.0.0.1:$SERVE_PORT"
	serve_load
	serve_stop "$name"
	serve_by_cgroup
	serve_series
	serve_dual_stack
	serve_max_requests
	serve_textfile
	serve_textfile_full
	serve_sighup_views
}
