// SPDX-License-Identifier: GPL-2.0
/*
 * The view kit: counters report growth, every loss has one name, the
 * same in JSON and on the LOST: line, as the man page lists them, and a
 * table of numbers makes the totals lines, the process table, the JSON and
 * top's fields.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <linux/types.h>
#include "check.h"
#include "hist.h"
#include "probe.h"
#include "rows.h"
#include "view.h"

static void delta_checks(void)
{
	__u64 now[3] = { 5, 7, 0 }, prev[3] = {}, d[3];

	counters_delta(d, prev, now, sizeof(now));
	CHECK(d[0] == 5 && d[1] == 7 && d[2] == 0, "first delta is the value");
	now[0] = 9;
	counters_delta(d, prev, now, sizeof(now));
	CHECK(d[0] == 4 && d[1] == 0 && prev[0] == 9, "then the growth");
}

/* The names the man page lists (tools/packaging/mmtrace.8, LOSSES). */
static const char *const man_names[] = {
	"window_map_full", "proc_map_full", "lock_state_full",
	"lock_table_full", "events_dropped", "stacks_failed",
	"follow_map_full", "caller_unknown", "owner_map_full",
};

static void name_checks(void)
{
	unsigned long long losses[LOSS_MAX] = {};
	struct json_object *o = json_object_new_object(), *lost;
	unsigned int all = LOSS_BIT(LOSS_MAX) - 1;

	CHECK(sizeof(man_names) / sizeof(man_names[0]) == LOSS_MAX,
	      "every loss is in the man page");
	for (int l = 0; l < LOSS_MAX; l++) {
		CHECK(loss_name(l) && !strcmp(loss_name(l), man_names[l]),
		      "loss %d is %s", l, loss_name(l));
		losses[l] = l + 1;
	}
	lost = json_add_losses(o, losses, all);
	CHECK(json_object_object_length(lost) == LOSS_MAX, "one key a loss");
	for (int l = 0; l < LOSS_MAX; l++) {
		struct json_object *v = NULL;

		json_object_object_get_ex(lost, loss_name(l), &v);
		CHECK(v && json_object_get_uint64(v) == (__u64)l + 1,
		      "%s in JSON", loss_name(l));
	}
	json_object_put(o);
}

static char *text(const unsigned long long *losses, unsigned int mask)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	losses_text(f, losses, mask, "forks");
	fclose(f);
	return buf;
}

static void text_checks(void)
{
	unsigned long long losses[LOSS_MAX] = {};
	unsigned int mask = LOSS_BIT(LOSS_WINDOW_MAP_FULL) |
			    LOSS_BIT(LOSS_PROC_MAP_FULL) | LOSSES_FOLLOW;
	char *t = text(losses, mask);

	CHECK(!strcmp(t, ""), "nothing lost, no line: '%s'", t);
	free(t);
	losses[LOSS_WINDOW_MAP_FULL] = 3;
	losses[LOSS_FOLLOW_MAP_FULL] = 2;
	losses[LOSS_EVENTS_DROPPED] = 9;	/* not this view's */
	t = text(losses, mask);
	CHECK(!strcmp(t, "LOST: 3 forks (window_map_full), 0 process rows (proc_map_full: raise --max-procs)\n"
			 "LOST: 2 processes COMMAND started (follow_map_full: raise --max-procs)\n"),
	      "'%s'", t);
	free(t);
	memset(losses, 0, sizeof(losses));
	losses[LOSS_CALLER_UNKNOWN] = 4;
	t = text(losses, LOSS_BIT(LOSS_PROC_MAP_FULL) |
				 LOSS_BIT(LOSS_CALLER_UNKNOWN) |
				 LOSS_BIT(LOSS_OWNER_MAP_FULL));
	CHECK(!strcmp(t, "LOST: 0 process rows (proc_map_full: raise --max-procs), 4 calls or waits without a known caller (caller_unknown: stack not kept, or the caller table full), 0 waits without a holder row (owner_map_full)\n"),
	      "a view's own losses on its maps' line: '%s'", t);
	free(t);
}

/*
 * A block of numbers repeated per instance (gup's FOLL classes): the
 * table declares the first instance's, a shifted base reads the others.
 */
struct blk_bss {
	__u64 block[2][3];	/* instance, counter */
	__u64 after;
};

#define BSS struct blk_bss
static const struct number blk_numbers[] = {
	NUMBER("a", 0, AT_BSS(block[0][0]), BLOCK_COLUMN("A")),
	NUMBER("b", 1, AT_BSS(block[0][1]), BLOCK_COLUMN("B")),
	NUMBER("c", 0, AT_BSS(block[0][2])),
	NUMBER("after", 0, AT_BSS(after)),
};
#undef BSS

static const struct view_metrics blk_metrics = {
	.numbers = blk_numbers, .n_numbers = ARRAY_LEN(blk_numbers),
};

static char *block_text(const struct report_ctx *ctx, const void *base)
{
	struct report_ctx c = *ctx;
	char *buf = NULL;
	size_t len = 0;

	c.out = open_memstream(&buf, &len);
	print_block_header(c.out, &blk_metrics, "INST", 5);
	print_block_row(&c, &blk_metrics, base, "two", 5);
	fclose(c.out);
	return buf;
}

static void block_checks(void)
{
	struct blk_bss bss = { { { 1, 2, 3 }, { 4, 5, 6 } }, 7 };
	struct obs_result res[2] = { { .chosen = 0 }, { .chosen = -1 } };
	struct report_ctx ctx = { .res = res, .n_obs = 2 };
	const void *second = (const char *)&bss + sizeof(bss.block[0]);
	struct json_object *o = json_object_new_object(), *v;
	char *t;

	json_add_block(o, &ctx, &blk_metrics, second,
		       offsetof(struct blk_bss, block[0]),
		       offsetofend(struct blk_bss, block[0]));
	CHECK(json_object_object_length(o) == 3, "the block's keys only: %s",
	      json_object_to_json_string(o));
	CHECK(json_object_object_get_ex(o, "a", &v) &&
		      json_object_get_uint64(v) == 4,
	      "a read in the second instance");
	CHECK(json_object_object_get_ex(o, "b", &v) && !v,
	      "b unknown: null");
	CHECK(json_object_object_get_ex(o, "c", &v) &&
		      json_object_get_uint64(v) == 6,
	      "c read in the second instance");
	json_object_put(o);
	t = block_text(&ctx, second);
	CHECK(!strcmp(t, "\nINST      A     B\ntwo       4   n/a\n"), "'%s'", t);
	free(t);
}

/* A view's .bss and row, and its table: two lines, a sum, a histogram. */
struct t_bss {
	__u64 a, b, c, d;
	__u64 hist[HIST_LEN];
};

struct t_row {
	__u64 x, y, z;
};

#define BSS struct t_bss
#define ROW struct t_row

static const struct number t_numbers[] = {
	NUMBER("a", 0, .text = "read", .line = "L", AT_BSS(a), AT_ROW(x),
	       COLUMN("X", 4)),
	/* One label, one column, one field: shown as the sum. */
	NUMBER("b", 0, NS, .text = "failed", .line = "L", AT_BSS(b),
	       AT_ROW(y), COLUMN("WAIT", 6), .field = F_MMAP_WAIT_NS),
	NUMBER("c", 0, NS, .text = "failed", .line = "L", AT_BSS(c),
	       AT_ROW(z), COLUMN("WAIT", 6), .field = F_OTHER_CONTENTION_NS,
	       .sum_field = F_MMAP_WAIT_NS),
	/* Its observation is not attached: unknown. */
	NUMBER("d", 1, .text = "all", AT_BSS(d)),
	HISTOGRAM_NS("t_seconds", "help", hist, 0, .key = "h", .text = "h"),
	/* The histogram's count: no counter of its own in .bss. */
	NUMBER("n", 0, .text = "count", .line = "H", AT_BSS_COUNT(hist)),
};

static const struct view_metrics t_metrics = {
	.numbers = t_numbers,
	.n_numbers = ARRAY_LEN(t_numbers),
};

/* What @print writes for @ctx, in a string to free. */
#define PRINTED(ctx, print)                                                  \
	({                                                                   \
		char *buf_ = NULL;                                           \
		size_t len_ = 0;                                             \
		(ctx)->out = open_memstream(&buf_, &len_);                   \
		print;                                                       \
		fclose((ctx)->out);                                          \
		buf_;                                                        \
	})

static void number_checks(void)
{
	struct obs_result res[2] = { { .chosen = 0 }, { .chosen = -1 } };
	struct report_ctx ctx = { .res = res, .n_obs = 2 };
	struct t_bss bss = { .a = 1, .b = 1500, .c = 1500, .d = 4,
			     .hist = { [0] = 1, [3] = 2, [HIST_SLOTS - 1] = 4,
				       [HIST_SUM] = 999 } };
	struct view v = { .name = "t", .metrics = &t_metrics };
	struct row row = {};
	struct t_row *tr = (void *)row.value;
	unsigned long long vals[F_MAX] = {};
	struct json_object *o = json_object_new_object(), *j;
	unsigned int pid = 42;
	char want[128], *t;

	/* 1500 + 1500 ns: 3 us, not 1 + 1. */
	t = PRINTED(&ctx, print_totals_line(&ctx, &t_metrics, &bss, "L"));
	CHECK(!strcmp(t, "read 1  failed 3"), "a line, a sum: '%s'", t);
	free(t);
	t = PRINTED(&ctx, print_totals_line(&ctx, &t_metrics, &bss, "H"));
	CHECK(!strcmp(t, "count 7"), "a histogram's count, not its sum: '%s'",
	      t);
	free(t);
	t = PRINTED(&ctx, print_totals(&ctx, &t_metrics, &bss));
	CHECK(!strcmp(t, "all n/a"), "numbers without a line: '%s'", t);
	free(t);
	t = PRINTED(&ctx, print_rows_header(ctx.out, &t_metrics));
	snprintf(want, sizeof(want), "\n%-8s %-16s %4s %6s\n", "PID", "COMM",
		 "X", "WAIT");
	CHECK(!strcmp(t, want), "one column a sum: '%s'", t);
	free(t);
	memcpy(row.key, &pid, sizeof(pid));
	*tr = (struct t_row){ .x = 7, .y = 2000, .z = 3000 };
	t = PRINTED(&ctx, print_row_numbers(&ctx, &t_metrics, &row, "c"));
	snprintf(want, sizeof(want), "%-8u %-16s %4u %6u\n", 42, "c", 7, 5);
	CHECK(!strcmp(t, want), "its value, in us: '%s'", t);
	free(t);
	fields_add(&v, &row, vals);
	CHECK(vals[F_MMAP_WAIT_NS] == 5000 && vals[F_OTHER_CONTENTION_NS] == 3000,
	      "a field and a sum field: %llu %llu", vals[F_MMAP_WAIT_NS],
	      vals[F_OTHER_CONTENTION_NS]);
	CHECK(field_known(&v, res, F_MMAP_WAIT_NS) &&
		      field_known(&v, res, F_OTHER_CONTENTION_NS) &&
		      !field_known(&v, res, F_FAULTS),
	      "fields known");
	json_add_totals(o, &ctx, &t_metrics, &bss);
	CHECK(json_object_object_length(o) == 5,
	      "totals a b c d n, no histogram");
	CHECK(json_object_object_get_ex(o, "d", &j) && !j, "d is null");
	CHECK(json_object_object_get_ex(o, "n", &j) &&
		      json_object_get_uint64(j) == 7,
	      "n is the histogram's count");
	json_object_put(o);
}

int main(void)
{
	delta_checks();
	name_checks();
	text_checks();
	block_checks();
	number_checks();
	CHECK_DONE();
}
