/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kernel stack as the views keep it (bpf/stacks.bpf.h), shared with user
 * space, which reads it by its key and symbolizes it.
 */
#ifndef MMTRACE_STACK_H
#define MMTRACE_STACK_H

#define KERNEL_STACK_MAX 64

/* Frames from the innermost, as bpf_get_stack() gives them; 0 after the last. */
struct kernel_stack {
	unsigned long long ip[KERNEL_STACK_MAX];
};

#endif
