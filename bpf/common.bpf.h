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
#define MAX_ERRNO 4095

/* Set by the loader before load; constant for the verifier afterwards. */
const volatile struct task_filter filter = {};

/* Every lost update is counted; user space prints these in every report. */
__u64 losses[LOSS_MAX] = {};

static __always_inline void count_loss(enum loss_counter c)
{
	if (c < LOSS_MAX)
		__sync_fetch_and_add(&losses[c], 1);
}

static __always_inline bool comm_matches(void)
{
	char comm[COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
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
	if (filter.tgid && filter.tgid != tgid)
		return false;
	if (filter.cgroup_id && bpf_get_current_cgroup_id() != filter.cgroup_id)
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

static __always_inline bool is_err_value(unsigned long v)
{
	return v >= (unsigned long)-MAX_ERRNO;
}

#endif /* MMTRACE_COMMON_BPF_H */
