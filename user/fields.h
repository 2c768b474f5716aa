/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow interface through which `mmtrace top` and the findings
 * (user/top.c, user/findings.c) read the views: per view, where a few
 * named numbers sit in its per-process row (view->metrics->rows), and
 * which observation must be attached for each to mean anything. A view
 * exports one such table, <view>_fields; nothing else of it is read.
 */
#ifndef MMTRACE_FIELDS_H
#define MMTRACE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

struct row;
struct view;
struct obs_result;

enum field {
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

/* One field of a row; fields listed twice are summed (read + write). */
struct field_def {
	enum field field;
	unsigned int off;	/* in the row value */
	unsigned int size;	/* 4 or 8 */
	int obs;		/* the observation that counts it */
};

struct view_fields {
	const struct field_def *defs;
	size_t n_defs;
};

#define FIELD(f, type, member, ob)                                           \
	{ f, offsetof(type, member), sizeof(((type *)0)->member), ob }

/* The views that export fields, by view name; NULL if none. */
const struct view_fields *view_fields(const char *view);

/* Whether view fields @vf count @f with these probe results (@res). */
bool field_known(const struct view_fields *vf, const struct obs_result *res,
		 enum field f);

/* Adds the view's fields of @r (a row of its process table) into @v. */
void fields_add(const struct view_fields *vf, const struct row *r,
		unsigned long long v[F_MAX]);

#endif /* MMTRACE_FIELDS_H */
