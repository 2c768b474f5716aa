/* SPDX-License-Identifier: GPL-2.0 */
/* What mmtrace gup's BPF side aggregates and user space reads. */
#ifndef MMTRACE_GUP_H
#define MMTRACE_GUP_H

#include "filter.h"
#include "hist.h"
#include "stack.h"

/*
 * FOLL_* bits differ per kernel (6.1: GET 0x4, PIN 0x40000; 6.12+: GET
 * 0x2, PIN 0x80000): user space resolves them and passes them in .rodata.
 */
struct gup_foll {
	unsigned int write;
	unsigned int get;
	unsigned int pin;
	unsigned int longterm;
};

/*
 * Flag classes a call is counted under; they overlap (a FOLL_PIN |
 * FOLL_LONGTERM | FOLL_WRITE call counts in four), GUP_ALL has every call.
 */
enum gup_class {
	GUP_ALL,
	GUP_PIN,
	GUP_GET,
	GUP_LONGTERM,
	GUP_WRITE,
	GUP_CLASSES,
};

/* Totals per class since load; user space reports differences. */
enum gup_counter {
	GC_CALLS,		/* calls of the GUP-fast core */
	GC_ASKED,		/* pages asked for */
	GC_RETURNED,		/* pages returned (positive returns) */
	GC_FAST,		/* pages the lockless walk got */
	GC_SLOW,		/* pages the slow-path fallback got */
	GC_FALLBACKS,		/* calls that entered the fallback */
	GC_SHORT,		/* calls returning fewer pages than asked */
	GC_ERRORS,		/* calls returning an error */
	GC_FORK_FALLBACKS,	/* fallbacks because a fork of the mm raced */
	GC_FORK_PAGES,		/* pages the slow path got in those calls */
	GC_RETRACT_OVERLAPS,	/* calls a page-table retraction of the mm met */
	GC_MAX,
};

enum gup_lat_kind {
	GUP_LAT_FAST,		/* the lockless walk did it all */
	GUP_LAT_FALLBACK,	/* the call fell back to the slow path */
	GUP_LAT_KINDS,
};

/* errno 1..126 by number; slot 0 holds larger ones. */
#define GUP_ERRNO_SLOTS 127

/* Kernel frames kept per caller stack: deep enough to reach the syscall. */
#define GUP_STACK_DEPTH 24
_Static_assert(GUP_STACK_DEPTH <= KERNEL_STACK_MAX, "a caller stack fits");

/* Per kernel call stack of the core's caller (its key); all grow. */
struct gup_caller_stats {
	unsigned long long calls;
	unsigned long long asked;
	unsigned long long pages_fast;
	unsigned long long pages_slow;
};

struct gup_proc_key {
	unsigned int tgid;
};

/* Counters that only grow, calls to total_ns: reports show their growth. */
struct gup_proc_stats {
	char comm[COMM_LEN];
	unsigned long long cgroup_id;	/* cgroup v2 id at first sight */
	unsigned long long calls;
	unsigned long long asked;
	unsigned long long returned;
	unsigned long long pages_fast;
	unsigned long long pages_slow;
	unsigned long long fallbacks;
	unsigned long long errors;
	unsigned long long pin_calls;
	unsigned long long fork_fallbacks;	/* GC_FORK_FALLBACKS */
	unsigned long long fork_pages;		/* GC_FORK_PAGES */
	unsigned long long retract_overlaps;	/* GC_RETRACT_OVERLAPS */
	unsigned long long total_ns;
	char forker_comm[COMM_LEN];	/* the last fork that pushed a call */
	unsigned int forker_pid;	/* 0: none, or not seen */
	unsigned int first_pin;		/* a call here set MMF_HAS_PINNED */
	unsigned int has_pinned;	/* the mm had pinned at last call */
	unsigned int exited;		/* the process is gone */
};

#endif /* MMTRACE_GUP_H */
