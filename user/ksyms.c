// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

#define KALLSYMS "/proc/kallsyms"

/* A symbol's start, for symbolizing stacks (ksyms_load_addrs). */
struct ksym_addr {
	unsigned long long addr;
	const char *name;		/* text: one of names[]; NULL: not text */
	const char *data;		/* a data symbol's name (data_names[]) */
};

struct ksyms {
	char **names;
	size_t n, cap;
	struct ksym_addr *addrs;	/* by address; NULL unless asked for */
	size_t n_addrs;			/* of them, not 0 (kptr_restrict) */
	char **data_names;		/* global variables, to name locks */
	size_t n_data, data_cap;
	unsigned long long image_start;	/* _text: the kernel image */
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

/* Variables: data, bss, read-only data (a global lock is one of them). */
static bool is_data_symbol(char type)
{
	return strchr("dDbBrR", type) != NULL;
}

static int add_data_name(struct ksyms *ks, const char *name)
{
	char **grown;

	if (ks->n_data == ks->data_cap) {
		size_t cap = ks->data_cap ? ks->data_cap * 2 : 1024;

		grown = realloc(ks->data_names, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ks->data_names = grown;
		ks->data_cap = cap;
	}
	ks->data_names[ks->n_data] = strdup(name);
	if (!ks->data_names[ks->n_data])
		return -ENOMEM;
	ks->n_data++;
	return 0;
}

/* At one address, a text symbol after the others: it names the address. */
static int cmp_addrs(const void *a, const void *b)
{
	const struct ksym_addr *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return !!x->name - !!y->name;
}

/*
 * Every symbol's start, text or not: kallsyms has no sizes, and the next
 * symbol is where a function certainly ends. Without the data symbols, an
 * address in no listed text (a BPF trampoline already freed, a module
 * unloaded) would be named after the last function before it, possibly
 * megabytes away. Zero addresses (kptr_restrict) say nothing and are left
 * out.
 */
static int keep_addr(struct ksyms *ks, size_t *cap, unsigned long long addr,
		     const char *name, const char *data)
{
	struct ksym_addr *grown;

	if (!addr)
		return 0;
	if (ks->n_addrs == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		grown = realloc(ks->addrs, *cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ks->addrs = grown;
	}
	ks->addrs[ks->n_addrs].addr = addr;
	ks->addrs[ks->n_addrs].data = data;
	ks->addrs[ks->n_addrs++].name = name;
	return 0;
}

static struct ksyms *parse(FILE *f, bool with_addrs)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512], name[256], type;
	unsigned long long addr;
	size_t addrs_cap = 0;
	const char *text, *data;

	if (!ks)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		text = data = NULL;
		if (is_text_symbol(type)) {
			if (add_name(ks, name))
				goto nomem;
			text = ks->names[ks->n - 1];
			if ((!strcmp(name, "_text") || !strcmp(name, "_stext")) &&
			    addr && (!ks->image_start || addr < ks->image_start))
				ks->image_start = addr;
		} else if (with_addrs && addr && is_data_symbol(type)) {
			if (add_data_name(ks, name))
				goto nomem;
			data = ks->data_names[ks->n_data - 1];
		}
		if (with_addrs && keep_addr(ks, &addrs_cap, addr, text, data))
			goto nomem;
	}
	if (ks->n_addrs > 1)
		qsort(ks->addrs, ks->n_addrs, sizeof(*ks->addrs), cmp_addrs);
	if (ks->n > 1)
		qsort(ks->names, ks->n, sizeof(*ks->names), cmp_names);
	return ks;
nomem:
	ksyms_free(ks);
	errno = ENOMEM;
	return NULL;
}

struct ksyms *ksyms_parse(FILE *f)
{
	return parse(f, false);
}

struct ksyms *ksyms_parse_addrs(FILE *f)
{
	return parse(f, true);
}

static struct ksyms *load(bool with_addrs)
{
	FILE *f = fopen(KALLSYMS, "re");
	struct ksyms *ks;

	if (!f)
		return NULL;
	ks = parse(f, with_addrs);
	fclose(f);
	return ks;
}

struct ksyms *ksyms_load(void)
{
	return load(false);
}

struct ksyms *ksyms_load_addrs(void)
{
	return load(true);
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->names[i]);
	for (size_t i = 0; i < ks->n_data; i++)
		free(ks->data_names[i]);
	free(ks->names);
	free(ks->data_names);
	free(ks->addrs);
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

bool ksyms_addrs_hidden(const struct ksyms *ks)
{
	return !ks || !ks->n_addrs;
}

/* The last symbol that starts at or before @addr, or NULL. */
static const struct ksym_addr *symbol_at(const struct ksyms *ks,
					 unsigned long long addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->n_addrs || addr < ks->addrs[0].addr)
		return NULL;
	hi = ks->n_addrs;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->addrs[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->addrs[lo];
}

const char *ksyms_symbolize(const struct ksyms *ks, unsigned long long addr,
			    unsigned long long *offset)
{
	const struct ksym_addr *sym = symbol_at(ks, addr);

	if (!sym || !sym->name)
		return NULL;
	*offset = addr - sym->addr;
	return sym->name;
}

const char *ksyms_data_symbol(const struct ksyms *ks, unsigned long long addr,
			      unsigned long long *offset)
{
	const struct ksym_addr *sym;

	/* Heap and vmalloc addresses lie below the image: no global's. */
	if (!ks || !ks->image_start || addr < ks->image_start)
		return NULL;
	sym = symbol_at(ks, addr);
	if (!sym || !sym->data)
		return NULL;
	*offset = addr - sym->addr;
	return sym->data;
}

unsigned long long ksyms_addr_of(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; ks && i < ks->n_addrs; i++)
		if (ks->addrs[i].name && !strcmp(ks->addrs[i].name, name))
			return ks->addrs[i].addr;
	return 0;
}

const char *ksyms_frame(const struct ksyms *ks, unsigned long long addr,
			char *buf, size_t len)
{
	unsigned long long off;
	const char *sym = ksyms_symbolize(ks, addr, &off);

	if (sym)
		snprintf(buf, len, "%s+0x%llx", sym, off);
	else
		snprintf(buf, len, "0x%llx", addr);
	return buf;
}

static struct ksyms *kernel_ksyms;
static bool kernel_ksyms_tried;

/*
 * Once for the whole program, and said once: a view that names kernel
 * functions without a word about why it cannot is lying by omission.
 */
const struct ksyms *ksyms_kernel(void)
{
	if (kernel_ksyms_tried)
		return kernel_ksyms;
	kernel_ksyms_tried = true;
	kernel_ksyms = load(true);
	if (!kernel_ksyms)
		fprintf(stderr, "mmtrace: cannot read %s (%s): kernel functions show as raw addresses\n",
			KALLSYMS, strerror(errno));
	else if (ksyms_addrs_hidden(kernel_ksyms))
		fprintf(stderr, "mmtrace: %s hides kernel addresses (kernel.kptr_restrict): kernel functions show as raw addresses\n",
			KALLSYMS);
	return kernel_ksyms;
}

void ksyms_kernel_free(void)
{
	ksyms_free(kernel_ksyms);
	kernel_ksyms = NULL;
	kernel_ksyms_tried = false;
}

bool ksym_name_in(const char *name, const char *const *prefixes)
{
	for (; *prefixes; prefixes++)
		if (!strncmp(name, *prefixes, strlen(*prefixes)))
			return true;
	return false;
}
