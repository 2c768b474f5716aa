/* SPDX-License-Identifier: GPL-2.0 */
/* What mmtrace locks' BPF side aggregates and user space reads. */
#ifndef MMTRACE_LOCKS_H
#define MMTRACE_LOCKS_H

#include "filter.h"
#include "hist.h"
#include "lock_owner.h"
#include "stack.h"

/*
 * The view's observations, in the order of its table (locks.c): BPF tests
 * which attached by these (gate.attached, bpf/common.bpf.h).
 */
enum locks_obs {
	OBS_EXITS,
	OBS_MMAP,
	OBS_CONTENTION,
	OBS_VMA,
	OBS_VMA_WRITE,
};

enum lock_mode {
	MODE_READ,
	MODE_WRITE,
	LOCK_MODES,
};

/* Sleeping-lock waits, split by what the lock is. */
enum contention_class {
	CONT_MMAP,		/* &current->mm->mmap_lock */
	CONT_OTHER,
	CONT_CLASSES,
};

/* Totals since load; user space reports per-interval differences. */
enum locks_counter {
	LC_ACQUIRED_R,		/* mmap_lock read acquisitions */
	LC_ACQUIRED_W,
	LC_FAILED_R,		/* trylock or killable that failed */
	LC_FAILED_W,
	LC_DOWNGRADES,		/* write lock turned read (munmap) */
	LC_NESTED,		/* taken again while this task held it */
	LC_UNMATCHED_RELEASE,	/* released, but the acquire was not seen */
	LC_SPIN_SKIPPED,	/* spinlock contention: not traced */
	LC_FAULTS,		/* user page faults */
	LC_FALLBACKS,		/* of them, served under mmap_lock */
	LC_VMA_ABORTS,		/* lock_vma_under_rcu found no VMA (fentry) */
	/*
	 * Of LC_FAULTS, served under the VMA lock: counted when the fault is
	 * classified, never derived as faults - fallbacks, which can land
	 * in different reports.
	 */
	LC_VMA_LOCK_FAULTS,
	/*
	 * Why a fault left the VMA lock, beside LC_VMA_ABORTS (fentry and
	 * kprobe tiers): the handler returned VM_FAULT_RETRY under it. And
	 * faults access_error() refused with the VMA locked: signalled
	 * under it from 6.10, bc7996c864bf (of LC_VMA_LOCK_FAULTS),
	 * fallbacks before.
	 */
	LC_VMA_RETRIES,
	LC_VMA_ACCESS_ERRORS,
	/*
	 * Waits still in flight at the final report, which user space
	 * charges into its copy of .bss as if they ended then; BPF never
	 * counts it.
	 */
	LC_WAITS_CHARGED,
	LC_MAX,
};

/* Per-process sums; the first PV_SUMS are diffed per report. */
enum locks_proc_value {
	PV_READ_ACQUIRED,
	PV_WRITE_ACQUIRED,
	PV_READ_FAILED,
	PV_WRITE_FAILED,
	PV_READ_WAIT_NS,
	PV_WRITE_WAIT_NS,
	PV_READ_HOLD_NS,
	PV_WRITE_HOLD_NS,
	PV_MMAP_CONTENDED,
	PV_MMAP_CONTENTION_NS,
	PV_OTHER_CONTENDED,
	PV_OTHER_CONTENTION_NS,
	PV_FAULTS,
	PV_FALLBACKS,
	PV_VMA_ABORTS,
	PV_VMA_LOCK_FAULTS,	/* as LC_VMA_LOCK_FAULTS */
	PV_VMA_RETRIES,		/* as LC_VMA_RETRIES */
	PV_VMA_ACCESS_ERRORS,
	PV_VMA_WRITE_LOCKS,	/* __vma_start_write calls (7.x) */
	PV_VMA_WRITE_WAIT_NS,	/* time in __vma_start_write */
	PV_SUMS,
};

struct locks_proc_key {
	unsigned int tgid;
};

struct locks_proc_stats {
	unsigned long long v[PV_SUMS];
	unsigned long long max_write_hold_ns;	/* since tracing began */
	unsigned long long max_mmap_wait_ns;	/* contention, idem */
	char comm[COMM_LEN];
	unsigned long long cgroup_id;	/* cgroup v2 id at first sight */
	unsigned int exited;	/* the process is gone: last report */
	unsigned int pad;
};

/* One contended lock, as perf lock contention -l shows it. */
struct lock_key {
	unsigned long long addr;
	unsigned int flags;	/* LCB_F_*, without LCB_F_SPIN */
	unsigned int is_mmap;	/* the waiter's own mmap_lock */
};

struct lock_stats {
	unsigned long long contended;
	unsigned long long total_ns;
	unsigned long long max_ns;	/* since tracing began */
};

/*
 * What a contended lock is, where BPF can tell; user space names the
 * others by address (a global's kallsyms name, or the address and type).
 */
enum lock_class {
	LOCK_ADDR,		/* known by its address only */
	LOCK_MMAP_OWN,		/* the waiter's own mm's mmap_lock */
	LOCK_MMAP_OTHER,	/* another mm's: /proc readers, remote GUP */
	LOCK_I_MMAP,		/* a file's i_mmap_rwsem */
	LOCK_CLASSES,
};

/* A lock's class and its LCB_F_* type in one word of a row's key. */
#define LOCK_KIND(class, flags)	((class) | ((flags) & 0xff) << 8)
#define LOCK_KIND_CLASS(kind)	((kind) & 0xff)
#define LOCK_KIND_FLAGS(kind)	(((kind) >> 8) & 0xff)

/*
 * Kernel frames taken at contention_begin: --stack-depth of the waiter's
 * path plus the tracer's own frames above it (LOCK_STACK_SLACK at most:
 * the BPF program, bpf_trace_run, the tracepoint's iterator), which user
 * space leaves out.
 */
#define LOCK_STACK_SLACK	8
#define LOCK_STACK_DEFAULT	16

/*
 * One (lock, calling path) pair: @stack is the path's key in the
 * lock_stacks map (bpf/stacks.bpf.h; 0: no stack). Named classes have
 * lock 0, so that e.g. every process's own mmap_lock is one lock.
 */
struct caller_key {
	unsigned long long lock;
	unsigned int stack;
	unsigned int kind;	/* LOCK_KIND() */
};

/* A wait in progress, per task; read at the final report. */
struct lock_wait {
	unsigned long long addr;
	unsigned long long start_ns;
	unsigned int flags;
	unsigned int tgid;
	unsigned int is_mmap;	/* the waiter's own mmap_lock */
	unsigned int class;	/* enum lock_class */
	unsigned int stack;	/* as caller_key.stack */
	unsigned int pad;
	struct lock_owner owner;	/* at contention_begin */
};

/*
 * A thread's wait in serve and top, in its task storage, and the contended
 * waits it has ended that its process's row has not had yet: the row
 * lookup per wait was a quarter of contention_end's cost (README,
 * "Benchmark").
 * They go to the row at the thread's exit and before each collect
 * (locks.bpf.c, fold_waits). @unfolded is indexed as the row's sums from
 * PV_MMAP_CONTENDED.
 */
#define UNFOLDED (2 * CONT_CLASSES)
_Static_assert(PV_OTHER_CONTENTION_NS == PV_MMAP_CONTENDED + UNFOLDED - 1,
	       "thread_wait.unfolded mirrors the row's contention sums");

/* Where a thread's ended waits go (thread_wait.row). */
enum thread_row {
	ROW_UNSURE,	/* not known to exist: the next wait makes sure */
	ROW_MADE,	/* exists: waits go to @unfolded */
	ROW_DIRECT,	/* its exit hook ran: waits go to the row */
};

struct thread_wait {
	struct lock_wait wait;	/* first: wait_of() returns its address */
	unsigned long long unfolded[UNFOLDED];
	unsigned int row;	/* enum thread_row */
	unsigned int pad;
};

/* A user fault not yet classified, per thread; the final report counts these. */
struct fault_window {
	unsigned int vma_tried;	/* lock_vma_under_rcu already returned */
	unsigned int tgid;	/* whose row the outcome goes to */
	unsigned int vma_locked;	/* ... with the fault's VMA, locked */
	unsigned int vma_handling;	/* handle_mm_fault entered under it */
	unsigned int vma_handled;	/* ... and returned */
	unsigned int pad;
};

#define LCB_F_SPIN	0x1
#define LCB_F_READ	0x2
#define LCB_F_WRITE	0x4
#define LCB_F_RT	0x8
#define LCB_F_PERCPU	0x10
#define LCB_F_MUTEX	0x20

#endif /* MMTRACE_LOCKS_H */
