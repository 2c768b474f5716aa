/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recursion misses: a tracing program does not run when it is already
 * running on that CPU, and the kernel counts a miss. BPF trampolines and
 * tracepoints are preemptible on PREEMPT kernels (7.x is PREEMPT_LAZY), so
 * two tasks on one CPU meet in one program: the second one's event is
 * lost. Each miss is reported per program, never hidden.
 */
#ifndef MMTRACE_MISSES_H
#define MMTRACE_MISSES_H

#include <stdio.h>
#include <linux/types.h>

struct bpf_object;
struct json_object;

#define MISSES_MAX_PROGS 48

struct prog_misses {
	const char *name[MISSES_MAX_PROGS];
	__u64 n[MISSES_MAX_PROGS];
};

/* @now: the misses since load; @out: their growth since @was, kept. */
void misses_collect(struct bpf_object *obj, struct prog_misses *was,
		    struct prog_misses *out);
__u64 misses_total(const struct prog_misses *m);
/* {"program": misses} for the programs that missed events. */
struct json_object *misses_json(const struct prog_misses *m);

#endif /* MMTRACE_MISSES_H */
