/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: the few things in a report worth acting on, each with the
 * numbers that triggered it and the remedy. Every rule is a threshold on
 * measured numbers, with its source, in the table of user/findings.c.
 * They read the views through user/fields.h only.
 */
#ifndef MMTRACE_FINDINGS_H
#define MMTRACE_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>
#include "fields.h"
#include "filter.h"

struct json_object;
struct view;
struct obs_result;

#define FINDING_EVIDENCE_MAX 6

/* One process's numbers over a report (growth, except *_MAX and HAS_*). */
struct subject {
	unsigned int pid;
	char comm[COMM_LEN];
	unsigned long long v[F_MAX];
};

struct evidence {
	const char *name;	/* JSON key: a count, or a size or time unit */
	unsigned long long value;
};

struct finding {
	const char *id;		/* stable: "fork.pinned_copies" */
	const char *severity;	/* "warning" or "info" */
	unsigned int pid;	/* 0: every process named comm */
	char comm[COMM_LEN];
	struct evidence evidence[FINDING_EVIDENCE_MAX];
	size_t n_evidence;
	char what[256];		/* what was measured, with the numbers */
	char advice[256];
	char brief[96];		/* numbers and remedy, for top's last line */
};

struct findings {
	struct finding *f;
	size_t n;
};

/*
 * Evaluates every rule on @subs, where @known says which fields the
 * loaded views count on this kernel. Appends to @out, most severe first.
 */
void findings_eval(const struct subject *subs, size_t n,
		   const bool known[F_MAX], struct findings *out);

/*
 * A CLI report's findings: reads view @t's rows (without taking them
 * from its report, which reads them next) and evaluates the rules.
 */
int findings_of_view(const struct view *t, void *skel,
		     const struct obs_result *res, struct findings *out);

/* "findings:" and a line or two per finding (text reports). */
void findings_print(FILE *out, const struct findings *f);
/* The JSON list: id, severity, subject, evidence, what, advice. */
struct json_object *findings_json(const struct findings *f);
/* One line for `mmtrace top`'s bottom line, into @buf. */
const char *findings_line(const struct findings *f, char *buf, size_t len);
void findings_free(struct findings *f);

#endif /* MMTRACE_FINDINGS_H */
