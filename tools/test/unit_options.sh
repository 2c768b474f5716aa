# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The options the subcommands share (user/options.c: common_argp for the
# views, serve and top; load_argp for probes) have one help text, one
# range and one error message, whichever subcommand takes them: the same
# bad value fails each with the same line and exit 2. Parsing fails before
# anything loads, so no root is needed (root runs it as nobody).
# Sourced by run.sh (unit tier: unit_options).

# The subcommands that take common_argp, and the bad values each refuses
# with one line: "option VALUE..." words, split by the shell.
OPTIONS_SUBS="fork serve top"
OPTIONS_BAD_VALUES="-p 0
--pid=x
-p 2147483648
-c 0123456789abcdef
--comm=
--cgroup /nonexistent/mmtrace-options
-d 0
--duration=1.5
--duration=31536001
--max-procs 15
--max-procs=4194305
--tier foo
--tier="
# argp's own refusals (its message and a "Try" line), also shared.
OPTIONS_BAD_ARGP="--btf
--verbose=1
--max-procs"

# options_run SUB ARG...: mmtrace SUB ARG... as an unprivileged user;
# sets opt_err (stderr, "mmtrace SUB" written "mmtrace SUB") and opt_rc.
options_run() {
	local sub=$1
	shift
	opt_err=$("${options_as[@]}" "$BUILD/mmtrace" "$sub" "$@" 2>&1 \
		>/dev/null </dev/null)
	opt_rc=$?
	opt_err=${opt_err//"mmtrace $sub"/mmtrace SUB}
}

# options_same NAME ONE_LINE SUB... -- ARG...: every SUB refuses ARG...
# with exit 2 and the same message (one line if ONE_LINE is 1).
options_same() {
	local name=$1 one=$2 subs=() sub first="" why=""
	shift 2
	while [ "$1" != -- ]; do
		subs+=("$1")
		shift
	done
	shift
	for sub in "${subs[@]}"; do
		options_run "$sub" "$@"
		if [ "$opt_rc" != 2 ]; then
			why="$why mmtrace $sub: exit $opt_rc ($opt_err);"
			continue
		fi
		[ "$one" = 1 ] && [ "$(wc -l <<<"$opt_err")" != 1 ] &&
			why="$why mmtrace $sub: not one line: $opt_err;"
		[ -z "$first" ] && first=$opt_err
		[ "$opt_err" = "$first" ] ||
			why="$why mmtrace $sub says '$opt_err', ${subs[0]} '$first';"
	done
	[ -n "$first" ] && [ -z "$why" ]
	verdict "$name: $* refused alike by ${subs[*]}" $? "${why:- no output}"
}

# options_help SUB LONG: the entry of --LONG in mmtrace SUB --help.
options_help() {
	"$BUILD/mmtrace" "$1" --help 2>/dev/null | awk -v o="--$2" '
		on && /^                             / { print; next }
		{ on = 0 }
		$1 == o || $1 ~ "^" o "[=,]" || $2 == o || $2 ~ "^" o "=" {
			on = 1; sub(/^ +(-[^-], )?/, ""); print }'
}

# options_help_same NAME LONG SUB...: one help text for --LONG in every SUB.
options_help_same() {
	local name=$1 o=$2 sub first why=""
	shift 2
	first=$(options_help "$1" "$o")
	for sub in "$@"; do
		[ "$(options_help "$sub" "$o")" = "$first" ] ||
			why="$why mmtrace $sub: '$(options_help "$sub" "$o" | tr -s ' ')';"
	done
	[ -n "$first" ] && [ -z "$why" ]
	verdict "$name: --$o has one help text in $*" $? \
		"${why:- not in mmtrace $1 --help}; mmtrace $1: '$(tr -s ' ' <<<"$first")'"
}

unit_options() {
	local name="unit options" args o out
	build_mmtrace "$name" || return
	as_nobody "$BUILD/mmtrace"
	options_as=("${AS_NOBODY[@]}")
	while read -r args; do
		# shellcheck disable=SC2086
		options_same "$name" 1 $OPTIONS_SUBS -- $args
	done <<<"$OPTIONS_BAD_VALUES"
	while read -r args; do
		# shellcheck disable=SC2086
		options_same "$name" 0 $OPTIONS_SUBS -- $args
	done <<<"$OPTIONS_BAD_ARGP"
	# probes takes --btf and -v from the same place.
	options_same "$name" 0 fork probes -- --btf
	options_same "$name" 0 fork probes -- --verbose=1
	for o in pid comm cgroup duration max-procs tier btf verbose; do
		# shellcheck disable=SC2086
		options_help_same "$name" "$o" $OPTIONS_SUBS
	done
	options_help_same "$name" btf fork probes
	options_help_same "$name" verbose fork probes
	# Each keeps its own set: probes filters nothing.
	out=$("$BUILD/mmtrace" probes --help 2>&1)
	! grep -qE -- '--(pid|comm|cgroup|duration|max-procs|tier)\b' <<<"$out"
	verdict "$name: probes --help has no filter or session option" $? "$out"
}
