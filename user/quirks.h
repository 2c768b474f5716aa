/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel quirks, user side: each decision that depends on the running
 * kernel's release or build lives in quirks.c, with the change that made
 * it. The BPF side's are in bpf/quirks.bpf.h; views read both, and decide
 * none themselves.
 */
#ifndef MMTRACE_QUIRKS_H
#define MMTRACE_QUIRKS_H

#include <stdbool.h>

/* The FOLL_* bits GUP callers pass (the ABI of the gup view's .rodata). */
struct kernel_foll {
	unsigned int write;
	unsigned int get;
	unsigned int pin;
	unsigned int longterm;
};

struct kernel_quirks {
	struct kernel_foll foll;
	bool foll_assumed;		/* not in BTF nor known by release */
	/* __gup_longterm_locked(tsk, mm, start, ...): 7 arguments, pre-5.9 */
	bool gup_longterm_has_task;
};

/*
 * The running kernel's quirks. The first call reads vmlinux BTF once for
 * all of them and frees it; later calls (a retried load) reuse the answer.
 */
const struct kernel_quirks *kernel_quirks(void);

#endif /* MMTRACE_QUIRKS_H */
