/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user side's architecture facts, each with its reason; the BPF
 * side's are in bpf/quirks.bpf.h. mmtrace is built for x86-64 or arm64
 * (make ARCH=x86|arm64): the compiler's target says which.
 */
#ifndef MMTRACE_ARCH_H
#define MMTRACE_ARCH_H

#include <string.h>

#if defined(__x86_64__)
#define ARCH_NAME "x86-64"
/*
 * A BPF trampoline (fentry/fexit) fails to attach with ENOTSUPP (524)
 * when the function has more arguments than it can save: 6 before 6.6
 * (commit 473e3150e30a, "bpf, x86: allow function arguments up to 12 for
 * TRACING", applied to bpf-next after 6.5-rc2).
 */
#define ARCH_FENTRY_ENOTSUPP \
	"ENOTSUPP (the trampoline refuses it: more than 6 arguments before 6.6?)"
#elif defined(__aarch64__)
#define ARCH_NAME "arm64"
/*
 * arm64 attaches BPF trampolines through ftrace direct calls, which it
 * has from 6.4 on (commit 2aa6ac03516d, "arm64: ftrace: Add direct call
 * support"): before, every fentry/fexit attach fails with ENOTSUPP (524),
 * as on Debian's 6.1, and the kprobe tier runs. The trampoline saves at
 * most 8 arguments.
 */
#define ARCH_FENTRY_ENOTSUPP \
	"ENOTSUPP (arm64 attaches fentry through ftrace direct calls, 6.4+, and for at most 8 arguments)"
#else
#error "mmtrace: unsupported architecture (x86-64 and arm64 are)"
#endif

/*
 * Why a tracepoint @name that this architecture never has is missing, or
 * NULL. exceptions:page_fault_user is x86's alone: only
 * arch/x86/mm/fault.c emits it (trace_page_fault_user()); arm64 has no
 * page-fault tracepoint.
 */
static inline const char *arch_missing_tracepoint(const char *name)
{
#if defined(__aarch64__)
	if (!strcmp(name, "page_fault_user") ||
	    !strcmp(name, "exceptions/page_fault_user"))
		return "x86 only: arm64 kernels have no page-fault tracepoint";
#endif
	(void)name;
	return NULL;
}

/*
 * A kernel data symbol the BPF side of observation @obs reads on this
 * architecture (a __weak __ksym, which libbpf resolves through
 * /proc/kallsyms), or NULL. Kernels built without CONFIG_KALLSYMS_ALL
 * list no data symbols: there the observation cannot be made, and each of
 * its plans says why (ARCH_KSYM_WHY). arm64's hugetlb.pmd_share finds the
 * struct page of a PMD table through mem_section (bpf/quirks.bpf.h,
 * arch_table_page()); Debian's 6.1 cloud-arm64 has no KALLSYMS_ALL.
 */
static inline const char *arch_required_ksym(const char *obs)
{
#if defined(__aarch64__)
	if (!strcmp(obs, "hugetlb.pmd_share"))
		return "mem_section";
#endif
	(void)obs;
	return NULL;
}

#define ARCH_KSYM_WHY \
	"%s is not in /proc/kallsyms (CONFIG_KALLSYMS_ALL off): " ARCH_NAME \
	" tells a shared PMD table by its struct page, found through it"

#endif /* MMTRACE_ARCH_H */
