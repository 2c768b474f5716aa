/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded label sets for exported per-process counters. Each label value
 * (a comm, a cgroup path) gets a slot on first sight, up to a limit; more
 * fold into "other". Slots never shrink while in use, so every exported
 * counter only grows; a slot idle for LABEL_IDLE_EVICT_S may be given to a
 * new value (its series then ends, as Prometheus expects of gone series).
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
};

struct label_table {
	size_t max, n, n_sums;
	struct label_entry *e;
	struct label_entry other;
	bool other_used;
	unsigned long long evictions;
};

int label_table_init(struct label_table *t, size_t max, size_t n_sums);
/* The slot for @value at time @now: its own, a recycled one, or "other". */
struct label_entry *label_table_get(struct label_table *t, const char *value,
				    double now);
void label_table_free(struct label_table *t);

#endif /* MMTRACE_LABELS_H */
