/* SPDX-License-Identifier: GPL-2.0 */
/* What mmtrace hugetlb's BPF side aggregates and user space reads. */
#ifndef MMTRACE_HUGETLB_H
#define MMTRACE_HUGETLB_H

#include "filter.h"
#include "hist.h"

/* Who waited on a file's i_mmap_rwsem. */
enum imap_waiter {
	IMAP_SHARE,		/* huge_pmd_share, looking for a table */
	IMAP_OTHER,		/* unmap, unshare, migration, khugepaged */
	IMAP_WAITERS,
};

enum imap_mode {
	IMAP_READ,
	IMAP_WRITE,
	IMAP_MODES,
};

/* Totals since load; user space reports per-interval differences. */
enum hugetlb_counter {
	/* Calls and time are share_hist's and retract_hist's count and sum. */
	HC_SHARED,		/* huge_pmd_share calls that found a table */
	HC_UNSHARES,		/* __huge_pmd_unshare returning 1 */
	HC_RETRACTED_TABLES,	/* PTE tables retract_page_tables took away */
	HC_FAULT_RETRACT_OVERLAPS,	/* page faults a retraction of their mm met */
	HC_MAX,
};

struct hugetlb_proc_key {
	unsigned int tgid;
};

/*
 * Counters that only grow, share_calls to fault_retract_overlaps: reports
 * show their growth. No exited flag: user space asks the kernel whether a
 * pid is gone.
 */
struct hugetlb_proc_stats {
	char comm[COMM_LEN];
	unsigned long long cgroup_id;	/* cgroup v2 id at first sight */
	unsigned long long share_calls;
	unsigned long long shared;
	unsigned long long share_ns;
	unsigned long long imap_waits;	/* as any kind of waiter */
	unsigned long long imap_wait_ns;
	unsigned long long unshares;
	unsigned long long retracts;
	unsigned long long retract_ns;
	unsigned long long retracted_tables;	/* by this retractor, any mm */
	unsigned long long fault_retract_overlaps;	/* this process's faults */
};

#endif /* MMTRACE_HUGETLB_H */
