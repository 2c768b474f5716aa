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

int main(void)
{
	delta_checks();
	name_checks();
	text_checks();
	CHECK_DONE();
}
