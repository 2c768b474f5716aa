/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds a contended sleeping lock, read when a waiter starts to wait
 * (lock:contention_begin), and the waits charged to that holder. Shared by
 * the locks view (every lock) and hugetlb (i_mmap_rwsem).
 *
 * The kernel records a holder in two lock types, in an owner word whose
 * low bits are flags (task_structs are at least L1-cache aligned):
 * - struct mutex: owner is the holding task | MUTEX_FLAG_* (bits 0-2:
 *   WAITERS, HANDOFF, PICKUP; kernel/locking/mutex.c since 3ca0ff571b09
 *   "locking/mutex: Rework mutex::owner", 4.10).
 * - struct rw_semaphore: owner is the writer's task; a reader sets it to
 *   itself | RWSEM_READER_OWNED (bit 0), which is only a hint of the last
 *   reader, so reader-held rwsems have no recorded holder. Bit 1 is
 *   RWSEM_NONSPINNABLE (kernel/locking/rwsem.c, RWSEM_OWNER_FLAGS_MASK,
 *   since 617f3ef95177 "locking/rwsem: Remove reader optimistic
 *   spinning"); before it, from 5.3, bit 1 was RWSEM_RD_NONSPINNABLE and
 *   bit 2 RWSEM_WR_NONSPINNABLE. Masking bits 0-2 is right on every
 *   kernel mmtrace supports.
 * rtmutexes (LCB_F_RT) and percpu-rwsems record no holder here.
 */
#ifndef MMTRACE_LOCK_OWNER_BPF_H
#define MMTRACE_LOCK_OWNER_BPF_H

#include "lock_owner.h"

#define LOCK_OWNER_FLAG_BITS	0x7UL
#define RWSEM_READER_OWNED	0x1UL

#ifndef LCB_F_SPIN
#define LCB_F_SPIN	0x1
#define LCB_F_READ	0x2
#define LCB_F_WRITE	0x4
#define LCB_F_RT	0x8
#define LCB_F_PERCPU	0x10
#define LCB_F_MUTEX	0x20
#endif

/* The task holding @lock (contention_begin's flags), or NULL. */
static __always_inline struct task_struct *lock_owner_task(__u64 lock,
							    __u32 flags)
{
	unsigned long owner;

	if (flags & (LCB_F_RT | LCB_F_PERCPU))
		return NULL;
	if (flags & LCB_F_MUTEX) {
		owner = BPF_CORE_READ((struct mutex *)lock, owner.counter);
	} else if (flags & (LCB_F_READ | LCB_F_WRITE)) {
		owner = BPF_CORE_READ((struct rw_semaphore *)lock,
				      owner.counter);
		if (owner & RWSEM_READER_OWNED)
			return NULL;
	} else {
		return NULL;
	}
	return (struct task_struct *)(owner & ~LOCK_OWNER_FLAG_BITS);
}

static __always_inline void lock_owner_read(__u64 lock, __u32 flags,
					    struct lock_owner *o)
{
	struct task_struct *task = lock_owner_task(lock, flags);

	if (!task)
		return;
	o->known = 1;
	/* Its tid in mmtrace's pid namespace; 0 if not visible there. */
	o->pid = (__u32)task_ids(task);
	bpf_core_read_str(o->comm, sizeof(o->comm), &task->comm);
}

/* A view's waits by holder, lock_owner_charge's @map: not preallocated. */
#define LOCK_OWNER_MAP(name, entries)                                        \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                             \
		__uint(max_entries, entries);                                \
		__uint(map_flags, BPF_F_NO_PREALLOC);                        \
		__type(key, struct lock_owner_key);                          \
		__type(value, struct lock_owner_stats);                      \
	} name SEC(".maps")

/*
 * Charges a wait of @delta ns to @o's row of @map (lock_owner_key ->
 * lock_owner_stats); @kind is the view's lock class. False: map full.
 */
static __always_inline bool lock_owner_charge(void *map, __u64 lock,
					      __u32 kind,
					      const struct lock_owner *o,
					      __u64 delta)
{
	struct lock_owner_key key = {
		.lock = lock,
		.kind = kind | (o->known ? LOCK_OWNER_KNOWN : 0),
		.pid = o->pid,
	};
	struct lock_owner_stats *st, zero = {};

	__builtin_memcpy(zero.comm, o->comm, sizeof(zero.comm));
	st = lookup_or_init(map, &key, &zero);
	if (!st)
		return false;
	__sync_fetch_and_add(&st->waits, 1);
	__sync_fetch_and_add(&st->wait_ns, delta);
	return true;
}

#endif /* MMTRACE_LOCK_OWNER_BPF_H */
