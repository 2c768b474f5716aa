// SPDX-License-Identifier: GPL-2.0
/* mmtrace hugetlb: the table entry, the skeleton glue and the report. */
#include <errno.h>
#include <signal.h>
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
#include "tracer.h"

/* A process's row takes its new name at exec, or when its leader is renamed. */
#define TASK_NAME { "hugetlb_exec", PROBE_TRACEPOINT, { "sched/sched_process_exec" } }, \
	{ "hugetlb_rename", PROBE_TP_BTF, { "task_rename" }, true }

#define CONTENTION_POINTS                                                    \
	{ "imap_contention_begin", PROBE_TP_BTF, { "contention_begin" } },   \
	{ "imap_contention_end", PROBE_TP_BTF, { "contention_end" } }

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
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "lock:contention_* on the i_mmap_rwsem huge_pmd_share takes; other waiters on a known one are 'other' (unmap, unshare, migration, khugepaged)",
				.points = {
					{ "imap_stash_fentry", PROBE_FENTRY, { "huge_pmd_share" }, .nargs = 4 },
					{ "imap_stash_fexit", PROBE_FEXIT, { "huge_pmd_share" } },
					CONTENTION_POINTS,
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "as fentry; the lock is learned through a kprobe",
				.points = {
					{ "imap_stash_kprobe", PROBE_KPROBE, { "huge_pmd_share" } },
					{ "imap_stash_kretprobe", PROBE_KRETPROBE, { "huge_pmd_share" } },
					CONTENTION_POINTS,
				},
			},
		},
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
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = "retract_page_tables entry to exit",
				.points = {
					{ "retract_fentry", PROBE_FENTRY, { "retract_page_tables" } },
					{ "retract_fexit", PROBE_FEXIT, { "retract_page_tables" } },
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = "retract_page_tables entry to exit",
				.points = {
					{ "retract_kprobe", PROBE_KPROBE, { "retract_page_tables" } },
					{ "retract_kretprobe", PROBE_KRETPROBE, { "retract_page_tables" } },
				},
			},
		},
	},
	CHILDREN_OBSERVATION("hugetlb"),
};

enum { OBS_SHARE, OBS_WAITS, OBS_UNSHARE, OBS_RETRACT };

/* The BPF side's global counters and histograms, cumulative since load. */
struct hugetlb_totals {
	__u64 counters[HC_MAX];
	__u64 share_hist[HIST_LEN];
	__u64 imap_waits[IMAP_WAITERS][IMAP_MODES];
	__u64 imap_wait_ns[IMAP_WAITERS][IMAP_MODES];
	__u64 imap_wait_hist[IMAP_WAITERS][HIST_LEN];
	__u64 retract_hist[HIST_LEN];
	__u64 losses[LOSS_MAX];
};

struct hugetlb_report {
	struct hugetlb_totals t;
	struct rows rows;
	struct rows owners;	/* i_mmap_rwsem waits by holder */
	__u64 owner_losses;
};

static struct hugetlb_totals prev_totals;
static __u64 prev_owner_losses;
static struct row_table owner_rows = LOCK_OWNER_ROW_TABLE;

/* Every row of imap_owners is a wait on some hugetlb file's i_mmap_rwsem. */
static bool imap_lock_name(const struct lock_owner_key *k, char *buf,
			   size_t len, const void *arg)
{
	snprintf(buf, len, "i_mmap_rwsem");
	return true;
}

static bool row_process_gone(const struct row *r);

/*
 * No exited flag in BPF: a row whose process is gone is reported, then
 * deleted, as rows.c does with the flag.
 */
static struct row_table proc_rows = {
	.key_size = sizeof(struct hugetlb_proc_key),
	.value_size = sizeof(struct hugetlb_proc_stats),
	.sums_off = offsetof(struct hugetlb_proc_stats, share_calls),
	.sums_end = offsetofend(struct hugetlb_proc_stats, retract_ns),
	.exited_off = -1,
	.gone = row_process_gone,
};

static const char *const waiter_names[IMAP_WAITERS] = {
	[IMAP_SHARE] = "huge_pmd_share",
	[IMAP_OTHER] = "other",
};

static void *hugetlb_open(void)
{
	return hugetlb_bpf__open();
}

static struct bpf_object *hugetlb_object(void *skel)
{
	return ((struct hugetlb_bpf *)skel)->obj;
}

static int hugetlb_configure(void *skel, const struct tracer_opts *opts)
{
	struct hugetlb_bpf *s = skel;

	s->rodata->filter = opts->filter;
	return bpf_map__set_max_entries(s->maps.procs, opts->max_procs);
}

static int hugetlb_load(void *skel)
{
	return hugetlb_bpf__load(skel);
}

static void hugetlb_destroy(void *skel)
{
	hugetlb_bpf__destroy(skel);
	row_table_free(&proc_rows);
	row_table_free(&owner_rows);
}

/* Nothing is half counted for long: windows last one function call. */
static bool hugetlb_busy(void *skel)
{
	return false;
}

static const struct hugetlb_proc_stats *stats(const struct row *row)
{
	return (const void *)row->value;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct hugetlb_proc_stats *x = stats(a), *y = stats(b);

	if (x->share_calls != y->share_calls)
		return x->share_calls < y->share_calls ? 1 : -1;
	if (x->imap_wait_ns != y->imap_wait_ns)
		return x->imap_wait_ns < y->imap_wait_ns ? 1 : -1;
	return row_pid(a) < row_pid(b) ? -1 : row_pid(a) > row_pid(b);
}

static __u64 row_events(const struct hugetlb_proc_stats *s)
{
	return s->share_calls + s->imap_waits + s->unshares + s->retracts;
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
static bool row_process_gone(const struct row *r)
{
	return kill((pid_t)row_pid(r), 0) && errno == ESRCH;
}

static void delta(__u64 *out, const __u64 *now, __u64 *was, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = now[i] - was[i];
		was[i] = now[i];
	}
}

static int collect(struct hugetlb_bpf *s, struct hugetlb_report *r)
{
	int fd = bpf_map__fd(s->maps.procs), err;
	struct hugetlb_totals now;

	memcpy(now.counters, s->bss->counters, sizeof(now.counters));
	memcpy(now.share_hist, s->bss->share_hist, sizeof(now.share_hist));
	memcpy(now.imap_waits, s->bss->imap_waits, sizeof(now.imap_waits));
	memcpy(now.imap_wait_ns, s->bss->imap_wait_ns,
	       sizeof(now.imap_wait_ns));
	memcpy(now.imap_wait_hist, s->bss->imap_wait_hist,
	       sizeof(now.imap_wait_hist));
	memcpy(now.retract_hist, s->bss->retract_hist,
	       sizeof(now.retract_hist));
	memcpy(now.losses, s->bss->losses, sizeof(now.losses));
	delta(&r->t.counters[0], &now.counters[0], &prev_totals.counters[0],
	      sizeof(now) / sizeof(__u64));
	err = rows_read(&proc_rows, fd, &r->rows);
	if (!err)
		err = rows_read(&owner_rows, bpf_map__fd(s->maps.imap_owners),
				&r->owners);
	r->owner_losses = s->bss->owner_losses - prev_owner_losses;
	prev_owner_losses = s->bss->owner_losses;
	drop_quiet(&r->rows);
	rows_sort(&r->rows, cmp_rows);
	return err;
}

static bool have(const struct report_ctx *ctx, int obs)
{
	return ctx->res[obs].chosen >= 0;
}

static struct json_object *u64_or_null(bool known, __u64 v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static struct json_object *row_json(const struct report_ctx *ctx,
				    const struct row *row)
{
	const struct hugetlb_proc_stats *st = stats(row);
	struct json_object *j = json_object_new_object();
	bool share = have(ctx, OBS_SHARE), waits = have(ctx, OBS_WAITS);
	bool retract = have(ctx, OBS_RETRACT);

#define ADD(k, v) json_object_object_add(j, k, v)
	ADD("pid", json_object_new_int64(row_pid(row)));
	ADD("comm", json_comm(st->comm, sizeof(st->comm)));
	ADD("pmd_share_calls", u64_or_null(share, st->share_calls));
	ADD("pmd_shared", u64_or_null(share, st->shared));
	ADD("pmd_share_ns", u64_or_null(share, st->share_ns));
	ADD("i_mmap_waits", u64_or_null(waits, st->imap_waits));
	ADD("i_mmap_wait_ns", u64_or_null(waits, st->imap_wait_ns));
	ADD("pmd_unshares", u64_or_null(have(ctx, OBS_UNSHARE),
					st->unshares));
	ADD("retracts", u64_or_null(retract, st->retracts));
	ADD("retract_ns", u64_or_null(retract, st->retract_ns));
#undef ADD
	return j;
}

/* {"huge_pmd_share": {"read": {"waits": n, "wait_ns": t}, ...}, ...} */
static struct json_object *waits_json(const struct report_ctx *ctx,
				      const struct hugetlb_totals *t)
{
	static const char *const modes[IMAP_MODES] = { "read", "write" };
	struct json_object *o;

	if (!have(ctx, OBS_WAITS))
		return NULL;
	o = json_object_new_object();
	for (int w = 0; w < IMAP_WAITERS; w++) {
		struct json_object *by_mode = json_object_new_object();

		for (int m = 0; m < IMAP_MODES; m++) {
			struct json_object *c = json_object_new_object();

			json_object_object_add(c, "waits",
				json_object_new_uint64(t->imap_waits[w][m]));
			json_object_object_add(c, "wait_ns",
				json_object_new_uint64(t->imap_wait_ns[w][m]));
			json_object_object_add(by_mode, modes[m], c);
		}
		json_object_object_add(o, waiter_names[w], by_mode);
	}
	return o;
}

static struct json_object *hist_or_null(bool known, const __u64 *slots)
{
	return known ? hist_json(slots, HIST_SLOTS) : NULL;
}

static void report_json(const struct report_ctx *ctx,
			const struct hugetlb_report *r)
{
	struct json_object *o = report_json_header("hugetlb", ctx);
	struct json_object *units = json_object_new_object();
	struct json_object *t = json_object_new_object();
	struct json_object *h = json_object_new_object();
	struct json_object *wh = NULL;
	struct json_object *rows = json_object_new_array();
	struct json_object *lost = json_object_new_object();
	const __u64 *c = r->t.counters;
	bool share = have(ctx, OBS_SHARE), retract = have(ctx, OBS_RETRACT);

#define ADD(obj, k, v) json_object_object_add(obj, k, v)
	/* Every duration and histogram bound: pmd_share in ns slots, the rest us. */
	ADD(units, "latency", json_object_new_string("ns"));
	ADD(o, "units", units);
	ADD(t, "pmd_share_calls", u64_or_null(share, c[HC_SHARE_CALLS]));
	ADD(t, "pmd_shared", u64_or_null(share, c[HC_SHARED]));
	ADD(t, "pmd_share_ns", u64_or_null(share, c[HC_SHARE_NS]));
	ADD(t, "i_mmap_waits", waits_json(ctx, &r->t));
	ADD(t, "pmd_unshares", u64_or_null(have(ctx, OBS_UNSHARE),
					   c[HC_UNSHARES]));
	ADD(t, "retracts", u64_or_null(retract, c[HC_RETRACTS]));
	ADD(t, "retract_ns", u64_or_null(retract, c[HC_RETRACT_NS]));
	ADD(o, "totals", t);
	ADD(h, "pmd_share_ns", hist_or_null(share, r->t.share_hist));
	if (have(ctx, OBS_WAITS)) {
		wh = json_object_new_object();
		for (int w = 0; w < IMAP_WAITERS; w++)
			ADD(wh, waiter_names[w],
			    hist_json_ns(r->t.imap_wait_hist[w], HIST_SLOTS,
					 1000));
	}
	ADD(h, "i_mmap_wait_ns", wh);
	ADD(h, "retract_ns", retract ?
	    hist_json_ns(r->t.retract_hist, HIST_SLOTS, 1000) : NULL);
	ADD(o, "histograms", h);
	for (size_t i = 0; i < r->rows.n; i++)
		json_object_array_add(rows, row_json(ctx, &r->rows.r[i]));
	ADD(o, "processes", rows);
	/* [] where the waits are not seen, as every list of rows. */
	ADD(o, "owners", owners_json(&r->owners, imap_lock_name, NULL));
	ADD(lost, "owner_map_full", json_object_new_uint64(r->owner_losses));
	ADD(lost, "window_map_full",
	    json_object_new_uint64(r->t.losses[LOSS_WINDOW_MAP_FULL]));
	ADD(lost, "proc_map_full",
	    json_object_new_uint64(r->t.losses[LOSS_PROC_MAP_FULL]));
	tasks_lost_json(lost, r->t.losses);
	ADD(o, "lost", lost);
#undef ADD
	json_emit(ctx->out, o);
}

static void print_count(FILE *out, const char *label, bool known, __u64 v)
{
	if (known)
		fprintf(out, "  %s %llu", label, v);
	else
		fprintf(out, "  %s n/a", label);
}

static void print_num(FILE *out, int width, bool known, __u64 v)
{
	if (known)
		fprintf(out, " %*llu", width, v);
	else
		fprintf(out, " %*s", width, "n/a");
}

static void print_rows(const struct report_ctx *ctx,
		       const struct hugetlb_report *r)
{
	FILE *out = ctx->out;
	size_t n = r->rows.n < ctx->opts->top ? r->rows.n : ctx->opts->top;
	bool share = have(ctx, OBS_SHARE), waits = have(ctx, OBS_WAITS);
	char comm[COMM_TEXT_LEN];

	if (!r->rows.n)
		return;
	fprintf(out, "\n%-8s %-16s %10s %10s %10s %10s %12s %9s %9s\n", "PID",
		"COMM", "SHARE_CALLS", "SHARED", "SHARE_US", "IMAP_WAITS",
		"IMAP_WAIT_US", "UNSHARES", "RETRACTS");
	for (size_t i = 0; i < n; i++) {
		const struct hugetlb_proc_stats *st = stats(&r->rows.r[i]);

		text_comm(st->comm, sizeof(st->comm), comm);
		fprintf(out, "%-8u %-16s", row_pid(&r->rows.r[i]), comm);
		print_num(out, 11, share, st->share_calls);
		print_num(out, 10, share, st->shared);
		print_num(out, 10, share, st->share_ns / 1000);
		print_num(out, 10, waits, st->imap_waits);
		print_num(out, 12, waits, st->imap_wait_ns / 1000);
		print_num(out, 9, have(ctx, OBS_UNSHARE), st->unshares);
		print_num(out, 9, have(ctx, OBS_RETRACT), st->retracts);
		fprintf(out, "\n");
	}
	if (n < r->rows.n)
		fprintf(out, "(%zu more processes; --top or --json shows them)\n",
			r->rows.n - n);
}

static void print_waits(FILE *out, const struct hugetlb_totals *t)
{
	for (int w = 0; w < IMAP_WAITERS; w++) {
		fprintf(out, "\ni_mmap_rwsem waits by %s: read %llu (%llu us), write %llu (%llu us)\n",
			waiter_names[w], t->imap_waits[w][IMAP_READ],
			t->imap_wait_ns[w][IMAP_READ] / 1000,
			t->imap_waits[w][IMAP_WRITE],
			t->imap_wait_ns[w][IMAP_WRITE] / 1000);
		print_log2_hist(out, t->imap_wait_hist[w], HIST_SLOTS, "usecs");
	}
}

static void report_text(const struct report_ctx *ctx,
			const struct hugetlb_report *r)
{
	const __u64 *c = r->t.counters;
	bool share = have(ctx, OBS_SHARE);
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%shuge_pmd_share", report_time(ctx, ts, sizeof(ts)));
	print_count(out, "calls", share, c[HC_SHARE_CALLS]);
	print_count(out, "shared", share, c[HC_SHARED]);
	print_count(out, "us", share, c[HC_SHARE_NS] / 1000);
	print_count(out, "unshares", have(ctx, OBS_UNSHARE), c[HC_UNSHARES]);
	print_count(out, "retracts", have(ctx, OBS_RETRACT), c[HC_RETRACTS]);
	print_count(out, "retract us", have(ctx, OBS_RETRACT),
		    c[HC_RETRACT_NS] / 1000);
	fprintf(out, "\n");
	if (!share)
		fprintf(out, "huge_pmd_share is not observable on this kernel ('mmtrace probes hugetlb' says why)\n");
	if (share && c[HC_SHARE_CALLS]) {
		fprintf(out, "\nhuge_pmd_share latency:\n");
		print_log2_hist(out, r->t.share_hist, HIST_SLOTS, "nsecs");
	}
	if (have(ctx, OBS_WAITS))
		print_waits(out, &r->t);
	if (have(ctx, OBS_RETRACT) && c[HC_RETRACTS]) {
		fprintf(out, "\nretract_page_tables latency:\n");
		print_log2_hist(out, r->t.retract_hist, HIST_SLOTS, "usecs");
	}
	if (have(ctx, OBS_WAITS))
		owners_text(out, &r->owners, imap_lock_name, NULL,
			    ctx->opts->top);
	print_rows(ctx, r);
	if (r->owner_losses)
		fprintf(out, "LOST: %llu i_mmap_rwsem waits without a holder row (holder table full)\n",
			r->owner_losses);
	if (r->t.losses[LOSS_WINDOW_MAP_FULL] || r->t.losses[LOSS_PROC_MAP_FULL])
		fprintf(out, "LOST: %llu calls (window map full), %llu process rows (process map full: raise --max-procs)\n",
			r->t.losses[LOSS_WINDOW_MAP_FULL],
			r->t.losses[LOSS_PROC_MAP_FULL]);
	tasks_lost_text(out, r->t.losses);
	fflush(out);
}

static int hugetlb_print_report(void *skel, const struct report_ctx *ctx)
{
	struct hugetlb_report r = {};
	int err = collect(skel, &r);

	if (!err) {
		if (ctx->opts->json)
			report_json(ctx, &r);
		else
			report_text(ctx, &r);
	}
	rows_free(&r.rows);
	rows_free(&r.owners);
	return err;
}

#define BSS struct hugetlb_bpf__bss
#define WAITER(w) .label = "waiter", .label_value = w

static const struct metric_def hugetlb_metrics_defs[] = {
	METRIC_U64(BSS, "hugetlb_pmd_share_calls", "huge_pmd_share calls",
		   counters[HC_SHARE_CALLS], 0, OBS_SHARE),
	METRIC_U64(BSS, "hugetlb_pmd_shared", "huge_pmd_share calls that found a PMD table to share",
		   counters[HC_SHARED], 0, OBS_SHARE),
	METRIC_HIST_NS(BSS, "hugetlb_pmd_share_seconds", "Time in huge_pmd_share",
		       share_hist, OBS_SHARE),
	METRIC_U64(BSS, "hugetlb_pmd_unshares", "Shared PMD tables unshared",
		   counters[HC_UNSHARES], 0, OBS_UNSHARE),
	METRIC_HIST_US(BSS, "hugetlb_i_mmap_wait_seconds", "Time waiting for i_mmap_rwsem: in huge_pmd_share, or elsewhere",
		       imap_wait_hist[IMAP_SHARE], OBS_WAITS,
		       WAITER("pmd_share")),
	METRIC_HIST_US(BSS, "hugetlb_i_mmap_wait_seconds", "",
		       imap_wait_hist[IMAP_OTHER], OBS_WAITS, WAITER("other")),
	METRIC_U64(BSS, "hugetlb_retracts", "retract_page_tables calls (khugepaged)",
		   counters[HC_RETRACTS], 0, OBS_RETRACT),
	METRIC_HIST_US(BSS, "hugetlb_retract_seconds", "Time in retract_page_tables",
		       retract_hist, OBS_RETRACT),
};

#define ROW(n, h, member, dec, ob)                                           \
	{ n, h, offsetof(struct hugetlb_proc_stats, member), dec, ob }

static const struct row_metric_def hugetlb_row_defs[] = {
	ROW("pmd_shared", "PMD tables shared", shared, 0, OBS_SHARE),
	ROW("i_mmap_wait_seconds", "Time waiting for i_mmap_rwsem",
	    imap_wait_ns, 9, OBS_WAITS),
	ROW("pmd_unshares", "Shared PMD tables unshared", unshares, 0,
	    OBS_UNSHARE),
};

/* serve: i_mmap_rwsem waits by holder, at most --top holders. */
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

static const struct tracer_metrics hugetlb_metrics = {
	.defs = hugetlb_metrics_defs,
	.n_defs = sizeof(hugetlb_metrics_defs) / sizeof(hugetlb_metrics_defs[0]),
	.losses_off = offsetof(BSS, losses),
	.rows = &proc_rows,
	.comm_off = offsetof(struct hugetlb_proc_stats, comm),
	.cgroup_off = offsetof(struct hugetlb_proc_stats, cgroup_id),
	.row_defs = hugetlb_row_defs,
	.n_row_defs = sizeof(hugetlb_row_defs) / sizeof(hugetlb_row_defs[0]),
	.render = hugetlb_render,
};

const struct tracer hugetlb_tracer = {
	.name = "hugetlb",
	.summary = "hugetlb PMD sharing and the i_mmap_rwsem waits it causes",
	.doc = "Trace hugetlb PMD-table sharing: huge_pmd_share calls, how many "
	       "found a table to share, time in it, waits on the file's "
	       "i_mmap_rwsem (huge_pmd_share vs other holders), PMD unsharing "
	       "and khugepaged page-table retractions.\v"
	       "Examples:\n"
	       "  mmtrace hugetlb                  # all processes, until Ctrl-C\n"
	       "  mmtrace hugetlb -i 5 -T          # a report every 5 s\n"
	       "  mmtrace hugetlb --json -- ./app  # run ./app, trace it, JSON\n"
	       "Which kernel hooks are used: mmtrace probes hugetlb.",
	.obs = hugetlb_obs,
	.n_obs = sizeof(hugetlb_obs) / sizeof(hugetlb_obs[0]),
	.open = hugetlb_open,
	.object = hugetlb_object,
	.configure = hugetlb_configure,
	.load = hugetlb_load,
	.destroy = hugetlb_destroy,
	.report = hugetlb_print_report,
	.busy = hugetlb_busy,
	.metrics = &hugetlb_metrics,
};
