/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers every mmtrace BPF program shares: filtering and loss counting. */
#ifndef MMTRACE_COMMON_BPF_H
#define MMTRACE_COMMON_BPF_H

#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "filter.h"
#include "hist.h"

#define EAGAIN 11
#define EEXIST 17
#define MAX_ERRNO 4095

/* Set by the loader before load; constant for the verifier afterwards. */
const volatile struct task_filter filter = {};

/*
 * Set by the loader once every program is attached (user/session.c finds
 * it by its section). Until then nothing is counted, so no window can be
 * opened by an entry probe whose exit probe is not attached yet.
 */
__u32 mmtrace_armed SEC(".data.armed") = 0;

/* --cgroup: slot 0 holds the cgroup v2 directory; descendants match too. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Every lost update is counted; user space prints these in every report. */
__u64 losses[LOSS_MAX] = {};

static __always_inline void count_loss(enum loss_counter c)
{
	if (c < LOSS_MAX)
		__sync_fetch_and_add(&losses[c], 1);
}

/*
 * The process's name: its thread-group leader's comm, what /proc/PID/comm
 * says, whichever thread runs. Rows and --comm use it; a thread's own name
 * (pthread_setname_np) is shown only where the thread is the subject (event
 * lines, which carry its tid). Where the kernel refuses to read the leader
 * (lockdown=confidentiality), the current thread's name is all there is.
 */
static __always_inline void process_comm(char *comm)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (leader != task &&
	    bpf_core_read_str(comm, COMM_LEN, &leader->comm) > 0)
		return;
	bpf_get_current_comm(comm, COMM_LEN);
}

/* --comm matches the process's name, as rows show it. */
static __always_inline bool comm_matches(void)
{
	char comm[COMM_LEN];

	process_comm(comm);
	for (int i = 0; i < COMM_LEN; i++) {
		if (comm[i] != filter.comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Cheapest test first: the tgid is a register read, comm a copy. */
static __always_inline bool task_wanted(__u32 tgid)
{
	if (!mmtrace_armed)
		return false;
	if (filter.tgid && filter.tgid != tgid)
		return false;
	if (filter.cgroup_set &&
	    bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	if (filter.comm_set && !comm_matches())
		return false;
	return true;
}

/*
 * Verifiers before 6.x lose the bound when clang tests a copy of the index
 * and indexes with the original; the empty asm pins both to one register.
 */
static __always_inline void hist_add(__u64 *hist, __u64 value)
{
	unsigned int slot = hist_slot(value);

	asm volatile("" : "+r"(slot));
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

/* Records @raw (e.g. ns) in the slot of @raw / @div (e.g. us), and its sum. */
static __always_inline void hist_record(__u64 *hist, __u64 raw, __u64 div)
{
	hist_add(hist, raw / div);
	__sync_fetch_and_add(&hist[HIST_SUM], raw);
}

/*
 * The value of @key in @map, inserted from @init first if missing (as
 * libbpf-tools' bpf_map_lookup_or_try_init); NULL when the map is full,
 * which the caller counts as a loss: every view keeps its own counters.
 */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	/* EEXIST: another CPU inserted it first, which is fine. */
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

/*
 * The row of process @tgid in a per-process @map, created from @zero with
 * the process's name and the current cgroup (for the exporter's labels) if
 * it is new. Both are only read for a new row: most calls find theirs.
 */
static __always_inline void *proc_row(void *map, __u32 tgid, void *zero,
				      char *zero_comm, __u64 *zero_cgroup)
{
	void *row = bpf_map_lookup_elem(map, &tgid);

	if (row)
		return row;
	process_comm(zero_comm);
	*zero_cgroup = bpf_get_current_cgroup_id();
	row = lookup_or_init(map, &tgid, zero);
	if (!row)
		count_loss(LOSS_PROC_MAP_FULL);
	return row;
}

/*
 * The row of the process whose leader is exiting now, or NULL (another
 * thread exits, or the process has no row). Views mark it exited; user
 * space reports it one last time and then deletes it (user/rows.c).
 */
static __always_inline void *exiting_proc_row(void *map)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if ((__u32)id != tgid)
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

/*
 * The row of the process that has just exec'd, or NULL. From exec on its
 * row carries the new name, and so do the counts not reported yet: they
 * move with the row (README, "Process names"). The exec'ing thread is the
 * leader by now, even if another thread called execve (de_thread), so the
 * old leader's exit may have marked the row exited: the process lives on.
 */
static __always_inline void *exec_proc_row(void *map)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return bpf_map_lookup_elem(map, &tgid);
}

/*
 * The row of @task's process if @task is its leader and is being renamed
 * (task_rename: prctl(PR_SET_NAME), a write to /proc/PID/comm, exec), or
 * NULL: a thread's own name is not its process's. The task still has its
 * old name: the caller copies the new one from the tracepoint.
 */
static __always_inline void *renamed_proc_row(void *map,
					      struct task_struct *task)
{
	__u32 pid = BPF_CORE_READ(task, pid), tgid = BPF_CORE_READ(task, tgid);

	if (pid != tgid)
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

static __always_inline bool is_err_value(unsigned long v)
{
	return v >= (unsigned long)-MAX_ERRNO;
}

#endif /* MMTRACE_COMMON_BPF_H */
