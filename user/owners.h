/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who held a contended lock (include/lock_owner.h rows, filled by
 * bpf/lock_owner.bpf.h): the report's `owners` list, its text table and
 * the exporter's holder families, for every view that keeps such rows
 * (locks: every lock; hugetlb: i_mmap_rwsem).
 */
#ifndef MMTRACE_OWNERS_H
#define MMTRACE_OWNERS_H

#include <stdbool.h>
#include <stdio.h>
#include "labels.h"
#include "lock_owner.h"
#include "rows.h"

struct json_object;
struct metrics;

#define LOCK_NAME_LEN 96

/* The report's name of a row's lock; true if -L (or none) selects it. */
typedef bool (*lock_owner_namer)(const struct lock_owner_key *k, char *buf,
				 size_t len, const void *arg);

/* A holder's waits, summed over the rows that name the same (lock, pid). */
struct owner_line {
	char lock[LOCK_NAME_LEN];
	bool known;
	unsigned int pid;
	char comm[COMM_LEN];
	struct lock_owner_stats sum;
};

/* A view's struct row_table of its lock_owner map (rows.c reads it). */
#define LOCK_OWNER_ROW_TABLE                                                 \
	{                                                                    \
		.key_size = sizeof(struct lock_owner_key),                   \
		.value_size = sizeof(struct lock_owner_stats),               \
		.sums_off = offsetof(struct lock_owner_stats, waits),        \
		.sums_end = offsetofend(struct lock_owner_stats, wait_ns),   \
		.exited_off = -1,                                            \
	}

/* The selected lines, heaviest first; NULL if no memory. */
struct owner_line *owner_lines(const struct rows *rows, lock_owner_namer name,
			       const void *arg, size_t *n_lines);
/* A row to add at the final report: a wait still in flight. */
int owner_row_push(struct rows *rows, const struct lock_owner_key *k,
		   const char *comm, unsigned long long ns);
struct json_object *owners_json(const struct rows *rows,
				lock_owner_namer name, const void *arg);
void owners_text(FILE *out, const struct rows *rows, lock_owner_namer name,
		 const void *arg, size_t top);

/*
 * The exporter's families <prefix>_owner_waits_total and
 * <prefix>_owner_wait_seconds_total, labelled lock and owner (the
 * holder's thread name; "unknown" when not recorded), at most @top label
 * pairs. @growth: what grew since the last call (rows_read()).
 */
struct owner_labels {
	struct label_table t;
	bool ready;
};

void owner_labels_render(struct metrics *m, struct owner_labels *ol,
			 const char *prefix, const struct rows *growth,
			 lock_owner_namer name, const void *arg, size_t top,
			 bool head);

/* Labels of two values in one label_table slot: "a\x1fb". */
void label_pair_render(struct metrics *m, struct label_table *t,
		       const char *family, const char *help, const char *l0,
		       const char *l1, size_t sum, int decimals);

#endif /* MMTRACE_OWNERS_H */
