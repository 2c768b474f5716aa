/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbol names from /proc/kallsyms, for "is this function there?" */
#ifndef MMTRACE_KSYMS_H
#define MMTRACE_KSYMS_H

#include <stdbool.h>
#include <stdio.h>

struct ksyms;

/* Parses kallsyms text; returns NULL with errno set on failure. */
struct ksyms *ksyms_parse(FILE *f);
struct ksyms *ksyms_load(void);
void ksyms_free(struct ksyms *ks);
size_t ksyms_count(const struct ksyms *ks);

/* Exact match on text (function) symbols; module symbols included. */
bool ksyms_has(const struct ksyms *ks, const char *name);

/*
 * @base itself, else the first compiler clone of it (base.isra.0,
 * base.constprop.0.isra.0, ...; never a .cold part), or NULL. The name
 * returned lives as long as @ks.
 */
const char *ksyms_find_clone(const struct ksyms *ks, const char *base);

#endif /* MMTRACE_KSYMS_H */
