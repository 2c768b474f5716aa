// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any Accept header a scraper sends is parsed without reading
 * past its end (quoted strings, escapes and parameters cut short), and
 * always picks a format this exporter can serve.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *accept = malloc(size + 1);
	enum metrics_format f;

	if (!accept)
		return 0;
	memcpy(accept, data, size);
	accept[size] = '\0';
	f = metrics_negotiate(accept);
	if (f != METRICS_PROMETHEUS && f != METRICS_OPENMETRICS)
		abort();
	free(accept);
	return 0;
}
