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
#include "misses.h"
#include "output.h"
#include "quirks.h"
#include "rows.h"
#include "tasks.h"
#include "view.h"
#include "fields.h"

#define TP(prog, event) { prog, PROBE_TRACEPOINT, { event } }
#define PAGE_ALLOC_NOTE                                                       \
	"early-COW preallocations: order-0 GFP_HIGHUSER_MOVABLE allocations "  \
	"inside the parent's clone() (a fault inside clone, e.g. writing "     \
	"CLONE_PARENT_SETTID, would add one); copy_page_range time unknown"

#define GUP_CORE_FUNCS "gup_fast_fallback", "internal_get_user_pages_fast"
/* Each point at the fentry and kprobe tiers (TWIN_PLANS, user/probe.h). */
#define COPY_POINTS(P)                                                       \
	P(ENTRY, "cpr", 0, false, "copy_page_range")                         \
	P(RETURN, "cpr", 0, false, "copy_page_range")                        \
	P(ENTRY, "anon_rmap", 0, false, "folio_add_new_anon_rmap",           \
	  "page_add_new_anon_rmap")
#define HUGETLB_COPY_POINTS(P)                                               \
	P(ENTRY, "hugetlb_copy", 0, false, "copy_hugetlb_page_range")        \
	P(RETURN, "hugetlb_copy", 0, false, "copy_hugetlb_page_range")       \
	P(RETURN, "hugetlb_alloc", 3, false, "alloc_hugetlb_folio",          \
	  "alloc_huge_page")
#define RACE_POINTS(P)                                                       \
	P(ENTRY, "race_cpr", 2, false, "copy_page_range")                    \
	P(ENTRY, "race_gup", 4, false, GUP_CORE_FUNCS)                       \
	P(RETURN, "race_gup", 4, false, GUP_CORE_FUNCS)                      \
	P(ENTRY, "race_longterm", 6, false, "__gup_longterm_locked")         \
	P(ENTRY, "race_unlocked", 4, true, "get_user_pages_unlocked")
#define TP_OPT(prog, event) { prog, PROBE_TRACEPOINT, { event }, true }

#define CLONES_NOTE "task_newtask, once per new task in its parent: forks (new mm), vforks (CLONE_VFORK), threads (CLONE_VM); also the io_uring and vhost workers a process's own calls start (threads); not tasks a kernel thread starts; per-process rows only with fork.syscalls (serve: --detail), which names and retires them"

static const struct observation fork_obs[] = {
	{
		.name = "fork.clones",
		.summary = "forks, vforks and threads made (always on: one program per new task)",
		.if_missing = "forks, vforks and threads are not counted (needs the task:task_newtask tracepoint)",
		.required = true,
		.plans = {
			{
				.tier = TIER_TRACEPOINT,
				.unarmed = true,
				.note = CLONES_NOTE " (counted from attach to detach)",
				.points = {
					{ "fork_count_btf", PROBE_TP_BTF, { "task_newtask" } },
				},
			},
			{
				.tier = TIER_TRACEPOINT,
				.note = CLONES_NOTE,
				.points = {
					{ "fork_clone_btf", PROBE_TP_BTF, { "task_newtask" } },
				},
			},
			{
				.tier = TIER_TRACEPOINT,
				.note = CLONES_NOTE " (classic tracepoint: a record built per new task)",
				.points = {
					TP("fork_clone", "task/task_newtask"),
				},
			},
		},
	},
	{
		.name = "fork.syscalls",
		/*
		 * A syscall tracepoint sends every syscall of the machine
		 * through the tracing slow path: over 2% by its floor.
		 */
		.detail = true,
		.summary = "fork, vfork, clone, clone3: latency, failures, per-process rows",
		.if_missing = "fork, vfork and clone calls are not timed, failed ones not counted, no fork is seen copying pages, and no process has a row (needs the syscalls:sys_enter/exit_clone tracepoints)",
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "syscall entry to return in the parent; task_newtask tells forks, vforks and threads apart for the latency histograms (fork.clones counts them); sched_process_exit retires a process's row, sched_process_exec and task_rename (of a leader) give it its process's new name",
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
		/* Counted inside fork.syscalls' windows: its detail too. */
		.detail = true,
		.summary = "base pages fork copies because they may be DMA-pinned",
		.if_missing = "pinned-page copies are not counted",
		.plans = {
			TWIN_PLANS(COPY_POINTS,
				"each copied page where it is installed (new anon rmap inside copy_page_range); copy_page_range timed",
				"as fentry, through kprobes (slower per event)"),
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
		/* Counted inside fork.syscalls' windows: its detail too. */
		.detail = true,
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
		/* Counted inside fork.syscalls' windows: its detail too. */
		.detail = true,
		.summary = "hugetlb pages fork copies because they may be DMA-pinned (unit: huge pages)",
		.if_missing = "pinned hugetlb pages copied at fork are INVISIBLE: they come from the hugetlb pool, not the page allocator, so no tracepoint sees them (needs fentry or kprobe on copy_hugetlb_page_range)",
		.plans = {
			TWIN_PLANS(HUGETLB_COPY_POINTS,
				"huge page allocations inside copy_hugetlb_page_range",
				"huge page allocations inside copy_hugetlb_page_range"),
		},
	},
	{
		.name = "fork.gup_race",
		/* Counted inside fork.syscalls' windows: its detail too. */
		.detail = true,
		.summary = "GUP-fast calls on a forking mm during its write-protect windows, and the FOLL_PIN ones pushed to the slow path (mm->write_protect_seq; inferred)",
		.if_missing = "GUP-fast calls racing a fork are not seen: no tracepoint covers GUP-fast or copy_page_range (needs fentry or kprobe on copy_page_range and gup_fast_fallback or internal_get_user_pages_fast)",
		.plans = {
			TWIN_PLANS(RACE_POINTS,
				"copy_page_range of a COW VMA names the forker; the mm's write_protect_seq read at the GUP-fast core's entry and where its fallback starts (or at its return)",
				"as fentry, through kprobes"),
		},
	},
	CHILDREN_OBSERVATION("fork"),
};

/* What a report can count as lost (include/filter.h). */
#define FORK_LOSSES                                                          \
	(LOSS_BIT(LOSS_WINDOW_MAP_FULL) | LOSS_BIT(LOSS_PROC_MAP_FULL) |     \
	 LOSSES_EVENTS | LOSSES_FOLLOW)

/* One report's share: the .bss counters' growth since the previous report. */
struct fork_report {
	struct fork_bpf__bss t;
	struct rows rows;
	struct prog_misses misses;	/* events programs did not run for */
};

static struct fork_bpf__bss prev_totals;
static struct prog_misses prev_misses;

static struct row_table proc_rows = PROC_ROW_TABLE(
	struct fork_proc_key, struct fork_proc_stats, forks, gup_pushed);

#define BSS struct fork_bpf__bss
#define ROW struct fork_proc_stats
#define KIND(k) LABEL("kind", k)
#define PARENT(p) LABEL("parent", p)

/*
 * Every number fork reports, once. The order is the text report's: the
 * totals line, then the process table's columns.
 */
static const struct number fork_numbers[] = {
	NUMBER("forks", OBS_CLONES, .text = "forks",
	       AT_BSS(clones[CK_FORK]), AT_ROW(forks), COLUMN("FORKS", 7),
	       SORT(2),
	       EXPORT("fork_clones", "Successful clone-family calls: fork (new mm), vfork, thread (shared mm)"),
	       KIND("fork"), EXPORT_ROW("forks"),
	       .row_help = "Successful forks (new mm)", .field = F_FORKS),
	NUMBER("vforks", OBS_CLONES, .text = "vforks",
	       AT_BSS(clones[CK_VFORK]), AT_ROW(vforks),
	       COLUMN("VFORKS", 7), EXPORT("fork_clones", ""), KIND("vfork")),
	NUMBER("threads", OBS_CLONES, .text = "threads",
	       AT_BSS(clones[CK_THREAD]), AT_ROW(threads),
	       EXPORT("fork_clones", ""), KIND("thread")),
	NUMBER("failed", OBS_SYSCALLS, .text = "failed",
	       AT_BSS(counters[FC_FAILED]), AT_ROW(failed),
	       EXPORT("fork_failed", "Clone-family calls that returned an error")),
	NUMBER("pinned_copies", OBS_PINNED, .text = "pinned-page copies",
	       AT_BSS(counters[FC_PINNED_COPIES]), AT_ROW(pinned_copies),
	       COLUMN("PINNED_COPIES", 14), SORT(1),
	       EXPORT("fork_pinned_copies", "Base pages fork copied eagerly because they may be DMA-pinned"),
	       EXPORT_ROW("pinned_copies"), .field = F_PINNED_COPIES),
	NUMBER("fork_total_ns", OBS_SYSCALLS, NS, AT_ROW(total_ns),
	       COLUMN("TOTAL_US", 10), EXPORT_ROW("fork_seconds"),
	       .help = "Time in fork() (process forks)", .field = F_FORK_NS),
	NUMBER("fork_max_ns", OBS_SYSCALLS, NS, AT_ROW(max_ns),
	       COLUMN("MAX_US", 10), .field = F_FORK_MAX_NS),
	NUMBER("thp_splits", OBS_THP, .text = "THP splits",
	       AT_BSS(counters[FC_THP_SPLITS]), AT_ROW(thp_splits),
	       EXPORT("fork_thp_splits", "Maybe-pinned THPs split at fork"),
	       EXPORT_ROW("thp_splits")),
	NUMBER("hugetlb_copies", OBS_HUGETLB, .text = "hugetlb copies",
	       AT_BSS(counters[FC_HUGETLB_COPIES]), AT_ROW(hugetlb_copies),
	       EXPORT("fork_hugetlb_copies", "Huge pages fork copied eagerly because they may be DMA-pinned"),
	       EXPORT_ROW("hugetlb_copies")),
	/* Only the fentry and kprobe plans of pinned copies time it. */
	NUMBER("copy_page_range_ns", OBS_PINNED, NS,
	       .below_tier = TIER_TRACEPOINT, .text = "copy_page_range us",
	       AT_BSS(counters[FC_CPR_NS]), AT_ROW(cpr_ns),
	       EXPORT("fork_copy_page_range_seconds", "Time forks spent in copy_page_range")),
	NUMBER("gup_during", OBS_GUP_RACE, AT_BSS(counters[FC_GUP_DURING]),
	       AT_ROW(gup_during),
	       EXPORT("fork_gup_during", "GUP-fast calls on a forking mm during its write-protect windows (inferred)")),
	NUMBER("gup_pushed", OBS_GUP_RACE, AT_BSS(counters[FC_GUP_PUSHED]),
	       AT_ROW(gup_pushed), COLUMN("GUP_PUSH", 8),
	       EXPORT("fork_gup_pushed", "FOLL_PIN GUP-fast calls a fork pushed to the slow path (write_protect_seq; inferred)"),
	       EXPORT_ROW("gup_pushed"),
	       .row_help = "FOLL_PIN GUP-fast calls its forks pushed to the slow path"),
	NUMBER("has_pinned", OBS_SYSCALLS, AT_ROW(has_pinned),
	       COLUMN("HAS_PINNED", 0), .yes_no = true, .field = F_HAS_PINNED),
	HISTOGRAM_US("fork_latency_seconds", "fork() latency in the parent, by whether its mm has pinned pages",
		     latency_hist[FORK_LAT_PINNED], OBS_SYSCALLS,
		     PARENT("has_pinned")),
	HISTOGRAM_US("fork_latency_seconds", "",
		     latency_hist[FORK_LAT_UNPINNED], OBS_SYSCALLS,
		     PARENT("no_pinned")),
	HISTOGRAM_US("fork_vfork_latency_seconds", "vfork() latency: until the child execs or exits",
		     vfork_latency_hist, OBS_SYSCALLS),
	HISTOGRAM("fork_pinned_copies_per_fork", "Pinned-page copies per fork (base pages)",
		  copies_hist, 0, false, 21, 0, OBS_PINNED),
};

static const struct cpu_sum fork_cpu_sums[] = {
	CPU_SUM("clones_cpu", clones),
};

VIEW_METRICS_AND(fork, &proc_rows, struct fork_proc_stats, FORK_LOSSES,
		 NULL, CPU_SUMS(fork_cpu_sums));

static int fork_configure(void *skel, const struct view_opts *opts)
{
	struct fork_bpf *s = skel;
	struct events_config *ev = &s->rodata->events_cfg;
	const struct kernel_quirks *q = kernel_quirks();
	int err;

	/* Rows are fork.syscalls' (detail): its programs retire them. */
	s->rodata->clone_rows = !opts->skip_detail;
	s->rodata->foll_pin = q->foll.pin;
	s->rodata->race_longterm_has_task = q->gup_longterm_has_task;
	err = thread_state_configure(s->maps.windows, s->maps.windows_by_tid,
				     &s->rodata->use_task_storage,
				     &s->data_gate->gate.by_tid);
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

VIEW_EVENTS_MAP(fork)

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
			[FEV_GUP_DURING] = { "gup_during", NULL, EVF_COUNT },
			[FEV_GUP_PUSHED] = { "gup_pushed", NULL, EVF_COUNT },
		},
	},
};

VIEW_BUSY(fork, windows_open)

static int collect(struct fork_bpf *s, struct fork_report *r,
		   const struct report_ctx *ctx)
{
	int err;

	BSS_DELTA(&r->t, &prev_totals, s, &fork_metrics);
	misses_collect(s->obj, &prev_misses, &r->misses);
	err = rows_read(&proc_rows, bpf_map__fd(s->maps.procs), &r->rows);
	rows_sort_numbers(&r->rows, &fork_metrics);
	return err;
}

static void report_json(const struct report_ctx *ctx,
			const struct fork_report *r, struct json_object *o)
{
	struct json_object *t = json_object_new_object();
	struct json_object *lat = json_object_new_object();
	struct json_object *units = json_object_new_object();
	struct json_object *lost;

	json_add_str(units, "latency", "ns");
	json_add_str(units, "pinned_copies", "base_pages");
	json_add_str(units, "hugetlb_copies", "huge_pages");
	json_add(o, "units", units);
	json_add_totals(t, ctx, &fork_metrics, &r->t);
	json_add(o, "totals", t);
	/* BPF keeps us slots (fork.bpf.c); the JSON speaks ns. */
	json_add(lat, "has_pinned",
		 hist_json_ns(r->t.latency_hist[FORK_LAT_PINNED], HIST_SLOTS, 1000));
	json_add(lat, "no_pinned",
		 hist_json_ns(r->t.latency_hist[FORK_LAT_UNPINNED], HIST_SLOTS, 1000));
	json_add(lat, "vfork",
		 hist_json_ns(r->t.vfork_latency_hist, HIST_SLOTS, 1000));
	/* Only fork.syscalls times calls: without it, unknown, not empty. */
	if (obs_known(ctx, OBS_SYSCALLS)) {
		json_add(o, "latency_ns", lat);
	} else {
		json_object_put(lat);
		json_add(o, "latency_ns", NULL);
	}
	json_add(o, "copies_per_fork", hist_json(r->t.copies_hist, HIST_SLOTS));
	json_add_number_rows(o, "processes", ctx, &fork_metrics, &r->rows);
	lost = json_add_losses(o, r->t.losses, FORK_LOSSES);
	json_add_u64(lost, "recursion_misses", misses_total(&r->misses));
	json_add(lost, "recursion_misses_by_program", misses_json(&r->misses));
}

static void report_text(const struct report_ctx *ctx,
			const struct fork_report *r)
{
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%s", report_time(ctx, ts, sizeof(ts)));
	print_totals(ctx, &fork_metrics, &r->t);
	fprintf(out, "\n");
	if (obs_known(ctx, OBS_GUP_RACE))
		fprintf(out, "GUP-fast calls on forking mms during their write-protect windows %llu, pushed to the slow path %llu (inferred)\n",
			r->t.counters[FC_GUP_DURING],
			r->t.counters[FC_GUP_PUSHED]);
	if (!obs_known(ctx, OBS_SYSCALLS)) {
		fprintf(out, "\nfork latency: n/a (fork.syscalls is not attached)\n");
	} else {
		fprintf(out, "\nfork latency, parents that have pinned pages:\n");
		print_log2_hist(out, r->t.latency_hist[FORK_LAT_PINNED],
				HIST_SLOTS, "usecs");
		fprintf(out, "\nfork latency, other parents:\n");
		print_log2_hist(out, r->t.latency_hist[FORK_LAT_UNPINNED],
				HIST_SLOTS, "usecs");
	}
	if (obs_known(ctx, OBS_SYSCALLS) && r->t.clones[CK_VFORK]) {
		fprintf(out, "\nvfork latency (until the child execs or exits):\n");
		print_log2_hist(out, r->t.vfork_latency_hist, HIST_SLOTS, "usecs");
	}
	if (obs_known(ctx, OBS_PINNED) && r->t.counters[FC_PINNED_COPIES]) {
		fprintf(out, "\npinned-page copies per fork:\n");
		print_log2_hist(out, r->t.copies_hist, HIST_SLOTS, "pages");
	}
	print_rows_table(ctx, &fork_metrics, &r->rows, "processes");
	losses_text(out, r->t.losses, FORK_LOSSES, "forks");
	if (misses_total(&r->misses))
		fprintf(out, "LOST: %llu events (recursion_misses: program busy on that CPU)\n",
			misses_total(&r->misses));
	fflush(out);
}

VIEW_SKELETON(fork, &r.rows)


const struct view fork_view = {
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
	.n_obs = ARRAY_LEN(fork_obs),
	VIEW_OPS(fork),
	.configure = fork_configure,
	.busy = fork_busy,
	.events_map = fork_events_map,
	.event_kinds = fork_events,
	.n_event_kinds = ARRAY_LEN(fork_events),
	.event_options = EVENT_OPT_MIN_LATENCY | EVENT_OPT_MIN_COPIES,
	.metrics = &fork_metrics,
};
