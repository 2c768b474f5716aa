// SPDX-License-Identifier: GPL-2.0
/* mmtrace fork: the table entry, the skeleton glue and the report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "events.h"
#include "fork.h"
#include "fork.skel.h"
#include "output.h"
#include "rows.h"
#include "tasks.h"
#include "tracer.h"

#define TP(prog, event) { prog, PROBE_TRACEPOINT, { event } }
#define PAGE_ALLOC_NOTE                                                       \
	"early-COW preallocations: order-0 GFP_HIGHUSER_MOVABLE allocations "  \
	"inside the parent's clone() (a fault inside clone, e.g. writing "     \
	"CLONE_PARENT_SETTID, would add one); copy_page_range time unknown"

#define TP_OPT(prog, event) { prog, PROBE_TRACEPOINT, { event }, true }

static const struct observation fork_obs[] = {
	{
		.name = "fork.syscalls",
		.summary = "fork, vfork, clone, clone3: latency and counts",
		.if_missing = "fork, vfork and clone calls are not seen (needs the syscalls:sys_enter/exit_clone tracepoints)",
		.required = true,
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "syscall entry to return in the parent; task_newtask tells forks, vforks and threads apart; sched_process_exec and task_rename (of a leader) give a row its process's new name",
			.points = {
				TP("fork_enter", "syscalls/sys_enter_clone"),
				TP("fork_exit", "syscalls/sys_exit_clone"),
				TP_OPT("fork_enter", "syscalls/sys_enter_clone3"),
				TP_OPT("fork_exit", "syscalls/sys_exit_clone3"),
				TP_OPT("fork_enter", "syscalls/sys_enter_fork"),
				TP_OPT("fork_exit", "syscalls/sys_exit_fork"),
				TP_OPT("fork_enter", "syscalls/sys_enter_vfork"),
				TP_OPT("fork_exit", "syscalls/sys_exit_vfork"),
				TP("fork_newtask", "task/task_newtask"),
				TP("fork_task_exit", "sched/sched_process_exit"),
				TP("fork_exec", "sched/sched_process_exec"),
				{ "fork_rename", PROBE_TP_BTF, { "task_rename" }, true },
			},
		} },
	},
	{
		.name = "fork.pinned_copies",
		.summary = "base pages fork copies because they may be DMA-pinned",
		.if_missing = "pinned-page copies are not counted",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "each copied page where it is installed (new anon rmap inside copy_page_range); copy_page_range timed",
				.points = {
					{ "cpr_fentry", PROBE_FENTRY, { "copy_page_range" } },
					{ "cpr_fexit", PROBE_FEXIT, { "copy_page_range" } },
					{ "anon_rmap_fentry", PROBE_FENTRY,
					  { "folio_add_new_anon_rmap", "page_add_new_anon_rmap" } },
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry, through kprobes (slower per event)",
				.points = {
					{ "cpr_kprobe", PROBE_KPROBE, { "copy_page_range" } },
					{ "cpr_kretprobe", PROBE_KRETPROBE, { "copy_page_range" } },
					{ "anon_rmap_kprobe", PROBE_KPROBE,
					  { "folio_add_new_anon_rmap", "page_add_new_anon_rmap" } },
				},
			},
			{
				.tier = TIER_TRACEPOINT,
				.note = PAGE_ALLOC_NOTE,
				.points = { { "fork_page_alloc_btf", PROBE_TP_BTF, { "mm_page_alloc" } } },
			},
			{
				.tier = TIER_TRACEPOINT,
				.note = PAGE_ALLOC_NOTE " (classic tracepoint: costs more per allocation)",
				.points = { TP("fork_page_alloc", "kmem/mm_page_alloc") },
			},
		},
	},
	{
		.name = "fork.thp_splits",
		.summary = "maybe-pinned THPs split at fork (their pages then count as copies)",
		.if_missing = "THP splits at fork are not counted (needs fexit or kretprobe on copy_huge_pmd); the copied pages still count in fork.pinned_copies",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "copy_huge_pmd returning -EAGAIN",
				.points = { { "huge_pmd_fexit7", PROBE_FEXIT, { "copy_huge_pmd" }, .nargs = 7 } },
			},
			{
				.tier = TIER_KPROBE,
				.note = "copy_huge_pmd returning -EAGAIN",
				.points = { { "huge_pmd_kretprobe", PROBE_KRETPROBE, { "copy_huge_pmd" } } },
			},
		},
	},
	{
		.name = "fork.hugetlb_copies",
		.summary = "hugetlb pages fork copies because they may be DMA-pinned (unit: huge pages)",
		.if_missing = "pinned hugetlb pages copied at fork are INVISIBLE: they come from the hugetlb pool, not the page allocator, so no tracepoint sees them (needs fentry or kprobe on copy_hugetlb_page_range)",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "huge page allocations inside copy_hugetlb_page_range",
				.points = {
					{ "hugetlb_copy_fentry", PROBE_FENTRY, { "copy_hugetlb_page_range" } },
					{ "hugetlb_copy_fexit", PROBE_FEXIT, { "copy_hugetlb_page_range" } },
					{ "hugetlb_alloc_fexit", PROBE_FEXIT,
					  { "alloc_hugetlb_folio", "alloc_huge_page" }, .nargs = 3 },
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "huge page allocations inside copy_hugetlb_page_range",
				.points = {
					{ "hugetlb_copy_kprobe", PROBE_KPROBE, { "copy_hugetlb_page_range" } },
					{ "hugetlb_copy_kretprobe", PROBE_KRETPROBE, { "copy_hugetlb_page_range" } },
					{ "hugetlb_alloc_kretprobe", PROBE_KRETPROBE,
					  { "alloc_hugetlb_folio", "alloc_huge_page" } },
				},
			},
		},
	},
	CHILDREN_OBSERVATION("fork"),
};

enum { OBS_SYSCALLS, OBS_PINNED, OBS_THP, OBS_HUGETLB };

/* The BPF side's global counters and histograms, cumulative since load. */
struct fork_totals {
	__u64 counters[FC_MAX];
	__u64 latency[FORK_LAT_KINDS][HIST_LEN];
	__u64 vfork_latency[HIST_LEN];
	__u64 copies[HIST_LEN];
	__u64 losses[LOSS_MAX];
};

/* One report's share: this report's totals minus the previous report's. */
struct fork_report {
	struct fork_totals t;
	struct rows rows;
};

static struct fork_totals prev_totals;

static struct row_table proc_rows = {
	.key_size = sizeof(struct fork_proc_key),
	.value_size = sizeof(struct fork_proc_stats),
	.sums_off = offsetof(struct fork_proc_stats, forks),
	.sums_end = offsetofend(struct fork_proc_stats, cpr_ns),
	.exited_off = offsetof(struct fork_proc_stats, exited),
};

static const struct fork_proc_stats *stats(const struct row *row)
{
	return (const void *)row->value;
}

static void *fork_open(void)
{
	return fork_bpf__open_opts(probe_open_opts());
}

static struct bpf_object *fork_object(void *skel)
{
	return ((struct fork_bpf *)skel)->obj;
}

static int fork_configure(void *skel, const struct tracer_opts *opts)
{
	struct fork_bpf *s = skel;
	struct events_config *ev = &s->rodata->events_cfg;
	int err;

	s->rodata->filter = opts->filter;
	err = thread_state_configure(s->maps.windows, s->maps.windows_by_tid,
				     &s->rodata->use_task_storage);
	if (err)
		return err;
	err = events_configure(s->maps.events, ev, opts);
	if (opts->event_thresholds & EVENT_OPT_MIN_LATENCY)
		events_threshold(ev, FEV_LATENCY_NS,
				 opts->min_latency_us * 1000);
	if (opts->event_thresholds & EVENT_OPT_MIN_COPIES)
		events_threshold(ev, FEV_PINNED_COPIES, opts->min_copies);
	return err ? err : bpf_map__set_max_entries(s->maps.procs,
						    opts->max_procs);
}

static struct bpf_map *fork_events_map(void *skel)
{
	return ((struct fork_bpf *)skel)->maps.events;
}

/* --events: what a fork event carries (include/events.h). */
static const struct event_desc fork_events[] = {
	{
		.kind = EV_FORK,
		.name = "fork",
		.fields = {
			[FEV_LATENCY_NS] = { "latency_ns", "latency",
					     EVF_NS_AS_US, .reason = "latency" },
			[FEV_PINNED_COPIES] = { "pinned_copies", NULL, EVF_COUNT,
						.reason = "pinned_copies" },
			[FEV_CHILD] = { "child_pid", NULL, EVF_COUNT },
			[FEV_HAS_PINNED] = { "has_pinned", NULL, EVF_BOOL },
		},
	},
};

static bool fork_busy(void *skel)
{
	return ((struct fork_bpf *)skel)->bss->windows_open != 0;
}

static int fork_load(void *skel)
{
	return fork_bpf__load(skel);
}

static void fork_destroy(void *skel)
{
	fork_bpf__destroy(skel);
}

static void delta(__u64 *out, const __u64 *now, __u64 *was, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u64 v = now[i];

		out[i] = v - was[i];
		was[i] = v;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct fork_proc_stats *x = stats(a), *y = stats(b);

	if (x->pinned_copies != y->pinned_copies)
		return x->pinned_copies < y->pinned_copies ? 1 : -1;
	if (x->forks != y->forks)
		return x->forks < y->forks ? 1 : -1;
	return row_pid(a) < row_pid(b) ? -1 : row_pid(a) > row_pid(b);
}

static int collect(struct fork_bpf *s, struct fork_report *r)
{
	struct fork_totals now;
	int err;

	memcpy(now.counters, s->bss->counters, sizeof(now.counters));
	memcpy(now.latency, s->bss->latency_hist, sizeof(now.latency));
	memcpy(now.vfork_latency, s->bss->vfork_latency_hist,
	       sizeof(now.vfork_latency));
	memcpy(now.copies, s->bss->copies_hist, sizeof(now.copies));
	memcpy(now.losses, s->bss->losses, sizeof(now.losses));
	delta(&r->t.counters[0], &now.counters[0], &prev_totals.counters[0],
	      sizeof(now) / sizeof(__u64));
	err = rows_read(&proc_rows, bpf_map__fd(s->maps.procs), &r->rows);
	rows_sort(&r->rows, cmp_rows);
	return err;
}

static bool have(const struct report_ctx *ctx, int obs)
{
	return ctx->res[obs].chosen >= 0;
}

/* Only the fentry and kprobe plans of pinned copies time copy_page_range. */
static bool copy_time_known(const struct report_ctx *ctx)
{
	return probe_result_tier(&ctx->obs[OBS_PINNED],
				 &ctx->res[OBS_PINNED]) < TIER_TRACEPOINT;
}

static struct json_object *u64_or_null(bool known, __u64 v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static struct json_object *row_json(const struct report_ctx *ctx,
				    const struct row *row)
{
	const struct fork_proc_stats *st = stats(row);
	struct json_object *j = json_object_new_object();

#define ADD(k, v) json_object_object_add(j, k, v)
	ADD("pid", json_object_new_int64(row_pid(row)));
	ADD("comm", json_comm(st->comm, sizeof(st->comm)));
	container_json_add(j, st->cgroup_id, row_pid(row));
	ADD("forks", json_object_new_uint64(st->forks));
	ADD("vforks", json_object_new_uint64(st->vforks));
	ADD("threads", json_object_new_uint64(st->threads));
	ADD("failed", json_object_new_uint64(st->failed));
	ADD("pinned_copies", u64_or_null(have(ctx, OBS_PINNED),
					 st->pinned_copies));
	ADD("thp_splits", u64_or_null(have(ctx, OBS_THP), st->thp_splits));
	ADD("hugetlb_copies", u64_or_null(have(ctx, OBS_HUGETLB),
					  st->hugetlb_copies));
	ADD("fork_total_ns", json_object_new_uint64(st->total_ns));
	ADD("fork_max_ns", json_object_new_uint64(st->max_ns));
	ADD("copy_page_range_ns", u64_or_null(copy_time_known(ctx),
					      st->cpr_ns));
	ADD("has_pinned", json_object_new_boolean(st->has_pinned));
#undef ADD
	return j;
}

static void report_json(const struct report_ctx *ctx,
			const struct fork_report *r)
{
	struct json_object *o = report_json_header("fork", ctx);
	struct json_object *t = json_object_new_object();
	struct json_object *lat = json_object_new_object();
	struct json_object *units = json_object_new_object();
	struct json_object *rows = json_object_new_array();
	struct json_object *lost = json_object_new_object();
	bool cpr = copy_time_known(ctx);

	json_object_object_add(units, "latency", json_object_new_string("ns"));
	json_object_object_add(units, "pinned_copies",
			       json_object_new_string("base_pages"));
	json_object_object_add(units, "hugetlb_copies",
			       json_object_new_string("huge_pages"));
	json_object_object_add(o, "units", units);
	json_object_object_add(t, "forks", json_object_new_uint64(r->t.counters[FC_FORKS]));
	json_object_object_add(t, "vforks", json_object_new_uint64(r->t.counters[FC_VFORKS]));
	json_object_object_add(t, "threads", json_object_new_uint64(r->t.counters[FC_THREADS]));
	json_object_object_add(t, "failed", json_object_new_uint64(r->t.counters[FC_FAILED]));
	json_object_object_add(t, "pinned_copies", u64_or_null(have(ctx, OBS_PINNED),
				r->t.counters[FC_PINNED_COPIES]));
	json_object_object_add(t, "thp_splits", u64_or_null(have(ctx, OBS_THP),
				r->t.counters[FC_THP_SPLITS]));
	json_object_object_add(t, "hugetlb_copies", u64_or_null(have(ctx, OBS_HUGETLB),
				r->t.counters[FC_HUGETLB_COPIES]));
	json_object_object_add(t, "copy_page_range_ns",
			       u64_or_null(cpr, r->t.counters[FC_CPR_NS]));
	json_object_object_add(o, "totals", t);
	/* BPF keeps us slots (fork.bpf.c); the JSON speaks ns. */
	json_object_object_add(lat, "has_pinned",
			       hist_json_ns(r->t.latency[FORK_LAT_PINNED], HIST_SLOTS, 1000));
	json_object_object_add(lat, "no_pinned",
			       hist_json_ns(r->t.latency[FORK_LAT_UNPINNED], HIST_SLOTS, 1000));
	json_object_object_add(lat, "vfork",
			       hist_json_ns(r->t.vfork_latency, HIST_SLOTS, 1000));
	json_object_object_add(o, "latency_ns", lat);
	json_object_object_add(o, "copies_per_fork", hist_json(r->t.copies, HIST_SLOTS));
	for (size_t i = 0; i < r->rows.n; i++)
		json_object_array_add(rows, row_json(ctx, &r->rows.r[i]));
	json_object_object_add(o, "processes", rows);
	json_object_object_add(lost, "window_map_full",
			       json_object_new_uint64(r->t.losses[LOSS_WINDOW_MAP_FULL]));
	json_object_object_add(lost, "proc_map_full",
			       json_object_new_uint64(r->t.losses[LOSS_PROC_MAP_FULL]));
	events_lost_json(lost, r->t.losses);
	tasks_lost_json(lost, r->t.losses);
	json_object_object_add(o, "lost", lost);
	json_emit(ctx->out, o);
}

static void print_count(FILE *out, const char *label, bool known, __u64 v)
{
	if (known)
		fprintf(out, "  %s %llu", label, v);
	else
		fprintf(out, "  %s n/a", label);
}

static void print_rows(const struct report_ctx *ctx,
		       const struct fork_report *r)
{
	FILE *out = ctx->out;
	size_t n = r->rows.n < ctx->opts->top ? r->rows.n : ctx->opts->top;
	char comm[COMM_TEXT_LEN];

	if (!r->rows.n)
		return;
	fprintf(out, "\n%-8s %-16s %7s %7s %14s %10s %10s %s\n", "PID", "COMM",
		"FORKS", "VFORKS", "PINNED_COPIES", "TOTAL_US", "MAX_US",
		"HAS_PINNED");
	for (size_t i = 0; i < n; i++) {
		const struct fork_proc_stats *st = stats(&r->rows.r[i]);

		text_comm(st->comm, sizeof(st->comm), comm);
		fprintf(out, "%-8u %-16s %7llu %7llu %14llu %10llu %10llu %s\n",
			row_pid(&r->rows.r[i]), comm, st->forks, st->vforks,
			st->pinned_copies, st->total_ns / 1000,
			st->max_ns / 1000, st->has_pinned ? "yes" : "no");
	}
	if (n < r->rows.n)
		fprintf(out, "(%zu more processes; --top or --json shows them)\n",
			r->rows.n - n);
}

static void report_text(const struct report_ctx *ctx,
			const struct fork_report *r)
{
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%sforks %llu  vforks %llu  threads %llu  failed %llu",
		report_time(ctx, ts, sizeof(ts)), r->t.counters[FC_FORKS],
		r->t.counters[FC_VFORKS], r->t.counters[FC_THREADS],
		r->t.counters[FC_FAILED]);
	print_count(out, "pinned-page copies", have(ctx, OBS_PINNED),
		    r->t.counters[FC_PINNED_COPIES]);
	print_count(out, "THP splits", have(ctx, OBS_THP),
		    r->t.counters[FC_THP_SPLITS]);
	print_count(out, "hugetlb copies", have(ctx, OBS_HUGETLB),
		    r->t.counters[FC_HUGETLB_COPIES]);
	print_count(out, "copy_page_range us", copy_time_known(ctx),
		    r->t.counters[FC_CPR_NS] / 1000);
	fprintf(out, "\n");
	fprintf(out, "\nfork latency, parents that have pinned pages:\n");
	print_log2_hist(out, r->t.latency[FORK_LAT_PINNED], HIST_SLOTS, "usecs");
	fprintf(out, "\nfork latency, other parents:\n");
	print_log2_hist(out, r->t.latency[FORK_LAT_UNPINNED], HIST_SLOTS, "usecs");
	if (r->t.counters[FC_VFORKS]) {
		fprintf(out, "\nvfork latency (until the child execs or exits):\n");
		print_log2_hist(out, r->t.vfork_latency, HIST_SLOTS, "usecs");
	}
	if (have(ctx, OBS_PINNED) && r->t.counters[FC_PINNED_COPIES]) {
		fprintf(out, "\npinned-page copies per fork:\n");
		print_log2_hist(out, r->t.copies, HIST_SLOTS, "pages");
	}
	print_rows(ctx, r);
	if (r->t.losses[LOSS_WINDOW_MAP_FULL] || r->t.losses[LOSS_PROC_MAP_FULL])
		fprintf(out, "LOST: %llu forks (window map full), %llu process rows (process map full: raise --max-procs)\n",
			r->t.losses[LOSS_WINDOW_MAP_FULL],
			r->t.losses[LOSS_PROC_MAP_FULL]);
	events_lost_text(out, r->t.losses);
	tasks_lost_text(out, r->t.losses);
	fflush(out);
}

static int fork_print_report(void *skel, const struct report_ctx *ctx)
{
	struct fork_report r = {};
	int err = collect(skel, &r);

	if (!err) {
		if (ctx->opts->json)
			report_json(ctx, &r);
		else
			report_text(ctx, &r);
	}
	rows_free(&r.rows);
	return err;
}

#define BSS struct fork_bpf__bss
#define KIND(k) .label = "kind", .label_value = k
#define PARENT(p) .label = "parent", .label_value = p

static const struct metric_def fork_metrics_defs[] = {
	METRIC_U64(BSS, "fork_clones", "Successful clone-family calls: fork (new mm), vfork, thread (shared mm)",
		   counters[FC_FORKS], 0, OBS_SYSCALLS, KIND("fork")),
	METRIC_U64(BSS, "fork_clones", "", counters[FC_VFORKS], 0,
		   OBS_SYSCALLS, KIND("vfork")),
	METRIC_U64(BSS, "fork_clones", "", counters[FC_THREADS], 0,
		   OBS_SYSCALLS, KIND("thread")),
	METRIC_U64(BSS, "fork_failed", "Clone-family calls that returned an error",
		   counters[FC_FAILED], 0, OBS_SYSCALLS),
	METRIC_U64(BSS, "fork_pinned_copies", "Base pages fork copied eagerly because they may be DMA-pinned",
		   counters[FC_PINNED_COPIES], 0, OBS_PINNED),
	METRIC_U64(BSS, "fork_thp_splits", "Maybe-pinned THPs split at fork",
		   counters[FC_THP_SPLITS], 0, OBS_THP),
	METRIC_U64(BSS, "fork_hugetlb_copies", "Huge pages fork copied eagerly because they may be DMA-pinned",
		   counters[FC_HUGETLB_COPIES], 0, OBS_HUGETLB),
	METRIC_U64(BSS, "fork_copy_page_range_seconds", "Time forks spent in copy_page_range",
		   counters[FC_CPR_NS], 9, OBS_PINNED,
		   .below_tier = TIER_TRACEPOINT),
	METRIC_HIST_US(BSS, "fork_latency_seconds", "fork() latency in the parent, by whether its mm has pinned pages",
		       latency_hist[FORK_LAT_PINNED], OBS_SYSCALLS,
		       PARENT("has_pinned")),
	METRIC_HIST_US(BSS, "fork_latency_seconds", "",
		       latency_hist[FORK_LAT_UNPINNED], OBS_SYSCALLS,
		       PARENT("no_pinned")),
	METRIC_HIST_US(BSS, "fork_vfork_latency_seconds", "vfork() latency: until the child execs or exits",
		       vfork_latency_hist, OBS_SYSCALLS),
	METRIC_HIST(BSS, "fork_pinned_copies_per_fork", "Pinned-page copies per fork (base pages)",
		    copies_hist, 0, false, 21, 0, OBS_PINNED),
};

#define ROW(n, h, member, dec, ob)                                           \
	{ n, h, offsetof(struct fork_proc_stats, member), dec, ob }

static const struct row_metric_def fork_row_defs[] = {
	ROW("forks", "Successful forks (new mm)", forks, 0, OBS_SYSCALLS),
	ROW("pinned_copies", "Base pages fork copied eagerly because they may be DMA-pinned",
	    pinned_copies, 0, OBS_PINNED),
	ROW("thp_splits", "Maybe-pinned THPs split at fork", thp_splits, 0,
	    OBS_THP),
	ROW("hugetlb_copies", "Huge pages fork copied eagerly", hugetlb_copies,
	    0, OBS_HUGETLB),
	ROW("fork_seconds", "Time in fork() (process forks)", total_ns, 9,
	    OBS_SYSCALLS),
};

static const struct tracer_metrics fork_metrics = {
	.defs = fork_metrics_defs,
	.n_defs = sizeof(fork_metrics_defs) / sizeof(fork_metrics_defs[0]),
	.losses_off = offsetof(BSS, losses),
	.rows = &proc_rows,
	.comm_off = offsetof(struct fork_proc_stats, comm),
	.cgroup_off = offsetof(struct fork_proc_stats, cgroup_id),
	.row_defs = fork_row_defs,
	.n_row_defs = sizeof(fork_row_defs) / sizeof(fork_row_defs[0]),
};

const struct tracer fork_tracer = {
	.name = "fork",
	.summary = "fork() latency and pages copied because they may be DMA-pinned",
	.doc = "Trace fork() cost: latency (parents with and without pinned pages), "
	       "and the pages fork copies eagerly because they may be DMA-pinned "
	       "(early COW).\v"
	       "Examples:\n"
	       "  mmtrace fork                     # all processes, until Ctrl-C\n"
	       "  mmtrace fork -i 5 -T             # a report every 5 s\n"
	       "  mmtrace fork -p 1234 -d 30       # one process, 30 s\n"
	       "  mmtrace fork --json -- ./app     # run ./app, trace it, JSON\n"
	       "  mmtrace fork --events --min-copies 64  # forks copying 64+ pinned pages\n"
	       "Which kernel hooks are used: mmtrace probes.",
	.obs = fork_obs,
	.n_obs = sizeof(fork_obs) / sizeof(fork_obs[0]),
	.open = fork_open,
	.object = fork_object,
	.configure = fork_configure,
	.load = fork_load,
	.destroy = fork_destroy,
	.report = fork_print_report,
	.busy = fork_busy,
	.events_map = fork_events_map,
	.event_kinds = fork_events,
	.n_event_kinds = sizeof(fork_events) / sizeof(fork_events[0]),
	.event_options = EVENT_OPT_MIN_LATENCY | EVENT_OPT_MIN_COPIES,
	.metrics = &fork_metrics,
};
