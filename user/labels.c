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
	t->idle_evict_s = LABEL_IDLE_EVICT_S;
	return 0;
}

/*
 * How much of @value names its slot: all of it, or LABEL_VALUE_LEN - 1
 * bytes without the UTF-8 sequence the cut would split (at most 3 bytes
 * of it are before the cut), so that the exposed value stays readable.
 */
static size_t label_len(const char *value)
{
	size_t n = strnlen(value, LABEL_VALUE_LEN);

	if (n < LABEL_VALUE_LEN)
		return n;
	n = LABEL_VALUE_LEN - 1;
	for (int i = 0; i < 4 && ((unsigned char)value[n] & 0xc0) == 0x80; i++)
		n--;
	return (unsigned char)value[n] >= 0xc0 ? n : LABEL_VALUE_LEN - 1;
}

static struct label_entry *claim(struct label_entry *e, const char *value,
				 size_t len, size_t n_sums, double now)
{
	memcpy(e->value, value, len);
	e->value[len] = '\0';
	memset(e->sums, 0, n_sums * sizeof(*e->sums));
	e->last_growth = now;
	e->shown = false;
	return e;
}

struct label_entry *label_table_get(struct label_table *t, const char *value,
				    double now)
{
	struct label_entry *stalest = NULL;
	size_t len = label_len(value);

	/* A process really named "other" shares the overflow's series. */
	if (!strcmp(value, LABEL_OTHER))
		goto other;
	for (size_t i = 0; i < t->n; i++) {
		if (!strncmp(t->e[i].value, value, len) && !t->e[i].value[len]) {
			t->e[i].last_growth = now;
			return &t->e[i];
		}
		if (!stalest || t->e[i].last_growth < stalest->last_growth)
			stalest = &t->e[i];
	}
	if (t->n < t->max)
		return claim(&t->e[t->n++], value, len, t->n_sums, now);
	if (stalest && now - stalest->last_growth >= t->idle_evict_s) {
		t->evictions++;
		return claim(stalest, value, len, t->n_sums, now);
	}
other:
	t->other_used = true;
	t->other.last_growth = now;
	return &t->other;
}

void label_table_shown(struct label_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->e[i].shown = true;
	t->other.shown = t->other_used;
}

void label_table_free(struct label_table *t)
{
	for (size_t i = 0; t->e && i < t->max; i++)
		free(t->e[i].sums);
	free(t->e);
	free(t->other.sums);
	memset(t, 0, sizeof(*t));
}
