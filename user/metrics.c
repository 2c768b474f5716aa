// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "metrics.h"
#include "output.h"

/* Longer label values (deep cgroup paths) are cut, still valid UTF-8. */
#define LABEL_VALUE_MAX 1024

enum metrics_format metrics_negotiate(const char *accept)
{
	/* Prometheus asks for both, OpenMetrics first, when it supports it. */
	if (accept && strstr(accept, "application/openmetrics-text"))
		return METRICS_OPENMETRICS;
	return METRICS_PROMETHEUS;
}

const char *metrics_content_type(enum metrics_format format)
{
	if (format == METRICS_OPENMETRICS)
		return "application/openmetrics-text; version=1.0.0; charset=utf-8";
	return "text/plain; version=0.0.4; charset=utf-8";
}

void metrics_init(struct metrics *m, enum metrics_format format)
{
	memset(m, 0, sizeof(*m));
	m->format = format;
}

static void append(struct metrics *m, const char *s, size_t n)
{
	size_t cap;
	char *buf;

	if (m->failed)
		return;
	if (m->len + n + 1 > m->cap) {
		cap = m->cap ? m->cap : 4096;
		while (cap < m->len + n + 1)
			cap *= 2;
		buf = realloc(m->buf, cap);
		if (!buf) {
			m->failed = true;
			return;
		}
		m->buf = buf;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void puts_(struct metrics *m, const char *s)
{
	append(m, s, strlen(s));
}

static void printf_(struct metrics *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void printf_(struct metrics *m, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line)) {
		m->failed = true;
		return;
	}
	append(m, line, n);
}

int metrics_format_scaled(char *buf, size_t size, unsigned long long v,
			  int decimals)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v), whole, end;

	if (decimals <= 0)
		return snprintf(buf, size, "%s", digits);
	whole = n > decimals ? n - decimals : 0;
	/* Drop trailing zeros of the fraction: 0.000002, not 0.000002000. */
	for (end = n; end > whole && digits[end - 1] == '0'; end--)
		;
	if (end == whole)
		return snprintf(buf, size, "%.*s", whole ? whole : 1,
				whole ? digits : "0");
	return snprintf(buf, size, "%.*s.%.*s%.*s", whole ? whole : 1,
			whole ? digits : "0",
			whole ? 0 : decimals - n, "000000000000000000000000000000",
			end - whole, digits + whole);
}

/* HELP text: OpenMetrics also escapes double quotes. */
static void put_help(struct metrics *m, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			puts_(m, "\\\\");
		else if (*p == '\n')
			puts_(m, "\\n");
		else if (*p == '"' && m->format == METRICS_OPENMETRICS)
			puts_(m, "\\\"");
		else
			append(m, p, 1);
	}
}

void metrics_family(struct metrics *m, const char *name,
		    enum metric_type type, const char *help)
{
	static const char *const types[] = {
		[METRIC_COUNTER] = "counter",
		[METRIC_GAUGE] = "gauge",
		[METRIC_HISTOGRAM] = "histogram",
	};
	/* The text format names a counter family by its sample name. */
	const char *suffix = type == METRIC_COUNTER &&
			     m->format == METRICS_PROMETHEUS ? "_total" : "";

	snprintf(m->family, sizeof(m->family), "%s", name);
	m->type = type;
	printf_(m, "# HELP %s%s ", name, suffix);
	put_help(m, help);
	printf_(m, "\n# TYPE %s%s %s\n", name, suffix, types[type]);
}

static void put_label_value(struct metrics *m, const char *value)
{
	char clean[LABEL_VALUE_MAX * 3 + 1];

	utf8_sanitize(value, strnlen(value, LABEL_VALUE_MAX), clean,
		      sizeof(clean));
	for (const char *p = clean; *p; p++) {
		if (*p == '\\')
			puts_(m, "\\\\");
		else if (*p == '"')
			puts_(m, "\\\"");
		else if (*p == '\n')
			puts_(m, "\\n");
		else
			append(m, p, 1);
	}
}

/* name{a="x",b="y"} with an optional extra label (a histogram's le). */
static void put_series(struct metrics *m, const char *suffix,
		       const struct metric_label *labels, size_t n,
		       const char *le)
{
	bool any = n || le;

	printf_(m, "%s%s", m->family, suffix);
	if (any)
		puts_(m, "{");
	for (size_t i = 0; i < n; i++) {
		printf_(m, "%s%s=\"", i ? "," : "", labels[i].name);
		put_label_value(m, labels[i].value);
		puts_(m, "\"");
	}
	if (le)
		printf_(m, "%sle=\"%s\"", n ? "," : "", le);
	if (any)
		puts_(m, "}");
}

static void put_value(struct metrics *m, unsigned long long v, int decimals)
{
	char num[48];

	metrics_format_scaled(num, sizeof(num), v, decimals);
	printf_(m, " %s\n", num);
}

void metrics_sample(struct metrics *m, const struct metric_label *labels,
		    size_t n_labels, unsigned long long value, int decimals)
{
	put_series(m, m->type == METRIC_COUNTER ? "_total" : "", labels,
		   n_labels, NULL);
	put_value(m, value, decimals);
}

void metrics_log2_hist(struct metrics *m, const struct metric_label *labels,
		       size_t n_labels, const unsigned long long *hist,
		       unsigned int max_slot, int slot_decimals,
		       bool truncated, int sum_decimals)
{
	unsigned long long below = 0, count = 0;
	char le[48];

	/* One pass for the count: buckets and _count must agree. */
	for (unsigned int i = 0; i < HIST_SLOTS; i++)
		count += hist[i];
	if (max_slot >= HIST_SLOTS)
		max_slot = HIST_SLOTS - 1;
	for (unsigned int i = 0; i <= max_slot; i++) {
		below += hist[i];
		metrics_format_scaled(le, sizeof(le),
				      hist_slot_max(i) + (truncated ? 1 : 0),
				      slot_decimals);
		put_series(m, "_bucket", labels, n_labels, le);
		put_value(m, below, 0);
	}
	put_series(m, "_bucket", labels, n_labels, "+Inf");
	put_value(m, count, 0);
	put_series(m, "_count", labels, n_labels, NULL);
	put_value(m, count, 0);
	put_series(m, "_sum", labels, n_labels, NULL);
	put_value(m, hist[HIST_SUM], sum_decimals);
}

char *metrics_finish(struct metrics *m, size_t *len)
{
	if (m->format == METRICS_OPENMETRICS)
		puts_(m, "# EOF\n");
	if (m->failed || !m->buf)
		return NULL;
	*len = m->len;
	return m->buf;
}

void metrics_free(struct metrics *m)
{
	free(m->buf);
	m->buf = NULL;
	m->len = m->cap = 0;
}
