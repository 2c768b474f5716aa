// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for make bench: on each hook mmtrace uses, a program that only
 * counts, attached the same way (tp_btf or tracepoint). What mmtrace's own
 * program costs above this is what its work costs; the rest is the hook's.
 * Named floor_<hook> (tools/bench/bench.py lines them up by hook).
 *
 * A program that times something cannot be that cheap: it reads the clock
 * and finds its thread's state. floor_timed_<hook> does just that, with
 * task-local storage, on the mmap_lock and contention hooks: the least an
 * exact per-thread timing costs on this machine. (Not on clone: there, the
 * shell loop's clones come from other, short-lived processes, whose
 * first use creates the storage, while its own are vforks.) On the
 * contention hooks it is the least an exact wait time per process costs:
 * spinlocks (never timed) only counted, and the wait, at its end, added to
 * its thread's own sums, which go to the process elsewhere.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&counts, &zero);

	if (n)
		(*n)++;
	return 0;
}

/*
 * A thread's wait start, and the waits it has ended: what a per-process
 * sum needs at the hook when the thread's sums go to its process's row
 * elsewhere (at its exit, before a read: mmtrace's locks view).
 */
struct thread_timing {
	__u64 start_ns;
	__u64 waits;
	__u64 wait_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_timing);
} started SEC(".maps");

/* A wait's start, in this thread's storage of @map. */
static __always_inline int timed(void *map)
{
	struct thread_timing *t;

	t = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		t->start_ns = bpf_ktime_get_ns();
	return count();
}

#define LCB_F_SPIN	0x1
#define LCB_F_MUTEX	0x20

/*
 * The contention pair's storage: the end times the begin's waits, so both
 * use one map, which floor.c hands from the first object it loads to
 * every other (each program is loaded in an object of its own). Before
 * 2026-12-02 each had a map of its own, and the end's lookup never found
 * a wait: that floor cost a miss and a count, not a wait's end.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_timing);
} waits SEC(".maps");

SEC("tp_btf/contention_begin")
int floor_timed_contention_begin(__u64 *ctx)
{
	__u32 flags = ctx[1];

	if ((flags & LCB_F_SPIN) && !(flags & LCB_F_MUTEX))
		return count();
	return timed(&waits);
}

SEC("tp_btf/contention_end")
int floor_timed_contention_end(__u64 *ctx)
{
	struct thread_timing *t;
	__u64 delta;

	t = bpf_task_storage_get(&waits, bpf_get_current_task_btf(), 0, 0);
	/* Most ends are spinlocks': no helper call before this return. */
	if (!t || !t->start_ns)
		return count();
	delta = bpf_ktime_get_ns() - t->start_ns;
	t->start_ns = 0;
	/* Atomic: what moves the sums to the row runs on another CPU. */
	__sync_fetch_and_add(&t->waits, 1);
	__sync_fetch_and_add(&t->wait_ns, delta);
	return count();
}

#define FLOOR(sec, name) \
	SEC(sec) int floor_##name(void *ctx) { return count(); }
#define TIMED(sec, name) \
	SEC(sec) int floor_timed_##name(void *ctx) { return timed(&started); }

FLOOR("tp_btf/mmap_lock_start_locking", mmap_start)
FLOOR("tp_btf/mmap_lock_acquire_returned", mmap_returned)
FLOOR("tp_btf/mmap_lock_released", mmap_released)
FLOOR("tp_btf/page_fault_user", page_fault)
FLOOR("tp_btf/sys_enter", sys_enter)
FLOOR("tp_btf/contention_begin", contention_begin)
FLOOR("tp_btf/contention_end", contention_end)
FLOOR("tp_btf/mm_page_alloc", page_alloc)
FLOOR("tracepoint/syscalls/sys_enter_clone", clone_enter)
FLOOR("tracepoint/syscalls/sys_exit_clone", clone_exit)
FLOOR("tracepoint/task/task_newtask", newtask)
FLOOR("tp_btf/task_newtask", newtask_btf)
FLOOR("tracepoint/sched/sched_process_exit", task_exit)
FLOOR("tracepoint/sched/sched_process_exec", exec)
FLOOR("tp_btf/sched_process_fork", task_fork)
FLOOR("tp_btf/sched_process_free", task_free)
FLOOR("tp_btf/task_rename", rename)
TIMED("tp_btf/mmap_lock_start_locking", mmap_start)
TIMED("tp_btf/mmap_lock_acquire_returned", mmap_returned)
TIMED("tp_btf/mmap_lock_released", mmap_released)

char LICENSE[] SEC("license") = "GPL";
