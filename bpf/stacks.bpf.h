/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stacks kept once per distinct path, keyed by a hash of their
 * frames, for the views that count by calling path (gup's callers, locks'
 * waiters).
 *
 * A hash of our own rather than a stack-trace map: bpf_get_stackid()
 * refuses a new stack whose bucket holds another (-EEXIST), or with
 * BPF_F_REUSE_STACKID writes it over the other under the other's id, so a
 * caller is dropped or misnamed at random, differently on each boot as
 * KASLR moves the frames. Here two paths whose hashes collide take the
 * next key, and a key is never reused: user space may read it any time.
 */
#ifndef MMTRACE_STACKS_BPF_H
#define MMTRACE_STACKS_BPF_H

#include "common.bpf.h"	/* READ_ONCE, WRITE_ONCE */
#include "stack.h"

/* Keys tried for a path, its hash first, before it is given up as lost. */
#define STACK_PROBES 4

/*
 * Where a path is walked: a kernel_stack is too big for the BPF stack.
 * @busy: the scratch is a CPU's. A program that runs with only migration
 * off (fentry) can be preempted, and another task run it on that CPU
 * meanwhile, or a program run inside itself from an interrupt, where the
 * kernel has no recursion check for it: the second run gets no stack
 * rather than writing over the first one's frames. A plain flag (an
 * atomic test-and-set needs BPF_FETCH, which 5.10 lacks) leaves open the
 * window between its test and its set.
 */
struct stack_scratch {
	__u64 busy;
	struct kernel_stack st;
};

/* The map @name of paths by key, at most @entries, and its scratch. */
#define STACK_MAPS(name, entries)                        \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, struct stack_scratch);     \
	} name##_scratch SEC(".maps");                   \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_HASH);         \
		__uint(max_entries, entries);            \
		__uint(map_flags, BPF_F_NO_PREALLOC);    \
		__type(key, __u32);                      \
		__type(value, struct kernel_stack);      \
	} name SEC(".maps")

/* FNV-1a over the @n frames; 0 is kept for "no stack". */
static __always_inline __u32 stack_hash(const struct kernel_stack *st, int n)
{
	__u32 h = 2166136261U;

	for (int i = 0; i < KERNEL_STACK_MAX; i++) {
		if (i >= n)
			break;
		h = (h ^ (__u32)st->ip[i]) * 16777619U;
		h = (h ^ (__u32)(st->ip[i] >> 32)) * 16777619U;
	}
	return h ? h : 1;
}

/* Both are zero past the frames, as the scratch is cleared before a walk. */
static __always_inline bool stack_same(const struct kernel_stack *a,
				       const struct kernel_stack *b, int n)
{
	for (int i = 0; i < KERNEL_STACK_MAX; i++) {
		if (i > n)
			break;
		if (a->ip[i] != b->ip[i])
			return false;
	}
	return true;
}

/*
 * Keeps @st, @n frames and zero after them, in @map; returns its key, or
 * 0 when @map is full or STACK_PROBES other paths hold its keys.
 */
static __always_inline __u32 stack_put(void *map, const struct kernel_stack *st,
				       int n)
{
	struct kernel_stack *held;
	__u32 h = stack_hash(st, n);

	for (int probe = 0; probe < STACK_PROBES; probe++) {
		held = bpf_map_lookup_elem(map, &h);
		if (!held) {
			if (!bpf_map_update_elem(map, &h, st, BPF_NOEXIST))
				return h;
			/* Another CPU kept a path there first, or it is full. */
			held = bpf_map_lookup_elem(map, &h);
			if (!held)
				return 0;
		}
		if (stack_same(held, st, n))
			return h;
		h = h + 1 ? h + 1 : 1;
	}
	return 0;
}

/*
 * The current kernel stack, @bytes of it at most, kept in @map (made by
 * STACK_MAPS with @scratch); returns its key, or 0 when no stack was
 * taken or it was not kept (stack_put()).
 */
static __always_inline __u32 stack_keep(void *ctx, void *scratch, void *map,
					__u32 bytes)
{
	struct stack_scratch *s;
	__u32 zero = 0, key = 0;
	long len;

	s = bpf_map_lookup_elem(scratch, &zero);
	if (!s)
		return 0;
	if (READ_ONCE(s->busy))
		return 0;
	WRITE_ONCE(s->busy, 1);
	/* Volatile orders only volatile accesses: the scratch's stay inside. */
	barrier();
	__builtin_memset(&s->st, 0, sizeof(s->st));
	if (bytes > sizeof(s->st))
		bytes = sizeof(s->st);
	len = bpf_get_stack(ctx, s->st.ip, bytes, 0);
	if (len > 0)
		key = stack_put(map, &s->st, len / sizeof(s->st.ip[0]));
	barrier();
	WRITE_ONCE(s->busy, 0);
	return key;
}

#endif
