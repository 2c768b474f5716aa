// SPDX-License-Identifier: GPL-2.0
/*
 * floor [PROGRAM | count | timed ...]: attaches tools/bench/floor.bpf.c's
 * programs (those named; "count": every count-only one, "timed": every
 * floor_timed_ one; nothing: all), each one that this kernel has a hook
 * for, prints "ready" and waits for SIGINT. Each program is loaded in an
 * object of its own: a hook this kernel lacks costs that program only.
 * A program measured for a floor should be alone on its hook, as
 * mmtrace's is: a second program runs with the first one's lines warm.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define MAX_PROGS 32

/* The contention pair's one map (floor.bpf.c, waits), once created. */
static int waits_fd = -1;

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static bool wanted(const char *name, int argc, char **argv)
{
	bool timed = !strncmp(name, "floor_timed_", 12);

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name) ||
		    !strcmp(argv[i], timed ? "timed" : "count"))
			return true;
	return argc < 2;
}

/*
 * The @i-th program alone, loaded and attached (its link in *@link); NULL
 * if it cannot be. The link is not the skeleton's: destroying the
 * skeleton leaves the program attached until the link is destroyed too.
 */
static struct floor_bpf *attach_one(int i, const char **name,
				    struct bpf_link **link)
{
	struct floor_bpf *skel = floor_bpf__open();
	struct bpf_program *prog, *mine = NULL;
	int n = 0;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj) {
		bpf_program__set_autoload(prog, n == i);
		if (n++ == i)
			mine = prog;
	}
	if (!mine)
		goto fail;
	*name = bpf_program__name(mine);
	if (waits_fd >= 0 && bpf_map__reuse_fd(skel->maps.waits, waits_fd))
		goto fail;
	if (floor_bpf__load(skel))
		goto fail;
	/* Without it, the next object's pair would time nothing again. */
	if (waits_fd < 0) {
		waits_fd = dup(bpf_map__fd(skel->maps.waits));
		if (waits_fd < 0)
			goto fail;
	}
	*link = bpf_program__attach(mine);
	if (!*link)
		goto fail;
	return skel;
fail:
	floor_bpf__destroy(skel);
	return NULL;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skels[MAX_PROGS] = {};
	struct bpf_link *links[MAX_PROGS] = {};
	struct sigaction sa = { .sa_handler = on_stop };
	const char *name = NULL;
	int n = 0;

	libbpf_set_print(quiet);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < MAX_PROGS; i++) {
		name = NULL;
		skels[i] = attach_one(i, &name, &links[i]);
		if (skels[i] && !wanted(name, argc, argv)) {
			bpf_link__destroy(links[i]);
			links[i] = NULL;
			floor_bpf__destroy(skels[i]);
			skels[i] = NULL;
		} else if (skels[i]) {
			n++;
		} else if (name) {
			fprintf(stderr, "floor: %s: no such hook here\n", name);
		} else {
			break;
		}
	}
	printf("floor: %d programs attached, ready\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < MAX_PROGS; i++) {
		bpf_link__destroy(links[i]);
		floor_bpf__destroy(skels[i]);
	}
	return 0;
}
