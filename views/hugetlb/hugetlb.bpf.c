// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace hugetlb: hugetlb PMD sharing (huge_pmd_share), the waits on the
 * file's i_mmap_rwsem it causes, PMD unsharing, and khugepaged's page-table
 * retraction.
 *
 * huge_pmd_share() runs on the first fault of a PUD-sized range of a shared
 * hugetlb mapping. It walks the file's i_mmap tree under i_mmap_rwsem for a
 * VMA of another mm whose PMD table covers the same file range; if it finds
 * one it takes a share of it, else it allocates a table of its own. Which
 * one happened is read at exit from the share count of the returned table's
 * page. Which programs run depends on the plan hugetlb.c picked.
 *
 * hugetlb.retract_race: page faults (handle_mm_fault, entry to return)
 * that a PTE-table retraction of their mm met (bpf/retract.bpf.h).
 */
#include "common.bpf.h"
#include "lock_owner.bpf.h"
#include "retract.bpf.h"
#include "hugetlb.h"

#define LCB_F_READ 0x2

struct wait {
	__u64 start_ns;
	__u64 lock;
	__u32 waiter;		/* enum imap_waiter */
	__u32 mode;		/* enum imap_mode */
	struct lock_owner owner;	/* who held it as the wait began */
};

/* Per thread: entry time of huge_pmd_share / retract_page_tables. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} share_start SEC(".maps"), retract_start SEC(".maps"),
	share_lock SEC(".maps"), share_pud SEC(".maps");

/* Per thread: a page fault in progress, its mm and that mm's retractions. */
struct fault {
	__u64 mm;
	__u64 retracts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct fault);
} faults SEC(".maps");

/* Per thread: a wait on an i_mmap_rwsem in progress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct wait);
} waits SEC(".maps");

/*
 * i_mmap_rwsems of files whose PMDs someone tried to share: contention on
 * them outside huge_pmd_share is charged to "other holders". Old ones are
 * evicted, never refused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} imap_locks SEC(".maps");

PROC_ROWS_MAP(hugetlb);

/*
 * i_mmap_rwsem waits by holder (bpf/lock_owner.bpf.h): who held it, for
 * writing, while faulting threads queued. Keyed by holder only: every
 * traced i_mmap_rwsem is one lock to the report.
 */
LOCK_OWNER_MAP(imap_owners, 4096);

/* Cumulative since load: user space reports differences per interval. */
__u64 counters[HC_MAX] = {};
__u64 share_hist[HIST_LEN] = {};		/* ns per huge_pmd_share */
__u64 imap_waits[IMAP_WAITERS][IMAP_MODES] = {};
__u64 imap_wait_ns[IMAP_WAITERS][IMAP_MODES] = {};
__u64 imap_wait_hist[IMAP_WAITERS][HIST_LEN] = {};	/* us */
__u64 retract_hist[HIST_LEN] = {};		/* us */

static __always_inline struct hugetlb_proc_stats *proc_stats(__u32 tgid)
{
	return proc_row(procs, struct hugetlb_proc_stats, tgid, ROW_AS_MADE);
}

/* Opens a per-thread window: the filter is applied once, here. */
static __always_inline void window_open(void *map, __u64 value)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ids;

	if (!task_wanted(&ids))
		return;
	if (bpf_map_update_elem(map, &tid, &value, BPF_ANY))
		count_loss(LOSS_WINDOW_MAP_FULL);
}

/* Closes it; returns its value, 0 if this thread had none open. */
static __always_inline __u64 window_close(void *map)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(map, &tid), value;

	if (!v)
		return 0;
	value = *v;
	bpf_map_delete_elem(map, &tid);
	return value;
}

/*
 * Does the PMD table @pte points into serve more than one mm? The count
 * lives in the table's struct page (virt_to_page), under the names the
 * kernel used over time.
 */
static __always_inline bool table_is_shared(unsigned long pte,
					   unsigned long pud)
{
	unsigned long page;

	if (!pte || is_err_value(pte))
		return false;
	/* pud: the entry pointing to the table, which arm64 reads. */
	page = arch_table_page(pte, pud,
			       bpf_core_type_size(struct page___refcount));
	if (!page)
		return false;
	if (bpf_core_field_exists(struct ptdesc, pt_share_count))
		return BPF_CORE_READ((struct ptdesc *)page,
				     pt_share_count.counter) > 0;
	if (bpf_core_field_exists(struct page___pt_share, pt_share_count))
		return BPF_CORE_READ((struct page___pt_share *)page,
				     pt_share_count.counter) > 0;
	/* Before the counter, each sharer held a reference (get_page). */
	return BPF_CORE_READ((struct page___refcount *)page,
			     _refcount.counter) > 1;
}

static __always_inline void share_enter(void)
{
	window_open(&share_start, bpf_ktime_get_ns());
}

static __always_inline void share_exit(unsigned long ret, unsigned long pud)
{
	__u64 start = window_close(&share_start), delta;
	struct hugetlb_proc_stats *st;
	bool shared;

	if (!start)
		return;
	delta = bpf_ktime_get_ns() - start;
	shared = table_is_shared(ret, pud);
	__sync_fetch_and_add(&counters[HC_SHARED], shared);
	hist_record(share_hist, delta, 1);
	st = proc_stats(current_ids() >> 32);
	if (!st)
		return;
	__sync_fetch_and_add(&st->share_calls, 1);
	__sync_fetch_and_add(&st->shared, shared);
	__sync_fetch_and_add(&st->share_ns, delta);
}

/* &vma->vm_file->f_mapping->i_mmap_rwsem: the lock huge_pmd_share takes. */
static __always_inline void stash_imap_lock(struct vm_area_struct *vma)
{
	struct address_space *mapping = BPF_CORE_READ(vma, vm_file, f_mapping);
	__u64 lock;
	__u8 one = 1;

	if (!mapping)
		return;
	lock = (__u64)mapping +
	       bpf_core_field_offset(struct address_space, i_mmap_rwsem);
	window_open(&share_lock, lock);
	/* LRU: a full map evicts an old lock, it cannot refuse. */
	bpf_map_update_elem(&imap_locks, &lock, &one, BPF_ANY);
}

static __always_inline void wait_begin(__u64 lock, unsigned int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *stashed = bpf_map_lookup_elem(&share_lock, &tid);
	struct wait w = { .lock = lock };
	__u64 ids;

	if (stashed && *stashed == lock)
		w.waiter = IMAP_SHARE;
	else if (bpf_map_lookup_elem(&imap_locks, &lock) &&
		 task_wanted(&ids))
		w.waiter = IMAP_OTHER;
	else
		return;
	w.mode = flags & LCB_F_READ ? IMAP_READ : IMAP_WRITE;
	lock_owner_read(lock, flags, &w.owner);
	w.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&waits, &tid, &w, BPF_ANY))
		count_loss(LOSS_WINDOW_MAP_FULL);
}

static __always_inline void wait_end(__u64 lock)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hugetlb_proc_stats *st;
	struct wait *w = bpf_map_lookup_elem(&waits, &tid);
	__u64 delta;
	__u64 who, mode;

	if (!w || w->lock != lock)
		return;
	delta = bpf_ktime_get_ns() - w->start_ns;
	who = w->waiter;
	mode = w->mode;
	if (!lock_owner_charge(&imap_owners, 0, 0, &w->owner, delta))
		count_loss(LOSS_OWNER_MAP_FULL);
	bpf_map_delete_elem(&waits, &tid);
	/* 64-bit and pinned: the bound checked is the one indexed with. */
	asm volatile("" : "+r"(who), "+r"(mode));
	if (who >= IMAP_WAITERS || mode >= IMAP_MODES)
		return;
	__sync_fetch_and_add(&imap_waits[who][mode], 1);
	__sync_fetch_and_add(&imap_wait_ns[who][mode], delta);
	hist_record(imap_wait_hist[who], delta, 1000);
	st = proc_stats(current_ids() >> 32);
	if (!st)
		return;
	__sync_fetch_and_add(&st->imap_waits, 1);
	__sync_fetch_and_add(&st->imap_wait_ns, delta);
}

static __always_inline void count_unshare(long ret)
{
	struct hugetlb_proc_stats *st;
	__u64 ids;

	if ((ret & 0xff) != 1 || !task_wanted(&ids))
		return;
	__sync_fetch_and_add(&counters[HC_UNSHARES], 1);
	st = proc_stats(ids >> 32);
	if (st)
		__sync_fetch_and_add(&st->unshares, 1);
}

static __always_inline void retract_exit(void)
{
	__u64 start = window_close(&retract_start), delta;
	struct hugetlb_proc_stats *st;

	if (!start)
		return;
	delta = bpf_ktime_get_ns() - start;
	hist_record(retract_hist, delta, 1000);
	st = proc_stats(current_ids() >> 32);
	if (!st)
		return;
	__sync_fetch_and_add(&st->retracts, 1);
	__sync_fetch_and_add(&st->retract_ns, delta);
}

/* A PTE table retracted: the retractor's row, if it is traced. */
static __always_inline void table_retracted(struct vm_area_struct *vma)
{
	struct hugetlb_proc_stats *st;
	__u64 ids;

	if (!count_retraction(vma) || !task_wanted(&ids))
		return;
	__sync_fetch_and_add(&counters[HC_RETRACTED_TABLES], 1);
	st = proc_stats(ids >> 32);
	if (st)
		__sync_fetch_and_add(&st->retracted_tables, 1);
}

/*
 * handle_mm_fault(vma, address, flags, regs): the fault's mm is the VMA's
 * (a remote GUP faults another mm), its row the faulting thread's.
 */
static __always_inline void fault_begin(struct vm_area_struct *vma)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fault f;
	__u64 ids;

	if (!task_wanted(&ids))
		return;
	f.mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	f.retracts = mm_retract_count(f.mm);
	/* A fault whose return was missed: this one replaces it. */
	if (bpf_map_update_elem(&faults, &tid, &f, BPF_ANY))
		count_loss(LOSS_WINDOW_MAP_FULL);
}

static __always_inline void fault_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hugetlb_proc_stats *st;
	struct fault *f = bpf_map_lookup_elem(&faults, &tid);
	bool met;

	if (!f)
		return;
	met = mm_retract_count(f->mm) != f->retracts;
	bpf_map_delete_elem(&faults, &tid);
	if (!met)
		return;
	__sync_fetch_and_add(&counters[HC_FAULT_RETRACT_OVERLAPS], 1);
	st = proc_stats(current_ids() >> 32);
	if (st)
		__sync_fetch_and_add(&st->fault_retract_overlaps, 1);
}

/*
 * fexit types the returned pte_t * as a kernel pointer, on which the
 * verifier forbids the arithmetic of virt_to_page: read it as a number.
 */
static __always_inline unsigned long ctx_number(unsigned long long *ctx,
						int i)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ctx[i]);
	return v;
}

/*
 * huge_pmd_share(mm, vma, addr, pud) since aec44e0f0213 ("hugetlb: pass vma
 * into huge_pte_alloc() and huge_pmd_share()", 5.12); (mm, addr, pud) before.
 */
THIN_PROG("fentry", BPF_PROG, share_fentry, share_enter());
THIN_PROG("fexit", BPF_PROG, share_fexit4,
	  share_exit(ctx_number(ctx, 4), ctx_number(ctx, 3)));
THIN_PROG("fexit", BPF_PROG, share_fexit3,
	  share_exit(ctx_number(ctx, 3), ctx_number(ctx, 2)));

/* As imap_stash_kprobe, the second argument tells the two signatures. */
SEC("kprobe")
int BPF_KPROBE(share_kprobe, void *mm, unsigned long arg2, unsigned long arg3,
	       unsigned long arg4)
{
	share_enter();
	if (ARCH_TABLE_PAGE_NEEDS_ENTRY)
		window_open(&share_pud,
			    arch_kernel_address(arg2) ? arg4 : arg3);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(share_kretprobe, unsigned long ret)
{
	unsigned long pud = 0;

	if (ARCH_TABLE_PAGE_NEEDS_ENTRY)
		pud = window_close(&share_pud);
	share_exit(ret, pud);
	return 0;
}

THIN_PROG("fentry", BPF_PROG, imap_stash_fentry, stash_imap_lock(vma), void *mm,
	  struct vm_area_struct *vma);
EXIT_PROGS(imap_stash, window_close(&share_lock));

/*
 * The second argument is the vma from 5.12 on and a user address before:
 * only a kernel pointer is a vma.
 */
SEC("kprobe")
int BPF_KPROBE(imap_stash_kprobe, void *mm, unsigned long arg2)
{
	if (arch_kernel_address(arg2))
		stash_imap_lock((struct vm_area_struct *)arg2);
	return 0;
}

THIN_PROG("tp_btf", BPF_PROG, imap_contention_begin,
	  wait_begin((__u64)lock, flags), void *lock, unsigned int flags);
THIN_PROG("tp_btf", BPF_PROG, imap_contention_end, wait_end((__u64)lock),
	  void *lock, int ret);

/* A clone (.isra.0, ...): only the return value is trustworthy. */
THIN_PROG("kretprobe", BPF_KRETPROBE, unshare_kretprobe, count_unshare(ret),
	  long ret);

ENTRY_PROGS(retract, window_open(&retract_start, bpf_ktime_get_ns()));
EXIT_PROGS(retract, retract_exit());

/* hugetlb.retract_race: kprobes only, as gup.retract_race. */
RETRACT_WINDOW_PROGS(race);

THIN_PROG("kprobe", BPF_KPROBE, race_collapse_flush_kprobe,
	  table_retracted(vma), struct vm_area_struct *vma);
THIN_PROG("kprobe", BPF_KPROBE, race_fault_kprobe, fault_begin(vma),
	  struct vm_area_struct *vma);
THIN_PROG("kretprobe", BPF_KRETPROBE, race_fault_kretprobe, fault_end());

/* COMMAND's descendants: followed from their first instruction. */
CHILDREN_PROGS(hugetlb);

/* No exited flag to clear: user space asks whether a pid is gone. */
PROC_NAME_PROGS(hugetlb, procs, struct hugetlb_proc_stats, (void)0);

char LICENSE[] SEC("license") = "GPL";
