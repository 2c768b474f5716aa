// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace gup: get_user_pages_fast() and pin_user_pages_fast(), and how
 * many pages the lockless walk got before the slow path had to take over.
 *
 * Every *_user_pages_fast*() wrapper funnels into one core function
 * (internal_get_user_pages_fast, renamed gup_fast_fallback by 23babe1934d7,
 * "mm/gup: consistently name GUP-fast functions", 6.10).
 * The core walks the page tables locklessly, then hands the rest of the
 * range to a slow-path function (__gup_longterm_locked, or 5.10/6.1's
 * get_user_pages_unlocked) that faults pages in under mmap_lock. A "call"
 * is one core invocation of one thread; when the fallback is entered
 * inside it, its start address says how many pages came before it, i.e.
 * how many the lockless walk got. The core's return value is the total.
 */
#include "common.bpf.h"
#include "forkrace.bpf.h"
#include "retract.bpf.h"
#include "stacks.bpf.h"
#include "gup.h"

#define PAGE_SHIFT 12

/* FOLL_* bits of the running kernel, resolved by user space. */
const volatile struct gup_foll foll = {};
/* Before 5.9 __gup_longterm_locked took the task first: (tsk, mm, start). */
const volatile bool longterm_locked_has_task = false;

struct gup_call {
	__u64 start;		/* page aligned, as the core aligns it */
	__u64 start_ns;
	__u64 fast;		/* pages before the fallback's start */
	__u32 nr;
	__u32 flags;
	__u32 fell_back;
	__u32 first_pin;	/* the mm had not pinned before this call */
	__u32 stack;		/* the caller's key in stacks, 0 if not kept */
	__u32 wp_seq;		/* mm->write_protect_seq at entry */
	__u32 fork_pushed;	/* a fork's window sent it to the slow path */
	__u32 forker_pid;	/* that fork's process, 0 if not seen */
	char forker_comm[COMM_LEN];
	__u64 retracts;		/* the mm's page-table retractions at entry */
};

/*
 * gup.retract_race (bpf/retract.bpf.h): a call that sees its mm's count of
 * page-table retractions move met one.
 */
static __always_inline __u64 current_retracts(void)
{
	return mm_retract_count((__u64)current_mm());
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct gup_call);
} calls SEC(".maps");

PROC_ROWS_MAP(gup);

/* Kernel stacks of the callers (bpf/stacks.bpf.h); user space names them. */
STACK_MAPS(stacks, 1024);

/*
 * Calls by caller: a stack walk per call, which only the report shows.
 * serve and top read no callers: without this they walked every call's
 * stack for nothing, and once 1024 paths were kept counted every call of
 * a new one as caller_unknown.
 */
const volatile bool caller_paths = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct gup_caller_stats);
} callers SEC(".maps");

/* Cumulative since load: user space reports differences per interval. */
__u64 counters[GUP_CLASSES][GC_MAX] = {};
__u64 latency_hist[GUP_LAT_KINDS][HIST_LEN] = {};
__u64 errors[GUP_ERRNO_SLOTS] = {};
__u64 first_pins = 0;

/*
 * Calls in flight. The fallback functions also serve every slow-only
 * get/pin_user_pages() in the system; outside a call they return here.
 */
__u64 calls_open = 0;

static __always_inline void gup_begin(void *ctx, unsigned long start,
				      __u32 nr, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gup_call c = {};
	__u64 ids;

	if (!task_wanted(&ids))
		return;
	c.start = start & ~((1UL << PAGE_SHIFT) - 1);
	c.nr = nr;
	c.flags = flags;
	/* The core sets MMF_HAS_PINNED itself: read it before it does. */
	c.first_pin = (flags & foll.pin) && !current_mm_has_pinned();
	if (caller_paths)
		c.stack = stack_keep(ctx, &stacks_scratch, &stacks,
				     GUP_STACK_DEPTH * sizeof(__u64));
	if (flags & foll.pin)
		c.wp_seq = mm_wp_seq(current_mm());
	c.retracts = current_retracts();
	c.start_ns = bpf_ktime_get_ns();
	/* A call whose exit was missed: this one replaces it. */
	if (slot_put(&calls, &tid, &c, &calls_open))
		count_loss(LOSS_WINDOW_MAP_FULL);
}

static __always_inline struct gup_call *current_call(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!READ_ONCE(calls_open))
		return NULL;
	return bpf_map_lookup_elem(&calls, &tid);
}

/*
 * A FOLL_PIN walk that a fork's write-protect window ended returns no page
 * at all (bpf/forkrace.bpf.h): a fallback from the first page, with the
 * window open or opened since the call's entry, is counted as the fork's.
 */
static __always_inline void fork_race(struct gup_call *c)
{
	struct mm_struct *mm;
	struct mm_forker *f;

	if (!(c->flags & foll.pin) || c->fast)
		return;
	mm = current_mm();
	if (!wp_seq_raced(c->wp_seq, mm_wp_seq(mm)))
		return;
	c->fork_pushed = 1;
	f = mm_forker_of(mm);
	if (!f)
		return;
	c->forker_pid = f->tgid;
	__builtin_memcpy(c->forker_comm, f->comm, COMM_LEN);
}

/* The slow path takes over at @start: the pages before it were walked. */
static __always_inline void gup_fallback(unsigned long start)
{
	struct gup_call *c = current_call();
	__u64 fast;

	if (!c || c->fell_back)
		return;
	c->fell_back = 1;
	start &= ~((1UL << PAGE_SHIFT) - 1);
	fast = start > c->start ? (start - c->start) >> PAGE_SHIFT : 0;
	c->fast = fast < c->nr ? fast : c->nr;
	fork_race(c);
}

static __always_inline struct gup_proc_stats *proc_stats(__u32 tgid)
{
	return proc_row(procs, struct gup_proc_stats, tgid, ROW_BORN_EXITED);
}

/* What one finished call adds, to the totals and to a process row. */
struct gup_outcome {
	__u64 returned;
	__u64 fast;
	__u64 slow;
	__u64 ns;
	bool error;
	bool shortfall;
	bool retracted;		/* a retraction of the mm met the call */
};

static __always_inline void count_class(enum gup_class cls,
					const struct gup_call *c,
					const struct gup_outcome *o)
{
	__u64 *ctr = counters[cls];

	__sync_fetch_and_add(&ctr[GC_CALLS], 1);
	__sync_fetch_and_add(&ctr[GC_ASKED], c->nr);
	__sync_fetch_and_add(&ctr[GC_RETURNED], o->returned);
	__sync_fetch_and_add(&ctr[GC_FAST], o->fast);
	__sync_fetch_and_add(&ctr[GC_SLOW], o->slow);
	if (c->fell_back)
		__sync_fetch_and_add(&ctr[GC_FALLBACKS], 1);
	if (o->shortfall)
		__sync_fetch_and_add(&ctr[GC_SHORT], 1);
	if (o->error)
		__sync_fetch_and_add(&ctr[GC_ERRORS], 1);
	if (c->fork_pushed) {
		__sync_fetch_and_add(&ctr[GC_FORK_FALLBACKS], 1);
		__sync_fetch_and_add(&ctr[GC_FORK_PAGES], o->slow);
	}
	if (o->retracted)
		__sync_fetch_and_add(&ctr[GC_RETRACT_OVERLAPS], 1);
}

static __always_inline void count_process(const struct gup_call *c,
					  const struct gup_outcome *o)
{
	struct gup_proc_stats *st;

	st = proc_stats(current_ids() >> 32);
	if (!st)
		return;
	__sync_fetch_and_add(&st->calls, 1);
	__sync_fetch_and_add(&st->asked, c->nr);
	__sync_fetch_and_add(&st->returned, o->returned);
	__sync_fetch_and_add(&st->pages_fast, o->fast);
	__sync_fetch_and_add(&st->pages_slow, o->slow);
	__sync_fetch_and_add(&st->total_ns, o->ns);
	if (c->fell_back)
		__sync_fetch_and_add(&st->fallbacks, 1);
	if (o->error)
		__sync_fetch_and_add(&st->errors, 1);
	if (c->flags & foll.pin)
		__sync_fetch_and_add(&st->pin_calls, 1);
	if (c->fork_pushed) {
		__sync_fetch_and_add(&st->fork_fallbacks, 1);
		__sync_fetch_and_add(&st->fork_pages, o->slow);
	}
	if (o->retracted)
		__sync_fetch_and_add(&st->retract_overlaps, 1);
	if (c->forker_pid) {
		st->forker_pid = c->forker_pid;
		__builtin_memcpy(st->forker_comm, c->forker_comm, COMM_LEN);
	}
	if (c->first_pin)
		st->first_pin = 1;
	st->has_pinned = current_mm_has_pinned();
}

static __always_inline void count_caller(const struct gup_call *c,
					 const struct gup_outcome *o)
{
	struct gup_caller_stats *cs, zero = {};
	__u32 key = c->stack;

	if (!key)
		goto lost;
	cs = lookup_or_init(&callers, &key, &zero);
	if (!cs)
		goto lost;
	__sync_fetch_and_add(&cs->calls, 1);
	__sync_fetch_and_add(&cs->asked, c->nr);
	__sync_fetch_and_add(&cs->pages_fast, o->fast);
	__sync_fetch_and_add(&cs->pages_slow, o->slow);
	return;
lost:
	count_loss(LOSS_CALLER_UNKNOWN);
}

static __always_inline void count_call(const struct gup_call *c, long ret)
{
	struct gup_outcome o = {
		.ns = bpf_ktime_get_ns() - c->start_ns,
		.retracted = current_retracts() != c->retracts,
	};

	if (ret < 0) {
		__u64 e = -ret;

		o.error = true;
		__sync_fetch_and_add(&errors[e < GUP_ERRNO_SLOTS ? e : 0], 1);
	} else {
		o.returned = ret;
		o.shortfall = ret < c->nr;
	}
	/* A failing fallback still returns what the walk got. */
	o.fast = c->fell_back ? c->fast : o.returned;
	if (o.fast > o.returned)
		o.fast = o.returned;
	o.slow = o.returned - o.fast;
	count_class(GUP_ALL, c, &o);
	if (c->flags & foll.pin)
		count_class(GUP_PIN, c, &o);
	if (c->flags & foll.get)
		count_class(GUP_GET, c, &o);
	if (c->flags & foll.longterm)
		count_class(GUP_LONGTERM, c, &o);
	if (c->flags & foll.write)
		count_class(GUP_WRITE, c, &o);
	hist_record(latency_hist[c->fell_back ? GUP_LAT_FALLBACK : GUP_LAT_FAST],
		    o.ns, 1);
	if (c->first_pin)
		__sync_fetch_and_add(&first_pins, 1);
	count_process(c, &o);
	if (caller_paths)
		count_caller(c, &o);
}

static __always_inline void close_call(__u32 tid)
{
	slot_drop(&calls, &tid, &calls_open);
}

static __always_inline void gup_end(long ret)
{
	struct gup_call *c = current_call();

	if (!c)
		return;
	count_call(c, ret);
	close_call((__u32)bpf_get_current_pid_tgid());
}

/*
 * The core returns int up to 6.1 and long from 6.12; a page count or an
 * errno fits in an int either way, and the upper half of an int return is
 * not defined.
 */
ENTRY_PROGS(gup_core, gup_begin(ctx, start, (__u32)nr_pages, gup_flags),
	    unsigned long start, unsigned long nr_pages, unsigned int gup_flags);
RETURN_PROGS(gup_core, gup_end((int)ret), long ret, unsigned long start,
	     unsigned long nr_pages, unsigned int gup_flags, void *pages);

/* __gup_longterm_locked(mm, start, nr_pages, ...), 6.1 on. */
THIN_PROG("fentry", BPF_PROG, gup_longterm_fentry, gup_fallback(start),
	  void *mm, unsigned long start);

THIN_PROG("kprobe", BPF_KPROBE, gup_longterm_kprobe,
	  gup_fallback(longterm_locked_start(ctx, &longterm_locked_has_task)));

/* get_user_pages_unlocked(start, nr_pages, pages, gup_flags) */
ENTRY_PROGS(gup_unlocked, gup_fallback(start), unsigned long start);

/*
 * gup.fork_race: copy_page_range(dst_vma, src_vma) names who forks an mm,
 * so that a call its window pushed can say which process did it.
 */
ENTRY_PROGS(gup_cpr, note_forker(src_vma), void *dst_vma,
	    struct vm_area_struct *src_vma);

RETRACT_WINDOW_PROGS(gup);

THIN_PROG("kprobe", BPF_KPROBE, gup_collapse_flush_kprobe,
	  count_retraction(vma), struct vm_area_struct *vma);

/* COMMAND's descendants: followed from their first instruction. */
CHILDREN_PROGS(gup);

/*
 * A thread that exits drops a call it left open, so a recycled tid never
 * inherits one; a process that exits marks its row, which user space
 * reports one last time and then deletes.
 */
SEC("tracepoint")
int gup_task_exit(void *ctx)
{
	if (READ_ONCE(calls_open))
		close_call((__u32)bpf_get_current_pid_tgid());
	mark_proc_exited(procs, struct gup_proc_stats, current_ids());
	return 0;
}

PROC_NAME_PROGS(gup, procs, struct gup_proc_stats, st->exited = 0);

char LICENSE[] SEC("license") = "GPL";
