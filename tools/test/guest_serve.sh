# SPDX-License-Identifier: GPL-2.0
# mmtrace serve in a test VM (vm_serve.py checks): the static binary's
# exporter on [::]:9479, scraped over IPv4 loopback by busybox wget after
# pinfork pinned and forked; guest-lib.sh runs first (tag).

# The last scrape's value of one series, or nothing.
serve_guest_value() {
	sed -n "s/^$1 \([0-9]*\)\$/\1/p" /tmp/serve.metrics
}

ip link set lo up
cp /bin/pinfork /tmp/pfserve
mmtrace serve --views fork --listen '[::]:9479' 2>/tmp/serve.err &
serve_guest_pid=$!
if until_text /tmp/serve.err 'Ctrl-C to stop' "$serve_guest_pid"; then
	/tmp/pfserve --pages 64 --forks 10 >/tmp/serve.truth
	# A series is born at 0 for one scrape; the workload is over, so
	# the first other value it shows is its whole count.
	i=0
	while [ $i -lt 60 ]; do
		# busybox wget waits 900 s for a silent server.
		timeout 30 wget -q -O /tmp/serve.metrics \
			http://127.0.0.1:9479/metrics
		rc=$?
		echo "MMT|serve|wget|$rc"
		# Timed out (busybox timeout: 143): where serve is stuck.
		if { [ $rc = 143 ] || [ $rc = 124 ]; } &&
			alive "$serve_guest_pid"; then
			stuck serve "$serve_guest_pid" "did not answer a scrape in 30 s"
			break
		fi
		v=$(serve_guest_value 'mmtrace_fork_comm_forks_total{comm="pfserve"}')
		[ -n "$v" ] && [ "$v" != 0 ] && break
		sleep 1
		i=$((i + 1))
	done
fi
kill -TERM "$serve_guest_pid" 2>/dev/null
reap serve "$serve_guest_pid"
echo "MMT|serve|rc|$?"
grep -E '^mmtrace_(fork_comm_|view_up|probe_attached|build_info)' \
	/tmp/serve.metrics >/tmp/serve.some 2>/dev/null
tag serve metrics /tmp/serve.some
tag serve truth /tmp/serve.truth
tag serve stderr /tmp/serve.err
