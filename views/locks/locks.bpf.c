// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace locks: mmap_lock wait and hold times, sleeping-lock contention,
 * and page faults served under a per-VMA lock or fallen back to mmap_lock.
 *
 * mmap_lock: the mmap_lock tracepoints fire around every acquisition
 * (start_locking, acquire_returned) and release. A thread's pending
 * acquisition and its held locks, per (mm, mode) with a depth since readers
 * nest and a thread may hold two mms (fork), live in its own state
 * (bpf/thread.bpf.h), which the three programs reach in one step: no map
 * update or delete per acquisition. What cannot be matched is counted,
 * never guessed.
 *
 * Contention: lock:contention_begin/end, per thread for sleeping locks; the
 * waits still in flight are charged by user space at the final report. In
 * serve and top a thread sums the waits it ended, and its process's row has
 * them at its exit and before each collect (fold_waits).
 *
 * Faults: page_fault_user opens a per-thread fault window; the first sign of
 * mmap_lock inside it marks the fault a fallback (see the plan notes in
 * locks.c for which sign each tier uses and how exact it is). Each
 * outcome is counted where the window closes, so that a report never has
 * to subtract counts that may belong to different intervals; the windows
 * still open at the end are counted by the final report (locks.c).
 */
#include "common.bpf.h"
#include "events.bpf.h"
#include "thread.bpf.h"
#include "lock_owner.bpf.h"
#include "stacks.bpf.h"
#include "locks.h"

#define STATE_ENTRIES 10240
/* Locks a thread holds at once in its own state; more go to holds. */
#define HOLD_SLOTS 4

struct pending_lock {
	__u64 mm;
	__u64 start_ns;		/* 0: no acquisition in progress */
	__u32 write;
	__u32 pad;
};

struct hold_key {
	__u64 mm;
	__u32 tid;
	__u32 write;
};

struct hold {
	__u64 start_ns;
	__u64 depth;
};

struct held {
	__u64 mm;
	__u64 start_ns;
	__u32 write;
	__u32 depth;		/* 0: a free slot */
};

struct thread_locks {
	struct pending_lock pending;
	struct held held[HOLD_SLOTS];
	__u64 spilled;		/* holds of this thread in the holds map */
};

THREAD_STATE_MAPS(thread_locks, struct thread_locks, STATE_ENTRIES);

/* The rare thread holding more than HOLD_SLOTS locks at once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STATE_ENTRIES);
	__type(key, struct hold_key);
	__type(value, struct hold);
} holds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STATE_ENTRIES);
	__type(key, __u32);
	__type(value, struct lock_wait);
} waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STATE_ENTRIES);
	__type(key, __u32);
	__type(value, struct fault_window);
} fault_windows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STATE_ENTRIES);
	__type(key, struct lock_key);
	__type(value, struct lock_stats);
} lock_table SEC(".maps");

PROC_ROWS_MAP(locks);

/*
 * contention_hist, a copy per CPU: in .bss, every wait's end wrote lines
 * a waiter on another CPU had just written (README, "Benchmark",
 * 2026-12-01). Only contention_end writes it; user space sums the copies
 * into contention_hist before each read (view_sum_cpus, user/view.h).
 */
struct contention_hists {
	__u64 h[CONT_CLASSES][HIST_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct contention_hists);
} contention_cpu SEC(".maps");

/*
 * counters[LC_SPIN_SKIPPED], a copy per CPU, for the reason above: most
 * contention is a spinlock's, on every CPU at once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} spin_cpu SEC(".maps");

/* Cumulative since load: user space reports differences per interval. */
__u64 counters[LC_MAX] = {};
__u64 wait_hist[LOCK_MODES][HIST_LEN] = {};
__u64 hold_hist[LOCK_MODES][HIST_LEN] = {};
/* The sum of contention_cpu's copies, written by user space alone. */
__u64 contention_hist[CONT_CLASSES][HIST_LEN] = {};
__u64 vma_write_hist[HIST_LEN] = {};

/* Fault windows open now: syscall entry returns at once when none is. */
__u64 fault_windows_open = 0;

/*
 * Entries in waits and vma_write_starts now. Every process exit must
 * drop its threads' entries, and almost none has any: a lookup of a cold
 * bucket there cost a cache miss (about 250 ns a map on the build host,
 * 3.5x the hook's floor), a look at a counter does not.
 */
__u64 waits_open = 0;
__u64 vma_writes_open = 0;

/*
 * Where a contended wait is kept from its begin to its end. The CLI's
 * final report charges the waits still in flight, so there they are in
 * the waits hash, which user space reads; serve and top never charge
 * them, and keep each in its thread's task-local storage (where the
 * kernel has it): no hash update and delete per wait, and nothing for
 * the exit program to drop (gate.by_tid is 0 then).
 */
const volatile bool waits_in_thread = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_wait);
} thread_waits SEC(".maps");

/* Drops the current thread's entry of @map, counted by @open. */
static __always_inline void own_slot_drop(void *map, __u64 *open)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	slot_drop(map, &tid, open);
}

/*
 * This thread's wait, or NULL; with @create, a zeroed one in its storage.
 * The tid is read only for the hash: a helper call is not free.
 */
static __always_inline struct lock_wait *wait_of(bool create)
{
	__u32 tid;

	if (waits_in_thread)
		return bpf_task_storage_get(&thread_waits,
					    bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	/* No wait anywhere: none of this thread's (a cold bucket). */
	if (!READ_ONCE(waits_open))
		return NULL;
	tid = (__u32)bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&waits, &tid);
}

/* Keeps @fresh as this thread's wait (@w: wait_of()'s); 0 or an error. */
static __always_inline long wait_put(struct lock_wait *w,
				     const struct lock_wait *fresh)
{
	__u32 tid;

	if (!waits_in_thread) {
		tid = (__u32)bpf_get_current_pid_tgid();
		return slot_put(&waits, &tid, (void *)fresh, &waits_open);
	}
	if (!w)
		return -ENOMEM;
	*w = *fresh;
	return 0;
}

static __always_inline void wait_drop(struct lock_wait *w)
{
	if (waits_in_thread)
		w->addr = 0;
	else
		own_slot_drop(&waits, &waits_open);
}

static __always_inline void add(__u64 *where, __u64 v)
{
	__sync_fetch_and_add(where, v);
}

static __always_inline struct locks_proc_stats *proc_stats(__u32 tgid)
{
	return proc_row(procs, struct locks_proc_stats, tgid, ROW_BORN_EXITED);
}

static __always_inline void proc_add(struct locks_proc_stats *st, int i,
				     __u64 v)
{
	if (st && i >= 0 && i < PV_SUMS)
		add(&st->v[i], v);
}

static __always_inline void set_max(__u64 *max, __u64 v)
{
	if (v > *max)
		*max = v;
}

/* ---- mmap_lock: wait and hold times ---------------------------------- */

static __always_inline struct thread_locks *my_locks(bool create)
{
	struct thread_locks zero = {};

	return thread_state(&thread_locks, &thread_locks_by_tid,
			    create ? &zero : NULL);
}

static __always_inline void mmap_start(__u64 mm, bool write)
{
	struct thread_locks *tl;
	__u64 ids;

	if (!task_wanted(&ids))
		return;
	tl = my_locks(true);
	if (!tl) {
		count_loss(LOSS_LOCK_STATE_FULL);
		return;
	}
	tl->pending.mm = mm;
	tl->pending.write = write;
	tl->pending.start_ns = bpf_ktime_get_ns();
}

static __always_inline void hold_begin(struct thread_locks *tl, __u64 mm,
				       __u32 tid, bool write, __u64 now)
{
	struct hold_key key = { .mm = mm, .tid = tid, .write = write };
	struct hold fresh = { .start_ns = now, .depth = 1 };
	struct held *free = NULL;
	struct hold *h;

	for (int i = 0; i < HOLD_SLOTS; i++) {
		struct held *slot = &tl->held[i];

		if (slot->depth && slot->mm == mm && slot->write == write) {
			/* A nested reader: the outer hold keeps timing. */
			slot->depth++;
			add(&counters[LC_NESTED], 1);
			return;
		}
		if (!slot->depth && !free)
			free = slot;
	}
	h = tl->spilled ? bpf_map_lookup_elem(&holds, &key) : NULL;
	if (h) {
		h->depth++;
		add(&counters[LC_NESTED], 1);
		return;
	}
	if (free) {
		free->mm = mm;
		free->write = write;
		free->start_ns = now;
		free->depth = 1;
		return;
	}
	if (bpf_map_update_elem(&holds, &key, &fresh, BPF_NOEXIST))
		count_loss(LOSS_LOCK_STATE_FULL);
	else
		tl->spilled++;
}

static __always_inline void hold_ended(__u32 tgid, __u64 start_ns, bool write,
				       __u64 now)
{
	__u64 delta = now - start_ns;
	struct locks_proc_stats *st;

	hist_record(hold_hist[write], delta, 1);
	st = proc_stats(tgid);
	proc_add(st, PV_READ_HOLD_NS + write, delta);
	if (st && write)
		set_max(&st->max_write_hold_ns, delta);
}

/*
 * The per-process row is read only when a hold ends, not per release.
 * @tid keys this thread's state; @tgid, as mmtrace's pid namespace sees
 * the process, keys its row.
 */
static __always_inline bool hold_end(struct thread_locks *tl, __u64 mm,
				     __u32 tid, __u32 tgid, bool write,
				     __u64 now)
{
	struct hold_key key = { .mm = mm, .tid = tid, .write = write };
	struct hold *h;
	__u64 start;

	for (int i = 0; i < HOLD_SLOTS; i++) {
		struct held *slot = &tl->held[i];

		if (!slot->depth || slot->mm != mm || slot->write != write)
			continue;
		if (--slot->depth == 0)
			hold_ended(tgid, slot->start_ns, write, now);
		return true;
	}
	h = tl->spilled ? bpf_map_lookup_elem(&holds, &key) : NULL;
	if (!h)
		return false;
	if (--h->depth > 0)
		return true;
	start = h->start_ns;
	if (!bpf_map_delete_elem(&holds, &key))
		tl->spilled--;
	hold_ended(tgid, start, write, now);
	return true;
}

/*
 * mmap_write_downgrade() emits acquire_returned(read, success) with no
 * start_locking: the write hold ends and a read hold begins. munmap does it.
 */
static __always_inline bool mmap_downgrade(struct thread_locks *tl, __u64 mm,
					   __u32 tid, __u32 tgid, __u64 now)
{
	if (!hold_end(tl, mm, tid, tgid, true, now))
		return false;
	add(&counters[LC_DOWNGRADES], 1);
	hold_begin(tl, mm, tid, false, now);
	return true;
}

/* --events: the stack is the acquirer's, where it got the lock. */
static __always_inline void mmap_wait_event(void *ctx, __u64 delta_ns,
					    bool write, bool success)
{
	__u64 v[EVENT_VALUES] = {
		[MWEV_WAIT_NS] = delta_ns,
		[MWEV_WRITE] = write,
		[MWEV_ACQUIRED] = success,
	};

	emit_event(ctx, EV_MMAP_LOCK_WAIT, v);
}

static __always_inline void mmap_returned(void *ctx, __u64 mm, bool write,
					  bool success)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), tgid;
	struct locks_proc_stats *st;
	struct thread_locks *tl;
	__u64 ids, now, delta;

	if (!task_wanted(&ids))
		return;
	tgid = ids >> 32;
	now = bpf_ktime_get_ns();
	tl = my_locks(true);
	if (!tl)
		count_loss(LOSS_LOCK_STATE_FULL);
	if (tl && tl->pending.start_ns && tl->pending.mm == mm &&
	    tl->pending.write == write) {
		delta = now - tl->pending.start_ns;
		tl->pending.start_ns = 0;
		hist_record(wait_hist[write], delta, 1);
		st = proc_stats(tgid);
		proc_add(st, PV_READ_WAIT_NS + write, delta);
		mmap_wait_event(ctx, delta, write, success);
	} else if (tl && !write && success &&
		   mmap_downgrade(tl, mm, tid, tgid, now)) {
		return;
	} else {
		/* An acquisition whose start came before tracing: no wait. */
		st = proc_stats(tgid);
	}
	if (!success) {
		add(&counters[LC_FAILED_R + write], 1);
		proc_add(st, PV_READ_FAILED + write, 1);
		return;
	}
	add(&counters[LC_ACQUIRED_R + write], 1);
	proc_add(st, PV_READ_ACQUIRED + write, 1);
	if (tl)
		hold_begin(tl, mm, tid, write, now);
}

static __always_inline void mmap_released(__u64 mm, bool write)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_locks *tl;
	__u64 ids;

	if (!task_wanted(&ids))
		return;
	tl = my_locks(false);
	if (!tl || !hold_end(tl, mm, tid, ids >> 32, write,
			     bpf_ktime_get_ns()))
		add(&counters[LC_UNMATCHED_RELEASE], 1);
}

/*
 * Argument @i of the 6.x layout. The empty asm keeps clang from merging the
 * two loads into one at a computed offset, which the verifier refuses on
 * a context pointer.
 */
static __always_inline bool mmap_arg(__u64 *ctx, int i)
{
	__u64 v;

	if (mmap_events_without_path()) {
		v = ctx[i - 1];
		asm volatile("" ::: "memory");
	} else {
		v = ctx[i];
	}
	return v & 1;
}

static __always_inline bool mmap_write_arg(__u64 *ctx)
{
	return mmap_arg(ctx, 2);
}

static __always_inline bool mmap_success_arg(__u64 *ctx)
{
	return mmap_arg(ctx, 3);
}

SEC("tp_btf")
int mmap_start_btf(__u64 *ctx)
{
	mmap_start(ctx[0], mmap_write_arg(ctx));
	return 0;
}

SEC("tp_btf")
int mmap_returned_btf(__u64 *ctx)
{
	mmap_returned(ctx, ctx[0], mmap_write_arg(ctx), mmap_success_arg(ctx));
	return 0;
}

SEC("tp_btf")
int mmap_released_btf(__u64 *ctx)
{
	mmap_released(ctx[0], mmap_write_arg(ctx));
	return 0;
}

/* ---- contention by caller, named locks, owners ------------------------ */

/*
 * Waits by calling path: a stack walk per contention (about 2.4 us on the
 * build host), so serve takes them only with --detail, and top never.
 */
const volatile bool wait_paths = true;

/*
 * Numbers only the report shows (not serve, top): contention per lock
 * address and per holder, a process's longest wait. Without them and the
 * callers, a wait needs neither its lock's class nor its holder: reading
 * the holder's task and charging its row made a default wait 2x its timed
 * floor (make bench).
 */
const volatile bool report_numbers = true;

/* Bytes of stack to take: (--stack-depth + LOCK_STACK_SLACK) frames. */
const volatile __u32 lock_stack_bytes = (LOCK_STACK_DEFAULT +
					 LOCK_STACK_SLACK) * 8;

/* Calling paths by a hash of their frames (bpf/stacks.bpf.h). */
STACK_MAPS(lock_stacks, 8192);

/* Contention per (lock, calling path); values as lock_table's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct caller_key);
	__type(value, struct lock_stats);
} callers SEC(".maps");

/* Contention per (lock, holder). */
LOCK_OWNER_MAP(owners, 10240);

/*
 * Is @lock the i_mmap_rwsem of an address_space? Its mapping's host
 * inode points back at the mapping (inode->i_mapping): a check no other
 * rwsem passes by chance. Reads of a wrong guess fail or mismatch.
 */
static __always_inline bool is_i_mmap_rwsem(__u64 lock)
{
	struct address_space *mapping = (void *)(lock -
		bpf_core_field_offset(struct address_space, i_mmap_rwsem));
	struct address_space *back = NULL;
	struct inode *host = NULL;

	if (bpf_probe_read_kernel(&host, sizeof(host),
				  (void *)mapping + bpf_core_field_offset(
					  struct address_space, host)) || !host)
		return false;
	if (bpf_probe_read_kernel(&back, sizeof(back),
				  (void *)host + bpf_core_field_offset(
					  struct inode, i_mapping)))
		return false;
	return back == mapping;
}

/*
 * Another mm's mmap_lock is known by the acquisition this thread started
 * on it (mmap_lock_start_locking, not yet returned): the contention
 * inside it is that lock's.
 */
static __always_inline __u32 lock_class(__u64 lock, __u32 flags,
					bool is_mmap)
{
	struct thread_locks *tl;
	__u64 off = bpf_core_field_offset(struct mm_struct___mmap_lock,
					  mmap_lock);

	if (is_mmap)
		return LOCK_MMAP_OWN;
	if (flags & (LCB_F_MUTEX | LCB_F_RT | LCB_F_PERCPU))
		return LOCK_ADDR;
	tl = my_locks(false);
	if (tl && tl->pending.start_ns && lock == tl->pending.mm + off)
		return LOCK_MMAP_OTHER;
	return is_i_mmap_rwsem(lock) ? LOCK_I_MMAP : LOCK_ADDR;
}

/* What the wait's rows need, learned as it begins. */
static __always_inline void wait_detail(void *ctx, struct lock_wait *w)
{
	if (!wait_paths && !report_numbers)
		return;
	w->class = lock_class(w->addr, w->flags, w->is_mmap);
	w->stack = wait_paths ? stack_keep(ctx, &lock_stacks_scratch,
					   &lock_stacks, lock_stack_bytes) : 0;
	if (report_numbers)
		lock_owner_read(w->addr, w->flags, &w->owner);
}

static __always_inline void callers_add(const struct lock_wait *w,
					__u32 flags, __u64 delta)
{
	struct caller_key key = {
		.lock = w->class == LOCK_ADDR ? w->addr : 0,
		.stack = w->stack,
		.kind = LOCK_KIND(w->class, flags & ~LCB_F_SPIN),
	};
	struct lock_stats *ls, zero = {};

	/* One loss a wait: a path not kept whose row is not kept either. */
	if (!w->stack)
		count_loss(LOSS_CALLER_UNKNOWN);
	ls = lookup_or_init(&callers, &key, &zero);
	if (!ls) {
		if (w->stack)
			count_loss(LOSS_CALLER_UNKNOWN);
		return;
	}
	add(&ls->contended, 1);
	add(&ls->total_ns, delta);
	set_max(&ls->max_ns, delta);
}

/* Holder rows key the lock's type, not the waiter's read or write. */
static __always_inline void owners_add(const struct lock_wait *w,
				       __u32 flags, __u64 delta)
{
	__u32 type = flags & (LCB_F_MUTEX | LCB_F_RT | LCB_F_PERCPU);

	if (!lock_owner_charge(&owners, w->class == LOCK_ADDR ? w->addr : 0,
			       LOCK_KIND(w->class, type), &w->owner, delta))
		count_loss(LOSS_OWNER_MAP_FULL);
}

/* ---- sleeping-lock contention ----------------------------------------- */

static __always_inline bool own_mmap_lock(__u64 lock)
{
	/* contention_begin is 5.19+: a BTF load, not a probe read's call. */
	__u64 mm = (__u64)bpf_get_current_task_btf()->mm;

	return mm && lock == mm + bpf_core_field_offset(
					  struct mm_struct___mmap_lock,
					  mmap_lock);
}

static __always_inline void contention_begin(void *ctx, __u64 lock,
					     __u32 flags)
{
	struct lock_wait *w, fresh;
	__u64 ids;

	/*
	 * Spinlocks may nest in interrupts: a per-thread slot is wrong. They
	 * are the most frequent contention: counted before any clock or read,
	 * or even the zeroing of a wait.
	 */
	if ((flags & LCB_F_SPIN) && !(flags & LCB_F_MUTEX)) {
		if (task_wanted(NULL))
			count_on_cpu(&spin_cpu);
		return;
	}
	if (!task_wanted(&ids))
		return;
	fresh = (struct lock_wait){
		.addr = lock,
		.start_ns = bpf_ktime_get_ns(),
		.flags = flags,
		.is_mmap = own_mmap_lock(lock),
		.tgid = ids >> 32,
	};
	w = wait_of(true);
	if (w && w->addr == lock) {
		/* A mutex that spun and now sleeps: one wait, from the start. */
		w->flags = flags;
		return;
	}
	wait_detail(ctx, &fresh);
	if (wait_put(w, &fresh))
		count_loss(LOSS_LOCK_STATE_FULL);
}

static __always_inline void lock_table_add(__u64 lock, __u32 flags,
					   bool is_mmap, __u64 delta)
{
	struct lock_key key = {
		.addr = lock,
		.flags = flags & ~LCB_F_SPIN,
		.is_mmap = is_mmap,
	};
	struct lock_stats *ls, zero = {};

	ls = lookup_or_init(&lock_table, &key, &zero);
	if (!ls) {
		count_loss(LOSS_LOCK_TABLE_FULL);
		return;
	}
	add(&ls->contended, 1);
	add(&ls->total_ns, delta);
	set_max(&ls->max_ns, delta);
}

/* --events: the stack is the waiter's, in the lock's slow path. */
static __always_inline void contention_event(void *ctx, __u64 delta_ns,
					     __u64 lock, __u32 flags,
					     bool is_mmap)
{
	__u64 v[EVENT_VALUES] = {
		[CEV_WAIT_NS] = delta_ns,
		[CEV_LOCK] = lock,
		[CEV_FLAGS] = flags & ~LCB_F_SPIN,
		[CEV_IS_MMAP] = is_mmap,
	};

	emit_event(ctx, EV_LOCK_CONTENTION, v);
}

/*
 * A wait @tw's thread has ended, kept in its unfolded sums; false if it
 * goes to the row at once instead. The thread makes sure of its process's
 * row once: only in its own context are the name and cgroup the row is
 * created with at hand. A wait the row cannot have (the map is full) is
 * counted lost there, and not kept.
 * An exiting thread's waits go to the row: do_exit() still takes sleeping
 * locks after its exit hook folded (exit_files(), task work), and its
 * storage is never read again. The hook says so in @tw where it folded;
 * where it did not look, the thread had made sure of no row (but in the
 * windows fold_own_waits names), and PF_EXITING is read here. Read on
 * every wait, that line of the task, just written by the waker, cost
 * contention_end about 8% of its run (README, "Benchmark").
 */
static __always_inline bool thread_sums_add(struct thread_wait *tw, int class,
					    __u64 delta)
{
	if (tw->row != ROW_MADE) {
		if (tw->row == ROW_DIRECT ||
		    (bpf_get_current_task_btf()->flags & PF_EXITING))
			return false;
		if (!proc_stats(tw->wait.tgid))
			return true;
		tw->row = ROW_MADE;
	}
	add(&tw->unfolded[2 * class], 1);
	add(&tw->unfolded[2 * class + 1], delta);
	return true;
}

/*
 * Moves @tw's unfolded sums to its process's row @st. The exchange keeps
 * a wait ended meanwhile on another CPU, and lets the thread's exit and a
 * collect fold the same thread at once without counting anything twice.
 */
static __always_inline void thread_sums_fold(struct thread_wait *tw,
					     struct locks_proc_stats *st)
{
	for (int i = 0; i < UNFOLDED; i++) {
		__u64 v = __sync_lock_test_and_set(&tw->unfolded[i], 0);

		if (v)
			add(&st->v[PV_MMAP_CONTENDED + i], v);
	}
}

static __always_inline bool thread_sums_any(const struct thread_wait *tw)
{
	__u64 any = 0;

	for (int i = 0; i < UNFOLDED; i++)
		any |= tw->unfolded[i];
	return any;
}

static __always_inline void contention_end(void *ctx, __u64 lock)
{
	struct contention_hists *hists;
	struct locks_proc_stats *st;
	__u32 zero = 0;
	__u32 flags, tgid;
	struct lock_wait *w;
	bool is_mmap;
	__u64 delta;
	int class;

	/*
	 * Spinlocks' ends too: most find no wait anywhere. A wait found was
	 * begun by this thread, which the filters wanted then: it carries
	 * its tgid, and the filters need no second look.
	 */
	if (!waits_in_thread && !READ_ONCE(waits_open))
		return;
	w = wait_of(false);
	if (!w || w->addr != lock)
		return;
	delta = bpf_ktime_get_ns() - w->start_ns;
	flags = w->flags;
	is_mmap = w->is_mmap;
	tgid = w->tgid;
	if (wait_paths)
		callers_add(w, flags, delta);
	if (report_numbers)
		owners_add(w, flags, delta);
	wait_drop(w);
	class = is_mmap ? CONT_MMAP : CONT_OTHER;
	hists = bpf_map_lookup_elem(&contention_cpu, &zero);
	if (hists)
		hist_record_cpu(hists->h[class], delta);
	if (report_numbers)
		lock_table_add(lock, flags, is_mmap, delta);
	contention_event(ctx, delta, lock, flags, is_mmap);
	if (waits_in_thread &&
	    thread_sums_add((struct thread_wait *)w, class, delta))
		return;
	st = proc_stats(tgid);
	proc_add(st, PV_MMAP_CONTENDED + 2 * class, 1);
	proc_add(st, PV_MMAP_CONTENTION_NS + 2 * class, delta);
	if (st && is_mmap && report_numbers)
		set_max(&st->max_mmap_wait_ns, delta);
}

THIN_PROG("tp_btf", BPF_PROG, contention_begin_btf,
	  contention_begin(ctx, (__u64)lock, flags), void *lock,
	  unsigned int flags);
THIN_PROG("tp_btf", BPF_PROG, contention_end_btf,
	  contention_end(ctx, (__u64)lock), void *lock, int ret);

/* ---- page faults: per-VMA lock or mmap_lock --------------------------- */

static __always_inline void close_fault_window(__u32 tid)
{
	slot_drop(&fault_windows, &tid, &fault_windows_open);
}

static __always_inline void count_vma_lock_fault(struct locks_proc_stats *st)
{
	add(&counters[LC_VMA_LOCK_FAULTS], 1);
	proc_add(st, PV_VMA_LOCK_FAULTS, 1);
}

/*
 * access_error() refused the fault with its VMA locked, before any handler
 * ran (fentry and kprobe tiers). x86 before 6.10 redid such a fault under
 * mmap_lock to signal it; bc7996c864bf ("x86: mm: accelerate pagefault
 * when badaccess", 6.10) signals it under the VMA lock, as vmstat's
 * vma_lock_success.
 * Either way it is counted here; which total holds it is the kernel's.
 */
static __always_inline bool vma_access_refused(const struct fault_window *w)
{
	return w->vma_locked && !w->vma_handling;
}

static __always_inline void count_access_error(struct locks_proc_stats *st)
{
	add(&counters[LC_VMA_ACCESS_ERRORS], 1);
	proc_add(st, PV_VMA_ACCESS_ERRORS, 1);
}

/*
 * A window closed without mmap_lock: the fault ended under its VMA lock.
 * So does a retried fault that returned to user space for a signal
 * instead of going on under mmap_lock: every fault has one outcome.
 * @w is a copy: the window may be gone or reused.
 */
static __always_inline void window_served(const struct fault_window *w,
					  struct locks_proc_stats *st)
{
	if (vma_access_refused(w))
		count_access_error(st);
	count_vma_lock_fault(st);
}

/*
 * The fault in @tid's window ended without taking mmap_lock: it was served
 * under its VMA lock. Once disarmed, the windows are left as they are for
 * the final report to count, so that nothing is counted twice or never.
 */
static __always_inline void fault_served(__u32 tid)
{
	struct fault_window *w, was;

	if (!gate.armed)
		return;
	w = bpf_map_lookup_elem(&fault_windows, &tid);
	if (!w)
		return;
	/* Charged to the row the fault opened, whoever's namespace pid. */
	was = *w;
	if (!slot_drop(&fault_windows, &tid, &fault_windows_open))
		return;
	window_served(&was, proc_stats(was.tgid));
}

static __always_inline void fault_begin(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fault_window fresh = {}, was, *w;
	struct locks_proc_stats *st;
	__u64 ids;
	long err;

	if (!task_wanted(&ids))
		return;
	/* The row's key: in a pid namespace, not the current host tgid. */
	fresh.tgid = ids >> 32;
	st = proc_stats(fresh.tgid);
	add(&counters[LC_FAULTS], 1);
	proc_add(st, PV_FAULTS, 1);
	err = bpf_map_update_elem(&fault_windows, &tid, &fresh, BPF_NOEXIST);
	if (!err) {
		__sync_fetch_and_add(&fault_windows_open, 1);
		return;
	}
	/*
	 * The previous fault's window, never closed: that fault took no
	 * mmap_lock. Reuse the window for this one.
	 */
	w = err == -EEXIST ? bpf_map_lookup_elem(&fault_windows, &tid) : NULL;
	if (w) {
		was = *w;
		if (!bpf_map_update_elem(&fault_windows, &tid, &fresh,
					 BPF_EXIST)) {
			window_served(&was, st);
			return;
		}
	}
	count_loss(LOSS_WINDOW_MAP_FULL);
}

static __always_inline struct fault_window *fault_window(__u32 tid)
{
	if (!READ_ONCE(fault_windows_open))
		return NULL;
	return bpf_map_lookup_elem(&fault_windows, &tid);
}

/* ---- why a fault left the VMA lock (fentry and kprobe tiers) ---------- */

/*
 * do_user_addr_fault() (arch/x86/mm/fault.c, 6.12 and 7.x) leaves the VMA
 * lock for mmap_lock in two ways: lock_vma_under_rcu() found no VMA or
 * could not lock it (vmstat's vma_lock_abort), or handle_mm_fault() under
 * the VMA lock returned VM_FAULT_RETRY (vma_lock_retry: userfaultfd, I/O,
 * an anon_vma it could not set up). Before 6.10 a third: access_error()
 * (see vma_access_refused()), which no vmstat event counts.
 */

/* lock_vma_under_rcu() returned: the fault's own attempt is the first. */
static __always_inline void vma_lock_returned(bool locked)
{
	struct fault_window *w = fault_window((__u32)bpf_get_current_pid_tgid());

	if (!w || w->vma_tried)
		return;
	w->vma_tried = 1;
	w->vma_locked = locked;
	if (!locked) {
		add(&counters[LC_VMA_ABORTS], 1);
		proc_add(proc_stats(w->tgid), PV_VMA_ABORTS, 1);
	}
}

/*
 * handle_mm_fault() under the fault's VMA lock returned @ret. A retried
 * fault is redone under mmap_lock, where fault_fell_back() counts it, or,
 * with a signal pending, returns to user space (then served: no mmap_lock).
 */
static __always_inline void vma_fault_handled(struct fault_window *w,
					      unsigned int ret)
{
	w->vma_handled = 1;
	if (!fault_retry(ret))
		return;
	add(&counters[LC_VMA_RETRIES], 1);
	proc_add(proc_stats(w->tgid), PV_VMA_RETRIES, 1);
}

/* The fault's handle_mm_fault() under its VMA lock, not a later one. */
static __always_inline struct fault_window *vma_handler_window(void)
{
	struct fault_window *w = fault_window((__u32)bpf_get_current_pid_tgid());

	if (!w || !w->vma_locked || w->vma_handled)
		return NULL;
	return w;
}

/* The fault in this thread's window went to mmap_lock: count it once. */
static __always_inline void fault_fell_back(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct locks_proc_stats *st;
	struct fault_window *w;
	bool refused;
	__u64 ids;

	w = fault_window(tid);
	if (!w || !task_wanted(&ids))
		return;
	refused = vma_access_refused(w);
	close_fault_window(tid);
	st = proc_stats(ids >> 32);
	add(&counters[LC_FALLBACKS], 1);
	proc_add(st, PV_FALLBACKS, 1);
	if (refused)
		count_access_error(st);
}

SEC("tp_btf")
int vma_fault_btf(__u64 *ctx)
{
	fault_begin();
	return 0;
}

/* arm64 has no page_fault_user: its user faults, from do_mem_abort(). */
SEC("fentry")
int BPF_PROG(vma_fault_abort_fentry, unsigned long far, unsigned long esr,
	     struct pt_regs *regs)
{
	if (arch_user_page_fault(esr, regs))
		fault_begin();
	return 0;
}

/*
 * fentry and kprobe tiers. A user fault calls lock_mm_and_find_vma() only
 * when it does not finish under the VMA lock (its only caller on x86 is
 * do_user_addr_fault(), on arm64 do_page_fault(); kernel-mode faults go
 * there directly, and are told apart by their registers). A retry calls
 * it again: the window is closed after the first call.
 */
static __always_inline void vma_fallback_entered(struct pt_regs *regs)
{
	if (arch_user_mode(regs))
		fault_fell_back();
}

ENTRY_PROGS(vma_fallback, vma_fallback_entered(regs), void *mm,
	    unsigned long addr, struct pt_regs *regs);

/* The fault's own attempt is the first after page_fault_user. */
RETURN_PROGS(vma_lock, vma_lock_returned(vma != NULL), void *vma, void *mm,
	     unsigned long addr);

/*
 * The handler's entry: a fault that enters it under its VMA lock was not
 * refused by access_error(), even if it is still in the handler (waiting
 * for userfaultfd, say) when the final report counts its window.
 */
static __always_inline void vma_handle_entered(unsigned int flags)
{
	struct fault_window *w = vma_handler_window();

	if (w)
		w->vma_handling = fault_under_vma_lock(flags);
}

static __always_inline void vma_handle_returned(unsigned int ret)
{
	struct fault_window *w = vma_handler_window();

	if (w && w->vma_handling)
		vma_fault_handled(w, ret);
}

ENTRY_PROGS(vma_handle, vma_handle_entered(flags), void *vma,
	    unsigned long addr, unsigned int flags);
RETURN_PROGS(vma_handled, vma_handle_returned(ret), unsigned int ret, void *vma,
	     unsigned long addr, unsigned int flags, struct pt_regs *regs);

/*
 * Tracepoint tier: a fault whose thread starts a read acquisition of
 * mmap_lock before it enters a syscall or faults again fell back; a write
 * acquisition or a syscall means the fault was over without one.
 */
SEC("tp_btf")
int vma_tp_lock_btf(__u64 *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/*
	 * Without per-VMA locks every fault takes mmap_lock and this plan
	 * would call each one a fallback: fail the load there instead.
	 */
	if (!require_per_vma_locks())
		return 0;
	if (!fault_window(tid))
		return 0;
	if (mmap_write_arg(ctx))
		fault_served(tid);
	else
		fault_fell_back();
	return 0;
}

SEC("tp_btf")
int vma_tp_syscall_btf(__u64 *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (fault_window(tid))
		fault_served(tid);
	return 0;
}

/* ---- 7.x: a VMA writer's wait for the VMA's readers ------------------ */

/*
 * vma_start_write() returns at once when the VMA is already write-locked
 * in this mmap_lock write cycle; otherwise it calls __vma_start_write(),
 * which waits until the readers (faults under the VMA lock) are gone.
 * Those waits emit no lock:contention event on 7.x. On 6.12 it is inline,
 * a down_write() of vma->vm_lock that lock:contention sees as "other".
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STATE_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} vma_write_starts SEC(".maps");

static __always_inline void vma_write_begin(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ids, now;

	if (!task_wanted(&ids))
		return;
	now = bpf_ktime_get_ns();
	if (slot_put(&vma_write_starts, &tid, &now, &vma_writes_open))
		count_loss(LOSS_LOCK_STATE_FULL);
}

static __always_inline void vma_write_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct locks_proc_stats *st;
	__u64 ids, *start, delta;

	start = bpf_map_lookup_elem(&vma_write_starts, &tid);
	if (!start || !task_wanted(&ids))
		return;
	delta = bpf_ktime_get_ns() - *start;
	slot_drop(&vma_write_starts, &tid, &vma_writes_open);
	hist_record(vma_write_hist, delta, 1);
	st = proc_stats(ids >> 32);
	proc_add(st, PV_VMA_WRITE_LOCKS, 1);
	proc_add(st, PV_VMA_WRITE_WAIT_NS, delta);
}

ENTRY_PROGS(vma_write, vma_write_begin());
EXIT_PROGS(vma_write, vma_write_end());

/* ---- exits, and COMMAND's descendants -------------------------------- */

CHILDREN_PROGS(locks);

/*
 * The exiting thread's unfolded waits, to its row before the row can be
 * marked exited; the waits it ends from here on go to the row directly
 * (thread_sums_add). Out of line, as the exit's other rare work: code an
 * exit runs is lines it reads too.
 */
static __noinline int fold_marked_waits(void)
{
	struct locks_proc_stats *st;
	struct thread_wait *tw;

	tw = bpf_task_storage_get(&thread_waits, bpf_get_current_task_btf(),
				  0, 0);
	if (!tw)
		return 0;
	if (thread_sums_any(tw)) {
		st = proc_stats(tw->wait.tgid);
		if (st)
			thread_sums_fold(tw, st);
	}
	tw->row = ROW_DIRECT;
	return 0;
}

static __always_inline void fold_own_waits(__u32 tgid)
{
	/*
	 * A thread with waits made sure of its process's row, which is
	 * marked: most exits are of processes without one, and a mark is a
	 * byte that the leader's exit reads anyway, where the storage lookup
	 * cost about 120 ns a run (make bench). A row deleted while the
	 * thread keeps sums keeps its mark (fold_waits). A mark user space
	 * cleared as a colliding row was created (user/rows.c) comes back at
	 * the next read: an exit in between leaves its waits unfolded, and
	 * those it ends after the hook.
	 * Waits by thread id (gate.by_tid, read already) have no sums here.
	 * waits_in_thread, a .rodata line, is read last, and stays: as a
	 * constant it lets the verifier drop the task-storage calls where a
	 * kernel has none for tracepoints (5.10).
	 */
	if (gate.by_tid || !tgid || !row_marked(tgid) || !waits_in_thread)
		return;
	fold_marked_waits();
}

/*
 * Each live thread's unfolded waits, to its process's row: user space runs
 * this task iterator before each read of the rows (rows_use_object,
 * user/rows.c), so a scrape has every wait ended before it. The iterator
 * walks mmtrace's pid namespace, where the rows' pids are. A row deleted
 * since the thread made sure of it (its process's leader exited, and a
 * collect reported it) leaves the sums with the thread, whose next wait or
 * exit creates it again. Its exit looks only where the row is marked: the
 * tgid written out tells user space, which runs the iterator again right
 * after it deletes rows, to leave that mark set.
 */
SEC("iter/task")
int fold_waits(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct locks_proc_stats *st;
	struct thread_wait *tw;
	__u32 tgid;

	if (!task || !waits_in_thread)
		return 0;
	tw = bpf_task_storage_get(&thread_waits, task, 0, 0);
	/* Sums without a row: left by an earlier walk, or added meanwhile. */
	if (!tw || (tw->row != ROW_MADE && !thread_sums_any(tw)))
		return 0;
	tgid = tw->wait.tgid;
	st = bpf_map_lookup_elem(&procs, &tgid);
	if (st) {
		thread_sums_fold(tw, st);
		return 0;
	}
	/* An exiting thread's waits keep going to the row directly. */
	if (tw->row == ROW_MADE)
		tw->row = ROW_UNSURE;
	row_mark(tgid);
	bpf_seq_write(ctx->meta->seq, &tgid, sizeof(tgid));
	return 0;
}

/* Out of line: the exit's common path stays a few lines of code. */
static __noinline int drop_thread_slots(void)
{
	thread_state_exit(&thread_locks_by_tid);
	if (gate.by_tid && !waits_in_thread && READ_ONCE(waits_open))
		own_slot_drop(&waits, &waits_open);
	if (obs_attached(OBS_VMA_WRITE) && READ_ONCE(vma_writes_open))
		own_slot_drop(&vma_write_starts, &vma_writes_open);
	/* Its last fault did not fall back, or the window would be closed. */
	if (obs_attached(OBS_VMA) && READ_ONCE(fault_windows_open))
		fault_served((__u32)bpf_get_current_pid_tgid());
	return 0;
}

/*
 * A thread that exits drops its state, so a recycled tid never inherits
 * it; a process that exits marks its row, which user space reports one
 * last time and then deletes.
 */
SEC("tracepoint")
int locks_task_exit(void *ctx)
{
	__u64 id = current_ids();

	/*
	 * State a configuration never keeps is not even looked at, and the
	 * gate's line (current_ids() read it) says which: a line of .bss or
	 * .rodata more cost an exit 20-45 ns a run, up to half the hook's
	 * floor (make bench). READ_ONCE: clang had moved these loads above
	 * their tests, and every exit read the line anyway.
	 */
	if (gate.by_tid || obs_attached(OBS_VMA_WRITE) || obs_attached(OBS_VMA))
		drop_thread_slots();
	fold_own_waits(id >> 32);
	mark_proc_exited(procs, struct locks_proc_stats, id);
	return 0;
}

PROC_NAME_PROGS(locks, procs, struct locks_proc_stats, st->exited = 0);

char LICENSE[] SEC("license") = "GPL";
