/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who held a contended sleeping lock, as the kernel records it: the rows
 * bpf/lock_owner.bpf.h fills and user space reads (locks and hugetlb).
 */
#ifndef MMTRACE_LOCK_OWNER_H
#define MMTRACE_LOCK_OWNER_H

#include "filter.h"

/* In struct lock_owner_key.kind, beside the view's own bits. */
#define LOCK_OWNER_KNOWN	(1U << 31)

/*
 * The holder seen when a wait began. known == 0: the kernel records no
 * holder for that lock (a rwsem held by readers, rtmutex, percpu-rwsem)
 * or it could not be read; pid 0 with known set: a holder outside
 * mmtrace's pid namespace.
 */
struct lock_owner {
	unsigned int pid;	/* the holder thread's id (task->pid) */
	unsigned int known;
	char comm[COMM_LEN];	/* the holder thread's own name */
};

/* One (lock, holder) pair; lock 0 for locks a view names by class. */
struct lock_owner_key {
	unsigned long long lock;
	unsigned int kind;	/* the view's lock class and type, | KNOWN */
	unsigned int pid;
};

/* Waits and wait_ns only grow; comm is the holder's at first sight. */
struct lock_owner_stats {
	unsigned long long waits;
	unsigned long long wait_ns;
	char comm[COMM_LEN];
};

#endif /* MMTRACE_LOCK_OWNER_H */
