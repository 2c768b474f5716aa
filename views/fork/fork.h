/* SPDX-License-Identifier: GPL-2.0 */
/* What mmtrace fork's BPF side aggregates and user space reads. */
#ifndef MMTRACE_FORK_H
#define MMTRACE_FORK_H

#include "filter.h"
#include "hist.h"

/*
 * The view's observations, in the order of its table (fork.c): BPF tests
 * which attached by these (gate.attached, bpf/common.bpf.h).
 */
enum fork_obs {
	OBS_CLONES,
	OBS_SYSCALLS,
	OBS_PINNED,
	OBS_THP,
	OBS_HUGETLB,
	OBS_GUP_RACE,
};

/* Fork latency histograms, in microseconds, split by the parent's mm. */
enum fork_lat_kind {
	FORK_LAT_UNPINNED,	/* parent mm never pinned a page */
	FORK_LAT_PINNED,	/* parent mm has pinned (MMF_HAS_PINNED) */
	FORK_LAT_KINDS,
};

/* What a successful clone made (fork.clones), counted per CPU. */
enum clone_kind {
	CK_FORK,		/* a process (new mm) */
	CK_VFORK,		/* a vfork child, kept out of latency */
	CK_THREAD,		/* a task sharing the mm */
	CK_MAX,
};

/* Totals since load; user space reports per-interval differences. */
enum fork_counter {
	FC_FAILED,		/* clone family calls that returned an error */
	FC_PINNED_COPIES,	/* base pages copied eagerly (maybe pinned) */
	FC_THP_SPLITS,		/* pinned THPs split at fork (richer tiers) */
	FC_HUGETLB_COPIES,	/* huge pages copied eagerly (richer tiers) */
	FC_CPR_NS,		/* time in copy_page_range (richer tiers) */
	FC_GUP_DURING,		/* GUP-fast calls on a forking mm, in a window */
	FC_GUP_PUSHED,		/* of them, FOLL_PIN calls sent to the slow path */
	FC_MAX,
};

struct fork_proc_key {
	unsigned int tgid;
};

/* Counters that only grow, forks to cpr_ns: reports show their growth. */
struct fork_proc_stats {
	char comm[COMM_LEN];
	unsigned long long cgroup_id;	/* cgroup v2 id at first sight */
	unsigned long long forks;
	unsigned long long vforks;
	unsigned long long threads;
	unsigned long long failed;
	unsigned long long pinned_copies;
	unsigned long long thp_splits;
	unsigned long long hugetlb_copies;
	unsigned long long total_ns;	/* process forks only */
	unsigned long long cpr_ns;
	unsigned long long gup_during;	/* FC_GUP_DURING of its forks */
	unsigned long long gup_pushed;	/* FC_GUP_PUSHED of its forks */
	unsigned long long max_ns;	/* since tracing began; racy max */
	unsigned int has_pinned;
	unsigned int exited;		/* the process is gone: last report */
};

#endif /* MMTRACE_FORK_H */
