/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel quirks, BPF side: each place where what a view reads depends on
 * the kernel's release, configuration or architecture is decided here,
 * with the change that made it. The types it reads through are in
 * kernel_types.h; the user side's quirks are in user/quirks.c (and its
 * architecture facts in user/arch.h). common.bpf.h includes this, so
 * every view has it.
 */
#ifndef MMTRACE_QUIRKS_BPF_H
#define MMTRACE_QUIRKS_BPF_H

/* Filled in by libbpf from the running kernel; see KERNEL_VERSION(). */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

/*
 * One more in this CPU's copy of the counter that is @map's one value,
 * summed by user space (view_sum_cpus()): the line stays in this CPU's
 * cache. Atomic still: a tp_btf program could run inside itself on one
 * CPU, from an interrupt (contention_begin does, on spinlocks), until
 * 05b24ff9b2cf ("bpf: Prevent bpf program recursion for raw tracepoint
 * probes", 6.1, and later into stable kernels), and a plain add would
 * lose the inner run's count. Kernels with it skip the inner run.
 */
static __always_inline void count_on_cpu(void *map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(map, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * MMF_HAS_PINNED was bit 28 when it replaced mm->has_pinned: a458b76a4171
 * ("mm: gup: pack has_pinned in MMF_HAS_PINNED", 5.14). It became 27 when
 * b3541d912a84 ("mm: delete unused MMF_OOM_VICTIM flag", 6.1, not 6.0)
 * freed a lower bit. Kernels with the old counter never reach the bit test.
 */
static __always_inline int mmf_has_pinned_bit(void)
{
	return LINUX_KERNEL_VERSION < KERNEL_VERSION(6, 1, 0) ? 28 : 27;
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
 * to 6.13, (mm, write[, success]) once memcg_id replaced the path in the
 * record: 9023691d75f2 ("mm: mmap_lock: optimize mmap_lock tracepoints",
 * 6.14). The test is a CO-RE constant: the verifier never walks the other
 * arm.
 */
static __always_inline bool mmap_events_without_path(void)
{
	return bpf_core_field_exists(
		struct trace_event_raw_mmap_lock___memcg_id, memcg_id);
}

/*
 * Per-VMA locks exist with CONFIG_PER_VMA_LOCK (6.4): vm_lock_seq came
 * with 5e31275cc997 ("mm: add per-VMA lock and helper functions to
 * control it"), the commit later fixes name.
 * A program that needs them relocates a field only such kernels have:
 * elsewhere the relocation fails its load, and its plan is rejected.
 */
static __always_inline bool require_per_vma_locks(void)
{
	return bpf_core_field_offset(struct vm_area_struct___per_vma_lock,
				     vm_lock_seq) != 0xffffffff;
}

/*
 * mm->write_protect_seq, odd while fork() write-protects a COW VMA of the
 * mm (copy_page_range): "mm/gup: prevent gup_fast from racing with COW
 * during fork", 57efa1fe5957 (5.11), in Debian's 5.10 from 5.10.4-1. 0
 * where the kernel has none: nothing is ever seen racing.
 */
static __always_inline __u32 mm_wp_seq(struct mm_struct *mm)
{
	struct mm_struct___wp_seq *m = (void *)mm;

	if (!mm || !bpf_core_field_exists(m->write_protect_seq))
		return 0;
	return BPF_CORE_READ(m, write_protect_seq.sequence);
}

/*
 * handle_mm_fault() called under a VMA lock: FAULT_FLAG_VMA_LOCK, from
 * 55324e46eb8b ("mm: add FAULT_FLAG_VMA_LOCK flag", 6.4). Read from the
 * running kernel's enum fault_flag; programs that test it are loaded only
 * where lock_vma_under_rcu exists.
 */
static __always_inline bool fault_under_vma_lock(unsigned int flags)
{
	return flags & bpf_core_enum_value(enum fault_flag,
					   FAULT_FLAG_VMA_LOCK);
}

/*
 * The fault handler dropped its lock and asks for the fault to be redone.
 * Under a VMA lock: userfaultfd since 29a22b9e08d7 ("mm: handle userfaults
 * under VMA lock", 6.6), a swap-in that waits for I/O since 1235ccd05b6d
 * ("mm: handle swap page faults under per-VMA lock", 6.6), and a file read
 * fault that waits for the page cache since 12214eba1992 ("mm: handle read
 * faults under the VMA lock", 6.7). Before each, the VMA-lock path
 * returned VM_FAULT_RETRY at once, unhandled (swap and userfaultfd from
 * 6.4: 17c05f18e541, 444eeb17437a), and the fault was served under
 * mmap_lock.
 */
static __always_inline bool fault_retry(unsigned int ret)
{
	return ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY);
}

/* ==== architectures ======================================================
 *
 * The build compiles one object per architecture, -D__TARGET_ARCH_$(ARCH)
 * (x86, arm64), as libbpf-tools does. Everything that differs between them
 * is in this section, and nothing else in bpf/ or views/ tests the
 * architecture. The user side's architecture facts are in user/arch.h.
 */
#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)
#error "mmtrace: build with -D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64"
#endif

#pragma clang attribute push(__attribute__((preserve_access_index)), \
			     apply_to = record)

#if defined(__TARGET_ARCH_x86)
/*
 * x86-64's register layout (arch/x86/include/asm/ptrace.h): bpf_tracing.h's
 * PT_REGS_PARM*() read di, si, dx, cx, r8 from it.
 */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};
#elif defined(__TARGET_ARCH_arm64)
/*
 * arm64 (arch/arm64/include/uapi/asm/ptrace.h): bpf_tracing.h's
 * PT_REGS_PARM*() cast the kprobe context to struct user_pt_regs and read
 * regs[0..7], the AAPCS64 argument registers. The kernel's struct pt_regs
 * starts with the same fields inside an anonymous union, where CO-RE finds
 * pstate by name.
 */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

struct pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

/* SPARSEMEM's sections: see arch_table_page() below. */
struct mem_section {
	unsigned long section_mem_map;
};
#endif

#pragma clang attribute pop

/*
 * Did the fault (or exception) whose registers these are come from user
 * mode? x86-64: the privilege level of the code segment, cs & 3, is 3
 * (user_mode() in arch/x86/include/asm/ptrace.h). arm64: the exception
 * level in pstate's mode bits, pstate & PSR_MODE_MASK (0xf), is EL0t (0)
 * (user_mode() in arch/arm64/include/asm/ptrace.h; AArch32 user mode is
 * 0x10, whose low bits are 0 too).
 */
static __always_inline bool arch_user_mode(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (BPF_CORE_READ(regs, cs) & 3) == 3;
#else
	return (BPF_CORE_READ(regs, pstate) & 0xf) == 0;
#endif
}

/*
 * Is this exception a user page fault, as x86's exceptions:page_fault_user
 * tracepoint would report it? Only for arm64's do_mem_abort(far, esr,
 * regs), which every data and instruction abort enters (arm64 has no
 * page-fault tracepoint, and do_page_fault() is in .kprobes.text, which
 * ftrace does not patch): one taken in EL0 whose fault status code
 * (ESR_ELx_FSC, esr & 0x3f) is a translation, access flag or permission
 * fault at any level, 0x04-0x0f, or a level -1 translation fault with
 * LPA2's 5-level tables, 0x2b (ESR_ELx_FSC_FAULT_L(-1)); those go to
 * do_page_fault() via
 * fault_info[] (arch/arm64/mm/fault.c). x86 never calls this.
 */
static __always_inline bool arch_user_page_fault(unsigned long esr,
						 struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	unsigned long fsc = esr & 0x3f;

	return arch_user_mode(regs) &&
	       ((fsc >= 0x04 && fsc <= 0x0f) || fsc == 0x2b);
#else
	return false;
#endif
}

/*
 * Is @addr a kernel address rather than a user one? Both architectures
 * give the kernel the half of the address space with the top bit set
 * (x86-64's canonical upper half, with 4 or 5 paging levels; arm64's TTBR1
 * range) and user space never has it.
 */
static __always_inline bool arch_kernel_address(unsigned long addr)
{
	return addr >> 63;
}

#define ARCH_PAGE_SHIFT 12
#define ARCH_PAGE_MASK (~((1UL << ARCH_PAGE_SHIFT) - 1))

static __always_inline unsigned long arch_read_ulong(const void *p)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

#if defined(__TARGET_ARCH_x86)
/*
 * virt_to_page() on x86-64 (arch/x86/include/asm/page_64.h, SPARSEMEM
 * vmemmap): with CONFIG_RANDOMIZE_MEMORY both bases move at boot and are
 * the variables vmemmap_base and page_offset_base; without it they are the
 * 4-level constants. page_offset_base came with 0483e1fa6e09 ("x86/mm:
 * Implement ASLR for kernel memory regions", 4.8), vmemmap_base with
 * 25dfe4785332 ("x86/mm/64: Enable KASLR for vmemmap memory region", 4.9).
 */
extern const void vmemmap_base __ksym __weak;
extern const void page_offset_base __ksym __weak;
#define X86_VMEMMAP_START 0xffffea0000000000UL
#define X86_PAGE_OFFSET 0xffff888000000000UL

/* Does arch_table_page() need the table's upper-level entry? */
#define ARCH_TABLE_PAGE_NEEDS_ENTRY 0

/*
 * The struct page of the page-table page holding the entry at @pte, a
 * linear-map address; @upper (the entry that points to that table) is
 * not needed here. 0 if it cannot be told.
 */
static __always_inline unsigned long arch_table_page(unsigned long pte,
						     unsigned long upper,
						     unsigned long page_size)
{
	unsigned long vmemmap, offset;

	vmemmap = &vmemmap_base ? arch_read_ulong(&vmemmap_base) :
				  X86_VMEMMAP_START;
	offset = &page_offset_base ? arch_read_ulong(&page_offset_base) :
				     X86_PAGE_OFFSET;
	return vmemmap + (((pte & ARCH_PAGE_MASK) - offset) >>
			  ARCH_PAGE_SHIFT) * page_size;
}
#else
/*
 * arm64's virt_to_page() is VMEMMAP_START + (x - PAGE_OFFSET) / PAGE_SIZE
 * (arch/arm64/include/asm/memory.h), but both are compile-time constants
 * that depend on CONFIG_ARM64_VA_BITS (48 on Debian's 6.1, 52 with LPA2 on
 * its 6.12) and on the layout of the release: the linear map moved to the
 * bottom of the kernel half in 5.4 (commit 14c127c957c1, "arm64: mm: Flip
 * kernel VA space"), and the LPA2 series moved vmemmap again ("arm64: mm:
 * Reclaim unused vmemmap region for vmalloc use", Ard Biesheuvel, 2023).
 * Neither is a variable BPF could read, so the page is found
 * without them, from what the running kernel keeps in memory:
 *
 * - the table's physical address is in the upper-level entry pointing to
 *   it (for a PMD table, the PUD entry): a VMSAv8-64 table descriptor
 *   holds it in bits [47:12], or [49:12] with FEAT_LPA2 (bits [51:50] of
 *   an LPA2 address sit in [9:8]: memory above 1 PiB is not read right);
 * - pfn_to_page() is vmemmap + pfn, and SPARSEMEM stores exactly that base
 *   in every present section, encoded as mem_map - section's first pfn
 *   (sparse_encode_mem_map(), mm/sparse.c) with flags in the low bits. The
 *   section looked up is the table's own, present since the table is in
 *   it, with arm64's SECTION_SIZE_BITS of 27 (4K pages, since 5.12: commit
 *   f0b13ee23241, "arm64/sparsemem: reduce SECTION_SIZE_BITS"), through
 *   mem_section's root array (CONFIG_SPARSEMEM_EXTREME, which arm64's
 *   Debian kernels have; SECTIONS_PER_ROOT is PAGE_SIZE / its size).
 */
extern const void mem_section __ksym __weak;
#define ARM64_SECTION_SIZE_BITS 27
#define ARM64_SECTION_HAS_MEM_MAP 0x2UL
#define ARM64_TABLE_ADDR_MASK 0x0003fffffffff000UL

#define ARCH_TABLE_PAGE_NEEDS_ENTRY 1

/* pfn_to_page()'s base, read from the section holding @phys. */
static __always_inline unsigned long arm64_vmemmap(unsigned long phys)
{
	unsigned long roots, root, map, nr, per_root, size;

	if (!&mem_section)
		return 0;
	size = bpf_core_type_size(struct mem_section);
	if (!size)
		return 0;
	per_root = (1UL << ARCH_PAGE_SHIFT) / size;
	nr = phys >> ARM64_SECTION_SIZE_BITS;
	roots = arch_read_ulong(&mem_section);
	if (!roots)
		return 0;
	root = arch_read_ulong((void *)(roots + nr / per_root * 8));
	if (!root)
		return 0;
	map = arch_read_ulong((void *)(root + nr % per_root * size));
	if (!(map & ARM64_SECTION_HAS_MEM_MAP))
		return 0;
	/* The base is page aligned; the flags are the low bits. */
	return map & ARCH_PAGE_MASK;
}

/*
 * The struct page of the page-table page that the entry at @upper points
 * to (@pte, an address inside that table, is not needed here). 0 if it
 * cannot be told.
 */
static __always_inline unsigned long arch_table_page(unsigned long pte,
						     unsigned long upper,
						     unsigned long page_size)
{
	unsigned long vmemmap, phys;

	if (!upper)
		return 0;
	phys = arch_read_ulong((void *)upper) & ARM64_TABLE_ADDR_MASK;
	vmemmap = phys ? arm64_vmemmap(phys) : 0;
	if (!vmemmap)
		return 0;
	return vmemmap + (phys >> ARCH_PAGE_SHIFT) * page_size;
}
#endif

/* ==== end of architectures =============================================== */

/*
 * __gup_longterm_locked()'s start, from a kprobe: it took the task first,
 * (tsk, mm, start, ...), until 64019a2e467a ("mm/gup: remove task_struct
 * pointer for all gup code", 5.9); user/quirks.c sets *@has_task from the
 * arity in BTF. fentry refuses the 7 arguments, so only kprobes ask.
 */
static __always_inline unsigned long
longterm_locked_start(struct pt_regs *ctx, const volatile bool *has_task)
{
	unsigned long arg2 = PT_REGS_PARM2(ctx), arg3 = PT_REGS_PARM3(ctx);

	/*
	 * Both loads before the choice: clang would otherwise pick the ctx
	 * offset first, and the verifier refuses a ctx pointer that moved.
	 */
	asm volatile("" : "+r"(arg2), "+r"(arg3));
	return *has_task ? arg3 : arg2;
}

#endif /* MMTRACE_QUIRKS_BPF_H */
