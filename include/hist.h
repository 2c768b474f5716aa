/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 histogram slots, shared by the BPF programs (which fill them) and
 * user space (which prints and exports them), so both agree on the bounds.
 *
 * Slot 0 holds the value 0; slot k >= 1 holds [2^(k-1), 2^k - 1]. Exporters
 * rely on that: the upper bound of slot k is hist_slot_max(k).
 */
#ifndef MMTRACE_HIST_H
#define MMTRACE_HIST_H

#define HIST_SLOTS 40

/*
 * A histogram is HIST_LEN counters: the slots, then the sum of the values
 * recorded, in their raw unit (nanoseconds, pages) before any scaling to
 * the slot unit, so that an exporter's _sum is exact, not estimated.
 */
#define HIST_SUM HIST_SLOTS
#define HIST_LEN (HIST_SLOTS + 1)

/* floor(log2(v)) for v > 0, branch-free: no loop for the verifier to walk. */
static inline unsigned int hist_log2_u32(unsigned int v)
{
	unsigned int r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static inline unsigned int hist_slot(unsigned long long v)
{
	unsigned int hi = v >> 32, slot;

	if (!v)
		return 0;
	slot = hi ? hist_log2_u32(hi) + 33 : hist_log2_u32(v) + 1;
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

static inline unsigned long long hist_slot_min(unsigned int slot)
{
	return slot ? 1ULL << (slot - 1) : 0;
}

static inline unsigned long long hist_slot_max(unsigned int slot)
{
	return slot ? (1ULL << slot) - 1 : 0;
}

/*
 * How many values histogram @h holds: the sum of its slots. A count the
 * histogram already has is read from it, never kept beside it by a BPF
 * program: that would be one more atomic on every event.
 */
static inline unsigned long long hist_count(const unsigned long long *h)
{
	unsigned long long n = 0;

	for (unsigned int i = 0; i < HIST_SLOTS; i++)
		n += h[i];
	return n;
}

#endif /* MMTRACE_HIST_H */
