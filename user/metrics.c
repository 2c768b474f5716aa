// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hist.h"
#include "metrics.h"
#include "output.h"

/* Longer label values (deep cgroup paths) are cut, still valid UTF-8. */
#define LABEL_VALUE_MAX 1024

/* What a scraper can get: RFC 9110 media types, in order of preference. */
static const struct offer {
	enum metrics_format format;
	const char *type, *subtype, *version;
} offers[] = {
	{ METRICS_PROMETHEUS, "text", "plain", "0.0.4" },
	{ METRICS_OPENMETRICS, "application", "openmetrics-text", "1.0.0" },
};

/* One media-range of an Accept header, as far as negotiation needs it. */
struct media_range {
	char type[64], subtype[64], version[64];
	int q;		/* 0..1000: "q=0" is "not acceptable" */
	bool valid;
};

static bool is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c);
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token into @out (cut to its size); returns the end, or NULL if none. */
static const char *token(const char *p, char *out, size_t size)
{
	size_t n = 0;

	for (; *p && is_tchar(*p); p++)
		if (n + 1 < size)
			out[n++] = *p;
	out[n] = '\0';
	return n ? p : NULL;
}

/* A token or a quoted-string, unquoted into @out. */
static const char *param_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	if (*p != '"')
		return token(p, out, size);
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 < size)
			out[n++] = *p;
	}
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static bool parse_q(const char *s, int *q)
{
	int v, scale = 100;

	if ((s[0] != '0' && s[0] != '1') || (s[1] && s[1] != '.'))
		return false;
	v = (s[0] - '0') * 1000;
	for (s += s[1] ? 2 : 1; *s; s++, scale /= 10) {
		if (*s < '0' || *s > '9' || !scale)
			return false;
		v += (*s - '0') * scale;
	}
	if (v > 1000)
		return false;
	*q = v;
	return true;
}

/* Parses the media-range at @p into @r; returns where the next one starts. */
static const char *media_range(const char *p, struct media_range *r)
{
	char name[32], value[64];
	const char *at = p, *next;
	bool quoted = false;

	memset(r, 0, sizeof(*r));
	r->q = 1000;
	next = token(skip_ows(at), r->type, sizeof(r->type));
	if (next && *next == '/')
		next = token(next + 1, r->subtype, sizeof(r->subtype));
	else
		next = NULL;
	while (next && *(at = skip_ows(next)) == ';') {
		next = token(skip_ows(at + 1), name, sizeof(name));
		if (next && *next == '=')
			next = param_value(next + 1, value, sizeof(value));
		else
			next = NULL;
		if (next && !strcasecmp(name, "q") && !parse_q(value, &r->q))
			next = NULL;
		else if (next && !strcasecmp(name, "version"))
			snprintf(r->version, sizeof(r->version), "%s", value);
	}
	if (next)
		at = skip_ows(next);
	r->valid = next && (!*at || *at == ',');
	/* A malformed range is skipped, up to the next comma outside quotes. */
	for (; *at && (quoted || *at != ','); at++)
		quoted ^= *at == '"';
	return *at ? at + 1 : at;
}

/* How specifically @r names @o: 0 if not at all, up to 4 (with version). */
static int specificity(const struct media_range *r, const struct offer *o)
{
	if (!strcmp(r->type, "*"))
		return strcmp(r->subtype, "*") ? 0 : 1;
	if (strcasecmp(r->type, o->type))
		return 0;
	if (!strcmp(r->subtype, "*"))
		return 2;
	if (strcasecmp(r->subtype, o->subtype))
		return 0;
	if (!r->version[0])
		return 3;
	return strcmp(r->version, o->version) ? 0 : 4;
}

/*
 * RFC 9110, 12.5.1: each offer gets the weight of the most specific
 * media-range that names it; the heaviest wins, ties go to the more
 * specific match, then to the range listed first. Nothing acceptable
 * (no Accept, q=0 everywhere, a version not spoken): the text format, as
 * Prometheus's own client libraries fall back.
 */
enum metrics_format metrics_negotiate(const char *accept)
{
	int best_q = 0, best_spec = 0, best_pos = 0;
	enum metrics_format best = METRICS_PROMETHEUS;

	for (size_t o = 0; accept && o < sizeof(offers) / sizeof(offers[0]); o++) {
		int q = 0, spec = 0, pos = 0, i = 0;
		struct media_range r;
		const char *p = accept;

		while (*p) {
			p = media_range(p, &r);
			i++;
			if (!r.valid || specificity(&r, &offers[o]) <= spec)
				continue;
			spec = specificity(&r, &offers[o]);
			q = r.q;
			pos = i;
		}
		if (!q || q < best_q)
			continue;
		if (q == best_q && (spec < best_spec ||
				    (spec == best_spec && pos >= best_pos)))
			continue;
		best_q = q;
		best_spec = spec;
		best_pos = pos;
		best = offers[o].format;
	}
	return best;
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
	unsigned long long below = 0, count = hist_count(hist);
	char le[48];

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
