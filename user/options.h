/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line parsing shared by every subcommand. */
#ifndef MMTRACE_OPTIONS_H
#define MMTRACE_OPTIONS_H

#include <stdio.h>
#include "view.h"

/* Exit status for bad usage, as in most command-line tools. */
#define EXIT_USAGE 2

/*
 * Parses a whole decimal number in [min, max]. On failure prints
 * "mmtrace: invalid <what> '<s>': <reason>" and returns -EINVAL.
 */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
		const char *what, unsigned long *out);

/* --comm: 1 to 15 characters, or a one-line error and -EINVAL. */
int parse_comm(const char *arg, struct task_filter *filter);

/* --tier: fentry, kprobe or tracepoint; else one line and -EINVAL. */
int parse_tier(const char *arg, enum probe_tier *tier);

/* -p: an existing process, not a thread; else one line and EXIT_USAGE. */
int check_pid(unsigned int pid);

/* Opens a cgroup v2 directory for the --cgroup filter; returns an fd. */
int cgroup_open(const char *path);
/*
 * Where the cgroup v2 directories are, from @mounts (/proc/self/mounts
 * text), for a user who named @path (resolved; NULL: unknown): the v2
 * mount, and the v1 hierarchy @path is in, or how to mount v2.
 */
void cgroup2_hint(FILE *mounts, const char *path, char *hint, size_t len);

/*
 * The one entrance for the options the subcommands share, each with one
 * help text, one range and one error message. Used as a struct argp_child
 * whose input (state->child_inputs[i]) is the subcommand's view_opts; a
 * bad value prints one line and fails argp_parse() with EINVAL.
 *
 * common_argp: -p, -c, --cgroup, -d, --max-procs, --tier, and load_argp's:
 *   every subcommand that traces (the views, serve, top). It sets their
 *   defaults at ARGP_KEY_INIT; common_check() checks -p and opens
 *   --cgroup once the whole line is parsed.
 * load_argp: --btf and -v, how the views load: probes too.
 */
extern const struct argp common_argp;
extern const struct argp load_argp;

/* After common_argp: -p and --cgroup. Returns 0, or EXIT_USAGE (one line). */
int common_check(struct view_opts *opts);

/*
 * Parses the subcommand's argv (argv[0] is the subcommand). Returns 0, or
 * EXIT_USAGE after printing one line that says what is wrong.
 */
int view_parse_args(const struct view *t, int argc, char **argv,
		      struct view_opts *opts);

/* Extra argp flags; the fuzzer sets ARGP_NO_EXIT so that errors return. */
extern unsigned int options_argp_flags;

#endif /* MMTRACE_OPTIONS_H */
