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
	LOSS_MAX,
};

#endif /* MMTRACE_FILTER_H */
