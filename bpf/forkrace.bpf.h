/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where GUP-fast meets fork: mm->write_protect_seq.
 *
 * "mm/gup: prevent gup_fast from racing with COW during fork" (57efa1fe5957,
 * 5.11; Debian's 5.10 carries it from 5.10.4-1) makes copy_page_range() hold
 * the mm's write_protect_seq odd while it write-protects one COW VMA of the
 * parent. A FOLL_PIN GUP-fast walk that reads it odd gives up at once; one
 * that sees it change by its end unpins what it got. Either way it returns
 * 0 and the slow path does the whole call under mmap_lock, which waits for
 * the fork to finish.
 *
 * gup_fast() is inlined everywhere: its own two reads cannot be seen. The
 * views read the counter at the core's entry and again where the fallback
 * starts (or at the core's return), which bracket gup_fast()'s reads: a
 * window gup_fast() saw is always seen here. The other way is inferred: a
 * window that opens or closes in the few instructions between a bracket
 * and gup_fast()'s own read is seen here but not by gup_fast(), so a call
 * that fell back with no page for an ordinary reason (a page not present,
 * not writable) is then counted as pushed by the fork. See README.
 *
 * mm_wp_seq() is in quirks.bpf.h. Views include this after quirks.bpf.h.
 */
#ifndef MMTRACE_FORKRACE_BPF_H
#define MMTRACE_FORKRACE_BPF_H

#define VM_SHARED 0x00000008UL
#define VM_MAYWRITE 0x00000020UL
#define VM_HUGETLB 0x00400000UL

/* Who forks an mm: the thread whose copy_page_range last opened a window. */
struct mm_forker {
	__u32 tgid;		/* as mmtrace sees it */
	__u32 tid;
	char comm[COMM_LEN];
	__u64 during;		/* GUP-fast calls that overlapped a window */
	__u64 pushed;		/* of them, FOLL_PIN calls sent to the slow path */
};

/* Keyed by mm address; LRU: an mm that is gone ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct mm_forker);
} mm_forkers SEC(".maps");

static __always_inline struct mm_struct *current_mm(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm);
}

/* A window was open at @before, or opened or closed by @after. */
static __always_inline bool wp_seq_raced(__u32 before, __u32 after)
{
	return (before & 1) || before != after;
}

/*
 * copy_page_range() opens a window only for COW mappings (private and
 * may-write), and not for hugetlb, which it hands on before the window.
 */
static __always_inline bool opens_wp_window(struct vm_area_struct *vma)
{
	struct vm_area_struct___flags *v = (void *)vma;
	unsigned long flags = BPF_CORE_READ(v, vm_flags);

	if (flags & VM_HUGETLB)
		return false;
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/*
 * copy_page_range(dst_vma, src_vma) from 7a4830c380f3 ("mm/fork: Pass new
 * vma pointer into copy_page_range()", 5.9): the current thread is about
 * to write-protect @src_vma of its own mm. Returns the mm's row, or NULL
 * when this VMA opens no window.
 */
static __always_inline struct mm_forker *
note_forker(struct vm_area_struct *src_vma)
{
	struct mm_forker zero = {}, *f;
	__u64 ids = current_ids(), mm;

	if (!src_vma || !opens_wp_window(src_vma))
		return NULL;
	mm = (__u64)BPF_CORE_READ(src_vma, vm_mm);
	f = bpf_map_lookup_elem(&mm_forkers, &mm);
	if (!f) {
		bpf_map_update_elem(&mm_forkers, &mm, &zero, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&mm_forkers, &mm);
		if (!f)
			return NULL;
	}
	if (f->tid != (__u32)ids) {
		f->tgid = ids >> 32;
		f->tid = (__u32)ids;
		process_comm(f->comm);
	}
	return f;
}

static __always_inline struct mm_forker *mm_forker_of(struct mm_struct *mm)
{
	__u64 key = (__u64)mm;

	return bpf_map_lookup_elem(&mm_forkers, &key);
}

#endif /* MMTRACE_FORKRACE_BPF_H */
