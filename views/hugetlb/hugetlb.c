// SPDX-License-Identifier: GPL-2.0
/* mmtrace hugetlb: the table entry, the skeleton glue and the report. */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "hugetlb.h"
#include "hugetlb.skel.h"
#include "output.h"
#include "owners.h"
#include "rows.h"
#include "tasks.h"
#include "view.h"
#include "fields.h"

/* A process's row takes its new name at exec, or when its leader is renamed. */
#define TASK_NAME { "hugetlb_exec", PROBE_TRACEPOINT, { "sched/sched_process_exec" } }, \
	{ "hugetlb_rename", PROBE_TP_BTF, { "task_rename" }, true }

#define CONTENTION_POINTS                                                    \
	{ "imap_contention_begin", PROBE_TP_BTF, { "contention_begin" } },   \
	{ "imap_contention_end", PROBE_TP_BTF, { "contention_end" } }

/* Each point at the fentry and kprobe tiers (TWIN_PLANS, user/probe.h). */
#define STASH_POINTS(P)                                                      \
	P(ENTRY, "imap_stash", 4, false, "huge_pmd_share")                   \
	P(RETURN, "imap_stash", 0, false, "huge_pmd_share")
#define RETRACT_POINTS(P)                                                    \
	P(ENTRY, "retract", 0, false, "retract_page_tables")                 \
	P(RETURN, "retract", 0, false, "retract_page_tables")

static const struct observation hugetlb_obs[] = {
	{
		.name = "hugetlb.pmd_share",
		.summary = "huge_pmd_share calls, how many shared a PMD table, time in it",
		.if_missing = "huge_pmd_share is not observable: PMD-sharing calls, shares and their time are unknown (needs fentry/fexit or kprobes on huge_pmd_share; no tracepoint fires there)",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "share count of the returned table's page at exit",
				.points = {
					{ "share_fentry", PROBE_FENTRY, { "huge_pmd_share" } },
					{ "share_fexit4", PROBE_FEXIT, { "huge_pmd_share" }, .nargs = 4 },
					TASK_NAME,
				},
			},
			{
				.tier = TIER_FENTRY,
				.note = "share count of the returned table's page at exit (3-argument huge_pmd_share, before 5.12)",
				.points = {
					{ "share_fentry", PROBE_FENTRY, { "huge_pmd_share" } },
					{ "share_fexit3", PROBE_FEXIT, { "huge_pmd_share" }, .nargs = 3 },
					TASK_NAME,
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry, through kprobes",
				.points = {
					{ "share_kprobe", PROBE_KPROBE, { "huge_pmd_share" } },
					{ "share_kretprobe", PROBE_KRETPROBE, { "huge_pmd_share" } },
					TASK_NAME,
				},
			},
		},
	},
	{
		.name = "hugetlb.i_mmap_waits",
		.summary = "waits on a hugetlb file's i_mmap_rwsem: huge_pmd_share vs other holders",
		.if_missing = "i_mmap_rwsem waits are not measured (needs the lock:contention_* tracepoints and fentry or kprobes on the 4-argument huge_pmd_share to learn the lock)",
		.plans = { TWIN_PLANS(STASH_POINTS,
			"lock:contention_* on the i_mmap_rwsem huge_pmd_share takes; other waiters on a known one are 'other' (unmap, unshare, migration, khugepaged)",
			"as fentry; the lock is learned through a kprobe",
			CONTENTION_POINTS) },
	},
	{
		.name = "hugetlb.pmd_unshare",
		.summary = "shared PMD tables given up (huge_pmd_unshare returning 1)",
		.if_missing = "PMD unsharing is not counted (needs a kretprobe on __huge_pmd_unshare or its compiler clone)",
		.plans = { {
			.tier = TIER_KPROBE,
			.note = "kretprobe on the clone every unshare site calls (fentry cannot take clones)",
			.points = { { "unshare_kretprobe", PROBE_KRETPROBE,
				      { "__huge_pmd_unshare" PROBE_CLONE_SUFFIX,
					"huge_pmd_unshare" } } },
		} },
	},
	{
		.name = "hugetlb.retract",
		.summary = "khugepaged page-table retractions (retract_page_tables): count and time",
		.if_missing = "khugepaged page-table retractions are not counted (needs fentry or kprobes on an out-of-line retract_page_tables)",
		.plans = { TWIN_PLANS(RETRACT_POINTS,
			"retract_page_tables entry to exit",
			"retract_page_tables entry to exit") },
	},
	{
		.name = "hugetlb.retract_race",
		.summary = "PTE tables retracted (retract_page_tables, 6.5+ without mmap_lock) and page faults a retraction of their mm met",
		.if_missing = "page faults meeting page-table retractions are not counted (needs kprobes on an out-of-line retract_page_tables, on pmdp_collapse_flush and on handle_mm_fault)",
		.plans = { {
			/* As gup.retract_race: pmdp_collapse_flush returns a pmd_t. */
			.tier = TIER_KPROBE,
			.note = "pmdp_collapse_flush inside retract_page_tables counts a retraction of the VMA's mm (it returns a pmd_t by value: no fentry, as in gup.retract_race); a fault (handle_mm_fault entry to return) whose mm's count moved met one, inferred from the overlap",
			.points = {
				{ "race_retract_kprobe", PROBE_KPROBE,
				  { "retract_page_tables" } },
				{ "race_retract_kretprobe", PROBE_KRETPROBE,
				  { "retract_page_tables" } },
				{ "race_collapse_flush_kprobe", PROBE_KPROBE,
				  { "pmdp_collapse_flush" PROBE_CLONE_SUFFIX } },
				{ "race_fault_kprobe", PROBE_KPROBE,
				  { "handle_mm_fault" } },
				{ "race_fault_kretprobe", PROBE_KRETPROBE,
				  { "handle_mm_fault" } },
			},
		} },
	},
	CHILDREN_OBSERVATION("hugetlb"),
};

enum { OBS_SHARE, OBS_WAITS, OBS_UNSHARE, OBS_RETRACT, OBS_RETRACT_RACE };

/* What a report can count as lost (include/filter.h). */
#define HUGETLB_LOSSES                                                       \
	(LOSS_BIT(LOSS_WINDOW_MAP_FULL) | LOSS_BIT(LOSS_PROC_MAP_FULL) |     \
	 LOSS_BIT(LOSS_OWNER_MAP_FULL) | LOSSES_FOLLOW)

/* One report's share: the .bss counters' growth since the previous report. */
struct hugetlb_report {
	struct hugetlb_bpf__bss t;
	struct rows rows;
	struct rows owners;	/* i_mmap_rwsem waits by holder */
};

static struct hugetlb_bpf__bss prev_totals;
static struct row_table owner_rows = LOCK_OWNER_ROW_TABLE;

/* Every row of imap_owners is a wait on some hugetlb file's i_mmap_rwsem. */
static bool imap_lock_name(const struct lock_owner_key *k, char *buf,
			   size_t len, const void *arg)
{
	snprintf(buf, len, "i_mmap_rwsem");
	return true;
}

/*
 * No exited flag in BPF: a row whose process is gone is reported, then
 * deleted, as rows.c does with the flag.
 */
static struct row_table proc_rows = {
	.key_size = sizeof(struct hugetlb_proc_key),
	.value_size = sizeof(struct hugetlb_proc_stats),
	.sums_off = offsetof(struct hugetlb_proc_stats, share_calls),
	.sums_end = offsetofend(struct hugetlb_proc_stats,
				fault_retract_overlaps),
	.exited_off = -1,
	.gone = row_process_gone,
};

static const char *const waiter_names[IMAP_WAITERS] = {
	[IMAP_SHARE] = "huge_pmd_share",
	[IMAP_OTHER] = "other",
};

#define BSS struct hugetlb_bpf__bss
#define ROW struct hugetlb_proc_stats
#define WAITER(w) LABEL("waiter", w)

/*
 * Every number hugetlb reports, once. The order is the text report's: the
 * totals line, then the process table's columns; the histograms sit where
 * serve has always shown their families.
 */
static const struct number hugetlb_numbers[] = {
	NUMBER("pmd_share_calls", OBS_SHARE, .text = "calls",
	       AT_BSS_COUNT(share_hist), AT_ROW(share_calls),
	       COLUMN("SHARE_CALLS", 11), SORT(1),
	       EXPORT("hugetlb_pmd_share_calls", "huge_pmd_share calls"),
	       .field = F_PMD_SHARE_CALLS),
	NUMBER("pmd_shared", OBS_SHARE, .text = "shared",
	       AT_BSS(counters[HC_SHARED]), AT_ROW(shared),
	       COLUMN("SHARED", 10),
	       EXPORT("hugetlb_pmd_shared", "huge_pmd_share calls that found a PMD table to share"),
	       EXPORT_ROW("pmd_shared"), .row_help = "PMD tables shared",
	       .field = F_PMD_SHARED),
	NUMBER("pmd_share_ns", OBS_SHARE, NS, .text = "us",
	       AT_BSS(share_hist[HIST_SUM]), AT_ROW(share_ns),
	       COLUMN("SHARE_US", 10), .field = F_PMD_SHARE_NS),
	HISTOGRAM_NS("hugetlb_pmd_share_seconds", "Time in huge_pmd_share",
		     share_hist, OBS_SHARE),
	/* In totals, "i_mmap_waits" is by waiter and mode (imap_wait_numbers). */
	NUMBER("i_mmap_waits", OBS_WAITS, AT_ROW(imap_waits),
	       COLUMN("IMAP_WAITS", 10)),
	NUMBER("i_mmap_wait_ns", OBS_WAITS, NS, AT_ROW(imap_wait_ns),
	       COLUMN("IMAP_WAIT_US", 12), SORT(2), EXPORT_ROW("i_mmap_wait_seconds"),
	       .help = "Time waiting for i_mmap_rwsem"),
	NUMBER("pmd_unshares", OBS_UNSHARE, .text = "unshares",
	       AT_BSS(counters[HC_UNSHARES]), AT_ROW(unshares),
	       COLUMN("UNSHARES", 9),
	       EXPORT("hugetlb_pmd_unshares", "Shared PMD tables unshared"),
	       EXPORT_ROW("pmd_unshares")),
	HISTOGRAM_US("hugetlb_i_mmap_wait_seconds", "Time waiting for i_mmap_rwsem: in huge_pmd_share, or elsewhere",
		     imap_wait_hist[IMAP_SHARE], OBS_WAITS, WAITER("pmd_share")),
	HISTOGRAM_US("hugetlb_i_mmap_wait_seconds", "",
		     imap_wait_hist[IMAP_OTHER], OBS_WAITS, WAITER("other")),
	NUMBER("retracts", OBS_RETRACT, .text = "retracts",
	       AT_BSS_COUNT(retract_hist), AT_ROW(retracts),
	       COLUMN("RETRACTS", 9),
	       EXPORT("hugetlb_retracts", "retract_page_tables calls (khugepaged)")),
	NUMBER("retract_ns", OBS_RETRACT, NS, .text = "retract us",
	       AT_BSS(retract_hist[HIST_SUM]), AT_ROW(retract_ns)),
	HISTOGRAM_US("hugetlb_retract_seconds", "Time in retract_page_tables",
		     retract_hist, OBS_RETRACT),
	NUMBER("retracted_tables", OBS_RETRACT_RACE,
	       AT_BSS(counters[HC_RETRACTED_TABLES]), AT_ROW(retracted_tables),
	       COLUMN("PT_RETRACT", 10),
	       EXPORT("hugetlb_retracted_tables", "PTE tables retract_page_tables took from an mm (pmdp_collapse_flush)"),
	       EXPORT_ROW("retracted_tables"),
	       .row_help = "PTE tables this process retracted (retract_page_tables)"),
	NUMBER("fault_retract_overlaps", OBS_RETRACT_RACE,
	       AT_BSS(counters[HC_FAULT_RETRACT_OVERLAPS]),
	       AT_ROW(fault_retract_overlaps), COLUMN("FAULT_RACE", 10),
	       EXPORT("hugetlb_fault_retract_overlaps", "Page faults (handle_mm_fault) during which a PTE table of their mm was retracted: inferred from overlapping windows, not that the fault was at that table"),
	       EXPORT_ROW("fault_retract_overlaps"),
	       .row_help = "Page faults a PTE-table retraction of their mm met (inferred from overlapping windows)"),
};

/* serve: i_mmap_rwsem waits by holder, at most --top holders. */
static void hugetlb_render(struct metrics *m, void *skel,
			   const struct obs_result *res, size_t top, bool head);

VIEW_METRICS_AND(hugetlb, &proc_rows, struct hugetlb_proc_stats,
		 HUGETLB_LOSSES, hugetlb_render);

/*
 * totals.i_mmap_waits.<waiter>.<mode>: the numbers of one waiter and mode,
 * at imap_waits[0][0] and imap_wait_ns[0][0] plus that pair's place
 * (imap_pair_base()).
 */
static const struct number imap_wait_numbers[] = {
	NUMBER("waits", OBS_WAITS, AT_BSS(imap_waits[0][0])),
	NUMBER("wait_ns", OBS_WAITS, NS, AT_BSS(imap_wait_ns[0][0])),
};

static const struct view_metrics imap_wait_metrics = {
	.numbers = imap_wait_numbers,
	.n_numbers = ARRAY_LEN(imap_wait_numbers),
};

_Static_assert(sizeof(((BSS *)0)->imap_waits) ==
		       sizeof(((BSS *)0)->imap_wait_ns) &&
	       sizeof(((BSS *)0)->imap_waits[0]) ==
		       sizeof(((BSS *)0)->imap_wait_ns[0]),
	       "imap_waits and imap_wait_ns have one shape");

/* The base of waiter @w's @mode pair in the .bss copy @t. */
static const void *imap_pair_base(const BSS *t, int w, int mode)
{
	return (const char *)t + (w * IMAP_MODES + mode) * sizeof(__u64);
}

static int hugetlb_configure(void *skel, const struct view_opts *opts)
{
	struct hugetlb_bpf *s = skel;

	return bpf_map__set_max_entries(s->maps.procs, opts->max_procs);
}

static const struct hugetlb_proc_stats *stats(const struct row *row)
{
	return (const void *)row->value;
}

static __u64 row_events(const struct hugetlb_proc_stats *s)
{
	return s->share_calls + s->imap_waits + s->unshares + s->retracts +
	       s->retracted_tables + s->fault_retract_overlaps;
}

/*
 * Only rows with new events are shown: a row whose times alone grew was
 * read between the two halves of one event's update.
 */
static void drop_quiet(struct rows *rows)
{
	size_t kept = 0;

	for (size_t i = 0; i < rows->n; i++)
		if (row_events(stats(&rows->r[i])))
			rows->r[kept++] = rows->r[i];
	rows->n = kept;
}

/* A process that is gone cannot add to its row: report it once, drop it. */
static int collect(struct hugetlb_bpf *s, struct hugetlb_report *r,
		   const struct report_ctx *ctx)
{
	int fd = bpf_map__fd(s->maps.procs), err;

	BSS_DELTA(&r->t, &prev_totals, s, &hugetlb_metrics);
	err = rows_read(&proc_rows, fd, &r->rows);
	if (!err)
		err = rows_read(&owner_rows, bpf_map__fd(s->maps.imap_owners),
				&r->owners);
	drop_quiet(&r->rows);
	rows_sort_numbers(&r->rows, &hugetlb_metrics);
	return err;
}

/* {"huge_pmd_share": {"read": {"waits": n, "wait_ns": t}, ...}, ...} */
static struct json_object *waits_json(const struct report_ctx *ctx,
				      const struct hugetlb_bpf__bss *t)
{
	static const char *const modes[IMAP_MODES] = { "read", "write" };
	struct json_object *o;

	if (!obs_known(ctx, OBS_WAITS))
		return NULL;
	o = json_object_new_object();
	for (int w = 0; w < IMAP_WAITERS; w++) {
		struct json_object *by_mode = json_object_new_object();

		for (int m = 0; m < IMAP_MODES; m++) {
			struct json_object *c = json_object_new_object();

			json_add_totals(c, ctx, &imap_wait_metrics,
					imap_pair_base(t, w, m));
			json_add(by_mode, modes[m], c);
		}
		json_add(o, waiter_names[w], by_mode);
	}
	return o;
}

static void report_json(const struct report_ctx *ctx,
			const struct hugetlb_report *r, struct json_object *o)
{
	struct json_object *units = json_object_new_object();
	struct json_object *t = json_object_new_object();
	struct json_object *h = json_object_new_object();
	struct json_object *wh = NULL;
	bool share = obs_known(ctx, OBS_SHARE), retract = obs_known(ctx, OBS_RETRACT);

	/* Every duration and histogram bound: pmd_share in ns slots, the rest us. */
	json_add_str(units, "latency", "ns");
	json_add(o, "units", units);
	json_add_totals(t, ctx, &hugetlb_metrics, &r->t);
	json_add(t, "i_mmap_waits", waits_json(ctx, &r->t));
	json_add(o, "totals", t);
	json_add_hist_known(h, "pmd_share_ns", share, r->t.share_hist);
	if (obs_known(ctx, OBS_WAITS)) {
		wh = json_object_new_object();
		for (int w = 0; w < IMAP_WAITERS; w++)
			json_add(wh, waiter_names[w],
				 hist_json_ns(r->t.imap_wait_hist[w], HIST_SLOTS, 1000));
	}
	json_add(h, "i_mmap_wait_ns", wh);
	json_add(h, "retract_ns",
		 retract ? hist_json_ns(r->t.retract_hist, HIST_SLOTS, 1000) : NULL);
	json_add(o, "histograms", h);
	json_add_number_rows(o, "processes", ctx, &hugetlb_metrics, &r->rows);
	/* [] where the waits are not seen, as every list of rows. */
	json_add(o, "owners", owners_json(&r->owners, imap_lock_name, NULL));
	json_add_losses(o, r->t.losses, HUGETLB_LOSSES);
}

/* "<count> (<us> us)" of waiter @w's waits in @mode. */
static void print_imap_pair(FILE *out, const struct hugetlb_bpf__bss *t,
			    int w, int mode)
{
	const void *base = imap_pair_base(t, w, mode);

	fprintf(out, "%llu (%llu us)",
		number_value(&imap_wait_numbers[0], base, false),
		number_value(&imap_wait_numbers[1], base, false) / 1000);
}

static void print_waits(FILE *out, const struct hugetlb_bpf__bss *t)
{
	for (int w = 0; w < IMAP_WAITERS; w++) {
		fprintf(out, "\ni_mmap_rwsem waits by %s: read ", waiter_names[w]);
		print_imap_pair(out, t, w, IMAP_READ);
		fprintf(out, ", write ");
		print_imap_pair(out, t, w, IMAP_WRITE);
		fprintf(out, "\n");
		print_log2_hist(out, t->imap_wait_hist[w], HIST_SLOTS, "usecs");
	}
}

static void report_text(const struct report_ctx *ctx,
			const struct hugetlb_report *r)
{
	const __u64 *c = r->t.counters;
	bool share = obs_known(ctx, OBS_SHARE);
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%shuge_pmd_share  ", report_time(ctx, ts, sizeof(ts)));
	print_totals(ctx, &hugetlb_metrics, &r->t);
	fprintf(out, "\n");
	if (!share)
		fprintf(out, "huge_pmd_share is not observable on this kernel ('mmtrace probes hugetlb' says why)\n");
	if (share && hist_count(r->t.share_hist)) {
		fprintf(out, "\nhuge_pmd_share latency:\n");
		print_log2_hist(out, r->t.share_hist, HIST_SLOTS, "nsecs");
	}
	if (obs_known(ctx, OBS_WAITS))
		print_waits(out, &r->t);
	if (obs_known(ctx, OBS_RETRACT_RACE))
		fprintf(out, "PTE tables retracted %llu; page faults a retraction of their mm met (inferred from overlapping windows): %llu\n",
			c[HC_RETRACTED_TABLES], c[HC_FAULT_RETRACT_OVERLAPS]);
	if (obs_known(ctx, OBS_RETRACT) && hist_count(r->t.retract_hist)) {
		fprintf(out, "\nretract_page_tables latency:\n");
		print_log2_hist(out, r->t.retract_hist, HIST_SLOTS, "usecs");
	}
	if (obs_known(ctx, OBS_WAITS))
		owners_text(out, &r->owners, imap_lock_name, NULL,
			    ctx->opts->top);
	print_rows_table(ctx, &hugetlb_metrics, &r->rows, "processes");
	losses_text(out, r->t.losses, HUGETLB_LOSSES, "calls");
	fflush(out);
}

/* The rows' memory of which processes were seen goes with the object. */
VIEW_SKELETON_AND(hugetlb,
		  (row_table_free(&proc_rows), row_table_free(&owner_rows)),
		  &r.rows, &r.owners)

static struct owner_labels owner_labels;

static void hugetlb_render(struct metrics *m, void *skel,
			   const struct obs_result *res, size_t top, bool head)
{
	struct hugetlb_bpf *s = skel;
	struct rows growth = {};

	if (res[OBS_WAITS].chosen < 0)
		return;
	if (!rows_read(&owner_rows, bpf_map__fd(s->maps.imap_owners), &growth))
		owner_labels_render(m, &owner_labels, "mmtrace_hugetlb", &growth,
				    imap_lock_name, NULL, top, head);
	rows_free(&growth);
}

const struct view hugetlb_view = {
	.name = "hugetlb",
	.summary = "hugetlb PMD sharing and the i_mmap_rwsem waits it causes",
	.doc = "Trace hugetlb PMD-table sharing: huge_pmd_share calls, how many "
	       "found a table to share, time in it, waits on the file's "
	       "i_mmap_rwsem (huge_pmd_share vs other holders), PMD unsharing, "
	       "khugepaged page-table retractions and the page faults they "
	       "met.\v"
	       "Examples:\n"
	       "  mmtrace hugetlb                  # all processes, until Ctrl-C\n"
	       "  mmtrace hugetlb -i 5 -T          # a report every 5 s\n"
	       "  mmtrace hugetlb --json -- ./app  # run ./app, trace it, JSON\n"
	       "Which kernel hooks are used: mmtrace probes hugetlb.",
	.obs = hugetlb_obs,
	.n_obs = ARRAY_LEN(hugetlb_obs),
	VIEW_OPS(hugetlb),
	.configure = hugetlb_configure,
	/* No .busy: nothing is half counted for long, windows last a call. */
	.metrics = &hugetlb_metrics,
};
