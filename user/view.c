// SPDX-License-Identifier: GPL-2.0
/* The view kit (view.h): what every view's report does alike. */
#include <stdbool.h>
#include <linux/types.h>
#include <json-c/json.h>
#include "container.h"
#include "output.h"
#include "rows.h"
#include "view.h"

enum loss_group { LOSS_MAPS, LOSS_EVENTS, LOSS_FOLLOW, LOSS_GROUPS };

/* The one declaration of each loss; man page: LOSSES, README: "lost". */
static const struct loss_desc {
	const char *name;	/* JSON key, reason label */
	const char *what;	/* what was lost; NULL: the view says */
	const char *hint;	/* what to do about it, or "" */
	enum loss_group group;	/* the LOST: line it is on */
} loss_descs[LOSS_MAX] = {
	[LOSS_WINDOW_MAP_FULL] = { "window_map_full", NULL, "", LOSS_MAPS },
	[LOSS_PROC_MAP_FULL] = { "proc_map_full", "process rows",
				 ": raise --max-procs", LOSS_MAPS },
	[LOSS_LOCK_STATE_FULL] = { "lock_state_full", "lock states", "",
				   LOSS_MAPS },
	[LOSS_LOCK_TABLE_FULL] = { "lock_table_full", "lock rows", "",
				   LOSS_MAPS },
	[LOSS_EVENTS_DROPPED] = { "events_dropped", "events",
				  ": raise --events-buffer", LOSS_EVENTS },
	[LOSS_STACKS_FAILED] = { "stacks_failed", "stacks", "", LOSS_EVENTS },
	[LOSS_FOLLOW_MAP_FULL] = { "follow_map_full",
				   "processes COMMAND started",
				   ": raise --max-procs", LOSS_FOLLOW },
};

const char *loss_name(enum loss_counter l)
{
	return loss_descs[l].name;
}

struct json_object *json_add_losses(struct json_object *o,
				    const unsigned long long *losses,
				    unsigned int mask)
{
	struct json_object *lost = json_object_new_object();

	for (int l = 0; l < LOSS_MAX; l++)
		if (mask & LOSS_BIT(l))
			json_add_u64(lost, loss_descs[l].name, losses[l]);
	json_add(o, "lost", lost);
	return lost;
}

static void losses_line(FILE *out, const unsigned long long *losses,
			unsigned int mask, const char *window_what,
			enum loss_group g)
{
	const char *sep = "LOST: ";
	bool any = false;

	for (int l = 0; l < LOSS_MAX; l++)
		any |= (mask & LOSS_BIT(l)) && loss_descs[l].group == g &&
		       losses[l];
	if (!any)
		return;
	for (int l = 0; l < LOSS_MAX; l++) {
		const struct loss_desc *d = &loss_descs[l];

		if (!(mask & LOSS_BIT(l)) || d->group != g)
			continue;
		fprintf(out, "%s%llu %s (%s%s)", sep, losses[l],
			d->what ? d->what : window_what, d->name, d->hint);
		sep = ", ";
	}
	fputc('\n', out);
}

void losses_text(FILE *out, const unsigned long long *losses,
		 unsigned int mask, const char *window_what)
{
	for (int g = 0; g < LOSS_GROUPS; g++)
		losses_line(out, losses, mask, window_what, g);
}

void counters_delta(void *delta, void *prev, const void *now, size_t size)
{
	const __u64 *is = now;
	__u64 *out = delta, *was = prev;

	for (size_t i = 0; i < size / sizeof(__u64); i++) {
		__u64 v = is[i];

		out[i] = v - was[i];
		was[i] = v;
	}
}

bool obs_known(const struct report_ctx *ctx, int obs)
{
	return ctx->res[obs].chosen >= 0;
}

struct json_object *json_row_new(const struct row *row, const char *comm,
				 size_t comm_len, unsigned long long cgroup_id)
{
	struct json_object *j = json_object_new_object();

	json_add_int(j, "pid", row_pid(row));
	json_add(j, "comm", json_comm(comm, comm_len));
	container_json_add(j, cgroup_id, row_pid(row));
	return j;
}

void json_add_rows(struct json_object *o, const char *key,
		   const struct report_ctx *ctx, const struct rows *rows,
		   struct json_object *(*row_json)(const struct report_ctx *ctx,
						   const struct row *row))
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < rows->n; i++)
		json_object_array_add(a, row_json(ctx, &rows->r[i]));
	json_add(o, key, a);
}

size_t view_rows_shown(const struct report_ctx *ctx, size_t n)
{
	return n < ctx->opts->top ? n : ctx->opts->top;
}

void view_rows_more(FILE *out, size_t shown, size_t n, const char *what)
{
	if (shown < n)
		fprintf(out, "(%zu more %s; --top or --json shows them)\n",
			n - shown, what);
}
