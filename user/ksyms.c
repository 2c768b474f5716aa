// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

struct ksyms {
	char **names;
	size_t n, cap;
};

static int add_name(struct ksyms *ks, const char *name)
{
	char **grown;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4096;

		grown = realloc(ks->names, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ks->names = grown;
		ks->cap = cap;
	}
	ks->names[ks->n] = strdup(name);
	if (!ks->names[ks->n])
		return -ENOMEM;
	ks->n++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Only text symbols (t/T) can be probed; data symbols only cost memory. */
static bool is_text_symbol(char type)
{
	return type == 't' || type == 'T';
}

struct ksyms *ksyms_parse(FILE *f)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512], name[256], type;
	unsigned long long addr;

	if (!ks)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!is_text_symbol(type))
			continue;
		if (add_name(ks, name)) {
			ksyms_free(ks);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (ks->n > 1)
		qsort(ks->names, ks->n, sizeof(*ks->names), cmp_names);
	return ks;
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	struct ksyms *ks;

	if (!f)
		return NULL;
	ks = ksyms_parse(f);
	fclose(f);
	return ks;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->names[i]);
	free(ks->names);
	free(ks);
}

size_t ksyms_count(const struct ksyms *ks)
{
	return ks ? ks->n : 0;
}

bool ksyms_has(const struct ksyms *ks, const char *name)
{
	if (!ks || !ks->n)
		return false;
	return bsearch(&name, ks->names, ks->n, sizeof(*ks->names),
		       cmp_names) != NULL;
}

static bool is_cold_part(const char *name)
{
	size_t n = strlen(name);

	return n >= 5 && !strcmp(name + n - 5, ".cold");
}

const char *ksyms_find_clone(const struct ksyms *ks, const char *base)
{
	size_t lo = 0, hi, len = strlen(base);

	if (!ks)
		return NULL;
	/* The first name >= @base: the exact name, then its clones, sorted. */
	hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ks->names[mid], base) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ks->n && !strncmp(ks->names[lo], base, len); lo++) {
		const char *name = ks->names[lo];

		if (!name[len])
			return name;
		if (name[len] == '.' && !is_cold_part(name))
			return name;
	}
	return NULL;
}
