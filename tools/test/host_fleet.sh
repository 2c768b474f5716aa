# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The fleet path on loopback: mmtrace serve -> an edge Prometheus that
# scrapes it and adds its external labels -> remote_write -> a central
# Prometheus (--web.enable-remote-write-receiver). PromQL on the central
# one must give exactly what pinfork measured, under the edge's labels,
# and every dashboard query must run there. Sourced by run.sh; uses
# host_serve.sh's serve_start, serve_stop and prom_launch.

# fleet_query PORT EXPR: the value of a one-sample instant query, or "none".
fleet_query() {
	curl -s --max-time 5 "http://127.0.0.1:$1/api/v1/query" \
		--data-urlencode "query=$2" |
		"$SYS_PYTHON" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")' 2>/dev/null || echo none
}

# fleet_wait PORT EXPR WANT: until the query answers WANT (60 s at most:
# a scrape, then a remote_write batch).
fleet_wait() {
	local i
	for ((i = 0; i < 120; i++)); do
		fleet_got=$(fleet_query "$1" "$2")
		[ "$fleet_got" = "$3" ] && return 0
		sleep 0.5
	done
	return 1
}

# fleet_edge_config DIR SERVE_PORT CENTRAL_PORT: the edge's configuration:
# what a node's Prometheus would have, with the node's name as "host".
fleet_edge_config() {
	cat >"$1/prometheus.yml" <<END
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels:
    host: edge-1
    cluster: loopback
scrape_configs:
  - job_name: mmtrace
    static_configs:
      - targets: ['127.0.0.1:$2']
remote_write:
  - url: http://127.0.0.1:$3/api/v1/write
    queue_config:
      batch_send_deadline: 1s
END
}

# pinfork as pffleet, through the pipeline: exact at the central store.
fleet_oracle() {
	local name=$1 serve=$2 central=$3 dir=$4 want sel
	cp "$PINFORK" "$TMP/pffleet"
	if ! bounded "$TMP/pffleet" --pages 64 --forks 10 >"$dir/truth"; then
		fail "$name" "pinfork failed"
		return
	fi
	want=$("$SYS_PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["observed_copies"] if t["observed_copies"] is not None else t["expected_pinned_copies"])' \
		"$dir/truth")
	sel="comm=\"pffleet\",host=\"edge-1\",cluster=\"loopback\",job=\"mmtrace\",instance=\"127.0.0.1:$serve\""
	fleet_wait "$central" "mmtrace_fork_comm_pinned_copies_total{$sel}" "$want"
	verdict "$name: central PromQL, with the edge's labels: pinned copies == $want" \
		$? "got '$fleet_got'"
	fleet_wait "$central" "mmtrace_fork_comm_forks_total{$sel}" 10
	verdict "$name: central PromQL, with the edge's labels: forks == 10" $? \
		"got '$fleet_got'"
	# One series: nothing arrived without the edge's labels.
	fleet_wait "$central" \
		'count(mmtrace_fork_comm_pinned_copies_total{comm="pffleet"})' 1
	verdict "$name: one series of pffleet in the central store" $? \
		"got '$fleet_got'"
}

host_fleet() {
	local name="host fleet" serve=$((SERVE_PORT + 8)) edge=$((SERVE_PORT + 9))
	local central=$((SERVE_PORT + 10)) dir=$TMP/fleet edge_pid central_pid
	if ! command -v prometheus >/dev/null; then
		skip "$name" "prometheus is not installed (make deps)"
		return
	fi
	# Fresh TSDBs: the san tier runs this again on the same ports.
	rm -rf "$dir"
	mkdir -p "$dir/edge" "$dir/central"
	: >"$dir/central/prometheus.yml"
	fleet_edge_config "$dir/edge" "$serve" "$central"
	if ! serve_start "$dir/serve.err" --listen "127.0.0.1:$serve" --detail; then
		fail "$name" "serve did not start: $(head -c 300 "$dir/serve.err")"
		return
	fi
	prom_launch "$dir/central" "$central" --web.enable-remote-write-receiver
	verdict "$name: central Prometheus, a remote-write receiver" $? \
		"$(tail -c 300 "$dir/central/log")"
	central_pid=$launched_pid
	prom_launch "$dir/edge" "$edge"
	verdict "$name: edge Prometheus, external labels, remote_write" $? \
		"$(tail -c 300 "$dir/edge/log")"
	edge_pid=$launched_pid
	fleet_oracle "$name" "$serve" "$central" "$dir"
	curl -s -G --max-time 5 \
		"http://127.0.0.1:$central/api/v1/label/host/values" \
		--data-urlencode 'match[]=mmtrace_build_info' >"$dir/hosts"
	grep -q '"data":\["edge-1"\]' "$dir/hosts"
	verdict "$name: the dashboard's Host values in the central store: edge-1" \
		$? "$(head -c 300 "$dir/hosts")"
	metric_names "$serve" >"$dir/names"
	check_with "$name: dashboard on the central Prometheus" bounded \
		"$SYS_PYTHON" tools/test/dashboard_check.py \
		tools/dashboards/mmtrace.json --names "$dir/names" \
		--prometheus "http://127.0.0.1:$central"
	kill "$edge_pid" "$central_pid"
	wait "$edge_pid" "$central_pid" 2>/dev/null
	serve_stop "$name: serve"
}
