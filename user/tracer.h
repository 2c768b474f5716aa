/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracer is one subcommand: its observations (attach plans), its BPF
 * skeleton, and its report. Adding one means a bpf/<name>.bpf.c, a
 * user/<name>.c defining a struct tracer, and an entry in tracers[] (main.c).
 * The session (session.c) does everything else: probe resolution with
 * fallback, load, attach, the command to trace, intervals, signals.
 */
#ifndef MMTRACE_TRACER_H
#define MMTRACE_TRACER_H

#include <stdbool.h>
#include <stdio.h>
#include "filter.h"
#include "probe.h"

struct bpf_object;

struct tracer_opts {
	struct task_filter filter;
	unsigned int interval_s;	/* 0: one report at the end */
	unsigned int duration_s;	/* 0: until Ctrl-C or the command ends */
	unsigned int max_procs;		/* per-process map size */
	unsigned int top;		/* rows in text reports */
	enum probe_tier max_tier;	/* --tier: richest tier allowed */
	bool timestamps;
	bool json;
	bool verbose;
	char **command;			/* argv to run and trace, or NULL */
	const char *output;		/* reports go here instead of stdout */
	int cgroup_fd;			/* --cgroup directory, or -1 */
};

struct report_ctx {
	const struct tracer_opts *opts;
	const struct observation *obs;
	const struct obs_result *res;
	size_t n_obs;
	double seconds;			/* time this report covers */
	bool final;
	FILE *out;
};

struct tracer {
	const char *name;
	const char *summary;		/* one line in `mmtrace --help` */
	const char *doc;		/* the subcommand's --help text */
	const struct observation *obs;
	size_t n_obs;
	void *(*open)(void);
	struct bpf_object *(*object)(void *skel);
	/* Before load: filters and map sizes into .rodata and maps. */
	int (*configure)(void *skel, const struct tracer_opts *opts);
	/* The skeleton's load: it also maps .bss for user space to read. */
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	/* Reports what happened since the previous call. */
	int (*report)(void *skel, const struct report_ctx *ctx);
	/* True while an event is half counted (e.g. a fork in flight). */
	bool (*busy)(void *skel);
};

extern const struct tracer fork_tracer;
extern const struct tracer hugetlb_tracer;
extern const struct tracer gup_tracer;
extern const struct tracer locks_tracer;

#endif /* MMTRACE_TRACER_H */
