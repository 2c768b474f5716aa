# SPDX-License-Identifier: GPL-2.0
#
# make            build/mmtrace, BPF objects embedded as skeletons
# make STATIC=1   fully static binary, for production hosts and test VMs
# make image      an OCI image from scratch holding only that binary
# make ARCH=arm64 the same for arm64 (cross-built on x86-64), in build/arm64
# make deps       install the Debian packages the build and tests need
# make test       unit, host (root) and VM tests; see tools/test/run.sh
# make run        trace the bundled pinned-fork workload
# make soak       ten minutes under load: RSS must stay flat
# make bench      what tracing costs, against a floor and bpftrace
# make install    binary, man page, systemd unit and bash completion, under
#                 PREFIX (/usr/local) and DESTDIR; make uninstall removes them

# The architecture built for, in the kernel's names (x86, arm64): the
# host's unless ARCH= is given. The BPF objects are per architecture
# (-D__TARGET_ARCH_$(ARCH) picks the pt_regs layout kprobes read), and so
# is the user space: another ARCH is a cross build, by default in its own
# build/$(ARCH). Every architecture fact is in bpf/quirks.bpf.h (BPF
# side) or user/arch.h (user side).
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH := $(HOST_ARCH)
ifeq ($(filter x86 arm64,$(ARCH)),)
$(error mmtrace: ARCH=$(ARCH) is not supported (x86, arm64))
endif
# Debian's cross compilers and multiarch triplets, per ARCH.
TRIPLET_x86 := x86_64-linux-gnu
TRIPLET_arm64 := aarch64-linux-gnu
TRIPLET := $(TRIPLET_$(ARCH))
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= $(TRIPLET)-
ifeq ($(SAN),1)
OUT ?= build/$(ARCH)/san
endif
OUT ?= build/$(ARCH)
endif

# make SAN=1: AddressSanitizer and UBSan on the user space, in build/san.
ifeq ($(SAN),1)
OUT ?= build/san
endif
OUT ?= build
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
# make's built-in CC is "cc": a cross build replaces it, a user's CC= wins.
ifneq ($(filter default undefined,$(origin CC)),)
CC := $(CROSS_COMPILE)gcc
endif

# Debian packages by purpose; `make deps` installs all of them.
DEB_BUILD := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
	     libjson-c-dev libmicrohttpd-dev libncurses-dev make gcc pkg-config \
	     dpkg-dev xz-utils
DEB_TEST := qemu-system-x86 busybox-static cpio python3 libclang-rt-14-dev \
	    valgrind bpftrace xz-utils groff-base man-db systemd \
	    prometheus python3-prometheus-client wrk curl iproute2 \
	    prometheus-node-exporter podman runc catatonit python3-yaml tmux
# make ARCH=arm64 on x86-64: the cross compiler and the arm64 libraries
# (multiarch, hence `dpkg --add-architecture arm64` first); the arm64 VM
# guests: qemu-system-arm. The guests' busybox is not here: busybox-static
# is one architecture per host, and tools/vm/fetch-kernel.sh takes
# busybox-static:arm64 with the arm64 kernels instead.
DEB_ARM64_LIBS := libbpf-dev libelf-dev zlib1g-dev libzstd-dev libjson-c-dev \
		  libmicrohttpd-dev libncurses-dev
DEB_CROSS := gcc-aarch64-linux-gnu $(addsuffix :arm64,$(DEB_ARM64_LIBS)) \
	     qemu-system-arm

# CFLAGS is the user's (make CFLAGS=...); what the build needs is ours.
CFLAGS ?= -O2 -g
MMTRACE_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	  -Wmissing-prototypes -D_GNU_SOURCE -I$(OUT) -Iuser -Iinclude \
	  $(CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall \
	      -Wno-unused-function -Ibpf -Iinclude

# Only mmtrace and its unit tests: the workloads are oracles, and ASan's
# own threads would change what they count.
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
endif

# Built once from Debian's libmicrohttpd source package, without HTTPS
# (Debian's own libmicrohttpd.a needs libp11-kit.a, which it does not
# ship), and kept outside the tree: see tools/static/libmicrohttpd.sh.
MMTRACE_BUILD_CACHE ?= /var/cache/mmtrace-build
MHD_STATIC := $(MMTRACE_BUILD_CACHE)/libmicrohttpd-$(ARCH)
MHD_STATIC_LIB := $(MHD_STATIC)/lib/libmicrohttpd.a

# A cross build (ARCH=arm64) links the same, from the arm64 libraries;
# libmicrohttpd is built for it with --host=$(TRIPLET) and CC=$(CC).
ifeq ($(STATIC),1)
LDFLAGS += -static
# The archive by path: Debian's libmicrohttpd.a must not be the one found.
LDLIBS := -lbpf -ljson-c -lelf -lz -lzstd $(MHD_STATIC_LIB) -lpthread -lncurses -ltinfo
MMTRACE_CFLAGS += -I$(MHD_STATIC)/include -DMMTRACE_STATIC
STATIC_DEPS := $(MHD_STATIC_LIB)
else
LDLIBS := -lbpf -ljson-c -lelf -lz -lmicrohttpd -lpthread -lncurses -ltinfo
endif

# One view per folder views/<name>/: <name>.bpf.c, <name>.h and <name>.c.
# A view's files include each other by their plain names, which C looks up
# beside the including file first: no -I per view. -Iuser comes before
# -Iinclude so that a view's "events.h" is user/events.h, as it was when
# the views lived in user/.
VIEWS := $(patsubst views/%/,%,$(wildcard views/*/))
USER_SRCS := main.c probe.c ksyms.c output.c options.c session.c command.c tasks.c \
	     rows.c metrics.c labels.c export.c serve.c events.c outstream.c view.c \
	     owners.c \
	     quirks.c fields.c findings.c multiview.c top.c container.c misses.c
USER_OBJS := $(addprefix $(OUT)/user/,$(USER_SRCS:.c=.o)) \
	     $(foreach v,$(VIEWS),$(OUT)/views/$(v)/$(v).o)
SKELS := $(addprefix $(OUT)/,$(addsuffix .skel.h,$(VIEWS)))
BPF_OBJS := $(addprefix $(OUT)/bpf/$(ARCH)/,$(addsuffix .bpf.o,$(VIEWS)))
VIEW_HDRS := $(foreach v,$(VIEWS),views/$(v)/$(v).h)

# Workloads that print their own truth: one tools/<name>.c each.
TOOLS := $(patsubst tools/%.c,%,$(wildcard tools/*.c))
TOOL_BINS := $(addprefix $(OUT)/tools/,$(TOOLS))

UNIT_TESTS := $(patsubst tools/test/unit/%.c,%,$(wildcard tools/test/unit/test_*.c))
UNIT_BINS := $(addprefix $(OUT)/tests/,$(UNIT_TESTS))

.PHONY: all clean deps check-deps test test-unit test-host test-vm run \
	tools format unit-bins fuzz soak bench install uninstall image \
	bpf-objs FORCE
.DELETE_ON_ERROR:
# Keep the BPF objects and skeletons for inspection (bpftool, llvm-objdump).
.SECONDARY:

all: check-deps $(OUT)/mmtrace tools

tools: $(TOOL_BINS)

# The BPF objects alone (tools/test/unit_arch.sh inspects each ARCH's).
bpf-objs: $(BPF_OBJS)

# The ARCH the objects in $(OUT) were built for; rewritten only when it
# changes, so that a build for another ARCH into the same OUT rebuilds all.
$(OUT)/.arch: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(ARCH)" ] || echo "$(ARCH)" >$@

check-deps:
	@missing=""; \
	for t in $(CLANG) $(BPFTOOL) $(LLVM_STRIP) $(CC); do \
		command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; \
	done; \
	for h in bpf/libbpf.h gelf.h zlib.h json-c/json.h microhttpd.h curses.h; do \
		[ -e /usr/include/$$h ] || missing="$$missing $$h"; \
	done; \
	if [ "$(ARCH)" != "$(HOST_ARCH)" ]; then \
		for l in bpf elf z zstd json-c ncurses tinfo; do \
			[ -e /usr/lib/$(TRIPLET)/lib$$l.a ] || \
				missing="$$missing lib$$l.a($(ARCH))"; \
		done; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "mmtrace: missing build dependencies:$$missing" >&2; \
		echo "mmtrace: install them with 'make deps' (Debian: apt-get install $(DEB_BUILD))" >&2; \
		exit 1; \
	fi

# arm64's packages come from the same archive through multiarch; adding the
# architecture is idempotent, and the lists then need an update.
deps:
	apt-get install -y --no-install-recommends $(DEB_BUILD) $(DEB_TEST)
ifeq ($(HOST_ARCH),x86)
	dpkg --add-architecture arm64
	apt-get update -q
	apt-get install -y --no-install-recommends $(DEB_CROSS)
endif

# $$*: the view's name is both its folder and its file (secondary expansion).
.SECONDEXPANSION:
$(OUT)/bpf/$(ARCH)/%.bpf.o: views/$$*/$$*.bpf.c views/$$*/$$*.h bpf/*.h include/*.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/bpf/$(ARCH)/%.bpf.o $(OUT)/.arch
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/user/%.o: user/%.c user/*.h include/*.h $(SKELS) $(STATIC_DEPS) \
		  $(OUT)/.arch
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUT)/views/%.o: views/%.c user/*.h include/*.h $(VIEW_HDRS) $(SKELS) $(OUT)/.arch
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUT)/mmtrace: $(USER_OBJS)
	$(CC) $(MMTRACE_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(MHD_STATIC_LIB):
	CC="$(CC)" tools/static/libmicrohttpd.sh $(abspath $(MHD_STATIC)) $(TRIPLET)

$(OUT)/tools/%: tools/%.c tools/workload.h $(OUT)/.arch
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) $(LDFLAGS) $< -lpthread -o $@

# Unit tests link the user-space objects; none of them loads BPF.
$(OUT)/tests/%: tools/test/unit/%.c $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) $(SAN_FLAGS) -Itools/test/unit $^ $(LDLIBS) -o $@

# libFuzzer targets (clang): each links the user-space files it exercises.
FUZZ_TARGETS := $(patsubst tools/test/fuzz/%.c,%,$(wildcard tools/test/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(OUT)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT)
fuzz_srcs_fuzz_ksyms := user/ksyms.c
fuzz_srcs_fuzz_utf8 := user/output.c user/probe.c user/ksyms.c
fuzz_srcs_fuzz_options := user/options.c user/probe.c user/ksyms.c user/output.c
fuzz_srcs_fuzz_accept := user/metrics.c user/output.c user/probe.c user/ksyms.c
fuzz_srcs_fuzz_container := user/container.c

$(OUT)/fuzz/%: tools/test/fuzz/%.c user/*.c user/*.h include/*.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $< $(fuzz_srcs_$*) -lbpf -ljson-c -lelf -lz -o $@

fuzz: $(FUZZ_BINS)

# The unit test binaries alone, for run.sh's sanitizer tier.
unit-bins: $(UNIT_BINS)

# The floor too: the host tier checks make bench's instruments.
test: all $(UNIT_BINS) $(OUT)/tools/bench/floor $(OUT)/tools/test/stacks
	BUILD=$(OUT) tools/test/run.sh all

test-unit: $(UNIT_BINS)
	BUILD=$(OUT) tools/test/run.sh unit

test-host: all $(OUT)/tools/bench/floor $(OUT)/tools/test/stacks
	BUILD=$(OUT) tools/test/run.sh host

test-vm: all
	BUILD=$(OUT) tools/test/run.sh vm

# Cost of tracing, side by side with a floor and bpftrace (a few minutes).
bench: all $(OUT)/tools/bench/floor
	BUILD=$(OUT) python3 tools/bench/bench.py

# The bench's floor: count-only programs on mmtrace's hooks.
$(OUT)/bench/floor.skel.h: tools/bench/floor.bpf.c bpf/kernel_types.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $(@D)/floor.bpf.o
	$(LLVM_STRIP) -g $(@D)/floor.bpf.o
	$(BPFTOOL) gen skeleton $(@D)/floor.bpf.o name floor_bpf > $@

$(OUT)/tools/bench/floor: tools/bench/floor.c $(OUT)/bench/floor.skel.h
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) -I$(OUT)/bench $(LDFLAGS) $< $(LDLIBS) -o $@

# The host tier's check of bpf/stacks.bpf.h, on frames it chooses.
$(OUT)/tests/bpf/stacks.skel.h: tools/test/bpf/stacks.bpf.c bpf/*.h include/*.h $(OUT)/.arch
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $(@D)/stacks.bpf.o
	$(LLVM_STRIP) -g $(@D)/stacks.bpf.o
	$(BPFTOOL) gen skeleton $(@D)/stacks.bpf.o name stacks_bpf > $@

$(OUT)/tools/test/stacks: tools/test/bpf/stacks.c $(OUT)/tests/bpf/stacks.skel.h
	@mkdir -p $(@D)
	$(CC) $(MMTRACE_CFLAGS) -I$(OUT)/tests/bpf $(LDFLAGS) $< $(LDLIBS) -o $@

# Ten minutes under looping workloads; mmtrace's RSS must stay flat.
soak: all
	BUILD=$(OUT) tools/test/soak.sh

run: all
	$(OUT)/mmtrace fork -- $(OUT)/tools/pinfork --pages 64 --forks 10

# The image's tag is the version; its build context holds the binary alone.
VERSION := $(shell sed -n 's/^\#define MMTRACE_VERSION "\(.*\)"$$/\1/p' user/view.h)
IMAGE ?= localhost/mmtrace
image:
	@command -v podman >/dev/null || { echo "mmtrace: make image needs podman (make deps installs it)" >&2; exit 1; }
	$(MAKE) STATIC=1 OUT=$(OUT)/static $(OUT)/static/mmtrace
	rm -rf $(OUT)/image
	mkdir -p $(OUT)/image
	cp $(OUT)/static/mmtrace $(OUT)/image/mmtrace
	podman build -q -f tools/deploy/Containerfile \
		--label org.opencontainers.image.title=mmtrace \
		--label org.opencontainers.image.version=$(VERSION) \
		--label org.opencontainers.image.licenses=GPL-2.0-only \
		-t $(IMAGE):$(VERSION) $(OUT)/image

# Where `make install` puts things; DESTDIR is for packaging (no root).
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
MAN8DIR := $(PREFIX)/share/man/man8
UNITDIR := $(PREFIX)/lib/systemd/system
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
PKG := tools/packaging

# sbin: a root-only tool. The unit is made here, for this PREFIX.
install: $(OUT)/mmtrace
	$(INSTALL) -d "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MAN8DIR)" \
		"$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(COMPLETIONDIR)"
	$(INSTALL) -m 0755 $(OUT)/mmtrace "$(DESTDIR)$(SBINDIR)/mmtrace"
	$(INSTALL) -m 0644 $(PKG)/mmtrace.8 "$(DESTDIR)$(MAN8DIR)/mmtrace.8"
	sed 's|@SBINDIR@|$(SBINDIR)|g' $(PKG)/mmtrace.service.in \
		> "$(DESTDIR)$(UNITDIR)/mmtrace.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/mmtrace.service"
	sed 's|@VIEWS@|$(VIEWS)|g' $(PKG)/mmtrace.bash-completion.in \
		> "$(DESTDIR)$(COMPLETIONDIR)/mmtrace"
	chmod 0644 "$(DESTDIR)$(COMPLETIONDIR)/mmtrace"

uninstall:
	rm -f "$(DESTDIR)$(SBINDIR)/mmtrace" "$(DESTDIR)$(MAN8DIR)/mmtrace.8" \
		"$(DESTDIR)$(UNITDIR)/mmtrace.service" \
		"$(DESTDIR)$(COMPLETIONDIR)/mmtrace"

format:
	clang-format -i bpf/*.h user/*.c user/*.h include/*.h views/*/*.c \
		views/*/*.h tools/*.c tools/*.h

clean:
	rm -rf $(OUT)
