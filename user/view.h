/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A view is what `mmtrace <view>` runs: its observations (attach plans), its
 * BPF skeleton, and its report. Adding one means a folder views/<name>/
 * holding <name>.bpf.c, <name>.h and a <name>.c defining <name>_view, and
 * one line in MMTRACE_VIEWS (main.c).
 * The session (session.c) does everything else: probe resolution with
 * fallback, load, attach, the command to trace, intervals, signals.
 */
#ifndef MMTRACE_VIEW_H
#define MMTRACE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "filter.h"
#include "metrics.h"
#include "probe.h"
#include "fields.h"

#define MMTRACE_VERSION "0.2.0"

struct bpf_object;
struct bpf_map;
struct json_object;
struct row;
struct row_table;
struct rows;
struct event_desc;
struct argp_option;
struct metrics;
struct obs_result;

/* The --events thresholds a view takes (struct view.event_options). */
enum event_option {
	EVENT_OPT_MIN_LATENCY = 1 << 0,
	EVENT_OPT_MIN_COPIES = 1 << 1,
};

struct view_opts {
	struct task_filter filter;
	unsigned int interval_s;	/* 0: one report at the end */
	unsigned int duration_s;	/* 0: until Ctrl-C or the command ends */
	unsigned int max_procs;		/* per-process map size */
	unsigned int top;		/* rows in text reports */
	enum probe_tier max_tier;	/* --tier: richest tier allowed */
	bool timestamps;
	bool json;
	bool verbose;
	char **command;			/* argv to run and trace, or NULL */
	bool no_children;		/* trace COMMAND alone, not what it starts */
	bool no_findings;		/* --no-findings (user/findings.c) */
	const char *output;		/* reports go here instead of stdout */
	int cgroup_fd;			/* --cgroup directory, or -1 */
	const char *cgroup;		/* --cgroup PATH, until common_check() */
	bool events;			/* --events: a line per event */
	unsigned int event_thresholds;	/* EVENT_OPT_* given */
	unsigned long long min_latency_us;
	unsigned long long min_copies;
	unsigned long events_buffer;	/* ring buffer bytes */
	bool event_stacks;		/* events carry their kernel stack */
	/* serve without --detail: observations marked .detail are left out */
	bool skip_detail;
	/*
	 * serve and top: the view's report is never printed, only its
	 * numbers read, so what only the report shows need not be kept.
	 */
	bool numbers_only;
	/* top: no calling path is read, so none is walked (locks' waiters) */
	bool skip_paths;
	/* The view's own options (struct view.options); 0/NULL: unset. */
	unsigned int stack_depth;	/* locks --stack-depth */
	unsigned int callers;		/* locks --callers */
	const char *lock_name;		/* locks -L */
};

struct report_ctx {
	const struct view_opts *opts;
	const struct observation *obs;
	const struct obs_result *res;
	size_t n_obs;
	double seconds;			/* time this report covers */
	bool final;
	FILE *out;
	/* JSON reports: the "findings" list to carry; NULL: none. */
	struct json_object *findings;
};

/*
 * One reported number of a view, declared once: JSON, the text report,
 * `serve`'s families, `mmtrace top` and the findings are all made from
 * it. It lives in the object's .bss (mapped by libbpf, cumulative since
 * load: a total), in the view's process row (a per-process value), or in
 * both; it is known only while its observation is attached (and below
 * @below_tier, when set), and shown as null or n/a otherwise.
 * Members of one exporter family (same name, one fixed label each) are
 * adjacent in a view's table. A histogram's key and text label are its
 * view's to show: the kit's totals leave histograms out.
 */
struct number {
	const char *key;	/* JSON key in "totals" and in rows; NULL: none */
	const char *text;	/* label on the text totals line; NULL: none */
	const char *name;	/* family mmtrace_<name> of the .bss value; NULL: none */
	const char *help;
	enum metric_type type;
	int decimals;		/* value unit: 10^-decimals (ns: 9, shown in us) */
	int obs;		/* known only while this observation is attached */
	enum probe_tier below_tier;	/* and below this tier (0: any) */
	const char *label, *label_value;	/* optional */
	bool in_bss;
	size_t off;		/* in .bss */
	bool hist_count;	/* the value: the count of the histogram at @off */
	bool in_row;
	size_t row_off;		/* in the row value, inside its sums */
	unsigned int row_size;	/* 8, or 4 */
	const char *row_name;	/* family mmtrace_<view>_<by>_<row_name>; NULL: none */
	const char *row_help;	/* NULL: @help */
	enum field field;	/* what top and the findings read it as (fields.h) */
	enum field sum_field;	/* and a field it is one term of (F_NONE: none) */
	/*
	 * The text totals line it is on (print_totals_line); NULL: the one
	 * print_totals prints. Adjacent numbers with one label on one line,
	 * or with one column, are shown as their sum (read + write).
	 */
	const char *line;
	const char *column;	/* header in the text process table; NULL: none */
	int width;		/* its width (0: last, unpadded) */
	const char *block_column;	/* in a block's table (below); NULL: none */
	bool yes_no;		/* a 0/1 state, shown as yes/no in text */
	/*
	 * The process table's order: by the numbers of rank 1, largest
	 * first (summed when several have it), then rank 2, ..., then pid.
	 */
	int sort_rank;
	int slot_decimals;	/* histograms: the slot unit (us: 6) */
	bool truncated;		/* slots hold raw / 10^k (ns -> us) */
	unsigned int max_slot;	/* last finite bucket */
};

/*
 * A view's table of numbers: `#define BSS struct <v>_bpf__bss` and
 * `#define ROW <its row value type>` before these. Trailing arguments of
 * NUMBER are more designated initializers from the macros below.
 */
#define NUMBER(k, ob, ...) { .key = k, .obs = ob, __VA_ARGS__ }
#define AT_BSS(member) .in_bss = true, .off = offsetof(BSS, member)
/* The count of a .bss histogram (its sum is AT_BSS(member[HIST_SUM])). */
#define AT_BSS_COUNT(member) AT_BSS(member), .hist_count = true
#define AT_ROW(member)                                                       \
	.in_row = true, .row_off = offsetof(ROW, member),                    \
	.row_size = sizeof(((ROW *)0)->member)
/* Exported from .bss as mmtrace_<n> (counters without _total). */
#define EXPORT(n, h) .name = n, .help = h
#define LABEL(l, value) .label = l, .label_value = value
/* Exported per process, summed by comm or cgroup (--by). */
#define EXPORT_ROW(n) .row_name = n
#define COLUMN(title, w) .column = title, .width = w
#define SORT(rank) .sort_rank = rank
#define SORT_RANKS 3
#define BLOCK_COLUMN(title) .block_column = title
#define NS .decimals = 9
/* A histogram in .bss: exported, and the view's report shows it. */
#define HISTOGRAM(n, h, member, slot_dec, trunc, max, sum_dec, ob, ...)     \
	{ .name = n, .help = h, .type = METRIC_HISTOGRAM,                    \
	  .in_bss = true, .off = offsetof(BSS, member),                      \
	  .slot_decimals = slot_dec, .truncated = trunc, .max_slot = max,    \
	  .decimals = sum_dec, .obs = ob, __VA_ARGS__ }
/* Time histograms: ns recorded in us slots, up to 2^27 us (134 s). */
#define HISTOGRAM_US(n, h, member, ob, ...)                                  \
	HISTOGRAM(n, h, member, 6, true, 27, 9, ob, __VA_ARGS__)
/* ns recorded in ns slots, up to 2^37 ns (137 s). */
#define HISTOGRAM_NS(n, h, member, ob, ...)                                  \
	HISTOGRAM(n, h, member, 9, false, 37, 9, ob, __VA_ARGS__)

/*
 * Counters of .bss that BPF keeps a copy of per CPU instead: the one
 * value of the BPF_MAP_TYPE_PERCPU_ARRAY @map, laid out as the @size
 * bytes at @off. view_sum_cpus() writes the copies' sum there, and every
 * reader then reads them as any .bss counter.
 */
struct cpu_sum {
	const char *map;
	size_t off, size;
};

#define CPU_SUM(m, member)                                                   \
	{ .map = m, .off = offsetof(BSS, member),                            \
	  .size = sizeof(((BSS *)0)->member) }
/* view_metrics' per-CPU counters, for VIEW_METRICS_AND's trailing arguments. */
#define CPU_SUMS(a) .cpu_sums = a, .n_cpu_sums = ARRAY_LEN(a)

struct view_metrics {
	const struct number *numbers;
	size_t n_numbers;
	const struct cpu_sum *cpu_sums;	/* summed before a read; or NULL */
	size_t n_cpu_sums;
	size_t losses_off;	/* .bss offset of losses[LOSS_MAX] */
	unsigned int losses;	/* LOSS_BIT()s of those the view can lose */
	struct row_table *rows;	/* rows of the view's "procs" map */
	size_t comm_off, cgroup_off;	/* in the row value */
	/*
	 * Families the view renders itself, after the table's (label sets
	 * of its own, bounded by @top), or NULL. @head: a HEAD request, so
	 * series born at 0 are not counted as shown.
	 */
	void (*render)(struct metrics *m, void *skel,
		       const struct obs_result *res, size_t top, bool head);
};

struct view {
	const char *name;
	const char *summary;		/* one line in `mmtrace --help` */
	const char *doc;		/* the view's --help text */
	const struct observation *obs;
	size_t n_obs;
	void *(*open)(void);
	struct bpf_object *(*object)(void *skel);
	/* Before load: its own .rodata and map sizes (the filter: the session). */
	int (*configure)(void *skel, const struct view_opts *opts);
	/* The skeleton's load: it also maps .bss for user space to read. */
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	/* Reports what happened since the previous call. */
	int (*report)(void *skel, const struct report_ctx *ctx);
	/* True while an event is half counted (e.g. a fork in flight). */
	bool (*busy)(void *skel);
	/* --events (user/events.c): the ring buffer; NULL: no events. */
	struct bpf_map *(*events_map)(void *skel);
	const struct event_desc *event_kinds;
	size_t n_event_kinds;
	unsigned int event_options;	/* EVENT_OPT_* thresholds it takes */
	/*
	 * Its events carry their kernel stack unless --no-stacks; false:
	 * only with --stacks, because where the event is detected the stack
	 * says little (fork: the syscall-exit path) for what it costs the
	 * traced task (bpf_get_stack, about 2.4 us on the build host).
	 */
	bool event_stacks;
	/*
	 * Options of this view alone (an argp table ending in {}), and
	 * their parser: 0, or EXIT_USAGE after one line on stderr.
	 */
	const struct argp_option *options;
	int (*parse_option)(int key, const char *arg, struct view_opts *o);
	/*
	 * Names kernel frames (user/ksyms.c): kallsyms is read once attached,
	 * while it lists the view's own trampolines; they are freed after
	 * detach, before the final report, and their addresses then name
	 * nothing.
	 */
	bool names_frames;
	/* What `mmtrace serve` exports (user/serve.c); NULL: nothing. */
	const struct view_metrics *metrics;
};

/*
 * The view kit: what every view's user code does alike, so that a view
 * file holds only what is particular to it.
 */

/*
 * The skeleton glue for views/<v>/<v>.c: defines <v>_open, _object, _load
 * and _destroy from the skeleton <v>.skel.h, and <v>_print_report from the
 * view's own
 *   static int collect(struct <v>_bpf *, struct <v>_report *r,
 *                      const struct report_ctx *);
 *   static void report_json(const struct report_ctx *,
 *                           const struct <v>_report *,
 *                           struct json_object *report);
 *   static void report_text(const struct report_ctx *,
 *                           const struct <v>_report *);
 * report_json adds to an object that has the fields every report
 * carries, and the wrapper prints it; then the wrapper frees the report's
 * rows, named as &r.<member>, ...
 * VIEW_OPS(<v>) names them all in the view's struct view.
 * VIEW_SKELETON_AND(<v>, stmt, ...): <v>_destroy runs stmt after the
 * skeleton's.
 */
#define VIEW_SKELETON(v, ...) VIEW_SKELETON_AND(v, (void)0, __VA_ARGS__)
#define VIEW_SKELETON_AND(v, after_destroy, ...)                             \
	static void *v##_open(void)                                          \
	{                                                                    \
		return v##_bpf__open_opts(probe_open_opts());                \
	}                                                                    \
	static struct bpf_object *v##_object(void *skel)                     \
	{                                                                    \
		return ((struct v##_bpf *)skel)->obj;                        \
	}                                                                    \
	static int v##_load(void *skel)                                      \
	{                                                                    \
		return v##_bpf__load(skel);                                  \
	}                                                                    \
	static void v##_destroy(void *skel)                                  \
	{                                                                    \
		v##_bpf__destroy(skel);                                      \
		after_destroy;                                               \
	}                                                                    \
	static int v##_print_report(void *skel, const struct report_ctx *ctx) \
	{                                                                    \
		struct v##_report r = {};                                    \
		int err = collect(skel, &r, ctx);                            \
                                                                             \
		if (!err && ctx->opts->json)                                 \
			view_json_emit(ctx, #v, &r, report_json);            \
		else if (!err)                                               \
			report_text(ctx, &r);                                \
		rows_free_all(__VA_ARGS__, NULL);                            \
		return err;                                                  \
	}

#define VIEW_OPS(v)                                                          \
	.open = v##_open, .object = v##_object, .load = v##_load,            \
	.destroy = v##_destroy, .report = v##_print_report

/* The JSON report: the common fields, @fill's, then printed on one line. */
#define view_json_emit(ctx, name, r, fill)                                   \
	do {                                                                 \
		struct json_object *o_ = report_json_header(name, ctx);      \
                                                                             \
		fill(ctx, r, o_);                                            \
		json_emit((ctx)->out, o_);                                   \
	} while (0)

/* .busy: true while the gauge @member of .bss is not 0. */
#define VIEW_BUSY(v, member)                                                 \
	static bool v##_busy(void *skel)                                     \
	{                                                                    \
		return ((struct v##_bpf *)skel)->bss->member != 0;           \
	}

/* --events: the skeleton's ring buffer, a map named "events". */
#define VIEW_EVENTS_MAP(v)                                                   \
	static struct bpf_map *v##_events_map(void *skel)                    \
	{                                                                    \
		return ((struct v##_bpf *)skel)->maps.events;                \
	}

/*
 * Sets @delta to what each __u64 counter of @now (@size bytes) grew since
 * the previous call, then @prev (the caller's copy, zeroed at start) to
 * @now.
 */
void counters_delta(void *delta, void *prev, const void *now, size_t size);
/*
 * The same for a view's whole .bss, which holds only __u64 counters and
 * histograms, cumulative since load: @delta and @prev are copies of it
 * (struct <v>_bpf__bss). Gauges in .bss (e.g. windows open) get a
 * meaningless delta: read them from .bss itself. @skel's per-CPU counters
 * (@m's cpu_sums) are summed into its .bss first.
 */
#define BSS_DELTA(delta, prev, skel, m)                                      \
	do {                                                                 \
		_Static_assert(sizeof(*(skel)->bss) % sizeof(__u64) == 0,    \
			       ".bss holds __u64s only");                    \
		_Static_assert(sizeof(*(delta)) == sizeof(*(skel)->bss) &&   \
				       sizeof(*(prev)) == sizeof(*(skel)->bss), \
			       "a copy of .bss");                            \
		view_sum_cpus((skel)->obj, (skel)->bss, m);                  \
		counters_delta(delta, prev, (skel)->bss,                     \
			       sizeof(*(skel)->bss));                        \
	} while (0)

/*
 * Losses (enum loss_counter, include/filter.h), declared once in view.c:
 * each has one name, the same as JSON key, on the text LOST: line and as
 * the reason label of mmtrace_lost_total.
 */
#define LOSS_BIT(l) (1u << (l))
/* What --events and following a COMMAND's descendants can lose. */
#define LOSSES_EVENTS (LOSS_BIT(LOSS_EVENTS_DROPPED) | LOSS_BIT(LOSS_STACKS_FAILED))
#define LOSSES_FOLLOW LOSS_BIT(LOSS_FOLLOW_MAP_FULL)

const char *loss_name(enum loss_counter l);
/*
 * A report's "lost": each loss in @mask under its name, added to @o.
 * Returns it, for what a view misses besides (its programs' recursion
 * misses, which the kernel counts).
 */
struct json_object *json_add_losses(struct json_object *o,
				    const unsigned long long *losses,
				    unsigned int mask);
/*
 * The LOST: lines of the losses in @mask, a line for the view's maps, one
 * for the event stream, one for following, each only when something in it
 * was lost. @window_what names what a full window map lost ("forks").
 */
void losses_text(FILE *out, const unsigned long long *losses,
		 unsigned int mask, const char *window_what);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * What a view reports and `mmtrace serve` exports: <v>_numbers[] from its
 * .bss and from the rows of @row_tab, whose values are of type @row (with
 * comm and cgroup_id), and the losses of @loss_mask (LOSS_BIT()s) as
 * mmtrace_lost_total. Defines <v>_metrics.
 */
#define VIEW_METRICS(v, row_tab, row, loss_mask)                             \
	VIEW_METRICS_AND(v, row_tab, row, loss_mask, NULL)
/*
 * The same, with families the view renders itself (view_metrics.render);
 * trailing arguments: more initializers (CPU_SUMS).
 */
#define VIEW_METRICS_AND(v, row_tab, row, loss_mask, render_fn, ...)         \
	static const struct view_metrics v##_metrics = {                     \
		.numbers = v##_numbers,                                      \
		.n_numbers = ARRAY_LEN(v##_numbers),                         \
		.losses_off = offsetof(struct v##_bpf__bss, losses),         \
		.losses = loss_mask,                                         \
		.rows = row_tab,                                             \
		.comm_off = offsetof(row, comm),                             \
		.cgroup_off = offsetof(row, cgroup_id),                      \
		.render = render_fn,                                         \
		__VA_ARGS__                                                  \
	}

/*
 * Writes into @bss, the skeleton's mapped .bss of @obj, the sum over the
 * CPUs of each of @m's cpu_sums: before each read of those counters, by
 * their one reader (serve's exporter, under its lock; a CLI view's
 * collect). Counters whose copies cannot be read keep their last sum;
 * that is said once on stderr.
 */
void view_sum_cpus(struct bpf_object *obj, void *bss,
		   const struct view_metrics *m);

/* Is observation @obs attached (at any tier)? Else its numbers are unknown. */
bool obs_known(const struct report_ctx *ctx, int obs);

/* Is @n known in this report: its observation attached, at its tier? */
bool number_known(const struct report_ctx *ctx, const struct number *n);
/* @n's value in a copy of .bss (@in_row false) or in a row value. */
unsigned long long number_value(const struct number *n, const void *base,
				bool in_row);
/* Every .bss number of @m with a key, from the .bss copy @bss, into @o. */
void json_add_totals(struct json_object *o, const struct report_ctx *ctx,
		     const struct view_metrics *m, const void *bss);
/* Every row number of @m with a key, from the row value @row, into @o. */
void json_add_row_numbers(struct json_object *o, const struct report_ctx *ctx,
			  const struct view_metrics *m, const void *row);
/*
 * "<text> <value>" for every .bss number of @m with a text label and no
 * .line, two spaces apart ("n/a" where unknown), on the current line.
 */
void print_totals(const struct report_ctx *ctx, const struct view_metrics *m,
		  const void *bss);
/* The same for the numbers whose .line is @line. */
void print_totals_line(const struct report_ctx *ctx,
		       const struct view_metrics *m, const void *bss,
		       const char *line);
/* Sorts @rows (of @m's process table) by its numbers' sort ranks. */
void rows_sort_numbers(struct rows *rows, const struct view_metrics *m);
/* The process table's header: PID, COMM and every column of @m. */
void print_rows_header(FILE *out, const struct view_metrics *m);
/* One process row of that table (n/a where unknown), with its newline. */
void print_row_numbers(const struct report_ctx *ctx,
		       const struct view_metrics *m, const struct row *row,
		       const char *comm);
/*
 * One cell of a text table: @n's value in @base (a .bss copy, or a row
 * value when @in_row), @width wide; n/a where unknown, yes/no for a state.
 */
void print_number(const struct report_ctx *ctx, const struct number *n,
		  const void *base, bool in_row, int width);
/* The same without the newline, for a view that adds to the line. */
void print_row_cells(const struct report_ctx *ctx,
		     const struct view_metrics *m, const struct row *row,
		     const char *comm);

/*
 * A block: .bss numbers laid out once per instance (gup's counters[class]
 * [counter], one block per FOLL_* class). The table declares the first
 * instance's numbers, whose places lie in [@from, @to) of .bss; any
 * instance is read at @base, a .bss copy shifted by that instance's
 * distance from the first.
 */
/* The block's numbers with a key, into @o. */
void json_add_block(struct json_object *o, const struct report_ctx *ctx,
		    const struct view_metrics *m, const void *base,
		    size_t from, size_t to);
/* A table of instances: @first over their names, then each block_column. */
void print_block_header(FILE *out, const struct view_metrics *m,
			const char *first, int width);
/* One instance @name of that table (n/a where unknown), with its newline. */
void print_block_row(const struct report_ctx *ctx,
		     const struct view_metrics *m, const void *base,
		     const char *name, int width);

/*
 * The whole process table of @rows (nothing without rows): the header,
 * the first --top rows, named by their comm (@m's comm_off), and the
 * footer naming the rows left out as @what ("processes").
 */
void print_rows_table(const struct report_ctx *ctx,
		      const struct view_metrics *m, const struct rows *rows,
		      const char *what);

/*
 * A process row's JSON object, with its "pid", "comm", and the
 * "container_id" and "pod_uid" of its cgroup v2 id (user/container.c).
 */
struct json_object *json_row_new(const struct row *row, const char *comm,
				 size_t comm_len, unsigned long long cgroup_id);

/* A report's rows as an array @key of @o, each made by @row_json. */
void json_add_rows(struct json_object *o, const char *key,
		   const struct report_ctx *ctx, const struct rows *rows,
		   struct json_object *(*row_json)(const struct report_ctx *ctx,
						   const struct row *row));

/*
 * A report's rows as an array @key of @o, each json_row_new() (its comm and
 * cgroup at @m's comm_off and cgroup_off) with every row number of @m.
 */
void json_add_number_rows(struct json_object *o, const char *key,
			  const struct report_ctx *ctx,
			  const struct view_metrics *m,
			  const struct rows *rows);

/* Rows a text table shows: --top of @n. */
size_t view_rows_shown(const struct report_ctx *ctx, size_t n);
/* The footer of a table cut by --top: "(N more <what>; ...)". */
void view_rows_more(FILE *out, size_t shown, size_t n, const char *what);

#endif /* MMTRACE_VIEW_H */
