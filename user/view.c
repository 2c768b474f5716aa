// SPDX-License-Identifier: GPL-2.0
/* The view kit (view.h): what every view's report does alike. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "container.h"
#include "hist.h"
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
	[LOSS_CALLER_UNKNOWN] = { "caller_unknown",
				  "calls or waits without a known caller",
				  ": stack not kept, or the caller table full",
				  LOSS_MAPS },
	[LOSS_OWNER_MAP_FULL] = { "owner_map_full", "waits without a holder row",
				  "", LOSS_MAPS },
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

bool number_known(const struct report_ctx *ctx, const struct number *n)
{
	if (!obs_known(ctx, n->obs))
		return false;
	return !n->below_tier ||
	       probe_result_tier(&ctx->obs[n->obs], &ctx->res[n->obs]) <
		       n->below_tier;
}

unsigned long long number_value(const struct number *n, const void *base,
				bool in_row)
{
	const char *p = (const char *)base + (in_row ? n->row_off : n->off);
	unsigned long long v = 0, hist[HIST_LEN];
	__u32 v32;

	if (!in_row && n->hist_count) {
		memcpy(hist, p, sizeof(hist));
		return hist_count(hist);
	}
	if (in_row && n->row_size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v, p, sizeof(v));
	return v;
}

static void json_add_number(struct json_object *o,
			    const struct report_ctx *ctx,
			    const struct number *n, const void *base,
			    bool in_row)
{
	if (n->yes_no && number_known(ctx, n))
		json_add_bool(o, n->key, number_value(n, base, in_row));
	else
		json_add_u64_known(o, n->key, number_known(ctx, n),
				   number_value(n, base, in_row));
}

static void json_add_numbers(struct json_object *o,
			     const struct report_ctx *ctx,
			     const struct view_metrics *m, const void *base,
			     bool in_row)
{
	for (size_t i = 0; i < m->n_numbers; i++) {
		const struct number *n = &m->numbers[i];

		if (!n->key || n->type == METRIC_HISTOGRAM ||
		    (in_row ? !n->in_row : !n->in_bss))
			continue;
		json_add_number(o, ctx, n, base, in_row);
	}
}

void json_add_block(struct json_object *o, const struct report_ctx *ctx,
		    const struct view_metrics *m, const void *base,
		    size_t from, size_t to)
{
	for (size_t i = 0; i < m->n_numbers; i++) {
		const struct number *n = &m->numbers[i];

		if (n->key && n->in_bss && n->off >= from && n->off < to)
			json_add_number(o, ctx, n, base, false);
	}
}

void json_add_totals(struct json_object *o, const struct report_ctx *ctx,
		     const struct view_metrics *m, const void *bss)
{
	json_add_numbers(o, ctx, m, bss, false);
}

void json_add_row_numbers(struct json_object *o, const struct report_ctx *ctx,
			  const struct view_metrics *m, const void *row)
{
	json_add_numbers(o, ctx, m, row, true);
}

/* Text shows times in us (perf's and libbpf-tools' unit for them). */
static unsigned long long text_value(const struct number *n,
				     unsigned long long v)
{
	return n->decimals == 9 ? v / 1000 : v;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * How many numbers from @i on are shown as one: the adjacent ones with
 * its text label on its line, or (@column) with its column.
 */
static size_t shown_as_one(const struct view_metrics *m, size_t i,
			   bool column)
{
	const struct number *n = m->numbers;
	size_t end = i + 1;

	while (end < m->n_numbers &&
	       (column ? same_str(n[end].column, n[i].column) :
			 same_str(n[end].text, n[i].text) &&
				 same_str(n[end].line, n[i].line)))
		end++;
	return end - i;
}

/* The sum of @count numbers from @n on, as text shows it; false: unknown. */
static bool text_sum(const struct report_ctx *ctx, const struct number *n,
		     size_t count, const void *base, bool in_row,
		     unsigned long long *sum)
{
	*sum = 0;
	for (size_t i = 0; i < count; i++) {
		if (!number_known(ctx, &n[i]))
			return false;
		*sum += number_value(&n[i], base, in_row);
	}
	*sum = text_value(n, *sum);
	return true;
}

void print_totals_line(const struct report_ctx *ctx,
		       const struct view_metrics *m, const void *bss,
		       const char *line)
{
	const char *sep = "";
	unsigned long long v;
	size_t count;

	for (size_t i = 0; i < m->n_numbers; i += count) {
		const struct number *n = &m->numbers[i];

		count = 1;
		if (!n->text || !n->in_bss || n->type == METRIC_HISTOGRAM ||
		    !same_str(n->line, line))
			continue;
		count = shown_as_one(m, i, false);
		if (text_sum(ctx, n, count, bss, false, &v))
			fprintf(ctx->out, "%s%s %llu", sep, n->text, v);
		else
			fprintf(ctx->out, "%s%s n/a", sep, n->text);
		sep = "  ";
	}
}

/* The sum of @m's row numbers of sort rank @rank in @row. */
static unsigned long long rank_value(const struct view_metrics *m,
				     const struct row *row, int rank)
{
	unsigned long long v = 0;

	for (size_t i = 0; i < m->n_numbers; i++)
		if (m->numbers[i].sort_rank == rank && m->numbers[i].in_row)
			v += number_value(&m->numbers[i], row->value, true);
	return v;
}

static int cmp_by_numbers(const void *a, const void *b, void *arg)
{
	const struct view_metrics *m = arg;
	unsigned long long x, y;

	for (int rank = 1; rank <= SORT_RANKS; rank++) {
		x = rank_value(m, a, rank);
		y = rank_value(m, b, rank);
		if (x != y)
			return x < y ? 1 : -1;
	}
	return row_pid(a) < row_pid(b) ? -1 : row_pid(a) > row_pid(b);
}

void rows_sort_numbers(struct rows *rows, const struct view_metrics *m)
{
	/* qsort_r() on a NULL array is undefined, even for no element. */
	if (rows->n > 1)
		qsort_r(rows->r, rows->n, sizeof(*rows->r), cmp_by_numbers,
			(void *)m);
}

void print_totals(const struct report_ctx *ctx, const struct view_metrics *m,
		  const void *bss)
{
	print_totals_line(ctx, m, bss, NULL);
}

void print_rows_header(FILE *out, const struct view_metrics *m)
{
	size_t count;

	fprintf(out, "\n%-8s %-16s", "PID", "COMM");
	for (size_t i = 0; i < m->n_numbers; i += count) {
		count = 1;
		if (!m->numbers[i].column)
			continue;
		count = shown_as_one(m, i, true);
		fprintf(out, " %*s", m->numbers[i].width,
			m->numbers[i].column);
	}
	fprintf(out, "\n");
}

/* One cell: the sum of @count numbers from @n on, as text shows it. */
static void print_cell(const struct report_ctx *ctx, const struct number *n,
		       size_t count, const void *base, bool in_row, int width)
{
	FILE *out = ctx->out;
	unsigned long long v;

	if (!text_sum(ctx, n, count, base, in_row, &v))
		fprintf(out, " %*s", width, "n/a");
	else if (n->yes_no)
		fprintf(out, " %*s", width, v ? "yes" : "no");
	else
		fprintf(out, " %*llu", width, v);
}

void print_number(const struct report_ctx *ctx, const struct number *n,
		  const void *base, bool in_row, int width)
{
	print_cell(ctx, n, 1, base, in_row, width);
}

void print_row_cells(const struct report_ctx *ctx,
		     const struct view_metrics *m, const struct row *row,
		     const char *comm)
{
	size_t count;

	fprintf(ctx->out, "%-8u %-16s", row_pid(row), comm);
	for (size_t i = 0; i < m->n_numbers; i += count) {
		count = 1;
		if (!m->numbers[i].column)
			continue;
		count = shown_as_one(m, i, true);
		print_cell(ctx, &m->numbers[i], count, row->value, true,
			   m->numbers[i].width);
	}
}

void print_row_numbers(const struct report_ctx *ctx,
		       const struct view_metrics *m, const struct row *row,
		       const char *comm)
{
	print_row_cells(ctx, m, row, comm);
	fprintf(ctx->out, "\n");
}

void print_block_header(FILE *out, const struct view_metrics *m,
			const char *first, int width)
{
	fprintf(out, "\n%-*s", width, first);
	for (size_t i = 0; i < m->n_numbers; i++)
		if (m->numbers[i].block_column)
			fprintf(out, " %*s", width, m->numbers[i].block_column);
	fprintf(out, "\n");
}

void print_block_row(const struct report_ctx *ctx,
		     const struct view_metrics *m, const void *base,
		     const char *name, int width)
{
	fprintf(ctx->out, "%-*s", width, name);
	for (size_t i = 0; i < m->n_numbers; i++)
		if (m->numbers[i].block_column)
			print_number(ctx, &m->numbers[i], base, false, width);
	fprintf(ctx->out, "\n");
}

void print_rows_table(const struct report_ctx *ctx,
		      const struct view_metrics *m, const struct rows *rows,
		      const char *what)
{
	size_t n = view_rows_shown(ctx, rows->n);
	char comm[COMM_TEXT_LEN];

	if (!rows->n)
		return;
	print_rows_header(ctx->out, m);
	for (size_t i = 0; i < n; i++) {
		text_comm((const char *)rows->r[i].value + m->comm_off,
			  COMM_LEN, comm);
		print_row_numbers(ctx, m, &rows->r[i], comm);
	}
	view_rows_more(ctx->out, n, rows->n, what);
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

void json_add_number_rows(struct json_object *o, const char *key,
			  const struct report_ctx *ctx,
			  const struct view_metrics *m,
			  const struct rows *rows)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < rows->n; i++) {
		const unsigned char *v = rows->r[i].value;
		unsigned long long cgroup_id;
		struct json_object *j;

		memcpy(&cgroup_id, v + m->cgroup_off, sizeof(cgroup_id));
		j = json_row_new(&rows->r[i], (const char *)v + m->comm_off,
				 COMM_LEN, cgroup_id);
		json_add_row_numbers(j, ctx, m, v);
		json_object_array_add(a, j);
	}
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

/* The sum over the CPUs of @cs's copies, into @sum (@cs->size bytes). */
static int sum_cpus(struct bpf_object *obj, const struct cpu_sum *cs,
		    uint64_t *sum)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, cs->map);
	size_t n = cs->size / sizeof(*sum);
	int cpus = libbpf_num_possible_cpus();
	uint64_t *copies;
	int err = 0;

	if (!map)
		return -ENOENT;
	if (cpus < 0)
		return cpus;
	/* A copy per possible CPU, each padded to 8 bytes: __u64s need none. */
	if (bpf_map__value_size(map) != cs->size || cs->size % sizeof(*sum))
		return -EINVAL;
	copies = calloc(cpus, cs->size);
	if (!copies)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &(uint32_t){ 0 }, copies)) {
		err = -errno;
		goto out;
	}
	memset(sum, 0, cs->size);
	for (int c = 0; c < cpus; c++)
		for (size_t i = 0; i < n; i++)
			sum[i] += copies[c * n + i];
out:
	free(copies);
	return err;
}

void view_sum_cpus(struct bpf_object *obj, void *bss,
		   const struct view_metrics *m)
{
	static bool said;
	uint64_t sum[512];
	int err;

	for (size_t i = 0; i < m->n_cpu_sums; i++) {
		const struct cpu_sum *cs = &m->cpu_sums[i];

		err = cs->size > sizeof(sum) ? -E2BIG : sum_cpus(obj, cs, sum);
		if (!err) {
			memcpy((char *)bss + cs->off, sum, cs->size);
		} else if (!said) {
			said = true;
			fprintf(stderr, "mmtrace: cannot read the per-CPU counters of map %s: %s; they keep their last value\n",
				cs->map, strerror(-err));
		}
	}
}
