/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream (--events): a view includes this after common.bpf.h
 * and calls emit_event() where it sees an event. Records go through a
 * ring buffer to user/events.c; what does not fit is counted, never
 * dropped silently.
 *
 * Off unless --events: events_cfg.on stays 0 in .rodata, the verifier
 * then removes every emit_event() as dead code, and user space shrinks
 * the ring buffer to one page (the smallest the kernel takes).
 */
#ifndef MMTRACE_EVENTS_BPF_H
#define MMTRACE_EVENTS_BPF_H

#include "events.h"

const volatile struct events_config events_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);	/* sized by user space before load */
} events SEC(".maps");

/*
 * A wake-up of the reader per record lands in the traced task: the ring
 * buffer's irq_work fires as soon as the program returns, wakes the reader,
 * and the reader, printing, may preempt the task on its own CPU (tens of
 * us per event, measured). So records are committed without a wake-up
 * and the reader polls on a short timer; only a ring filling up wakes it
 * at once, so that a burst is read before it overflows.
 */
static __always_inline __u64 event_wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
	    events_cfg.wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Which thresholds @v reaches, as a bit per value. */
static __always_inline __u32 event_reasons(const __u64 *v)
{
	__u32 reasons = 0;

	for (int i = 0; i < EVENT_VALUES; i++)
		if ((events_cfg.thresholds & (1U << i)) &&
		    v[i] >= events_cfg.min[i])
			reasons |= 1U << i;
	return reasons;
}

/*
 * One record of @kind with values @v, if they reach a threshold, and,
 * if events_cfg.stacks, the kernel stack where the program runs now: @ctx must be the
 * program's own context, which bpf_get_stack() unwinds from.
 */
static __always_inline void emit_event(void *ctx, __u32 kind, const __u64 *v)
{
	struct event *e;
	__u32 reasons;
	__u64 id;
	long len;

	/* First: a helper call before it stays even where events are off. */
	if (!events_cfg.on)
		return;
	reasons = event_reasons(v);
	if (events_cfg.thresholds && !reasons)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(LOSS_EVENTS_DROPPED);
		return;
	}
	id = current_ids();
	e->kind = kind;
	e->reasons = reasons;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	for (int i = 0; i < EVENT_VALUES; i++)
		e->v[i] = v[i];
	e->cgroup_id = bpf_get_current_cgroup_id();
	/* Most of an event's cost: only where the stack is worth it. */
	len = events_cfg.stacks ?
		bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0) : 0;
	if (len < 0) {
		count_loss(LOSS_STACKS_FAILED);
		len = 0;
	}
	e->stack_depth = len / sizeof(e->stack[0]);
	e->pad = 0;
	bpf_ringbuf_submit(e, event_wakeup_flag());
}

#endif /* MMTRACE_EVENTS_BPF_H */
