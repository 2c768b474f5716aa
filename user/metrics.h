/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (0.0.4) and OpenMetrics 1.0, written into a
 * growing buffer. Families are opened one at a time; HELP and TYPE are
 * written once per family, and samples follow. Numbers are integers in a
 * raw unit plus a decimal exponent, printed exactly (no float rounding),
 * so a histogram bucket bound is exactly the bound of its log2 slot.
 */
#ifndef MMTRACE_METRICS_H
#define MMTRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

enum metrics_format {
	METRICS_PROMETHEUS,	/* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS,	/* application/openmetrics-text; 1.0.0 */
};

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

struct metric_label {
	const char *name;
	const char *value;	/* any bytes: escaped, invalid UTF-8 replaced */
};

struct metrics {
	enum metrics_format format;
	char *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the scrape fails, honestly */
	enum metric_type type;
	char family[128];
};

/* What a scraper's Accept header asks for. */
enum metrics_format metrics_negotiate(const char *accept);
const char *metrics_content_type(enum metrics_format format);

void metrics_init(struct metrics *m, enum metrics_format format);
/*
 * Starts family @name (for counters: without "_total"). Families must not
 * repeat within one exposition; the caller groups samples by family.
 */
void metrics_family(struct metrics *m, const char *name,
		    enum metric_type type, const char *help);
/* A counter or gauge sample: @value * 10^-@decimals (e.g. ns, 9: seconds). */
void metrics_sample(struct metrics *m, const struct metric_label *labels,
		    size_t n_labels, unsigned long long value, int decimals);
/*
 * A log2 histogram (include/hist.h: HIST_LEN counters) as cumulative
 * buckets up to slot @max_slot, then +Inf, _count and _sum. Slot values
 * are in units of 10^-@slot_decimals; @truncated says they were divided
 * down (ns to us), so slot k's values are below hist_slot_max(k) + 1. The
 * sum is in units of 10^-@sum_decimals.
 */
void metrics_log2_hist(struct metrics *m, const struct metric_label *labels,
		       size_t n_labels, const unsigned long long *hist,
		       unsigned int max_slot, int slot_decimals,
		       bool truncated, int sum_decimals);
/* Ends the exposition (OpenMetrics: "# EOF"); returns the text or NULL. */
char *metrics_finish(struct metrics *m, size_t *len);
void metrics_free(struct metrics *m);

/* @v * 10^-@decimals as an exact decimal string; returns its length. */
int metrics_format_scaled(char *buf, size_t size, unsigned long long v,
			  int decimals);

#endif /* MMTRACE_METRICS_H */
