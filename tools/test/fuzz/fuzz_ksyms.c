// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: /proc/kallsyms text, as a hostile or truncated kernel gives it. */
#include <stdint.h>
#include <stdio.h>
#include "ksyms.h"

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
	return 0;
}
