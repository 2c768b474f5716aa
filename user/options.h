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

/* Opens a cgroup v2 directory for the --cgroup filter; returns an fd. */
int cgroup_open(const char *path);

/*
 * Parses the subcommand's argv (argv[0] is the subcommand). Returns 0, or
 * EXIT_USAGE after printing one line that says what is wrong.
 */
int tracer_parse_args(const struct tracer *t, int argc, char **argv,
		      struct tracer_opts *opts);

/* Extra argp flags; the fuzzer sets ARGP_NO_EXIT so that errors return. */
extern unsigned int options_argp_flags;

#endif /* MMTRACE_OPTIONS_H */
