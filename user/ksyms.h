/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel symbol names from /proc/kallsyms, for "is this function there?",
 * and with their addresses for naming the frames of a kernel stack.
 */
#ifndef MMTRACE_KSYMS_H
#define MMTRACE_KSYMS_H

#include <stdbool.h>
#include <stdio.h>

struct ksyms;

/* Parses kallsyms text; returns NULL with errno set on failure. */
struct ksyms *ksyms_parse(FILE *f);
struct ksyms *ksyms_load(void);
/* As above, also keeping addresses: for ksyms_symbolize(). */
struct ksyms *ksyms_parse_addrs(FILE *f);
struct ksyms *ksyms_load_addrs(void);
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

/*
 * Whether @name begins with one of @prefixes (a NULL-ended list): frames
 * of the code a view looks through for its caller (the tracer's own,
 * the locking or GUP code).
 */
bool ksym_name_in(const char *name, const char *const *prefixes);

/*
 * True when the table has no address to name a frame with: loaded
 * without them, or kallsyms showed zeros (kptr_restrict).
 */
bool ksyms_addrs_hidden(const struct ksyms *ks);

/*
 * The text symbol @addr falls in (the last one starting at or before
 * it) and the @offset into it, or NULL. kallsyms has no sizes: a
 * function is taken to end where the next symbol of any type starts, so
 * an address after the last function before some data (or above all of
 * them, as a BPF trampoline freed since) has no name, where bcc would
 * name it after that function.
 */
const char *ksyms_symbolize(const struct ksyms *ks, unsigned long long addr,
			    unsigned long long *offset);

/*
 * The global variable (data, bss or read-only data symbol of the kernel
 * image or a module) @addr falls in, and the @offset into it, or NULL:
 * the name of a global lock. Only tables loaded with addresses keep data
 * symbols' names; kallsyms lists them with CONFIG_KALLSYMS_ALL. Heap
 * addresses, below the image, have none.
 */
const char *ksyms_data_symbol(const struct ksyms *ks, unsigned long long addr,
			      unsigned long long *offset);

/* The address of text symbol @name (a linear search), or 0. */
unsigned long long ksyms_addr_of(const struct ksyms *ks, const char *name);

/* "name+0xoff", or "0x<addr>" when @ks cannot name @addr; @buf. */
const char *ksyms_frame(const struct ksyms *ks, unsigned long long addr,
			char *buf, size_t len);

/*
 * The running kernel's symbols with addresses: the one symbolizer of
 * every view that names kernel functions (event stacks, gup callers).
 * Loaded at the first call; if /proc/kallsyms is unreadable or hides
 * addresses (kernel.kptr_restrict), says so once on stderr, and frames
 * are then raw addresses. Never NULL-checked by callers: a NULL table
 * names nothing.
 */
const struct ksyms *ksyms_kernel(void);
void ksyms_kernel_free(void);

#endif /* MMTRACE_KSYMS_H */
