// SPDX-License-Identifier: GPL-2.0
/*
 * The view kit: counters report growth, and every loss has one name, the
 * same in JSON and on the LOST: line, as the man page lists them.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <linux/types.h>
#include "check.h"
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
	"follow_map_full",
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

int main(void)
{
	delta_checks();
	name_checks();
	text_checks();
	block_checks();
	CHECK_DONE();
}
