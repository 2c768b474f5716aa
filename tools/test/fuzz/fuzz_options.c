// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the command line. The input is split on NUL bytes into
 * arguments after "fork"; parsing must reject or accept, never crash.
 */
#include <argp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "options.h"

#define MAX_ARGS 32

static const struct view fuzz_view = { .name = "fork", .doc = "fuzz" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[4096], *argv[MAX_ARGS + 2] = { "mmtrace fork" };
	struct view_opts opts;
	int argc = 1;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	options_argp_flags = ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_NO_HELP;
	view_parse_args(&fuzz_view, argc, argv, &opts);
	if (opts.cgroup_fd >= 0)
		close(opts.cgroup_fd);
	return 0;
}
