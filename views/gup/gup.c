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

#define CORE_FUNCS "gup_fast_fallback", "internal_get_user_pages_fast"
#define TASK_EXIT { "gup_task_exit", PROBE_TRACEPOINT, { "sched/sched_process_exit" } }
/* A process's row takes its new name at exec, or when its leader is renamed. */
#define TASK_NAME { "gup_exec", PROBE_TRACEPOINT, { "sched/sched_process_exec" } }, \
	{ "gup_rename", PROBE_TP_BTF, { "task_rename" }, true }

/* Each point at the fentry and kprobe tiers (TWIN_PLANS, user/probe.h). */
#define CALLS_POINTS(P)                                                      \
	P(ENTRY, "gup_core", 4, false, CORE_FUNCS)                           \
	P(RETURN, "gup_core", 4, false, CORE_FUNCS)
#define SLOW_PATH_POINTS(P)                                                  \
	P(ENTRY, "gup_longterm", 6, false, "__gup_longterm_locked")          \
	P(ENTRY, "gup_unlocked", 4, true, "get_user_pages_unlocked")
#define FORKER_POINTS(P) P(ENTRY, "gup_cpr", 2, false, "copy_page_range")

static const struct observation gup_obs[] = {
	{
		.name = "gup.calls",
		.summary = "get/pin_user_pages_fast*() calls: pages asked for and returned, latency, errors, by FOLL_* class",
		.if_missing = "GUP-fast is not observable: no tracepoint covers it (needs fentry or kprobe on gup_fast_fallback or internal_get_user_pages_fast)",
		.required = true,
		.plans = { TWIN_PLANS(CALLS_POINTS,
			"entry and return of the core every *_user_pages_fast*() wrapper calls",
			"as fentry, through kprobes (slower per call)",
			TASK_EXIT, TASK_NAME) },
	},
	{
		.name = "gup.slow_path",
		.summary = "pages the lockless walk got vs pages the slow-path fallback got",
		.if_missing = "lockless vs slow-path pages are not told apart (needs fentry or kprobe on __gup_longterm_locked); calls and totals still count",
		.plans = { TWIN_PLANS(SLOW_PATH_POINTS,
			"where the fallback starts inside a call: the pages before it were walked locklessly",
			"as fentry, through kprobes") },
	},
	{
		.name = "gup.fork_race",
		.summary = "which process's fork pushed FOLL_PIN calls to the slow path (mm->write_protect_seq; counted under gup.slow_path)",
		.if_missing = "fork-caused fallbacks are still counted (gup.slow_path) but the forking process is not named (needs fentry or kprobe on copy_page_range)",
		.plans = { TWIN_PLANS(FORKER_POINTS,
			"copy_page_range of a COW VMA: the thread about to write-protect the mm",
			"as fentry, through a kprobe") },
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
	 LOSS_BIT(LOSS_CALLER_UNKNOWN) | LOSSES_FOLLOW)

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
static struct row_table proc_rows = PROC_ROW_TABLE(
	struct gup_proc_key, struct gup_proc_stats, calls, total_ns);

/* Caller rows are cumulative in the map (a stack's key is never reused). */
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

/* The key of a caller row: its stack's key in the stacks map. */
static __u32 stack_key(const struct row *row)
{
	__u32 key;

	memcpy(&key, row->key, sizeof(key));
	return key;
}

#define BSS struct gup_bpf__bss
#define ROW struct gup_proc_stats
#define CLASS(c) LABEL("class", c)
#define LAT(l) LABEL("path", l)
/* A counter of the block of FOLL class GUP_ALL (BY_CLASS: the others). */
#define ALL(c) AT_BSS(counters[GUP_ALL][c])
#define BY_CLASS offsetof(BSS, counters[GUP_ALL]), offsetofend(BSS, counters[GUP_ALL])

/* Positions in gup_numbers[] of the numbers the report names. */
enum gup_number {
	N_CALLS, N_CALLS_PIN, N_CALLS_GET, N_CALLS_LONGTERM, N_CALLS_WRITE,
	N_ASKED, N_RETURNED, N_FAST, N_SLOW, N_FALLBACKS, N_SHORT, N_ERRORS,
	N_PIN_CALLS, N_FORK_FALLBACKS, N_FORK_PAGES, N_RETRACT, N_TOTAL_NS,
	N_FIRST_PIN, N_HAS_PINNED, N_FIRST_PINS, N_LAT_FAST,
	N_LAT_FALLBACK,
};

/*
 * Every number gup reports, once. A FOLL class's counters are a block
 * (counters[class]): "totals" and the text's class table read GUP_ALL's
 * here, "by_flag" the other classes' at the same places. The order is
 * JSON's and the text tables'.
 */
static const struct number gup_numbers[] = {
	[N_CALLS] = NUMBER("calls", OBS_CALLS, .text = "GUP-fast calls",
		ALL(GC_CALLS), AT_ROW(calls), BLOCK_COLUMN("CALLS"),
		COLUMN("CALLS", 8),
		EXPORT("gup_calls", "GUP-fast calls, by FOLL_* class (all, pin, get, longterm, write)"),
		CLASS("all"), EXPORT_ROW("calls"), .row_help = "GUP-fast calls",
		.field = F_GUP_CALLS),
	[N_CALLS_PIN] = NUMBER(NULL, OBS_CALLS,
		AT_BSS(counters[GUP_PIN][GC_CALLS]), EXPORT("gup_calls", ""),
		CLASS("pin")),
	[N_CALLS_GET] = NUMBER(NULL, OBS_CALLS,
		AT_BSS(counters[GUP_GET][GC_CALLS]), EXPORT("gup_calls", ""),
		CLASS("get")),
	[N_CALLS_LONGTERM] = NUMBER(NULL, OBS_CALLS,
		AT_BSS(counters[GUP_LONGTERM][GC_CALLS]),
		EXPORT("gup_calls", ""), CLASS("longterm")),
	[N_CALLS_WRITE] = NUMBER(NULL, OBS_CALLS,
		AT_BSS(counters[GUP_WRITE][GC_CALLS]), EXPORT("gup_calls", ""),
		CLASS("write")),
	[N_ASKED] = NUMBER("pages_asked", OBS_CALLS, .text = "pages asked",
		ALL(GC_ASKED), AT_ROW(asked), BLOCK_COLUMN("ASKED"),
		COLUMN("ASKED", 9), SORT(1),
		EXPORT("gup_pages_asked", "Pages GUP-fast callers asked for")),
	[N_RETURNED] = NUMBER("pages_returned", OBS_CALLS, .text = "returned",
		ALL(GC_RETURNED), AT_ROW(returned), BLOCK_COLUMN("RETURNED"),
		COLUMN("RETURNED", 9),
		EXPORT("gup_pages_returned", "Pages GUP-fast calls returned"),
		EXPORT_ROW("pages_returned")),
	/* Without the fallback's probe every page looks fast: unknown. */
	[N_FAST] = NUMBER("pages_fast", OBS_SLOW, ALL(GC_FAST),
		AT_ROW(pages_fast), BLOCK_COLUMN("FAST"), COLUMN("FAST", 9),
		EXPORT("gup_pages_fast", "Pages the lockless walk got"),
		.field = F_GUP_FAST),
	[N_SLOW] = NUMBER("pages_slow", OBS_SLOW, ALL(GC_SLOW),
		AT_ROW(pages_slow), BLOCK_COLUMN("SLOW"), COLUMN("SLOW", 9),
		EXPORT("gup_pages_slow", "Pages the slow-path fallback got (under mmap_lock)"),
		.field = F_GUP_SLOW),
	[N_FALLBACKS] = NUMBER("fallbacks", OBS_SLOW, ALL(GC_FALLBACKS),
		AT_ROW(fallbacks), BLOCK_COLUMN("FALLBACKS"),
		EXPORT("gup_fallbacks", "GUP-fast calls that fell back to the slow path"),
		EXPORT_ROW("fallbacks"),
		.row_help = "Calls that fell back to the slow path"),
	[N_SHORT] = NUMBER("short", OBS_CALLS, ALL(GC_SHORT),
		BLOCK_COLUMN("SHORT"),
		EXPORT("gup_short", "GUP-fast calls that returned fewer pages than asked")),
	[N_ERRORS] = NUMBER("errors", OBS_CALLS, ALL(GC_ERRORS), AT_ROW(errors),
		BLOCK_COLUMN("ERRORS"), COLUMN("ERRORS", 7),
		EXPORT("gup_errors", "GUP-fast calls that returned an error")),
	[N_PIN_CALLS] = NUMBER("pin_calls", OBS_CALLS, AT_ROW(pin_calls),
		EXPORT_ROW("pin_calls"), .row_help = "FOLL_PIN calls"),
	[N_FORK_FALLBACKS] = NUMBER("fork_fallbacks", OBS_SLOW,
		ALL(GC_FORK_FALLBACKS), AT_ROW(fork_fallbacks),
		COLUMN("FORK_FB", 7),
		EXPORT("gup_fork_fallbacks", "FOLL_PIN GUP-fast calls a fork of the same mm pushed to the slow path (write_protect_seq; inferred)"),
		EXPORT_ROW("fork_fallbacks"),
		.row_help = "FOLL_PIN calls a fork of the same mm pushed to the slow path"),
	[N_FORK_PAGES] = NUMBER("fork_fallback_pages", OBS_SLOW,
		ALL(GC_FORK_PAGES), AT_ROW(fork_pages),
		EXPORT("gup_fork_fallback_pages", "Pages the slow path got in calls a fork pushed there")),
	[N_RETRACT] = NUMBER("retract_overlaps", OBS_RETRACT,
		ALL(GC_RETRACT_OVERLAPS), AT_ROW(retract_overlaps),
		EXPORT("gup_retract_overlaps", "GUP-fast calls a page-table retraction (retract_page_tables) of their mm met"),
		EXPORT_ROW("retract_overlaps"),
		.row_help = "GUP-fast calls a page-table retraction of their mm met"),
	[N_TOTAL_NS] = NUMBER("gup_total_ns", OBS_CALLS, NS, AT_ROW(total_ns)),
	[N_FIRST_PIN] = NUMBER("first_pin", OBS_CALLS, AT_ROW(first_pin),
		.yes_no = true),
	[N_HAS_PINNED] = NUMBER("has_pinned", OBS_CALLS, AT_ROW(has_pinned),
		COLUMN("HAS_PINNED", 0), .yes_no = true),
	[N_FIRST_PINS] = NUMBER("first_pins", OBS_CALLS, .text = "first pins",
		AT_BSS(first_pins),
		EXPORT("gup_first_pins", "Calls that set MMF_HAS_PINNED: the mm's forks copy pinned pages from then on")),
	[N_LAT_FAST] = HISTOGRAM_NS("gup_latency_seconds", "GUP-fast call latency, by whether it fell back to the slow path",
		latency_hist[GUP_LAT_FAST], OBS_SLOW, LAT("fast")),
	[N_LAT_FALLBACK] = HISTOGRAM_NS("gup_latency_seconds", "",
		latency_hist[GUP_LAT_FALLBACK], OBS_SLOW, LAT("fallback")),
};

VIEW_METRICS(gup, &proc_rows, struct gup_proc_stats, GUP_LOSSES);

/* A .bss copy shifted so that BY_CLASS's numbers read class @c's block. */
static const void *class_base(const struct gup_bpf__bss *t, int c)
{
	return (const char *)t + c * sizeof(t->counters[0]);
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
	s->rodata->foll = foll;
	s->rodata->longterm_locked_has_task = q->gup_longterm_has_task;
	/* Neither serve nor top reads gup's callers. */
	s->rodata->caller_paths = !opts->numbers_only;
	return bpf_map__set_max_entries(s->maps.procs, opts->max_procs);
}

VIEW_BUSY(gup, calls_open)

static int cmp_callers(const void *a, const void *b)
{
	const struct gup_caller_stats *x = caller_stats(a);
	const struct gup_caller_stats *y = caller_stats(b);

	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return stack_key(a) < stack_key(b) ? -1 : stack_key(a) > stack_key(b);
}

/* GUP itself, iov_iter glue and the tracer's own frames name no caller. */
static bool gup_internal(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "gup_", "internal_get_user_pages_fast",
		"get_user_pages_fast", "pin_user_pages_fast", "iov_iter_",
		"__iov_iter_", "want_pages_array", NULL,
	};

	return ksym_name_in(name, prefixes);
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
 * The frames of stack @key into @frames; *caller is the first frame
 * outside GUP, NULL when kallsyms hides the names that tell. Returns the
 * number of frames.
 */
static int caller_frames(int stacks_fd, __u32 key,
			 struct gup_frame frames[GUP_STACK_DEPTH],
			 const char **caller)
{
	const struct ksyms *ks = ksyms_kernel();
	struct kernel_stack st = {};
	unsigned long long off;
	const char *name;
	int n = 0;

	*caller = NULL;
	if (bpf_map_lookup_elem(stacks_fd, &key, &st))
		return 0;
	for (int i = 0; i < GUP_STACK_DEPTH && st.ip[i]; i++) {
		name = ksyms_symbolize(ks, st.ip[i], &off);
		/* Below every symbol: nothing to say, unless all are hidden. */
		if ((!name && !ksyms_addrs_hidden(ks)) ||
		    (name && tracer_frame(name)))
			continue;
		frames[n].name = name;
		snprintf(frames[n].raw, sizeof(frames[n].raw), "0x%llx",
			 st.ip[i]);
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
	BSS_DELTA(&r->t, &prev_totals, s, &gup_metrics);
	misses_collect(s->obj, &prev_misses, &r->misses);
	err = rows_read(&caller_rows, bpf_map__fd(s->maps.callers),
			&r->callers);
	rows_sort(&r->callers, cmp_callers);
	if (err)
		return err;
	err = rows_read(&proc_rows, bpf_map__fd(s->maps.procs), &r->rows);
	rows_sort_numbers(&r->rows, &gup_metrics);
	return err;
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
	bool split = number_known(ctx, &gup_numbers[N_LAT_FAST]);

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

	json_add_row_numbers(j, ctx, &gup_metrics, st);
	json_add(j, "forker", forker_json(ctx, st));
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
	struct gup_proc_stats sum;	/* caller_numbers' members only */
};

/* What a caller line shows: these numbers, summed as in a process row. */
static const enum gup_number caller_numbers[] = {
	N_CALLS, N_ASKED, N_FAST, N_SLOW,
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
		cur.n = caller_frames(fd, stack_key(row), cur.frames, &cur.caller);
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

static void caller_numbers_json(struct json_object *j,
				const struct report_ctx *ctx,
				const struct gup_proc_stats *sum)
{
	for (size_t k = 0; k < ARRAY_LEN(caller_numbers); k++) {
		const struct number *n = &gup_numbers[caller_numbers[k]];

		json_add_u64_known(j, n->key, number_known(ctx, n),
				   number_value(n, sum, true));
	}
}

static struct json_object *callers_json(const struct report_ctx *ctx,
					const struct gup_report *r)
{
	struct json_object *a = json_object_new_array();
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
		caller_numbers_json(j, ctx, &l->sum);
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
	t = json_object_new_object();
	json_add_totals(t, ctx, &gup_metrics, &r->t);
	json_add(o, "totals", t);
	for (int c = GUP_PIN; c < GUP_CLASSES; c++) {
		struct json_object *j = json_object_new_object();

		json_add_block(j, ctx, &gup_metrics, class_base(&r->t, c),
			       BY_CLASS);
		json_add(by, class_names[c], j);
	}
	json_add(o, "by_flag", by);
	json_add(o, "latency_ns", latency_json(ctx, r));
	json_add(o, "errors", errors_json(r));
	json_add_rows(o, "processes", ctx, &r->rows, row_json);
	json_add(o, "callers", callers_json(ctx, r));
	lost = json_add_losses(o, r->t.losses, GUP_LOSSES);
	json_add_u64(lost, "recursion_misses", misses_total(&r->misses));
	json_add(lost, "recursion_misses_by_program", misses_json(&r->misses));
}

static void print_classes(const struct report_ctx *ctx,
			  const struct gup_report *r)
{
	print_block_header(ctx->out, &gup_metrics, "FOLL", 9);
	for (int c = 0; c < GUP_CLASSES; c++)
		print_block_row(ctx, &gup_metrics, class_base(&r->t, c),
				class_names[c], 9);
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
	char comm[COMM_TEXT_LEN];

	if (!r->rows.n)
		return;
	print_rows_header(out, &gup_metrics);
	for (size_t i = 0; i < n; i++) {
		const struct row *row = &r->rows.r[i];
		const struct gup_proc_stats *st = stats(row);

		text_comm(st->comm, sizeof(st->comm), comm);
		print_row_cells(ctx, &gup_metrics, row, comm);
		fprintf(out, "%s\n", st->first_pin ? " (first pin seen)" : "");
	}
	view_rows_more(out, n, r->rows.n, "processes");
	print_forkers(ctx, r, n);
}

/* The callers' table has the process table's columns of caller_numbers. */
static void print_callers_header(FILE *out)
{
	fprintf(out, "\n%-32s", "CALLER");
	for (size_t k = 0; k < ARRAY_LEN(caller_numbers); k++)
		fprintf(out, " %*s", gup_numbers[caller_numbers[k]].width,
			gup_numbers[caller_numbers[k]].column);
	fprintf(out, "\n");
}

static void print_callers(const struct report_ctx *ctx,
			  const struct gup_report *r)
{
	FILE *out = ctx->out;
	struct caller_line *lines;
	size_t n = 0, shown;

	if (!r->callers.n)
		return;
	lines = caller_lines(r, false, &n);
	if (!lines)
		return;
	shown = view_rows_shown(ctx, n);
	print_callers_header(out);
	for (size_t i = 0; i < shown; i++) {
		const struct caller_line *l = &lines[i];

		fprintf(out, "%-32s", l->caller ? l->caller : "?");
		for (size_t k = 0; k < ARRAY_LEN(caller_numbers); k++) {
			const struct number *c = &gup_numbers[caller_numbers[k]];

			print_number(ctx, c, &l->sum, true, c->width);
		}
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

	fprintf(out, "\n%s", report_time(ctx, ts, sizeof(ts)));
	print_totals(ctx, &gup_metrics, &r->t);
	fprintf(out, "\n");
	print_classes(ctx, r);
	if (number_known(ctx, &gup_numbers[N_FORK_FALLBACKS]))
		fprintf(out, "\nfell back because a fork of the same mm was write-protecting it (inferred, FOLL_PIN): %llu calls, %llu pages\n",
			all[GC_FORK_FALLBACKS], all[GC_FORK_PAGES]);
	if (number_known(ctx, &gup_numbers[N_RETRACT]))
		fprintf(out, "met a page-table retraction of their mm (khugepaged, MADV_COLLAPSE): %llu calls\n",
			all[GC_RETRACT_OVERLAPS]);
	if (number_known(ctx, &gup_numbers[N_LAT_FAST])) {
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
	if (misses_total(&r->misses))
		fprintf(out, "LOST: %llu events (recursion_misses: program busy on that CPU)\n",
			misses_total(&r->misses));
	fflush(out);
}

VIEW_SKELETON(gup, &r.rows, &r.callers)

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
