/* SPDX-License-Identifier: GPL-2.0 */
/* Process filters every tracer honours; set in .rodata before load. */
#ifndef MMTRACE_FILTER_H
#define MMTRACE_FILTER_H

#define COMM_LEN 16

struct task_filter {
	unsigned int tgid;		/* 0: any process */
	unsigned int comm_set;		/* 1: comm must equal comm[] */
	char comm[COMM_LEN];
	unsigned int cgroup_set;	/* 1: only tasks under --cgroup */
	unsigned int pad;
};

/* Events lost to full maps or failed updates, counted in BPF, shown always. */
enum loss_counter {
	LOSS_WINDOW_MAP_FULL,
	LOSS_PROC_MAP_FULL,
	LOSS_LOCK_STATE_FULL,	/* per-task lock state (locks view) */
	LOSS_LOCK_TABLE_FULL,	/* contended-lock table (locks view) */
	LOSS_EVENTS_DROPPED,	/* --events: ring buffer full */
	LOSS_STACKS_FAILED,	/* --events: kernel stack not captured */
	LOSS_MAX,
};

/* Names for reports and metrics (the reason label of mmtrace_lost_total). */
#define LOSS_NAMES                                                           \
	{                                                                    \
		[LOSS_WINDOW_MAP_FULL] = "window_map_full",                  \
		[LOSS_PROC_MAP_FULL] = "proc_map_full",                      \
		[LOSS_LOCK_STATE_FULL] = "lock_state_full",                  \
		[LOSS_LOCK_TABLE_FULL] = "lock_table_full",                  \
		[LOSS_EVENTS_DROPPED] = "events_dropped",                    \
		[LOSS_STACKS_FAILED] = "stacks_failed",                      \
	}

#endif /* MMTRACE_FILTER_H */
