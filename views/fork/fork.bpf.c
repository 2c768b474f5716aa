// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace fork: fork() latency and the pages fork copies eagerly because they
 * may be DMA-pinned (early COW, copy_present_page and its THP/hugetlb kin).
 *
 * A "window" is one clone-family syscall of one thread, from sys_enter to
 * sys_exit. Everything the kernel does for that fork on that thread (the
 * task_newtask event, page allocations, copy_page_range) is charged to the
 * window; sys_exit folds the window into histograms and per-process rows.
 * Which programs feed the window depends on the attach plan the loader picked
 * (see fork.c): fentry, kprobe, or tracepoints only.
 *
 * How many forks, vforks and threads were made is counted apart from the
 * windows, once per new task at task_newtask (fork.clones): one program on
 * a hook that fires once per clone, cheap enough to be always on, where the
 * windows need every syscall of the machine to pass a syscall tracepoint.
 */
#include "common.bpf.h"
#include "events.bpf.h"
#include "thread.bpf.h"
#include "forkrace.bpf.h"
#include "fork.h"

#define CLONE_VM 0x00000100UL
#define CLONE_VFORK 0x00004000UL

/* Page allocator zone bits of GFP_HIGHUSER_MOVABLE; stable since 2.6. */
#define GFP_HIGHMEM_MOVABLE (0x02U | 0x08U)

struct fork_window {
	__u64 start_ns;
	__u64 clone_flags;
	__u64 copies;
	__u64 thp_splits;
	__u64 hugetlb_copies;
	__u64 cpr_start_ns;
	__u64 cpr_ns;
	__u32 in_hugetlb_copy;
	__u32 child_pid;	/* as mmtrace sees it, from sched_process_fork */
	__u32 open;		/* between the clone's entry and exit */
	__u64 gup_during;	/* GUP-fast calls on the mm in its windows */
	__u64 gup_pushed;	/* of them, pushed to the slow path */
};

/*
 * A thread's window stays in its state between forks (bpf/thread.bpf.h):
 * opening and closing one is a store, not a map insert and delete.
 */
THREAD_STATE_MAPS(windows, struct fork_window, 10240);

PROC_ROWS_MAP(fork);

/*
 * Clones by kind (enum clone_kind), a copy per CPU: task_newtask fires at
 * every clone of the machine, on any CPU, and a line that every CPU's
 * clones wrote moved between them at each one. (A plain add is exact:
 * the tracepoint runs its programs with preemption off, in the cloning
 * task, never from an interrupt.)
 */
struct clone_counts {
	__u64 n[CK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clone_counts);
} clones_cpu SEC(".maps");

/* Cumulative since load: user space reports differences per interval. */
__u64 counters[FC_MAX] = {};
/* The sum of clones_cpu's copies, written by user space alone. */
__u64 clones[CK_MAX] = {};
__u64 latency_hist[FORK_LAT_KINDS][HIST_LEN] = {};
__u64 vfork_latency_hist[HIST_LEN] = {};
__u64 copies_hist[HIST_LEN] = {};

/*
 * Windows open right now. Page allocation and anon-rmap hooks fire on every
 * fault in the system; when no fork is in flight they return before any map
 * lookup.
 */
__u64 windows_open = 0;

static __always_inline struct fork_window *current_window(void)
{
	struct fork_window *w;

	if (!READ_ONCE(windows_open))
		return NULL;
	w = thread_state(&windows, &windows_by_tid, NULL);
	return w && w->open ? w : NULL;
}

static __always_inline struct fork_proc_stats *proc_stats(__u32 tgid)
{
	return proc_row(procs, struct fork_proc_stats, tgid, ROW_BORN_EXITED);
}



SEC("tracepoint")
int fork_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct fork_window zero = {}, *w;
	__u32 was_open;
	__u64 ids;

	if (!task_wanted(&ids))
		return 0;
	w = thread_state(&windows, &windows_by_tid, &zero);
	if (!w) {
		count_loss(LOSS_WINDOW_MAP_FULL);
		return 0;
	}
	/* A window this thread left open (its exit was missed): reuse it. */
	was_open = w->open;
	*w = zero;
	w->open = 1;
	w->start_ns = bpf_ktime_get_ns();
	if (!was_open)
		__sync_fetch_and_add(&windows_open, 1);
	return 0;
}

/* Only the thread itself opens and closes its window: no drift. */
static __always_inline void close_window(struct fork_window *w)
{
	w->open = 0;
	__sync_fetch_and_sub(&windows_open, 1);
}

/*
 * Per-process rows cost a hash lookup per clone, a cache miss more often
 * than not: over twice the hook's floor. serve's defaults keep the host's
 * counts alone; with fork.syscalls (detail), which names and retires the
 * rows, the counts go to the rows too.
 */
const volatile bool clone_rows = false;

/*
 * What a clone made, by its flags: the counts' kind and fork_exit's
 * (CLONE_THREAD requires CLONE_VM).
 */
static __always_inline enum clone_kind clone_kind(__u64 clone_flags)
{
	if (clone_flags & CLONE_VFORK)
		return CK_VFORK;
	if (clone_flags & CLONE_VM)
		return CK_THREAD;
	return CK_FORK;
}

static __always_inline void count_kind(enum clone_kind k)
{
	__u32 zero = 0;
	struct clone_counts *c = bpf_map_lookup_elem(&clones_cpu, &zero);

	if (c && k < CK_MAX)
		c->n[k]++;
}

/*
 * fork.clones: one new task, whose mm is @mm, in its parent's context,
 * after the point of no return: the clone-family call that made it
 * returns its pid. A task without an mm was started by a kernel thread (a
 * kernel thread, a usermode helper before its exec), by no clone-family
 * call: not counted.
 */
static __always_inline void count_clone(struct mm_struct *mm,
					__u64 clone_flags)
{
	struct fork_proc_stats *st;
	enum clone_kind c;
	__u64 ids = 0;

	if (!mm || !gate.armed)
		return;
	/* No filter: no id to read unless a row needs it. */
	if (gate.filtered && !task_wanted(&ids))
		return;
	c = clone_kind(clone_flags);
	count_kind(c);
	/*
	 * Rows only where fork.syscalls (which retires them) attached: the gate
	 * answers first, and clone_rows (a line of its own) is read only then.
	 */
	if (!obs_attached(OBS_SYSCALLS) || !clone_rows)
		return;
	if (!gate.filtered)
		ids = bpf_get_current_pid_tgid();
	st = proc_stats(ids >> 32);
	if (!st)
		return;
	if (c == CK_FORK)
		__sync_fetch_and_add(&st->forks, 1);
	else if (c == CK_VFORK)
		__sync_fetch_and_add(&st->vforks, 1);
	else
		__sync_fetch_and_add(&st->threads, 1);
}

/*
 * tp_btf: no perf record is built, and the new task is a pointer the
 * verifier trusts: its mm is one load, not a helper call.
 */
SEC("tp_btf")
int BPF_PROG(fork_clone_btf, struct task_struct *task,
	     unsigned long clone_flags)
{
	count_clone(task->mm, clone_flags);
	return 0;
}

/*
 * fork.clones where nothing asks more of it (no filter, no rows: serve's
 * defaults): counts from attach to detach, never armed. Run about once a
 * millisecond, a program pays for each cache line it reads more than for
 * its instructions, and the gate is a line: the armed program cost 1.85x
 * the count-only floor where this one cost 1.35x (README "Benchmark").
 */
SEC("tp_btf")
int BPF_PROG(fork_count_btf, struct task_struct *task,
	     unsigned long clone_flags)
{
	if (task->mm)
		count_kind(clone_kind(clone_flags));
	return 0;
}

/* The record names only the new task's pid: its mm is the parent's. */
SEC("tracepoint")
int fork_clone(struct trace_event_raw_task_newtask *ctx)
{
	struct task_struct *parent = (void *)bpf_get_current_task();

	count_clone(BPF_CORE_READ(parent, mm), ctx->clone_flags);
	return 0;
}

/* fork.syscalls: which kind of clone the window is, for fork_exit. */
SEC("tracepoint")
int fork_newtask(struct trace_event_raw_task_newtask *ctx)
{
	struct fork_window *w = current_window();

	if (!w)
		return 0;
	w->clone_flags = ctx->clone_flags;
	return 0;
}

/*
 * Most forks copy nothing and most tiers time no copy_page_range: a test
 * is cheaper than a locked add of zero to a line other CPUs write too.
 */
static __always_inline void add_nonzero(__u64 *where, __u64 v)
{
	if (v)
		__sync_fetch_and_add(where, v);
}

/*
 * --events: the stack is the one at sys_exit, where the fork's latency is
 * known: the syscall-exit path, not copy_process().
 */
static __always_inline void fork_event(void *ctx, struct fork_window *w,
				       __u64 delta_ns, long child, bool pinned)
{
	__u64 v[EVENT_VALUES] = {
		[FEV_LATENCY_NS] = delta_ns,
		[FEV_PINNED_COPIES] = w->copies,
		[FEV_CHILD] = child,
		[FEV_HAS_PINNED] = pinned,
		[FEV_GUP_DURING] = w->gup_during,
		[FEV_GUP_PUSHED] = w->gup_pushed,
	};

	emit_event(ctx, EV_FORK, v);
}

static __always_inline void account_process_fork(void *ctx,
						 struct fork_proc_stats *st,
						 struct fork_window *w,
						 __u64 delta_ns, long child)
{
	bool pinned = current_mm_has_pinned();

	fork_event(ctx, w, delta_ns, child, pinned);

	add_nonzero(&counters[FC_PINNED_COPIES], w->copies);
	add_nonzero(&counters[FC_THP_SPLITS], w->thp_splits);
	add_nonzero(&counters[FC_HUGETLB_COPIES], w->hugetlb_copies);
	add_nonzero(&counters[FC_CPR_NS], w->cpr_ns);
	add_nonzero(&counters[FC_GUP_DURING], w->gup_during);
	add_nonzero(&counters[FC_GUP_PUSHED], w->gup_pushed);
	hist_record(latency_hist[pinned ? FORK_LAT_PINNED : FORK_LAT_UNPINNED],
		    delta_ns, 1000);
	hist_record(copies_hist, w->copies, 1);
	if (!st)
		return;
	add_nonzero(&st->pinned_copies, w->copies);
	add_nonzero(&st->thp_splits, w->thp_splits);
	add_nonzero(&st->hugetlb_copies, w->hugetlb_copies);
	__sync_fetch_and_add(&st->total_ns, delta_ns);
	add_nonzero(&st->cpr_ns, w->cpr_ns);
	add_nonzero(&st->gup_during, w->gup_during);
	add_nonzero(&st->gup_pushed, w->gup_pushed);
	if (delta_ns > st->max_ns)
		st->max_ns = delta_ns;
	if (pinned)
		st->has_pinned = 1;
}

/*
 * fork.gup_race: the GUP-fast calls the mm's row gathered while this
 * thread was its forker (bpf/forkrace.bpf.h). A pushed call is counted
 * where its fallback starts, which is before the fork ends (the slow path
 * waits on mmap_lock for it); one counted after the fork's return goes to
 * the mm's next fork.
 */
static __always_inline void take_gup_race(struct fork_window *w)
{
	struct mm_forker *f = mm_forker_of(current_mm());
	__u64 during, pushed;

	if (!f || f->tid != (__u32)bpf_get_current_pid_tgid())
		return;
	during = f->during;
	pushed = f->pushed;
	if (during)
		__sync_fetch_and_sub(&f->during, during);
	if (pushed)
		__sync_fetch_and_sub(&f->pushed, pushed);
	w->gup_during = during;
	w->gup_pushed = pushed;
}

SEC("tracepoint")
int fork_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct fork_proc_stats *st;
	struct fork_window *w;
	long ret = ctx->ret;
	__u64 delta_ns;
	__u32 tgid;

	/* Every child returns 0 here too, and never has a window open. */
	if (ret == 0)
		return 0;
	w = current_window();
	if (!w)
		return 0;
	delta_ns = bpf_ktime_get_ns() - w->start_ns;
	tgid = current_ids() >> 32;
	/*
	 * A clone that made a task found or made its row in fork_clone, or
	 * counted the loss there: once per clone.
	 */
	st = ret < 0 ? proc_stats(tgid) : bpf_map_lookup_elem(&procs, &tgid);
	if (ret < 0) {
		__sync_fetch_and_add(&counters[FC_FAILED], 1);
		if (st)
			__sync_fetch_and_add(&st->failed, 1);
	} else if (clone_kind(w->clone_flags) == CK_VFORK) {
		/*
		 * The parent slept until the child exec'd or exited. The
		 * counts of forks, vforks and threads are fork_clone's.
		 */
		hist_record(vfork_latency_hist, delta_ns, 1000);
	} else if (clone_kind(w->clone_flags) == CK_FORK) {
		take_gup_race(w);
		/* clone's return is the child's pid in the parent's namespace. */
		account_process_fork(ctx, st, w, delta_ns,
				     w->child_pid ? w->child_pid : ret);
	}
	close_window(w);
	return 0;
}

/*
 * A thread that exits closes any window it left open, so a recycled tid
 * never inherits one; a process that exits marks its row, which user
 * space reports one last time and then deletes.
 */
SEC("tracepoint")
int fork_task_exit(void *ctx)
{
	struct fork_window *w = current_window();

	if (w)
		close_window(w);
	thread_state_exit(&windows_by_tid);
	mark_proc_exited(procs, struct fork_proc_stats, current_ids());
	return 0;
}

/* The child's pid for the fork event; COMMAND's descendants followed. */
SEC("tp_btf")
int BPF_PROG(fork_task_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	struct fork_window *w;

	task_forked(parent, child);
	w = current_window();
	if (w)
		w->child_pid = (__u32)task_ids(child);
	return 0;
}

TASK_FREE_PROG(fork);

PROC_NAME_PROGS(fork, procs, struct fork_proc_stats, st->exited = 0);

/*
 * Tracepoint tier of pinned-page copies: in the parent's clone window, the
 * only order-0 allocations with both HIGHMEM and MOVABLE zone bits are the
 * pages copy_present_page() preallocates (page tables and vmalloc'd stacks
 * lack MOVABLE). Hugetlb copies come from the pool and are not seen here.
 */
static __always_inline void count_page_alloc(unsigned int order,
					     unsigned long gfp_flags)
{
	struct fork_window *w;

	if (order || (gfp_flags & GFP_HIGHMEM_MOVABLE) != GFP_HIGHMEM_MOVABLE)
		return;
	w = current_window();
	if (w)
		w->copies++;
}

/* tp_btf: typed arguments, and no perf record built for every allocation. */
SEC("tp_btf")
int BPF_PROG(fork_page_alloc_btf, struct page *page, unsigned int order,
	     gfp_t gfp_flags, int migratetype)
{
	count_page_alloc(order, gfp_flags);
	return 0;
}

SEC("tracepoint")
int fork_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	count_page_alloc(ctx->order, ctx->gfp_flags);
	return 0;
}

/* fentry and kprobe tiers: the copy itself, inside copy_page_range(). */
static __always_inline void cpr_begin(void)
{
	struct fork_window *w = current_window();

	if (w)
		w->cpr_start_ns = bpf_ktime_get_ns();
}

static __always_inline void cpr_end(void)
{
	struct fork_window *w = current_window();

	if (!w || !w->cpr_start_ns)
		return;
	w->cpr_ns += bpf_ktime_get_ns() - w->cpr_start_ns;
	w->cpr_start_ns = 0;
}

/* The new anon page of an early-COW copy is installed at exactly one site. */
static __always_inline void count_copied_page(void)
{
	struct fork_window *w = current_window();

	if (w && w->cpr_start_ns)
		w->copies++;
}

/* copy_huge_pmd() splits a maybe-pinned THP and asks for a PTE retry. */
static __always_inline void count_thp_split(long ret)
{
	struct fork_window *w;

	if (ret != -EAGAIN)
		return;
	w = current_window();
	if (w)
		w->thp_splits++;
}

static __always_inline void hugetlb_copy_window(bool open)
{
	struct fork_window *w = current_window();

	if (w)
		w->in_hugetlb_copy = open;
}

static __always_inline void count_hugetlb_alloc(unsigned long ret)
{
	struct fork_window *w = current_window();

	if (w && w->in_hugetlb_copy && ret && !is_err_value(ret))
		w->hugetlb_copies++;
}

ENTRY_PROGS(cpr, cpr_begin());
EXIT_PROGS(cpr, cpr_end());
ENTRY_PROGS(anon_rmap, count_copied_page());
ENTRY_PROGS(hugetlb_copy, hugetlb_copy_window(true));
EXIT_PROGS(hugetlb_copy, hugetlb_copy_window(false));

/*
 * fexit finds the return value after the arguments, so the program is tied
 * to copy_huge_pmd's 7 (the plan checks the arity in BTF); the trampoline
 * takes 7 arguments only from 6.6 on (473e3150e30a, user/arch.h), older
 * kernels use the kretprobe.
 */
SEC("fexit")
int BPF_PROG(huge_pmd_fexit7, void *dst_mm, void *src_mm, void *dst_pmd,
	     void *src_pmd, unsigned long addr, void *dst_vma, void *src_vma,
	     int ret)
{
	count_thp_split(ret);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(huge_pmd_kretprobe, long ret)
{
	count_thp_split((int)ret);
	return 0;
}

/* alloc_hugetlb_folio (alloc_huge_page) of 3 arguments: a page or an errno. */
RETURN_PROGS(hugetlb_alloc, count_hugetlb_alloc(ret), unsigned long ret,
	     void *vma, unsigned long addr, int avoid);

/*
 * fork.gup_race: GUP-fast calls on an mm that a traced fork is
 * write-protecting. Any thread's call counts: the fork's mm is the key.
 */
const volatile unsigned int foll_pin = 0;

struct race_call {
	__u64 start;		/* page aligned */
	__u32 wp_seq;		/* mm->write_protect_seq at entry */
	__u32 pin;
	__u32 decided;		/* the slow path's start or the return seen */
	__u32 during;		/* counted as during a window */
};

/* LRU: a call whose exit was missed ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct race_call);
} race_calls SEC(".maps");

/* A call on @mm during its fork's window: counted to that fork. */
static __always_inline struct mm_forker *count_during(struct mm_struct *mm)
{
	struct mm_forker *f = mm_forker_of(mm);

	if (f)
		__sync_fetch_and_add(&f->during, 1);
	return f;
}

/*
 * A call that begins inside a window is counted at once: it may return
 * after the fork has (a preempted caller), when the fork has taken its
 * counts.
 */
static __always_inline void race_begin(unsigned long start,
				       unsigned int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mm_struct *mm = current_mm();
	struct race_call c = {
		.start = start & ~0xfffUL,
		.wp_seq = mm_wp_seq(mm),
		.pin = (flags & foll_pin) != 0,
	};

	if (c.wp_seq & 1)
		c.during = count_during(mm) != NULL;
	bpf_map_update_elem(&race_calls, &tid, &c, BPF_ANY);
}

/* Once per call: where its fallback starts, else at its return. */
static __always_inline void race_decide(struct race_call *c, bool fell_back,
					unsigned long start)
{
	struct mm_struct *mm = current_mm();
	struct mm_forker *f;

	if (c->decided)
		return;
	c->decided = 1;
	if (!wp_seq_raced(c->wp_seq, mm_wp_seq(mm)))
		return;
	f = c->during ? mm_forker_of(mm) : count_during(mm);
	if (!f)
		return;
	if (fell_back && c->pin && (start & ~0xfffUL) <= c->start)
		__sync_fetch_and_add(&f->pushed, 1);
}

static __always_inline void race_fallback(unsigned long start)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct race_call *c = bpf_map_lookup_elem(&race_calls, &tid);

	if (c)
		race_decide(c, true, start);
}

static __always_inline void race_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct race_call *c = bpf_map_lookup_elem(&race_calls, &tid);

	if (!c)
		return;
	race_decide(c, false, 0);
	bpf_map_delete_elem(&race_calls, &tid);
}

/* The forker is named only for forks this view traces. */
static __always_inline void race_cpr(struct vm_area_struct *src_vma)
{
	if (current_window())
		note_forker(src_vma);
}

ENTRY_PROGS(race_cpr, race_cpr(src_vma), void *dst_vma,
	    struct vm_area_struct *src_vma);
ENTRY_PROGS(race_gup, race_begin(start, gup_flags), unsigned long start,
	    unsigned long nr_pages, unsigned int gup_flags);
EXIT_PROGS(race_gup, race_end());

/* __gup_longterm_locked(mm, start, ...), 6.1 on */
THIN_PROG("fentry", BPF_PROG, race_longterm_fentry, race_fallback(start),
	  void *mm, unsigned long start);

/* get_user_pages_unlocked(start, ...) */
ENTRY_PROGS(race_unlocked, race_fallback(start), unsigned long start);

/* Before 5.9 __gup_longterm_locked took the task first (quirks.bpf.h). */
const volatile bool race_longterm_has_task = false;

THIN_PROG("kprobe", BPF_KPROBE, race_longterm_kprobe,
	  race_fallback(longterm_locked_start(ctx, &race_longterm_has_task)));

char LICENSE[] SEC("license") = "GPL";
