#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - boot a Debian kernel under qemu TCG with a busybox initramfs and
# run a guest script in it. The guest console goes to stdout; the exit status
# is the guest script's, 124 on timeout, 125 if the guest never reported one.
set -euo pipefail

usage() {
	cat >&2 <<EOF
usage: $0 --kernel 5.10|6.1|6.12|7.3|arm64-6.1|arm64-6.12 [--hugepages N]
       [--mem MB] [--timeout SEC]
       [--add HOSTFILE[:GUESTPATH]]... -- GUEST_SCRIPT [ARGS...]
EOF
	exit 2
}

die() { echo "run.sh: $*" >&2; exit 2; }

number() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 wants a number, not '$2'"; }

here=$(dirname "$(realpath "$0")")
kernel='' hugepages='' mem=2048 timeout=300
adds=()

while (($#)); do
	case $1 in
	--kernel)	kernel=${2:-} ;;
	--hugepages)	number "$1" "${2:-}"; hugepages=$2 ;;
	--mem)		number "$1" "${2:-}"; mem=$2 ;;
	--timeout)	number "$1" "${2:-}"; timeout=$2 ;;
	--add)		adds+=("${2:-}") ;;
	--)		shift; break ;;
	*)		usage ;;
	esac
	(($# >= 2)) || usage
	shift 2
done
if (($# < 1)) || [[ -z $kernel ]]; then
	usage
fi
script=$1
shift
[[ -r $script ]] || die "cannot read $script"

vmlinuz=$("$here/fetch-kernel.sh" "$kernel")

# An arm64 kernel boots on qemu's virt board, with the busybox that
# fetch-kernel.sh unpacked beside it: the host's is x86-64.
case $kernel in
arm64-*)
	busybox=$(find "${vmlinuz%/boot/*}" -path '*bin/busybox' -type f |
		  head -n 1)
	[[ -n $busybox ]] || die "no busybox in ${vmlinuz%/boot/*}"
	qemu=(qemu-system-aarch64 -M virt -cpu max)
	console=ttyAMA0
	;;
*)
	busybox=/bin/busybox
	qemu=(qemu-system-x86_64 -cpu max)
	console=ttyS0
	;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp}

# The busybox binary must be static: the guest has no libc. Its applet
# list comes from the host's busybox, which can run here; both are
# Debian's busybox-static.
cp "$busybox" "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done

# Added files go in last so that they win over a busybox applet of the
# same name.
for add in "${adds[@]}"; do
	host=${add%%:*}
	guest=/bin/$(basename "$host")
	if [[ $add == *:* ]]; then
		guest=${add#*:}
	fi
	[[ -r $host ]] || die "cannot read $host"
	mkdir -p "$root/$(dirname "$guest")"
	cp --remove-destination "$host" "$root/$guest"
done

cp "$script" "$root/test.sh"

# Hand the arguments over as a sourced "set --" line, quoted for any shell,
# because the kernel command line would mangle spaces and quotes.
{
	printf 'set --'
	for arg in "$@"; do
		printf " '%s'" "${arg//\'/\'\\\'\'}"
	done
	printf '\n'
} >"$root/args"

cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Nothing provides /dev/console in the archive itself, so the kernel may
# have started us without stdio.
exec </dev/console >/dev/console 2>&1
mount -t securityfs securityfs /sys/kernel/security
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /tmp
cd /tmp
. /args
sh /test.sh "$@"
printf '\nMMTRACE_VM_EXIT=%d\n' $?
poweroff -f
EOF
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip >"$tmp/initramfs.cpio.gz"

# loglevel=1 leaves only emergencies (a panic) on the console, so that the
# test's output stays readable; a test wanting more can read dmesg. panic=-1
# with -no-reboot ends qemu at once on a panic instead of at the timeout.
append="console=$console quiet loglevel=1 panic=-1${hugepages:+ hugepages=$hugepages}"

# Not -nographic: with it SeaBIOS also writes its banner and terminal
# resets to the serial port, in front of the test's first line.
# --foreground keeps qemu in our process group so that ^C reaches it.
# Single-threaded TCG: with one host thread per vCPU, the kernel's int3
# text patching (static keys flip whenever a tracepoint is enabled) races
# in the emulator, and a guest died on a half-patched jmp in
# do_user_addr_fault ("Oops: int3"). MMTRACE_VM_ACCEL overrides it.
set +e
timeout --foreground -k 10 "$timeout" \
	"${qemu[@]}" -accel "${MMTRACE_VM_ACCEL:-tcg,thread=single}" \
		-m "$mem" -smp 2 \
		-kernel "$vmlinuz" -initrd "$tmp/initramfs.cpio.gz" \
		-append "$append" -nodefaults -display none -serial stdio \
		-no-reboot </dev/null 2>&1 |
	sed -u -e 's/\r//g' -e '/^\[ *[0-9.]*\] reboot: Power down$/d' |
	tee "$tmp/console"
qemu_rc=${PIPESTATUS[0]}
set -e

rc=$(sed -n 's/^MMTRACE_VM_EXIT=\([0-9]*\)$/\1/p' "$tmp/console" | tail -n1)
if [[ -n $rc ]]; then
	exit "$rc"
elif ((qemu_rc == 124)); then
	echo "run.sh: timed out after ${timeout}s" >&2
	exit 124
fi
echo "run.sh: the guest exited without reporting a status (qemu: $qemu_rc)" >&2
exit 125
