/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow interface through which `mmtrace top` and the findings
 * (user/top.c, user/findings.c) read the views: a few named numbers of a
 * view's per-process row, each a row number of its table
 * (struct number.field, user/view.h) with the observation that counts it.
 * Nothing else of a view is read.
 */
#ifndef MMTRACE_FIELDS_H
#define MMTRACE_FIELDS_H

#include <stdbool.h>

struct row;
struct view;
struct obs_result;

enum field {
	F_NONE,			/* a number top and the findings do not read */
	F_FORKS,		/* process forks (new mm) */
	F_FORK_NS,		/* time in those forks */
	F_FORK_MAX_NS,		/* longest fork since tracing began */
	F_HAS_PINNED,		/* the mm has pinned pages (0/1, now) */
	F_PINNED_COPIES,	/* base pages copied at fork: maybe pinned */
	F_MMAP_WAIT_NS,		/* acquiring mmap_lock, read and write */
	F_CONTENTION_NS,	/* contended sleeping locks, mmap_lock too */
	F_OTHER_CONTENTION_NS,	/* contended locks other than mmap_lock */
	F_FAULTS,		/* user page faults */
	F_FALLBACKS,		/* of them, served under mmap_lock */
	F_GUP_CALLS,		/* GUP-fast calls */
	F_GUP_FAST,		/* pages the lockless walk got */
	F_GUP_SLOW,		/* pages the slow-path fallback got */
	F_PMD_SHARE_CALLS,	/* huge_pmd_share calls */
	F_PMD_SHARED,		/* of them, a PMD table was shared */
	F_PMD_SHARE_NS,		/* time in huge_pmd_share */
	F_MAX,
};

/* Whether view @v counts @f with these probe results (@res). */
bool field_known(const struct view *v, const struct obs_result *res,
		 enum field f);

/*
 * Adds the fields of @r (a row of @v's process table) into @vals; a field
 * two numbers declare is their sum (read + write).
 */
void fields_add(const struct view *v, const struct row *r,
		unsigned long long vals[F_MAX]);

#endif /* MMTRACE_FIELDS_H */
