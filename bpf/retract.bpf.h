/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where lockless walkers meet page-table retraction.
 *
 * From 1d65b771bc08 ("mm/khugepaged: retract_page_tables() without mmap
 * or vma lock", 6.5) khugepaged (and MADV_COLLAPSE) retracts the PTE
 * tables of a collapsed file range from every mm mapping it with
 * i_mmap_rwsem held for read only (retract_page_tables), one
 * pmdp_collapse_flush per table: a GUP-fast walk or a page fault on that
 * mm may be in the middle of the table. Retractions are counted per mm where they happen; a window (a
 * GUP-fast call, a page fault) that sees its mm's count move between its
 * two ends met one. That is inferred from overlapping windows: whether the
 * walker was at that very table is not known.
 *
 * pmdp_collapse_flush also serves collapses that hold mmap_lock for
 * writing (anonymous THPs, collapse_pte_mapped_thp): only those inside
 * retract_page_tables count. Views include this after common.bpf.h.
 */
#ifndef MMTRACE_RETRACT_BPF_H
#define MMTRACE_RETRACT_BPF_H

/* PTE tables retracted, by mm address; LRU: an mm that is gone ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} mm_retracts SEC(".maps");

/* Threads inside retract_page_tables, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} retracting SEC(".maps");

/* Until the first retraction, windows need no lookup. */
__u64 retracts_seen = 0;

static __always_inline __u64 mm_retract_count(__u64 mm)
{
	__u64 *n;

	if (!retracts_seen)
		return 0;
	n = bpf_map_lookup_elem(&mm_retracts, &mm);
	return n ? *n : 0;
}

static __always_inline void retract_window(bool open)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), one = 1;

	if (open)
		bpf_map_update_elem(&retracting, &tid, &one, BPF_ANY);
	else
		bpf_map_delete_elem(&retracting, &tid);
}

/*
 * pmdp_collapse_flush(vma, addr, pmdp): counts a retraction of the VMA's
 * mm if retract_page_tables called it. True if it did.
 */
static __always_inline bool count_retraction(struct vm_area_struct *vma)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 mm, zero = 0, *n;

	if (!bpf_map_lookup_elem(&retracting, &tid))
		return false;
	/*
	 * Before the count moves: a window that read retracts_seen still 0
	 * would take its entry count as 0 and see this retraction at its
	 * end without having met it (under TCG a vCPU can stop between any
	 * two instructions; CI saw one such GUP-fast call).
	 */
	retracts_seen = 1;
	mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	n = lookup_or_init(&mm_retracts, &mm, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return true;
}

/*
 * retract_page_tables' entry and return, <prefix>_retract_kprobe and
 * _kretprobe: the window in which the thread's pmdp_collapse_flush calls
 * are retractions. Kprobes only: the view's plans say why.
 */
#define RETRACT_WINDOW_PROGS(prefix)                                         \
	SEC("kprobe")                                                        \
	int BPF_KPROBE(prefix##_retract_kprobe)                              \
	{                                                                    \
		retract_window(true);                                        \
		return 0;                                                    \
	}                                                                    \
									     \
	SEC("kretprobe")                                                     \
	int BPF_KRETPROBE(prefix##_retract_kretprobe)                        \
	{                                                                    \
		retract_window(false);                                       \
		return 0;                                                    \
	}

#endif /* MMTRACE_RETRACT_BPF_H */
