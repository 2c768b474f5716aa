# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# make install and make uninstall into a scratch DESTDIR, and what they
# install: the binary, the systemd unit, the man page and the bash
# completion, and that the last two tell the truth about the options.
# Needs no root. Sourced by run.sh (unit tier: unit_install).

# The four files, as PREFIX=/usr paths, and their modes.
INSTALLED="sbin/mmtrace 755
share/man/man8/mmtrace.8 644
lib/systemd/system/mmtrace.service 644
share/bash-completion/completions/mmtrace 644"

# install_as DIR: who runs make install into DIR. Root runs it as nobody,
# who owns DIR: DESTDIR alone must make root unnecessary.
install_as() {
	install_run=()
	install_who=$(id -un)
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -r Makefile -a -r "$BUILD/mmtrace" 2>/dev/null; then
		chown 65534:65534 "$1"
		install_run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		install_who=nobody
	fi
}

# install_make DIR TARGET: make TARGET with DESTDIR=DIR PREFIX=/usr. Not
# a sub-make of `make test`: its jobserver is not ours.
install_make() {
	"${install_run[@]}" env -u MAKEFLAGS make -s --no-print-directory \
		OUT="$BUILD" DESTDIR="$1" PREFIX=/usr "$2"
}

# comp FILE WORD...: what the completion in FILE offers for the last WORD
# of the command line WORD..., one per line, in a clean bash.
comp() {
	# shellcheck disable=SC2016
	bounded bash --norc --noprofile -c '. "$1" || exit 1
		shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mmtrace
		printf "%s\n" "${COMPREPLY[@]}"' comp "$@"
}

# A long option as the man page writes it: \-\-max\-procs.
roff_opt() { echo "${1//-/\\-}"; }

install_files() {
	local d=$1 name=$2 f mode want got
	while read -r f want; do
		mode=$(stat -c %a "$d/usr/$f" 2>/dev/null)
		[ -f "$d/usr/$f" ] && [ ! -L "$d/usr/$f" ] && [ "$mode" = "$want" ]
		verdict "$name: /usr/$f, mode $want" $? "mode ${mode:-missing}"
	done <<<"$INSTALLED"
	got=$(cd "$d" && find . ! -type d | sort | tr '\n' ' ')
	[ "$(wc -w <<<"$got")" = "$(wc -l <<<"$INSTALLED")" ]
	verdict "$name: nothing else installed" $? "installed: $got"
	cmp -s "$BUILD/mmtrace" "$d/usr/sbin/mmtrace"
	verdict "$name: sbin/mmtrace is $BUILD/mmtrace" $? "they differ"
}

install_binary() {
	local d=$1 name=$2 out rc man=$1/usr/share/man/man8/mmtrace.8
	out=$(bounded "$d/usr/sbin/mmtrace" --version 2>&1)
	rc=$?
	[ "$rc" = 0 ] && [[ $out =~ ^mmtrace\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	verdict "$name: the installed binary runs: $out" $? "$(status $rc): $out"
	grep -q "^\.TH MMTRACE 8 [^ ]* \"$out\"" "$man"
	verdict "$name: the man page is of $out" $? \
		"$(grep '^\.TH' "$man")"
}

install_unit() {
	local d=$1 name=$2 unit=$1/usr/lib/systemd/system/mmtrace.service
	local exec out rc
	exec=$(sed -n 's/^ExecStart=//p' "$unit")
	[ "$(grep -c '^ExecStart=' "$unit")" = 1 ] &&
		[[ $exec == "/usr/sbin/mmtrace serve"* ]] &&
		! grep -q '@[A-Z_]*@' "$unit"
	verdict "$name: unit runs /usr/sbin/mmtrace serve" $? "ExecStart=$exec"
	if ! command -v systemd-analyze >/dev/null; then
		skip "$name: systemd-analyze verify" "no systemd-analyze (systemd)"
		return
	fi
	# The same unit, with the binary where DESTDIR put it; MANPATH lets
	# verify check that Documentation=man:mmtrace(8) resolves.
	mkdir -p "$TMP/unit/ok" "$TMP/unit/bad"
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$d/usr/sbin/|" "$unit" \
		>"$TMP/unit/ok/mmtrace.service"
	out=$(MANPATH=$d/usr/share/man bounded systemd-analyze verify \
		--recursive-errors=no "$TMP/unit/ok/mmtrace.service" 2>&1)
	rc=$?
	# Unknown keys and bad values are warnings only: no line may name it.
	[ "$rc" = 0 ] && ! grep -q mmtrace <<<"$out"
	verdict "$name: systemd-analyze verify accepts the unit" $? \
		"$(status $rc): $out"
	# And it does refuse a unit whose binary is not there.
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$d/nonexistent/|" "$unit" \
		>"$TMP/unit/bad/mmtrace.service"
	out=$(MANPATH=$d/usr/share/man bounded systemd-analyze verify \
		--recursive-errors=no "$TMP/unit/bad/mmtrace.service" 2>&1)
	rc=$?
	[ "$rc" != 0 ] && grep -q 'not executable' <<<"$out"
	verdict "$name: systemd-analyze verify refuses a missing binary" $? \
		"$(status $rc): $out"
}

install_man() {
	local d=$1 name=$2 man=$1/usr/share/man/man8/mmtrace.8 out rc
	if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
		skip "$name: man page" "no groff or man (groff-base, man-db)"
		return
	fi
	out=$(bounded groff -man -ww -z "$man" 2>&1)
	rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ]
	verdict "$name: groff -man -ww: no warnings" $? "$(status $rc): $out"
	out=$(MANWIDTH=80 bounded man --warnings -l "$man" 2>&1 >"$TMP/man.txt")
	rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] && grep -q '^MMTRACE(8)' "$TMP/man.txt"
	verdict "$name: man --warnings renders it, no warnings" $? \
		"$(status $rc): $out"
	out=$(MANPATH=$d/usr/share/man bounded man -w mmtrace 2>&1)
	[ "$out" = "$man" ]
	verdict "$name: man finds it in PREFIX/share/man" $? "man -w: $out"
}

install_completion() {
	local d=$1 name=$2 out
	local c=$1/usr/share/bash-completion/completions/mmtrace
	out=$(bounded bash --norc --noprofile -c ". '$c' && complete -p mmtrace")
	[ "$out" = "complete -F _mmtrace mmtrace" ]
	verdict "$name: completion registers _mmtrace" $? "$out"
	out=$(comp "$c" mmtrace f | tr '\n' ' ')
	[ "$out" = "fork " ]
	verdict "$name: completes 'mmtrace f' to fork" $? "got '$out'"
	out=$(comp "$c" mmtrace serve --by '' | tr '\n' ' ')
	[ "$out" = "comm cgroup container none " ]
	verdict "$name: completes 'mmtrace serve --by '" $? "got '$out'"
	# --tier=t: bash has split it at the '='.
	out=$(comp "$c" mmtrace fork --tier = t | tr '\n' ' ')
	[ "$out" = "tracepoint " ]
	verdict "$name: completes 'mmtrace fork --tier=t'" $? "got '$out'"
	out=$(comp "$c" mmtrace serve --views fork,h | tr '\n' ' ')
	[ "$out" = "fork,hugetlb " ]
	verdict "$name: completes a --views list" $? "got '$out'"
	comp "$c" mmtrace locks -p '' | grep -qx "$$"
	verdict "$name: completes -p with pids" $? "pid $$ not offered"
	mkdir "$TMP/cgdir" && : >"$TMP/cgfile"
	out=$(comp "$c" mmtrace gup --cgroup "$TMP/cg" | tr '\n' ' ')
	[ "$out" = "$TMP/cgdir " ]
	verdict "$name: completes --cgroup with directories only" $? \
		"got '$out'"
}

# Every subcommand and every option that --help lists is in the man page
# and the completion; every option the completion offers is documented.
install_docs() {
	local d=$1 name=$2 s subs opts o missing
	local bin=$1/usr/sbin/mmtrace man=$1/usr/share/man/man8/mmtrace.8
	local c=$1/usr/share/bash-completion/completions/mmtrace
	subs=$(bounded "$bin" --help |
		sed -n '/^Subcommands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
	# Every build has serve (make STATIC=1 too): --help must list it.
	grep -qx serve <<<"$subs" || subs="$subs serve"
	[ "$(wc -w <<<"$subs")" -ge 5 ]
	verdict "$name: mmtrace --help lists the subcommands" $? "got '$subs'"
	# A view's folder without its row in main.c's table is built but
	# unreachable: the completion, made from the folders, would offer it.
	missing=""
	for s in $(comp "$c" mmtrace ''); do
		[[ $s == -* ]] || grep -qx "$s" <<<"$subs" ||
			[ "$s" = serve ] || missing="$missing $s"
	done
	[ -z "$missing" ]
	verdict "$name: the completion offers only subcommands --help lists" \
		$? "not in --help:$missing"
	for s in $subs; do
		missing=""
		grep -q "^\.SS \"mmtrace $s\"" "$man" ||
			missing="$missing man:section"
		comp "$c" mmtrace '' | grep -qx "$s" ||
			missing="$missing completion:subcommand"
		opts=$(bounded "$bin" "$s" --help 2>&1 |
			grep -oE -- '--[a-z][a-z-]*' | sort -u)
		for o in $opts; do
			grep -qF -- "$(roff_opt "$o")" "$man" ||
				missing="$missing man:$o"
			comp "$c" mmtrace "$s" -- | grep -qx -- "$o" ||
				missing="$missing completion:$o"
		done
		for o in $(comp "$c" mmtrace "$s" --); do
			grep -qF -- "$(roff_opt "$o")" "$man" ||
				missing="$missing undocumented:$o"
		done
		[ -n "$opts" ] && [ -z "$missing" ]
		verdict "$name: mmtrace $s: options documented and completed" \
			$? "missing:${missing:- no options in --help}"
	done
}

unit_install() {
	local name="unit install" d rc out left
	# The binary is built as ourselves; install only copies it.
	build_mmtrace "$name" || return
	d=$(mktemp -d /tmp/mmtrace-install.XXXXXX)
	chmod 0755 "$d"
	install_as "$d"
	out=$(install_make "$d" install 2>&1)
	rc=$?
	verdict "$name: make install DESTDIR=... PREFIX=/usr as $install_who" \
		$rc "$(status $rc): $(tail -n 5 <<<"$out")"
	if [ "$rc" = 0 ]; then
		install_files "$d" "$name"
		install_binary "$d" "$name"
		install_unit "$d" "$name"
		install_man "$d" "$name"
		install_completion "$d" "$name"
		install_docs "$d" "$name"
	fi
	out=$(install_make "$d" uninstall 2>&1)
	rc=$?
	left=$(cd "$d" && find . ! -type d)
	[ "$rc" = 0 ] && [ -z "$left" ]
	verdict "$name: make uninstall leaves no files" $? \
		"$(status $rc): $out; left: $left"
	rm -rf "$d"
}
