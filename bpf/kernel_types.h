/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types mmtrace's BPF programs read, and nothing else.
 *
 * Why not a vmlinux.h dumped from the build host's BTF: the build must not
 * depend on the kernel it happens to run on (CI, containers, hosts without
 * BTF), and a 3 MB header hides which fields we depend on. Every struct here
 * carries preserve_access_index, so libbpf relocates each access against the
 * running kernel's BTF (CO-RE): offsets, sizes and the existence of fields are
 * resolved at load time, and one object serves 5.10 to 7.x. Add a field here
 * when a program needs it; keep names identical to the kernel's.
 */
#ifndef MMTRACE_KERNEL_TYPES_H
#define MMTRACE_KERNEL_TYPES_H

/* Tells bpf_tracing.h to use the kernel's pt_regs field names. */
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
typedef int pid_t;
typedef unsigned int gfp_t;

enum {
	false = 0,
	true = 1,
};

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

/* bpf_ringbuf_submit() flags and bpf_ringbuf_query() requests. */
enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), \
			     apply_to = record)

/* struct pt_regs is per architecture: bpf/quirks.bpf.h. */

typedef struct {
	int counter;
} atomic_t;

/*
 * bb6525f2f8c4 ("mm: add bitmap mm->flags field") wraps the mm flags word
 * in a struct, mm_flags_t: the 6.18 build host has it, Debian's 6.12 not.
 */
typedef struct {
	unsigned long __mm_flags[1];
} mm_flags_t;

struct mm_struct;

/* 5.9 - 5.13: a counter, set on the first FOLL_PIN of the mm. */
struct mm_struct___has_pinned {
	atomic_t has_pinned;
};

/* 5.14 on: MMF_HAS_PINNED, in a plain unsigned long (bpf/quirks.bpf.h). */
struct mm_struct___flags_long {
	unsigned long flags;
};

/* With mm_flags_t: the same bit, inside it. */
struct mm_struct___flags_struct {
	mm_flags_t flags;
};

/* Pid namespaces: a struct pid holds the task's number at each level. */
struct ns_common {
	unsigned int inum;
};

struct pid_namespace {
	struct ns_common ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

/* group_leader->comm is the process's name, what /proc/PID/comm says. */
struct task_struct {
	unsigned int flags;	/* PF_* */
	struct mm_struct *mm;
	pid_t pid;
	pid_t tgid;
	struct pid *thread_pid;
	struct task_struct *group_leader;
	char comm[16];
};

/* The context of SEC("iter/task") programs (kernel/bpf/task_iter.c). */
struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

/* Classic tracepoint records (ctx of SEC("tracepoint") programs). */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* gfp_flags is 4 bytes on 5.10 and 8 on 6.x: CO-RE fixes the load size. */
struct trace_event_raw_mm_page_alloc {
	struct trace_entry ent;
	unsigned long pfn;
	unsigned int order;
	unsigned long gfp_flags;
	int migratetype;
};

struct page;

struct trace_event_raw_task_newtask {
	struct trace_entry ent;
	pid_t pid;
	char comm[16];
	unsigned long clone_flags;
	short oom_score_adj;
};

typedef struct {
	long counter;
} atomic_long_t;

/*
 * locks: the offset of mmap_lock recognises the lock; owner says who holds
 * a rwsem for writing or a mutex (bpf/lock_owner.bpf.h).
 */
struct rw_semaphore {
	atomic_long_t count;
	atomic_long_t owner;
};

struct mutex {
	atomic_long_t owner;
};

struct mm_struct___mmap_lock {
	struct rw_semaphore mmap_lock;
};

/*
 * Exists only with CONFIG_PER_VMA_LOCK (bpf/quirks.bpf.h): int when it
 * came, unsigned int in Debian's 6.12 and later.
 */
struct vm_area_struct___per_vma_lock {
	int vm_lock_seq;
};

/*
 * locks: a fault handled under its VMA lock and the handler's answer that
 * it must be redone (bpf/quirks.bpf.h).
 */
enum fault_flag {
	FAULT_FLAG_VMA_LOCK = 0x1000,
};

enum vm_fault_reason {
	VM_FAULT_RETRY = 0x400,
};

/* memcg_id replaced the mmap_lock events' memcg_path: bpf/quirks.bpf.h. */
struct trace_event_raw_mmap_lock___memcg_id {
	u64 memcg_id;
};

/*
 * hugetlb: the address of i_mmap_rwsem is a lock identity; locks tells an
 * i_mmap_rwsem from other rwsems by its mapping's host pointing back.
 */
struct inode;

struct address_space {
	struct inode *host;
	struct rw_semaphore i_mmap_rwsem;
};

struct inode {
	struct address_space *i_mapping;
};

struct file {
	struct address_space *f_mapping;
};

struct vm_area_struct {
	struct mm_struct *vm_mm;
	struct file *vm_file;
};

/* A plain field up to 6.2, a union member after: the name works for both. */
struct vm_area_struct___flags {
	unsigned long vm_flags;
};

/*
 * Odd while fork() write-protects a COW VMA of the mm (copy_page_range):
 * from 5.11 (57efa1fe5957), and in Debian's 5.10 from 5.10.4-1.
 */
typedef struct seqcount {
	unsigned int sequence;
} seqcount_t;

struct mm_struct___wp_seq {
	seqcount_t write_protect_seq;
};

/*
 * How many mms share a PMD page table: page refcount before the dedicated
 * counter that commit 59d9094df3d7 ("mm: hugetlb: independent PMD page
 * table shared count") added, page->pt_share_count in its backport to
 * 6.1.147, ptdesc->pt_share_count from 6.12.9 on (virt_to_ptdesc is
 * virt_to_page with another type).
 */
struct page___refcount {
	atomic_t _refcount;
};

struct page___pt_share {
	atomic_t pt_share_count;
};

struct ptdesc {
	atomic_t pt_share_count;
};

#pragma clang attribute pop

#endif /* MMTRACE_KERNEL_TYPES_H */
