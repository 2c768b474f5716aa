/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel quirks, BPF side: each place where what a view reads depends on
 * the kernel's release, configuration or architecture is decided here,
 * with the change that made it. The types it reads through are in
 * kernel_types.h; the user side's quirks are in user/quirks.c. Views
 * include this after common.bpf.h.
 */
#ifndef MMTRACE_QUIRKS_BPF_H
#define MMTRACE_QUIRKS_BPF_H

/* Filled in by libbpf from the running kernel; see KERNEL_VERSION(). */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

/*
 * MMF_HAS_PINNED was bit 28 when it replaced mm->has_pinned (5.15; commit
 * not found) and became 27 when MMF_OOM_VICTIM was deleted (6.0; commit
 * not found). Kernels with the old counter never reach the bit test.
 */
static __always_inline int mmf_has_pinned_bit(void)
{
	return LINUX_KERNEL_VERSION < KERNEL_VERSION(6, 0, 0) ? 28 : 27;
}

/* Has this mm ever pinned a page (FOLL_PIN)? Sticky for the mm's life. */
static __always_inline bool mm_has_pinned(struct mm_struct *mm)
{
	if (!mm)
		return false;
	if (bpf_core_field_exists(struct mm_struct___has_pinned, has_pinned)) {
		struct mm_struct___has_pinned *old = (void *)mm;

		return BPF_CORE_READ(old, has_pinned.counter) != 0;
	}
	if (bpf_core_type_exists(mm_flags_t)) {
		struct mm_struct___flags_struct *m = (void *)mm;

		return (BPF_CORE_READ(m, flags.__mm_flags[0]) >>
			mmf_has_pinned_bit()) & 1;
	}
	struct mm_struct___flags_long *m = (void *)mm;

	return (BPF_CORE_READ(m, flags) >> mmf_has_pinned_bit()) & 1;
}

static __always_inline bool current_mm_has_pinned(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return mm_has_pinned(BPF_CORE_READ(task, mm));
}

/*
 * The mmap_lock events' arguments: (mm, memcg_path, write[, success]) up
 * to 6.x, (mm, write[, success]) once memcg_id replaced the path in the
 * record (7.x; commit not found). The test is a CO-RE constant: the
 * verifier never walks the other arm.
 */
static __always_inline bool mmap_events_without_path(void)
{
	return bpf_core_field_exists(
		struct trace_event_raw_mmap_lock___memcg_id, memcg_id);
}

/*
 * Per-VMA locks exist with CONFIG_PER_VMA_LOCK (6.4; commit not found).
 * A program that needs them relocates a field only such kernels have:
 * elsewhere the relocation fails its load, and its plan is rejected.
 */
static __always_inline bool require_per_vma_locks(void)
{
	return bpf_core_field_offset(struct vm_area_struct___per_vma_lock,
				     vm_lock_seq) != 0xffffffff;
}

#endif /* MMTRACE_QUIRKS_BPF_H */
