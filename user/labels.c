// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "labels.h"

int label_table_init(struct label_table *t, size_t max, size_t n_sums)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->n_sums = n_sums;
	t->e = calloc(max, sizeof(*t->e));
	t->other.sums = calloc(n_sums ? n_sums : 1, sizeof(*t->other.sums));
	for (size_t i = 0; t->e && i < max; i++) {
		t->e[i].sums = calloc(n_sums ? n_sums : 1, sizeof(*t->e[i].sums));
		if (!t->e[i].sums)
			break;
	}
	if (!t->e || !t->other.sums || (max && !t->e[max - 1].sums)) {
		label_table_free(t);
		return -ENOMEM;
	}
	snprintf(t->other.value, sizeof(t->other.value), "%s", LABEL_OTHER);
	return 0;
}

static struct label_entry *claim(struct label_entry *e, const char *value,
				 size_t n_sums, double now)
{
	snprintf(e->value, sizeof(e->value), "%s", value);
	memset(e->sums, 0, n_sums * sizeof(*e->sums));
	e->last_growth = now;
	return e;
}

struct label_entry *label_table_get(struct label_table *t, const char *value,
				    double now)
{
	struct label_entry *stalest = NULL;

	/* A process really named "other" shares the overflow's series. */
	if (!strcmp(value, LABEL_OTHER))
		goto other;
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->e[i].value, value)) {
			t->e[i].last_growth = now;
			return &t->e[i];
		}
		if (!stalest || t->e[i].last_growth < stalest->last_growth)
			stalest = &t->e[i];
	}
	if (t->n < t->max)
		return claim(&t->e[t->n++], value, t->n_sums, now);
	if (stalest && now - stalest->last_growth >= LABEL_IDLE_EVICT_S) {
		t->evictions++;
		return claim(stalest, value, t->n_sums, now);
	}
other:
	t->other_used = true;
	t->other.last_growth = now;
	return &t->other;
}

void label_table_free(struct label_table *t)
{
	for (size_t i = 0; t->e && i < t->max; i++)
		free(t->e[i].sums);
	free(t->e);
	free(t->other.sums);
	memset(t, 0, sizeof(*t));
}
