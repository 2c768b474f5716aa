/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded label sets for exported per-process counters. Each label value
 * (a comm, a cgroup path) gets a slot on first sight, up to a limit; more
 * fold into "other". Slots never shrink while in use, so every exported
 * counter only grows; a slot idle for idle_evict_s may be given to a new
 * value (its series then ends, as Prometheus expects of gone series).
 *
 * A value's identity is its first LABEL_VALUE_LEN - 1 bytes, cut before a
 * split UTF-8 sequence: a longer value is cut the same way every time, so
 * its counts always land in one series, shared with any value equal up to
 * the cut. A series is born at 0: a slot's counts are exposed only after
 * one exposure at 0, so rate() sees the growth of a value that did all its
 * work between two collects, and a value that comes back after its slot
 * was recycled restarts visibly (0, below its last value), not merged.
 */
#ifndef MMTRACE_LABELS_H
#define MMTRACE_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#define LABEL_VALUE_LEN 512
#define LABEL_OTHER "other"
#define LABEL_IDLE_EVICT_S 600.0

struct label_entry {
	char value[LABEL_VALUE_LEN];
	unsigned long long *sums;
	double last_growth;
	bool shown;	/* exposed once at 0: the sums may show from now on */
};

struct label_table {
	size_t max, n, n_sums;
	struct label_entry *e;
	struct label_entry other;
	bool other_used;
	double idle_evict_s;	/* LABEL_IDLE_EVICT_S unless changed */
	unsigned long long evictions;
};

int label_table_init(struct label_table *t, size_t max, size_t n_sums);
/* The slot for @value at time @now: its own, a recycled one, or "other". */
struct label_entry *label_table_get(struct label_table *t, const char *value,
				    double now);
/* What an exposition shows of @e's @d-th sum: 0 until shown once. */
static inline unsigned long long label_exposed(const struct label_entry *e,
					       size_t d)
{
	return e->shown ? e->sums[d] : 0;
}

/* After an exposition: every slot it showed at 0 shows its sums next. */
void label_table_shown(struct label_table *t);
void label_table_free(struct label_table *t);

#endif /* MMTRACE_LABELS_H */
