/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread state that lives as long as its thread: task-local storage
 * where the kernel has it for tracing programs (a10787e6d58c, "bpf: Enable
 * task local storage for tracing programs", 5.13; probed at load), else a
 * hash map keyed by thread id. A view declares both maps with
 * THREAD_STATE_MAPS() and user space picks one before load
 * (thread_state_configure(), user/probe.c): use_task_storage is then a
 * constant, so the verifier sees one path only, and the unused map is
 * shrunk to one entry; where it picks the hash it sets gate.by_tid, which
 * the exits test.
 *
 * Why: a hash update and delete per event (lock acquisition, fork) cost
 * more than everything else the program does. Task storage is a pointer
 * away from the task, and is freed with it. In the hash, a thread's entry
 * stays until the thread exits (the view's exit program deletes it), so
 * the hot path is one lookup there too.
 */
#ifndef MMTRACE_THREAD_BPF_H
#define MMTRACE_THREAD_BPF_H

#include "common.bpf.h"	/* the gate */

const volatile bool use_task_storage = false;

#define THREAD_STATE_MAPS(name, value_type, hash_entries)                   \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE);                     \
		__uint(map_flags, BPF_F_NO_PREALLOC);                        \
		__type(key, int);                                            \
		__type(value, value_type);                                   \
	} name SEC(".maps");                                                 \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                             \
		__uint(max_entries, hash_entries);                           \
		__type(key, __u32);                                          \
		__type(value, value_type);                                   \
	} name##_by_tid SEC(".maps")

/*
 * The current thread's state in @storage or @by_tid, NULL if it has none;
 * with @zero, created from it first. NULL even then when the hash is full
 * or the task storage busy on this CPU (a nested program): the caller
 * counts the loss.
 */
static __always_inline void *thread_state(void *storage, void *by_tid,
					  const void *zero)
{
	__u64 create = zero ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0;
	__u32 tid;

	if (use_task_storage)
		return bpf_task_storage_get(storage, bpf_get_current_task_btf(),
					    0, create);
	tid = (__u32)bpf_get_current_pid_tgid();
	if (!zero)
		return bpf_map_lookup_elem(by_tid, &tid);
	return lookup_or_init(by_tid, &tid, zero);
}

/* At thread exit: task storage goes with the task, a hash entry not. */
static __always_inline void thread_state_exit(void *by_tid)
{
	__u32 tid;

	/*
	 * The gate's line, which exits read anyway, answers first: a
	 * .rodata line more cost an exit 20-25 ns, a fifth of the hook's
	 * floor (README "Benchmark"). The helper call stays unless the
	 * verifier drops its branch.
	 */
	if (!gate.by_tid || use_task_storage)
		return;
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(by_tid, &tid);
}

#endif /* MMTRACE_THREAD_BPF_H */
