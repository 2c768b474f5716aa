// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/stacks.bpf.h's stack_put() on frames that user space chooses, so
 * that tools/test/bpf/stacks.c can make paths whose hashes collide.
 */
#include "stacks.bpf.h"

/* The frames to keep, set by user space, and what stack_put() returned. */
struct kernel_stack frames = {};
int n_frames = 0;
bool small_map = false;	/* keep them in the map of two paths */
__u32 key = 0;

STACK_MAPS(paths, 64);

STACK_MAPS(small, 2);

SEC("syscall")
int stack_put_case(void *ctx)
{
	int n = n_frames;

	if (n < 1 || n > KERNEL_STACK_MAX)
		return 1;
	key = stack_put(small_map ? (void *)&small : (void *)&paths, &frames,
			n);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
