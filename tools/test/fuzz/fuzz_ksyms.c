// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: /proc/kallsyms text, as a hostile or truncated kernel gives it;
 * parsed for names, and with addresses for naming stack frames.
 */
#include <stdint.h>
#include <stdio.h>
#include "ksyms.h"

/* The same text kept with addresses, and frames named from it. */
static int fuzz_addrs(const uint8_t *data, size_t size)
{
	static const unsigned long long frames[] = {
		0, 1, 0xffffffff81000000ULL, 0xffffffffffffffffULL,
	};
	FILE *f = fmemopen((void *)data, size, "r");
	unsigned long long off;
	struct ksyms *ks;

	if (!f)
		return 0;
	ks = ksyms_parse_addrs(f);
	fclose(f);
	ksyms_addrs_hidden(ks);
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		ksyms_symbolize(ks, frames[i], &off);
	ksyms_free(ks);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	struct ksyms *ks;

	if (!f)
		return 0;
	ks = ksyms_parse(f);
	fclose(f);
	ksyms_has(ks, "copy_page_range");
	ksyms_has(ks, "");
	ksyms_free(ks);
	return fuzz_addrs(data, size);
}
