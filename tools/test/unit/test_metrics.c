// SPDX-License-Identifier: GPL-2.0
/* The exposition writer and the bounded label sets of `mmtrace serve`. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hist.h"
#include "labels.h"
#include "metrics.h"

static void scaled(unsigned long long v, int decimals, const char *want)
{
	char buf[48];

	metrics_format_scaled(buf, sizeof(buf), v, decimals);
	CHECK(!strcmp(buf, want), "%llu e-%d: got %s, want %s", v, decimals,
	      buf, want);
}

static void test_scaled(void)
{
	scaled(0, 6, "0");
	scaled(1, 6, "0.000001");
	scaled(1500, 6, "0.0015");
	scaled(2000000, 6, "2");
	scaled(134217728, 6, "134.217728");
	scaled(123, 0, "123");
	scaled(999999999, 9, "0.999999999");
	scaled(18446744073709551615ULL, 9, "18446744073.709551615");
}

/* The cumulative count of bucket le=@le in @text, or -1 if absent. */
static long long bucket(const char *text, const char *le)
{
	char needle[96];
	const char *p;

	snprintf(needle, sizeof(needle), "le=\"%s\"} ", le);
	p = strstr(text, needle);
	return p ? atoll(p + strlen(needle)) : -1;
}

static char *render_one(unsigned long long ns)
{
	unsigned long long hist[HIST_LEN] = {};
	struct metrics m;
	size_t len;

	/* As hist_record(h, ns, 1000) does in BPF. */
	hist[hist_slot(ns / 1000)]++;
	hist[HIST_SUM] += ns;
	metrics_init(&m, METRICS_PROMETHEUS);
	metrics_family(&m, "t_seconds", METRIC_HISTOGRAM, "h");
	metrics_log2_hist(&m, NULL, 0, hist, 27, 6, true, 9);
	return metrics_finish(&m, &len);
}

/*
 * Truncated microsecond slots: the extremes of slot k in nanoseconds must
 * land in the bucket whose le bound contains them, and in no lower one.
 */
static void test_hist_bounds(void)
{
	for (unsigned int k = 0; k <= 27; k++) {
		unsigned long long lo = hist_slot_min(k) * 1000;
		unsigned long long hi = (hist_slot_max(k) + 1) * 1000 - 1;
		unsigned long long v[2] = { lo, hi };
		char le[48], below[48] = "";

		metrics_format_scaled(le, sizeof(le), hist_slot_max(k) + 1, 6);
		if (k)
			metrics_format_scaled(below, sizeof(below),
					      hist_slot_max(k - 1) + 1, 6);
		for (int i = 0; i < 2; i++) {
			char *text = render_one(v[i]);

			CHECK(text && bucket(text, le) == 1,
			      "%llu ns not in le=%s", v[i], le);
			CHECK(!k || (text && bucket(text, below) == 0),
			      "%llu ns counted below, in le=%s", v[i], below);
			/* The bound really contains the value. */
			CHECK(v[i] <= (hist_slot_max(k) + 1) * 1000,
			      "le=%s below %llu ns", le, v[i]);
			CHECK(text && bucket(text, "+Inf") == 1, "+Inf");
			free(text);
		}
	}
}

static void test_hist_totals(void)
{
	unsigned long long hist[HIST_LEN] = {};
	struct metrics m;
	char *text;
	size_t len;

	hist[1] = 3;		/* pages: slot 1 is exactly 1 */
	hist[3] = 2;		/* slot 3: 4..7 */
	hist[HIST_SLOTS - 1] = 1;	/* beyond the last finite bucket */
	hist[HIST_SUM] = 3 + 2 * 5 + (1ULL << 40);
	metrics_init(&m, METRICS_PROMETHEUS);
	metrics_family(&m, "pages", METRIC_HISTOGRAM, "h");
	metrics_log2_hist(&m, NULL, 0, hist, 21, 0, false, 0);
	text = metrics_finish(&m, &len);
	CHECK(text && bucket(text, "0") == 0, "le=0");
	CHECK(text && bucket(text, "1") == 3, "le=1");
	CHECK(text && bucket(text, "3") == 3, "le=3");
	CHECK(text && bucket(text, "7") == 5, "le=7");
	CHECK(text && bucket(text, "2097151") == 5, "last finite bucket");
	CHECK(text && bucket(text, "4194303") == -1, "no bucket past max_slot");
	CHECK(text && bucket(text, "+Inf") == 6, "+Inf has everything");
	CHECK(text && strstr(text, "pages_count 6\n"), "count");
	CHECK(text && strstr(text, "pages_sum 1099511627789\n"), "sum");
	metrics_free(&m);
}

static void test_formats(void)
{
	struct metric_label l[2] = { { "comm", "a\"b\\c\nd\xff" },
				     { "mode", "read" } };
	struct metrics m;
	char *text;
	size_t len;

	metrics_init(&m, METRICS_PROMETHEUS);
	metrics_family(&m, "x", METRIC_COUNTER, "help \"q\" \\ nl\n");
	metrics_sample(&m, l, 2, 5, 0);
	text = metrics_finish(&m, &len);
	CHECK(text && strstr(text, "# HELP x_total help \"q\" \\\\ nl\\n\n"),
	      "prometheus help: %s", text ? text : "");
	CHECK(text && strstr(text, "# TYPE x_total counter\n"), "type");
	CHECK(text && strstr(text,
			     "x_total{comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\",mode=\"read\"} 5\n"),
	      "escaped labels: %s", text ? text : "");
	CHECK(text && !strstr(text, "# EOF"), "no EOF in 0.0.4");
	metrics_free(&m);

	metrics_init(&m, METRICS_OPENMETRICS);
	metrics_family(&m, "x", METRIC_COUNTER, "q\"");
	metrics_sample(&m, NULL, 0, 1500, 9);
	text = metrics_finish(&m, &len);
	CHECK(text && strstr(text, "# HELP x q\\\"\n# TYPE x counter\n"),
	      "openmetrics family: %s", text ? text : "");
	CHECK(text && strstr(text, "x_total 0.0000015\n"), "scaled sample");
	CHECK(text && len > 6 && !strcmp(text + len - 6, "# EOF\n"), "EOF");
	metrics_free(&m);

}

static void negotiate(const char *accept, enum metrics_format want)
{
	CHECK(metrics_negotiate(accept) == want, "Accept: %s: got %s",
	      accept ? accept : "(none)",
	      metrics_content_type(metrics_negotiate(accept)));
}

/* RFC 9110 content negotiation, as Prometheus's client libraries do it. */
static void test_negotiate(void)
{
	const enum metrics_format om = METRICS_OPENMETRICS,
				  text = METRICS_PROMETHEUS;

	/* Prometheus 2.42's own header. */
	negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		  om);
	negotiate("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
		  om);
	negotiate("*/*", text);
	negotiate(NULL, text);
	negotiate("", text);
	/* q-values decide, whatever the order. */
	negotiate("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4",
		  text);
	negotiate("text/plain;q=0.4, application/openmetrics-text;q=0.5", om);
	/* q=0 is "not acceptable". */
	negotiate("text/plain;version=0.0.4, application/openmetrics-text;q=0",
		  text);
	negotiate("application/openmetrics-text;q=0, */*", text);
	negotiate("text/plain;q=0, application/openmetrics-text;q=0.001", om);
	negotiate("text/plain;q=0, */*;q=0.2", om);
	/* A version nobody serves: the text format. */
	negotiate("application/openmetrics-text;version=2.0.0", text);
	negotiate("application/openmetrics-text; version=0.0.1", text);
	negotiate("application/openmetrics-text;version=\"1.0.0\"", om);
	negotiate("application/openmetrics-text", om);
	negotiate("application/*", om);
	/* The most specific range names an offer's weight. */
	negotiate("application/openmetrics-text;version=1.0.0;q=0, application/*;q=1",
		  text);
	negotiate("text/*;q=0.3, text/plain;q=0.9, application/openmetrics-text;q=0.8",
		  text);
	/* Equal weights: the more specific range, then the first listed. */
	negotiate("*/*, application/openmetrics-text", om);
	negotiate("application/openmetrics-text, text/plain", om);
	negotiate("text/plain, application/openmetrics-text", text);
	/* Case, spaces, other parameters, and junk that is skipped. */
	negotiate("Application/OpenMetrics-Text ; Version=1.0.0 ; Q=1 ; charset=utf-8",
		  om);
	negotiate("text/plain;q=0.9;escaping=values, application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.8",
		  text);
	negotiate("garbage, text/plain;q=0.1, application/openmetrics-text;q=2",
		  text);
	negotiate("application/openmetrics-text;q=0.5x, text/plain;q=0.1",
		  text);
	negotiate("text/plain;q=0.1, application/openmetrics-text;foo=\"a,b\";q=0.9",
		  om);
	negotiate(",,;;, application/openmetrics-text", om);
}

static void test_labels(void)
{
	struct label_table t;
	struct label_entry *a, *b, *c, *d;

	CHECK(!label_table_init(&t, 2, 3), "init");
	a = label_table_get(&t, "a", 0);
	b = label_table_get(&t, "b", 1);
	c = label_table_get(&t, "c", 2);
	CHECK(a != b && c == &t.other && t.other_used, "third folds to other");
	CHECK(label_table_get(&t, "a", 3) == a, "a keeps its slot");
	a->sums[0] = 7;
	/* b idle since 1: at 1 + LABEL_IDLE_EVICT_S it may be recycled. */
	d = label_table_get(&t, "d", 1 + LABEL_IDLE_EVICT_S - 0.5);
	CHECK(d == &t.other, "not idle long enough");
	d = label_table_get(&t, "d", 1 + LABEL_IDLE_EVICT_S);
	CHECK(d == b && !strcmp(d->value, "d") && !d->sums[0] &&
		      t.evictions == 1, "idle slot recycled, from zero");
	CHECK(a->sums[0] == 7, "others untouched");
	CHECK(label_table_get(&t, "other", 5) == &t.other,
	      "a comm named other shares the overflow");
	label_table_free(&t);
}

/* Values longer than a slot: one series each, however often they come. */
static void test_label_cut(void)
{
	char v1[LABEL_VALUE_LEN + 100], v2[sizeof(v1)], v3[sizeof(v1)];
	struct label_table t;
	struct label_entry *a, *b, *c;

	memset(v1, 'a', sizeof(v1) - 1);
	v1[sizeof(v1) - 1] = '\0';
	memcpy(v2, v1, sizeof(v2));
	v2[LABEL_VALUE_LEN + 50] = 'b';	/* differs after the cut */
	CHECK(!label_table_init(&t, 4, 1), "init");
	a = label_table_get(&t, v1, 0);
	CHECK(a != &t.other && strlen(a->value) == LABEL_VALUE_LEN - 1,
	      "cut to %d bytes: %zu", LABEL_VALUE_LEN - 1, strlen(a->value));
	for (int i = 1; i < 8; i++)
		CHECK(label_table_get(&t, v1, i) == a,
		      "the same long value, collect %d: the same slot", i);
	CHECK(label_table_get(&t, v2, 9) == a,
	      "equal up to the cut: the same slot");
	CHECK(t.n == 1, "one slot used, not %zu", t.n);

	/* A two-byte UTF-8 sequence across the cut is left out whole. */
	memcpy(v3, v1, sizeof(v3));
	v3[LABEL_VALUE_LEN - 2] = 'x';
	v3[LABEL_VALUE_LEN - 1] = (char)0xc3;
	v3[LABEL_VALUE_LEN] = (char)0xa9;
	b = label_table_get(&t, v3, 10);
	CHECK(b != a && strlen(b->value) == LABEL_VALUE_LEN - 1 &&
		      b->value[LABEL_VALUE_LEN - 2] == 'x',
	      "cut at the boundary before the sequence");
	v3[LABEL_VALUE_LEN - 2] = (char)0xc3;
	v3[LABEL_VALUE_LEN - 1] = (char)0xa9;
	c = label_table_get(&t, v3, 11);
	CHECK(c != a && c != b && strlen(c->value) == LABEL_VALUE_LEN - 2 &&
		      label_table_get(&t, v3, 12) == c,
	      "split sequence dropped, the same way every time: %zu",
	      strlen(c->value));
	label_table_free(&t);
}

/* A series is born at 0 and shows its sums from the next exposition on. */
static void test_label_birth(void)
{
	struct label_table t;
	struct label_entry *a, *o;

	CHECK(!label_table_init(&t, 1, 1), "init");
	a = label_table_get(&t, "a", 0);
	a->sums[0] = 640;
	o = label_table_get(&t, "b", 0);
	o->sums[0] = 5;
	CHECK(label_exposed(a, 0) == 0 && label_exposed(o, 0) == 0,
	      "first exposition: 0, not %llu", label_exposed(a, 0));
	label_table_shown(&t);
	CHECK(label_exposed(a, 0) == 640 && label_exposed(o, 0) == 5,
	      "then the sums");
	a->sums[0] += 3;
	CHECK(label_exposed(a, 0) == 643, "growing");

	/* Recycled: the newcomer is born at 0 too, below a's last value. */
	t.idle_evict_s = 60;
	CHECK(label_table_get(&t, "c", 59) == &t.other, "not idle yet");
	a = label_table_get(&t, "c", 60);
	CHECK(a == &t.e[0] && !strcmp(a->value, "c"), "recycled");
	a->sums[0] = 9;
	CHECK(label_exposed(a, 0) == 0, "reborn at 0");
	label_table_shown(&t);
	CHECK(label_exposed(a, 0) == 9, "then its own count");
	label_table_free(&t);
}

int main(void)
{
	test_scaled();
	test_hist_bounds();
	test_hist_totals();
	test_formats();
	test_negotiate();
	test_labels();
	test_label_cut();
	test_label_birth();
	CHECK_DONE();
}
