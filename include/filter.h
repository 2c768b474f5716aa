/* SPDX-License-Identifier: GPL-2.0 */
/* Process filters every view honours; in .rodata.filter before load. */
#ifndef MMTRACE_FILTER_H
#define MMTRACE_FILTER_H

#define COMM_LEN 16
/* Bytes of row_marks (bpf/common.bpf.h): processes that may have a row. */
#define ROW_MARKS 65536

/*
 * Pids are those of the pid namespace mmtrace runs in: pidns_ino names it
 * (the inode of /proc/self/ns/pid), 0 when it is the initial one.
 */
struct task_filter {
	unsigned int tgid;		/* 0: any process; follow: the root */
	unsigned int comm_set;		/* 1: comm must equal comm[] */
	char comm[COMM_LEN];
	unsigned int cgroup_set;	/* 1: only tasks under --cgroup */
	unsigned int follow;		/* 1: tgid and every process it starts */
	unsigned long long pidns_ino;	/* mmtrace's pid namespace; 0: initial */
};

/*
 * What every program reads before anything else, together on one cache
 * line (.data.gate): filtered and by_tid before load, attached and then
 * armed once every program is attached, armed cleared before the last
 * report (user/session.c).
 */
struct gate {
	unsigned int armed;		/* 0: count nothing */
	unsigned int filtered;		/* 1: some field of the filter is set */
	unsigned long long attached;	/* bit i: the view's observation i */
	/*
	 * 1: the view's per-thread state (bpf/thread.bpf.h) or the locks
	 * view's waits are in hashes by thread id, which each thread's exit
	 * drops (set by thread_state_configure() and the view's configure).
	 * The detail observations' own slots by thread id go by attached.
	 */
	unsigned int by_tid;
};

/*
 * What the BPF side learns about tasks, in its own section (.data.tasks)
 * so that user space finds it in every view's object by one name.
 */
struct task_state {
	unsigned long long pidns_addr;	/* mmtrace's struct pid_namespace */
	unsigned int pidns_level;	/* its depth: pid->numbers[] index */
	unsigned int seeded;		/* follow: the root has been seen */
	long long traced;		/* follow: processes in the traced map */
	unsigned long long added;	/* follow: insertions, ever */
};

/*
 * Events lost to full maps or failed updates, counted in BPF, shown always.
 * Their names and texts are declared once, in user/view.c.
 */
enum loss_counter {
	LOSS_WINDOW_MAP_FULL,
	LOSS_PROC_MAP_FULL,
	LOSS_LOCK_STATE_FULL,	/* per-task lock state (locks view) */
	LOSS_LOCK_TABLE_FULL,	/* contended-lock table (locks view) */
	LOSS_EVENTS_DROPPED,	/* --events: ring buffer full */
	LOSS_STACKS_FAILED,	/* --events: kernel stack not captured */
	LOSS_FOLLOW_MAP_FULL,	/* a COMMAND's descendant not followed */
	LOSS_CALLER_UNKNOWN,	/* a call or wait under no caller (gup, locks) */
	LOSS_OWNER_MAP_FULL,	/* a wait under no holder (locks, hugetlb) */
	LOSS_MAX,
};

#endif /* MMTRACE_FILTER_H */
