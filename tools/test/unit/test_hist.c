// SPDX-License-Identifier: GPL-2.0
/* The log2 slots BPF fills must match the bounds user space prints. */
#include "check.h"
#include "hist.h"

int main(void)
{
	CHECK(hist_slot(0) == 0, "0 has its own slot");
	CHECK(hist_slot(1) == 1, "got %u", hist_slot(1));
	CHECK(hist_slot(2) == 2 && hist_slot(3) == 2, "2..3 share slot 2");
	CHECK(hist_slot(1ULL << 31) == 32, "got %u", hist_slot(1ULL << 31));
	CHECK(hist_slot(1ULL << 32) == 33, "got %u", hist_slot(1ULL << 32));
	CHECK(hist_slot(~0ULL) == HIST_SLOTS - 1, "huge values saturate");
	/* Every value lands in the slot whose bounds contain it. */
	for (unsigned long long v = 0; v < (1ULL << 20); v += 1 + v / 7) {
		unsigned int s = hist_slot(v);

		CHECK(hist_slot_min(s) <= v && v <= hist_slot_max(s),
		      "%llu in slot %u [%llu, %llu]", v, s, hist_slot_min(s),
		      hist_slot_max(s));
	}
	for (unsigned int s = 1; s < HIST_SLOTS - 1; s++)
		CHECK(hist_slot_max(s) + 1 == hist_slot_min(s + 1),
		      "slot %u and %u are contiguous", s, s + 1);
	CHECK_DONE();
}
