/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream (--events): one record per event above a threshold,
 * written by bpf/events.bpf.h into a ring buffer and printed by
 * user/events.c. The layout is shared by both sides.
 *
 * Adding an event to a view: a kind below with the meaning of its values,
 * an emit_event() call where the view's BPF program sees the event, and a
 * row in the view's event table (struct event_desc in user/<view>.c).
 */
#ifndef MMTRACE_EVENTS_H
#define MMTRACE_EVENTS_H

#include "filter.h"

#define EVENT_VALUES 4
/* Frames of kernel stack per event, innermost first; deeper ones are cut. */
#define EVENT_STACK_DEPTH 32

enum event_kind {
	EV_FORK = 1,		/* a process fork: enum fork_event */
	EV_MMAP_LOCK_WAIT,	/* an mmap_lock acquisition: enum mmap_wait_event */
	EV_LOCK_CONTENTION,	/* a contended sleeping lock: enum contention_event */
};

enum fork_event {
	FEV_LATENCY_NS,		/* clone syscall entry to return */
	FEV_PINNED_COPIES,	/* base pages copied at once (maybe pinned) */
	FEV_CHILD,		/* the child's pid, as the parent sees it */
	FEV_HAS_PINNED,		/* the parent's mm has pinned pages */
};

/* Both lock kinds keep the wait at index 0: --min-latency applies to it. */
enum mmap_wait_event {
	MWEV_WAIT_NS,		/* start_locking to acquire_returned */
	MWEV_WRITE,		/* a write acquisition, else read */
	MWEV_ACQUIRED,		/* got the lock (a killable wait may not) */
};

enum contention_event {
	CEV_WAIT_NS,		/* contention_begin to contention_end */
	CEV_LOCK,		/* the lock's address */
	CEV_FLAGS,		/* LCB_F_* (views/locks/locks.h) */
	CEV_IS_MMAP,		/* the lock is the task's own mmap_lock */
};

/*
 * Set in the view's .rodata before load. Value i of an event must reach
 * min[i] when bit i of thresholds is set; with several set, any one
 * suffices and reasons says which did. No threshold: every event.
 * Thresholds apply by index to every kind of a view.
 */
struct events_config {
	unsigned int on;		/* --events */
	unsigned int thresholds;	/* bit i: min[i] applies */
	unsigned long long wakeup_bytes; /* wake the reader from this fill on */
	unsigned long long min[EVENT_VALUES];
};

struct event {
	unsigned int kind;		/* enum event_kind */
	unsigned int reasons;		/* bit i: value i reached min[i] */
	unsigned long long ts_ns;	/* CLOCK_MONOTONIC, when detected */
	unsigned int pid;		/* tgid */
	unsigned int tid;
	char comm[COMM_LEN];
	unsigned long long v[EVENT_VALUES];
	unsigned long long cgroup_id;	/* cgroup v2: its container */
	unsigned int stack_depth;	/* frames in stack[], 0 if not taken */
	unsigned int pad;
	unsigned long long stack[EVENT_STACK_DEPTH];
};

#endif /* MMTRACE_EVENTS_H */
