/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line parsing shared by every subcommand. */
#ifndef MMTRACE_OPTIONS_H
#define MMTRACE_OPTIONS_H

#include "tracer.h"

/* Exit status for bad usage, as in most command-line tools. */
#define EXIT_USAGE 2

/*
 * Parses a whole decimal number in [min, max]. On failure prints
 * "mmtrace: invalid <what> '<s>': <reason>" and returns -EINVAL.
 */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
		const char *what, unsigned long *out);

/* Resolves a cgroup v2 directory to the id bpf_get_current_cgroup_id sees. */
int cgroup_id_of(const char *path, unsigned long long *id);

/*
 * Parses the subcommand's argv (argv[0] is the subcommand). Returns 0, or
 * EXIT_USAGE after printing one line that says what is wrong.
 */
int tracer_parse_args(const struct tracer *t, int argc, char **argv,
		      struct tracer_opts *opts);

#endif /* MMTRACE_OPTIONS_H */
