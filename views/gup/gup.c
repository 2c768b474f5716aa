// SPDX-License-Identifier: GPL-2.0
/* mmtrace gup: the table entry, FOLL_* resolution, glue and the report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "gup.h"
#include "gup.skel.h"
#include "ksyms.h"
#include "misses.h"
#include "output.h"
#include "quirks.h"
#include "rows.h"
#include "tasks.h"
#include "view.h"
#include "fields.h"

#define CORE_FUNCS { "gup_fast_fallback", "internal_get_user_pages_fast" }
#define TASK_EXIT { "gup_task_exit", PROBE_TRACEPOINT, { "sched/sched_process_exit" } }
/* A process's row takes its new name at exec, or when its leader is renamed. */
#define TASK_NAME { "gup_exec", PROBE_TRACEPOINT, { "sched/sched_process_exec" } }, \
	{ "gup_rename", PROBE_TP_BTF, { "task_rename" }, true }

static const struct observation gup_obs[] = {
	{
		.name = "gup.calls",
		.summary = "get/pin_user_pages_fast*() calls: pages asked for and returned, latency, errors, by FOLL_* class",
		.if_missing = "GUP-fast is not observable: no tracepoint covers it (needs fentry or kprobe on gup_fast_fallback or internal_get_user_pages_fast)",
		.required = true,
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "entry and return of the core every *_user_pages_fast*() wrapper calls",
				.points = {
					{ "gup_core_fentry", PROBE_FENTRY, CORE_FUNCS, .nargs = 4 },
					{ "gup_core_fexit", PROBE_FEXIT, CORE_FUNCS, .nargs = 4 },
					TASK_EXIT,
					TASK_NAME,
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry, through kprobes (slower per call)",
				.points = {
					{ "gup_core_kprobe", PROBE_KPROBE, CORE_FUNCS },
					{ "gup_core_kretprobe", PROBE_KRETPROBE, CORE_FUNCS },
					TASK_EXIT,
					TASK_NAME,
				},
			},
		},
	},
	{
		.name = "gup.slow_path",
		.summary = "pages the lockless walk got vs pages the slow-path fallback got",
		.if_missing = "lockless vs slow-path pages are not told apart (needs fentry or kprobe on __gup_longterm_locked); calls and totals still count",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "where the fallback starts inside a call: the pages before it were walked locklessly",
				.points = {
					{ "gup_longterm_fentry", PROBE_FENTRY,
					  { "__gup_longterm_locked" }, .nargs = 6 },
					{ "gup_unlocked_fentry", PROBE_FENTRY,
					  { "get_user_pages_unlocked" }, true, 4 },
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry, through kprobes",
				.points = {
					{ "gup_longterm_kprobe", PROBE_KPROBE,
					  { "__gup_longterm_locked" } },
					{ "gup_unlocked_kprobe", PROBE_KPROBE,
					  { "get_user_pages_unlocked" }, true },
				},
			},
		},
	},
	{
		.name = "gup.fork_race",
		.summary = "which process's fork pushed FOLL_PIN calls to the slow path (mm->write_protect_seq; counted under gup.slow_path)",
		.if_missing = "fork-caused fallbacks are still counted (gup.slow_path) but the forking process is not named (needs fentry or kprobe on copy_page_range)",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "copy_page_range of a COW VMA: the thread about to write-protect the mm",
				.points = {
					{ "gup_cpr_fentry", PROBE_FENTRY,
					  { "copy_page_range" }, .nargs = 2 },
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry, through a kprobe",
				.points = {
					{ "gup_cpr_kprobe", PROBE_KPROBE,
					  { "copy_page_range" } },
				},
			},
		},
	},
	{
		.name = "gup.retract_race",
		.summary = "GUP-fast calls a page-table retraction of their mm met (khugepaged or MADV_COLLAPSE collapsing a file range, 6.5+)",
		.if_missing = "GUP-fast calls meeting page-table retractions are not counted (needs kprobes on an out-of-line retract_page_tables and on pmdp_collapse_flush)",
		.plans = {
			{
				/*
				 * pmdp_collapse_flush returns a pmd_t by value:
				 * the 5.10 verifier refused fentry on it.
				 */
				.tier = TIER_KPROBE,
				.note = "pmdp_collapse_flush inside retract_page_tables counts a retraction of the VMA's mm (it returns a pmd_t by value, and fentry refused to load on it on 5.10); a call whose mm's count moved met one",
				.points = {
					{ "gup_retract_kprobe", PROBE_KPROBE,
					  { "retract_page_tables" } },
					{ "gup_retract_kretprobe", PROBE_KRETPROBE,
					  { "retract_page_tables" } },
					{ "gup_collapse_flush_kprobe", PROBE_KPROBE,
					  { "pmdp_collapse_flush" PROBE_CLONE_SUFFIX } },
				},
			},
		},
	},
	CHILDREN_OBSERVATION("gup"),
};

enum { OBS_CALLS, OBS_SLOW, OBS_FORKER, OBS_RETRACT };

static const char *const class_names[GUP_CLASSES] = {
	[GUP_ALL] = "all", [GUP_PIN] = "pin", [GUP_GET] = "get",
	[GUP_LONGTERM] = "longterm", [GUP_WRITE] = "write",
};

/* What a report can count as lost (include/filter.h). */
#define GUP_LOSSES                                                           \
	(LOSS_BIT(LOSS_WINDOW_MAP_FULL) | LOSS_BIT(LOSS_PROC_MAP_FULL) |     \
	 LOSSES_FOLLOW)

/* One report's share: the .bss counters' growth since the previous report. */
struct gup_report {
	struct gup_bpf__bss t;
	struct rows rows;
	struct rows callers;
	struct prog_misses misses;	/* events programs did not run for */
	struct gup_bpf *skel;		/* the stacks map names callers */
};

/* A frame of a caller's stack: its function, or its raw address. */
struct gup_frame {
	const char *name;	/* NULL: kallsyms hides addresses */
	char raw[24];		/* "0x..." */
};

static struct gup_bpf__bss prev_totals;
static struct prog_misses prev_misses;

/* Rows live in the BPF map while their process lives; diffed there. */
static struct row_table proc_rows = {
	.key_size = sizeof(struct gup_proc_key),
	.value_size = sizeof(struct gup_proc_stats),
	.sums_off = offsetof(struct gup_proc_stats, calls),
	.sums_end = offsetofend(struct gup_proc_stats, total_ns),
	.exited_off = offsetof(struct gup_proc_stats, exited),
};

/* Caller rows are cumulative in the map (a stack id is never reused). */
static struct row_table caller_rows = {
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct gup_caller_stats),
	.sums_off = offsetof(struct gup_caller_stats, calls),
	.sums_end = offsetofend(struct gup_caller_stats, pages_slow),
	.exited_off = -1,
};

static const struct gup_proc_stats *stats(const struct row *row)
{
	return (const void *)row->value;
}

static const struct gup_caller_stats *caller_stats(const struct row *row)
{
	return (const void *)row->value;
}

/* The key of a caller row: its stack id. */
static __u32 stack_id(const struct row *row)
{
	__u32 id;

	memcpy(&id, row->key, sizeof(id));
	return id;
}

static struct gup_foll foll;

static int gup_configure(void *skel, const struct view_opts *opts)
{
	const struct kernel_quirks *q = kernel_quirks();
	struct gup_bpf *s = skel;

	if (q->foll_assumed && opts->verbose)
		fprintf(stderr,
			"mmtrace: FOLL_* not in BTF; assuming 6.12's values\n");
	foll = (struct gup_foll){ .write = q->foll.write, .get = q->foll.get,
				  .pin = q->foll.pin,
				  .longterm = q->foll.longterm };
	s->rodata->filter = opts->filter;
	s->rodata->foll = foll;
	s->rodata->longterm_locked_has_task = q->gup_longterm_has_task;
	return bpf_map__set_max_entries(s->maps.procs, opts->max_procs);
}

VIEW_BUSY(gup, calls_open)

static int cmp_rows(const void *a, const void *b)
{
	const struct gup_proc_stats *x = stats(a), *y = stats(b);

	if (x->asked != y->asked)
		return x->asked < y->asked ? 1 : -1;
	return row_pid(a) < row_pid(b) ? -1 : row_pid(a) > row_pid(b);
}

static int cmp_callers(const void *a, const void *b)
{
	const struct gup_caller_stats *x = caller_stats(a);
	const struct gup_caller_stats *y = caller_stats(b);

	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return stack_id(a) < stack_id(b) ? -1 : stack_id(a) > stack_id(b);
}

/* GUP itself, iov_iter glue and the tracer's own frames name no caller. */
static bool gup_internal(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "gup_", "internal_get_user_pages_fast",
		"get_user_pages_fast", "pin_user_pages_fast", "iov_iter_",
		"__iov_iter_", "want_pages_array",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/*
 * The tracer's own frames above GUP: this BPF program and the trampoline
 * that calls it (ftrace_trampoline on 6.1, bpf_trampoline_<id> where
 * kallsyms lists BPF trampolines). They are not the caller's path: the
 * one symbolizer names them, so they are left out here.
 */
static bool tracer_frame(const char *name)
{
	return !strncmp(name, "bpf_prog_", 9) ||
	       !strncmp(name, "bpf_trampoline_", 15) ||
	       !strcmp(name, "ftrace_trampoline");
}

static const char *frame_str(const struct gup_frame *f)
{
	return f->name ? f->name : f->raw;
}

/*
 * The frames of @stack_id into @frames; *caller is the first frame
 * outside GUP, NULL when kallsyms hides the names that tell. Returns the
 * number of frames.
 */
static int caller_frames(int stacks_fd, __u32 stack_id,
			 struct gup_frame frames[GUP_STACK_DEPTH],
			 const char **caller)
{
	const struct ksyms *ks = ksyms_kernel();
	__u64 ips[GUP_STACK_DEPTH] = {};
	unsigned long long off;
	const char *name;
	int n = 0;

	*caller = NULL;
	if (bpf_map_lookup_elem(stacks_fd, &stack_id, ips))
		return 0;
	for (int i = 0; i < GUP_STACK_DEPTH && ips[i]; i++) {
		name = ksyms_symbolize(ks, ips[i], &off);
		/* Below every symbol: nothing to say, unless all are hidden. */
		if ((!name && !ksyms_addrs_hidden(ks)) ||
		    (name && tracer_frame(name)))
			continue;
		frames[n].name = name;
		snprintf(frames[n].raw, sizeof(frames[n].raw), "0x%llx",
			 (unsigned long long)ips[i]);
		n++;
		if (!name)
			continue;
		/*
		 * Before 5.13 the unwinder cannot pass the return address a
		 * kretprobe replaced (kprobe tier): the caller is unknown.
		 */
		if (strstr(name, "kretprobe_trampoline"))
			break;
		if (!*caller && !gup_internal(name))
			*caller = name;
	}
	return n;
}

static int collect(struct gup_bpf *s, struct gup_report *r,
		   const struct report_ctx *ctx)
{
	int err;

	r->skel = s;
	BSS_DELTA(&r->t, &prev_totals, s->bss);
	misses_collect(s->obj, &prev_misses, &r->misses);
	err = rows_read(&caller_rows, bpf_map__fd(s->maps.callers),
			&r->callers);
	rows_sort(&r->callers, cmp_callers);
	if (err)
		return err;
	err = rows_read(&proc_rows, bpf_map__fd(s->maps.procs), &r->rows);
	rows_sort(&r->rows, cmp_rows);
	return err;
}

/* Without the fallback probe, fast and slow pages cannot be told apart. */
static bool split_known(const struct report_ctx *ctx)
{
	return obs_known(ctx, OBS_SLOW);
}

static struct json_object *class_json(const struct report_ctx *ctx,
				      const __u64 *c)
{
	struct json_object *j = json_object_new_object();
	bool split = split_known(ctx);

	json_add_u64(j, "calls", c[GC_CALLS]);
	json_add_u64(j, "pages_asked", c[GC_ASKED]);
	json_add_u64(j, "pages_returned", c[GC_RETURNED]);
	json_add_u64_known(j, "pages_fast", split, c[GC_FAST]);
	json_add_u64_known(j, "pages_slow", split, c[GC_SLOW]);
	json_add_u64_known(j, "fallbacks", split, c[GC_FALLBACKS]);
	json_add_u64(j, "short", c[GC_SHORT]);
	json_add_u64(j, "errors", c[GC_ERRORS]);
	json_add_u64_known(j, "fork_fallbacks", split, c[GC_FORK_FALLBACKS]);
	json_add_u64_known(j, "fork_fallback_pages", split, c[GC_FORK_PAGES]);
	json_add_u64_known(j, "retract_overlaps", obs_known(ctx, OBS_RETRACT),
			   c[GC_RETRACT_OVERLAPS]);
	return j;
}

static const char *errno_name(int e)
{
	const char *name = e ? strerrorname_np(e) : NULL;

	return name ? name : "other";
}

static struct json_object *errors_json(const struct gup_report *r)
{
	struct json_object *a = json_object_new_array();

	for (int e = 0; e < GUP_ERRNO_SLOTS; e++) {
		struct json_object *j;

		if (!r->t.errors[e])
			continue;
		j = json_object_new_object();
		json_add(j, "errno", e ? json_object_new_int(e) : NULL);
		json_add_str(j, "name", errno_name(e));
		json_add_u64(j, "count", r->t.errors[e]);
		json_object_array_add(a, j);
	}
	return a;
}

static struct json_object *latency_json(const struct report_ctx *ctx,
					const struct gup_report *r)
{
	struct json_object *j = json_object_new_object();
	const __u64 *fast = r->t.latency_hist[GUP_LAT_FAST];
	const __u64 *fallback = r->t.latency_hist[GUP_LAT_FALLBACK];
	__u64 all[HIST_LEN];
	bool split = split_known(ctx);

	for (int i = 0; i < HIST_SLOTS; i++)
		all[i] = fast[i] + fallback[i];
	json_add(j, "all", hist_json(all, HIST_SLOTS));
	/* Without the fallback probe every call looks fast: say unknown. */
	json_add(j, "fast", split ? hist_json(fast, HIST_SLOTS) : NULL);
	json_add(j, "fallback", split ? hist_json(fallback, HIST_SLOTS) : NULL);
	return j;
}

/* The process whose fork last pushed one of this process's calls. */
static struct json_object *forker_json(const struct report_ctx *ctx,
				       const struct gup_proc_stats *st)
{
	struct json_object *j;

	if (!st->forker_pid || !obs_known(ctx, OBS_FORKER))
		return NULL;
	j = json_object_new_object();
	json_add_int(j, "pid", st->forker_pid);
	json_add(j, "comm", json_comm(st->forker_comm,
				      sizeof(st->forker_comm)));
	return j;
}

static struct json_object *row_json(const struct report_ctx *ctx,
				    const struct row *row)
{
	const struct gup_proc_stats *st = stats(row);
	struct json_object *j = json_row_new(row, st->comm, sizeof(st->comm),
					       st->cgroup_id);
	bool split = split_known(ctx);

	json_add_u64(j, "calls", st->calls);
	json_add_u64(j, "pages_asked", st->asked);
	json_add_u64(j, "pages_returned", st->returned);
	json_add_u64_known(j, "pages_fast", split, st->pages_fast);
	json_add_u64_known(j, "pages_slow", split, st->pages_slow);
	json_add_u64_known(j, "fallbacks", split, st->fallbacks);
	json_add_u64(j, "errors", st->errors);
	json_add_u64(j, "pin_calls", st->pin_calls);
	json_add_u64_known(j, "fork_fallbacks", split, st->fork_fallbacks);
	json_add_u64_known(j, "fork_fallback_pages", split, st->fork_pages);
	json_add(j, "forker", forker_json(ctx, st));
	json_add_u64_known(j, "retract_overlaps", obs_known(ctx, OBS_RETRACT),
			   st->retract_overlaps);
	json_add_u64(j, "gup_total_ns", st->total_ns);
	json_add_bool(j, "first_pin", st->first_pin);
	json_add_bool(j, "has_pinned", st->has_pinned);
	return j;
}

/*
 * A caller as a report prints it: the first frame outside GUP and, in
 * JSON, the whole stack by function name. Stacks that differ only in what
 * is not printed (deeper frames in text, offsets in both) are one caller.
 */
struct caller_line {
	const char *caller;
	struct gup_frame frames[GUP_STACK_DEPTH];
	int n;
	struct gup_caller_stats sum;
};

/*
 * Without a caller (kallsyms hides names) text prints the raw stack
 * under a "?" row, so the whole stack tells such lines apart there too.
 */
static bool same_line(const struct caller_line *a,
		      const struct caller_line *b, bool whole_stack)
{
	if ((a->caller == NULL) != (b->caller == NULL) ||
	    (a->caller && strcmp(a->caller, b->caller)))
		return false;
	if (!whole_stack && a->caller)
		return true;
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(frame_str(&a->frames[i]), frame_str(&b->frames[i])))
			return false;
	return true;
}

static int cmp_lines(const void *a, const void *b)
{
	const struct caller_line *x = a, *y = b;

	if (x->sum.calls != y->sum.calls)
		return x->sum.calls < y->sum.calls ? 1 : -1;
	if (!x->caller || !y->caller)
		return !x->caller - !y->caller;
	return strcmp(x->caller, y->caller);
}

/* The report's callers, one line per distinct printout; NULL if no memory. */
static struct caller_line *caller_lines(const struct gup_report *r,
					bool whole_stack, size_t *n_lines)
{
	int fd = bpf_map__fd(r->skel->maps.stacks);
	struct caller_line *lines, cur;
	size_t n = 0;

	lines = calloc(r->callers.n ? r->callers.n : 1, sizeof(*lines));
	if (!lines)
		return NULL;
	for (size_t i = 0; i < r->callers.n; i++) {
		const struct row *row = &r->callers.r[i];
		const struct gup_caller_stats *c = caller_stats(row);
		size_t j;

		memset(&cur, 0, sizeof(cur));
		cur.n = caller_frames(fd, stack_id(row), cur.frames, &cur.caller);
		for (j = 0; j < n && !same_line(&lines[j], &cur, whole_stack);
		     j++)
			;
		if (j == n)
			lines[n++] = cur;
		lines[j].sum.calls += c->calls;
		lines[j].sum.asked += c->asked;
		lines[j].sum.pages_fast += c->pages_fast;
		lines[j].sum.pages_slow += c->pages_slow;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	*n_lines = n;
	return lines;
}

static struct json_object *callers_json(const struct report_ctx *ctx,
					const struct gup_report *r)
{
	struct json_object *a = json_object_new_array();
	bool split = split_known(ctx);
	struct caller_line *lines;
	size_t n = 0;

	lines = caller_lines(r, true, &n);
	for (size_t i = 0; lines && i < n; i++) {
		const struct caller_line *l = &lines[i];
		struct json_object *j = json_object_new_object();
		struct json_object *stack = json_object_new_array();

		for (int f = 0; f < l->n; f++)
			json_object_array_add(stack, json_object_new_string(
						frame_str(&l->frames[f])));
		json_add(j, "caller",
			 l->caller ? json_object_new_string(l->caller) : NULL);
		json_add_u64(j, "calls", l->sum.calls);
		json_add_u64(j, "pages_asked", l->sum.asked);
		json_add_u64_known(j, "pages_fast", split, l->sum.pages_fast);
		json_add_u64_known(j, "pages_slow", split, l->sum.pages_slow);
		json_add(j, "stack", stack);
		json_object_array_add(a, j);
	}
	free(lines);
	return a;
}

static struct json_object *foll_json(void)
{
	struct json_object *j = json_object_new_object();

	json_add_int(j, "write", foll.write);
	json_add_int(j, "get", foll.get);
	json_add_int(j, "pin", foll.pin);
	json_add_int(j, "longterm", foll.longterm);
	return j;
}

static void report_json(const struct report_ctx *ctx,
			const struct gup_report *r, struct json_object *o)
{
	struct json_object *units = json_object_new_object();
	struct json_object *by = json_object_new_object();
	struct json_object *t, *lost;

	json_add_str(units, "latency", "ns");
	json_add_str(units, "pages", "base_pages");
	json_add(o, "units", units);
	json_add(o, "foll", foll_json());
	t = class_json(ctx, r->t.counters[GUP_ALL]);
	json_add_u64(t, "first_pins", r->t.first_pins);
	json_add(o, "totals", t);
	for (int c = GUP_PIN; c < GUP_CLASSES; c++)
		json_add(by, class_names[c], class_json(ctx, r->t.counters[c]));
	json_add(o, "by_flag", by);
	json_add(o, "latency_ns", latency_json(ctx, r));
	json_add(o, "errors", errors_json(r));
	json_add_rows(o, "processes", ctx, &r->rows, row_json);
	json_add(o, "callers", callers_json(ctx, r));
	lost = json_add_losses(o, r->t.losses, GUP_LOSSES);
	/* gup's own: calls counted, but not by caller */
	json_add_u64(lost, "caller_map_full", r->t.caller_losses);
	json_add_u64(lost, "recursion_misses", misses_total(&r->misses));
	json_add(lost, "recursion_misses_by_program", misses_json(&r->misses));
}

static void print_split(FILE *out, bool known, __u64 v)
{
	if (known)
		fprintf(out, " %9llu", v);
	else
		fprintf(out, " %9s", "n/a");
}

static void print_classes(const struct report_ctx *ctx,
			  const struct gup_report *r)
{
	FILE *out = ctx->out;
	bool split = split_known(ctx);

	fprintf(out, "\n%-9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "FOLL",
		"CALLS", "ASKED", "RETURNED", "FAST", "SLOW", "FALLBACKS",
		"SHORT", "ERRORS");
	for (int c = 0; c < GUP_CLASSES; c++) {
		const __u64 *v = r->t.counters[c];

		fprintf(out, "%-9s %9llu %9llu %9llu", class_names[c],
			v[GC_CALLS], v[GC_ASKED], v[GC_RETURNED]);
		print_split(out, split, v[GC_FAST]);
		print_split(out, split, v[GC_SLOW]);
		print_split(out, split, v[GC_FALLBACKS]);
		fprintf(out, " %9llu %9llu\n", v[GC_SHORT], v[GC_ERRORS]);
	}
}

/* Under the table: who forked, for each shown row a fork pushed. */
static void print_forkers(const struct report_ctx *ctx,
			  const struct gup_report *r, size_t n)
{
	char comm[COMM_TEXT_LEN], forker[COMM_TEXT_LEN];

	if (!obs_known(ctx, OBS_FORKER))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct gup_proc_stats *st = stats(&r->rows.r[i]);

		if (!st->fork_fallbacks || !st->forker_pid)
			continue;
		text_comm(st->comm, sizeof(st->comm), comm);
		text_comm(st->forker_comm, sizeof(st->forker_comm), forker);
		fprintf(ctx->out, "%u %s: %llu pins pushed to the slow path by forks of %u %s\n",
			row_pid(&r->rows.r[i]), comm, st->fork_fallbacks,
			st->forker_pid, forker);
	}
}

static void print_rows(const struct report_ctx *ctx,
		       const struct gup_report *r)
{
	FILE *out = ctx->out;
	size_t n = view_rows_shown(ctx, r->rows.n);
	bool split = split_known(ctx);
	char comm[COMM_TEXT_LEN];

	if (!r->rows.n)
		return;
	fprintf(out, "\n%-8s %-16s %8s %9s %9s %9s %9s %7s %7s %s\n", "PID",
		"COMM", "CALLS", "ASKED", "RETURNED", "FAST", "SLOW", "ERRORS",
		"FORK_FB", "HAS_PINNED");
	for (size_t i = 0; i < n; i++) {
		const struct row *row = &r->rows.r[i];
		const struct gup_proc_stats *st = stats(row);

		text_comm(st->comm, sizeof(st->comm), comm);
		fprintf(out, "%-8u %-16s %8llu %9llu %9llu", row_pid(row), comm,
			st->calls, st->asked, st->returned);
		print_split(out, split, st->pages_fast);
		print_split(out, split, st->pages_slow);
		fprintf(out, " %7llu", st->errors);
		if (split)
			fprintf(out, " %7llu", st->fork_fallbacks);
		else
			fprintf(out, " %7s", "n/a");
		fprintf(out, " %s%s\n", st->has_pinned ? "yes" : "no",
			st->first_pin ? " (first pin seen)" : "");
	}
	view_rows_more(out, n, r->rows.n, "processes");
	print_forkers(ctx, r, n);
}

static void print_callers(const struct report_ctx *ctx,
			  const struct gup_report *r)
{
	bool split = split_known(ctx);
	FILE *out = ctx->out;
	struct caller_line *lines;
	size_t n = 0, shown;

	if (!r->callers.n)
		return;
	lines = caller_lines(r, false, &n);
	if (!lines)
		return;
	shown = view_rows_shown(ctx, n);
	fprintf(out, "\n%-32s %8s %9s %9s %9s\n", "CALLER", "CALLS", "ASKED",
		"FAST", "SLOW");
	for (size_t i = 0; i < shown; i++) {
		const struct caller_line *l = &lines[i];

		fprintf(out, "%-32s %8llu %9llu", l->caller ? l->caller : "?",
			l->sum.calls, l->sum.asked);
		print_split(out, split, l->sum.pages_fast);
		print_split(out, split, l->sum.pages_slow);
		fprintf(out, "\n");
		/* Hidden names: the raw stack tells the rows apart. */
		for (int f = 0; !l->caller && f < l->n; f++)
			if (!l->frames[f].name)
				fprintf(out, "    %s\n", l->frames[f].raw);
	}
	free(lines);
}

static void report_text(const struct report_ctx *ctx,
			const struct gup_report *r)
{
	FILE *out = ctx->out;
	const __u64 *all = r->t.counters[GUP_ALL];
	char ts[32];

	fprintf(out, "\n%sGUP-fast calls %llu  pages asked %llu  returned %llu  first pins %llu\n",
		report_time(ctx, ts, sizeof(ts)), all[GC_CALLS],
		all[GC_ASKED], all[GC_RETURNED], r->t.first_pins);
	print_classes(ctx, r);
	if (split_known(ctx))
		fprintf(out, "\nfell back because a fork of the same mm was write-protecting it (inferred, FOLL_PIN): %llu calls, %llu pages\n",
			all[GC_FORK_FALLBACKS], all[GC_FORK_PAGES]);
	if (obs_known(ctx, OBS_RETRACT))
		fprintf(out, "met a page-table retraction of their mm (khugepaged, MADV_COLLAPSE): %llu calls\n",
			all[GC_RETRACT_OVERLAPS]);
	if (split_known(ctx)) {
		fprintf(out, "\nlatency, calls the lockless walk finished:\n");
		print_log2_hist(out, r->t.latency_hist[GUP_LAT_FAST], HIST_SLOTS, "nsecs");
		fprintf(out, "\nlatency, calls that fell back to the slow path:\n");
		print_log2_hist(out, r->t.latency_hist[GUP_LAT_FALLBACK], HIST_SLOTS, "nsecs");
	} else {
		fprintf(out, "\nlatency, all calls:\n");
		print_log2_hist(out, r->t.latency_hist[GUP_LAT_FAST], HIST_SLOTS, "nsecs");
	}
	if (all[GC_ERRORS]) {
		fprintf(out, "\nerrors:");
		for (int e = 0; e < GUP_ERRNO_SLOTS; e++)
			if (r->t.errors[e])
				fprintf(out, " %s %llu", errno_name(e),
					r->t.errors[e]);
		fprintf(out, "\n");
	}
	print_callers(ctx, r);
	print_rows(ctx, r);
	losses_text(out, r->t.losses, GUP_LOSSES, "calls");
	if (r->t.caller_losses)
		fprintf(out, "LOST: %llu callers (caller_map_full)\n",
			r->t.caller_losses);
	if (misses_total(&r->misses))
		fprintf(out, "LOST: %llu events (recursion_misses: program busy on that CPU)\n",
			misses_total(&r->misses));
	fflush(out);
}

VIEW_SKELETON(gup, &r.rows, &r.callers)

#define BSS struct gup_bpf__bss
#define CLASS(c) .label = "class", .label_value = c
#define LAT(l) .label = "path", .label_value = l

#define ROW(n, h, member, dec, ob)                                           \
	ROW_METRIC(struct gup_proc_stats, n, h, member, dec, ob)

static const struct number gup_numbers[] = {
	METRIC_U64(BSS, "gup_calls", "GUP-fast calls, by FOLL_* class (all, pin, get, longterm, write)",
		   counters[GUP_ALL][GC_CALLS], 0, OBS_CALLS, CLASS("all")),
	METRIC_U64(BSS, "gup_calls", "", counters[GUP_PIN][GC_CALLS], 0,
		   OBS_CALLS, CLASS("pin")),
	METRIC_U64(BSS, "gup_calls", "", counters[GUP_GET][GC_CALLS], 0,
		   OBS_CALLS, CLASS("get")),
	METRIC_U64(BSS, "gup_calls", "", counters[GUP_LONGTERM][GC_CALLS], 0,
		   OBS_CALLS, CLASS("longterm")),
	METRIC_U64(BSS, "gup_calls", "", counters[GUP_WRITE][GC_CALLS], 0,
		   OBS_CALLS, CLASS("write")),
	METRIC_U64(BSS, "gup_pages_asked", "Pages GUP-fast callers asked for",
		   counters[GUP_ALL][GC_ASKED], 0, OBS_CALLS),
	METRIC_U64(BSS, "gup_pages_returned", "Pages GUP-fast calls returned",
		   counters[GUP_ALL][GC_RETURNED], 0, OBS_CALLS),
	METRIC_U64(BSS, "gup_pages_fast", "Pages the lockless walk got",
		   counters[GUP_ALL][GC_FAST], 0, OBS_SLOW),
	METRIC_U64(BSS, "gup_pages_slow", "Pages the slow-path fallback got (under mmap_lock)",
		   counters[GUP_ALL][GC_SLOW], 0, OBS_SLOW),
	METRIC_U64(BSS, "gup_fallbacks", "GUP-fast calls that fell back to the slow path",
		   counters[GUP_ALL][GC_FALLBACKS], 0, OBS_SLOW),
	METRIC_U64(BSS, "gup_short", "GUP-fast calls that returned fewer pages than asked",
		   counters[GUP_ALL][GC_SHORT], 0, OBS_CALLS),
	METRIC_U64(BSS, "gup_errors", "GUP-fast calls that returned an error",
		   counters[GUP_ALL][GC_ERRORS], 0, OBS_CALLS),
	METRIC_U64(BSS, "gup_fork_fallbacks", "FOLL_PIN GUP-fast calls a fork of the same mm pushed to the slow path (write_protect_seq; inferred)",
		   counters[GUP_ALL][GC_FORK_FALLBACKS], 0, OBS_SLOW),
	METRIC_U64(BSS, "gup_fork_fallback_pages", "Pages the slow path got in calls a fork pushed there",
		   counters[GUP_ALL][GC_FORK_PAGES], 0, OBS_SLOW),
	METRIC_U64(BSS, "gup_retract_overlaps", "GUP-fast calls a page-table retraction (retract_page_tables) of their mm met",
		   counters[GUP_ALL][GC_RETRACT_OVERLAPS], 0, OBS_RETRACT),
	METRIC_U64(BSS, "gup_first_pins", "Calls that set MMF_HAS_PINNED: the mm's forks copy pinned pages from then on",
		   first_pins, 0, OBS_CALLS),
	METRIC_U64(BSS, "gup_caller_table_lost", "Calls not attributed to a caller: the caller table was full",
		   caller_losses, 0, OBS_CALLS),
	METRIC_HIST_NS(BSS, "gup_latency_seconds", "GUP-fast call latency, by whether it fell back to the slow path",
		       latency_hist[GUP_LAT_FAST], OBS_SLOW, LAT("fast")),
	METRIC_HIST_NS(BSS, "gup_latency_seconds", "",
		       latency_hist[GUP_LAT_FALLBACK], OBS_SLOW,
		       LAT("fallback")),
	ROW("calls", "GUP-fast calls", calls, 0, OBS_CALLS),
	ROW("pages_returned", "Pages GUP-fast calls returned", returned, 0,
	    OBS_CALLS),
	ROW("fallbacks", "Calls that fell back to the slow path", fallbacks, 0,
	    OBS_SLOW),
	ROW("pin_calls", "FOLL_PIN calls", pin_calls, 0, OBS_CALLS),
	ROW("fork_fallbacks", "FOLL_PIN calls a fork of the same mm pushed to the slow path",
	    fork_fallbacks, 0, OBS_SLOW),
	ROW("retract_overlaps", "GUP-fast calls a page-table retraction of their mm met",
	    retract_overlaps, 0, OBS_RETRACT),
	FIELD(F_GUP_CALLS, struct gup_proc_stats, calls, OBS_CALLS),
	FIELD(F_GUP_FAST, struct gup_proc_stats, pages_fast, OBS_SLOW),
	FIELD(F_GUP_SLOW, struct gup_proc_stats, pages_slow, OBS_SLOW),
};

VIEW_METRICS(gup, &proc_rows, struct gup_proc_stats);

const struct view gup_view = {
	.name = "gup",
	.summary = "GUP-fast pins and gets: lockless pages vs slow-path fallback",
	.doc = "Trace get_user_pages_fast() and pin_user_pages_fast(): calls, "
	       "pages asked for and returned, how many the lockless walk got "
	       "and how many the slow path had to fault in, by FOLL_PIN, "
	       "FOLL_GET, FOLL_LONGTERM and FOLL_WRITE; latency, errors, and "
	       "per process whether its mm has ever pinned (what makes fork "
	       "copy pages early).\v"
	       "Examples:\n"
	       "  mmtrace gup                      # all processes, until Ctrl-C\n"
	       "  mmtrace gup -i 5 -T              # a report every 5 s\n"
	       "  mmtrace gup --json -- ./app      # run ./app, trace it, JSON\n"
	       "Needs fentry or kprobes: no tracepoint covers GUP-fast.\n"
	       "Which kernel hooks are used: mmtrace probes.",
	.obs = gup_obs,
	.n_obs = ARRAY_LEN(gup_obs),
	VIEW_OPS(gup),
	.configure = gup_configure,
	.busy = gup_busy,
	.names_frames = true,
	.metrics = &gup_metrics,
};
