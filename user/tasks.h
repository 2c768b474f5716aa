/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which tasks a session traces, beyond -p/--comm/--cgroup: the pid
 * namespace mmtrace runs in (its pids are the ones users give and read),
 * and a COMMAND's descendants (followed unless --no-children). The BPF
 * side is in bpf/common.bpf.h; each view lists its two programs in an
 * observation named "<view>.children".
 */
#ifndef MMTRACE_TASKS_H
#define MMTRACE_TASKS_H

#include <stdbool.h>
#include <stdio.h>
#include "view.h"

struct json_object;

/*
 * Every view's last observation: its programs <view>_task_fork and
 * <view>_task_free call task_forked() and task_freed() (common.bpf.h).
 */
#define CHILDREN_OBSERVATION(view)                                           \
	{                                                                    \
		.name = view ".children",                                    \
		.support = true,                                             \
		/* Detail too: fork's windows take the child's pid here. */ \
		.filters_only = true,                                        \
		.summary = "new processes: COMMAND's descendants to follow, " \
			   "mmtrace's own pid namespace, forks' child pids", \
		.if_missing = "COMMAND is traced alone (its descendants "    \
			      "cannot be followed), and mmtrace cannot run " \
			      "in a pid namespace other than the initial one", \
		.plans = { {                                                 \
			.tier = TIER_TRACEPOINT,                             \
			.note = "sched_process_fork in the parent, before the " \
				"child runs; sched_process_free when a "     \
				"process is gone",                           \
			.points = {                                          \
				{ view "_task_fork", PROBE_TP_BTF,           \
				  { "sched_process_fork" } },                \
				{ view "_task_free", PROBE_TP_BTF,           \
				  { "sched_process_free" } },                \
			},                                                   \
		} },                                                         \
	}

/*
 * The inode of mmtrace's pid namespace in *@ino, 0 for the initial one.
 * Returns 0, or -errno after one line that says why.
 */
int tasks_pidns(unsigned long long *ino);

/* Before load: the traced map gets --max-procs entries. */
int tasks_configure(struct bpf_object *obj, const struct view_opts *opts);

/*
 * After attach, before arming: learns mmtrace's pid namespace in the
 * kernel (by forking once) and checks that what @opts needs is attached.
 * Returns 0, or -errno after one line that says why.
 */
int tasks_start(struct bpf_object *obj, const struct view *t,
		const struct obs_result *res, const struct view_opts *opts);

/* Processes followed now (the COMMAND and its descendants still alive). */
long long tasks_followed(struct bpf_object *obj);

/*
 * Of those, the ones whose pid still names a task (zombies included),
 * asked of the kernel: a process whose sched_process_free the BPF side
 * missed is not waited for. Outside the initial pid namespace, the same
 * as tasks_followed().
 */
long long tasks_alive(struct bpf_object *obj, bool initial_pidns);

/* What the banner says about whose pids are shown and what is followed. */
void tasks_banner(const struct task_filter *filter);

#endif /* MMTRACE_TASKS_H */
