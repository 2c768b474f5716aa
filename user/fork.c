// SPDX-License-Identifier: GPL-2.0
/* mmtrace fork: the table entry, the skeleton glue and the report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "fork.h"
#include "fork.skel.h"
#include "output.h"
#include "tracer.h"

#define TP(prog, event) { prog, PROBE_TRACEPOINT, { event } }
#define TP_OPT(prog, event) { prog, PROBE_TRACEPOINT, { event }, true }

static const struct observation fork_obs[] = {
	{
		.name = "fork.syscalls",
		.summary = "fork, vfork, clone, clone3: latency and counts",
		.if_missing = "the clone-family syscall tracepoints are missing",
		.required = true,
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "syscall entry to return in the parent; task_newtask tells forks, vforks and threads apart",
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
				.note = "order-0 GFP_HIGHUSER_MOVABLE allocations inside the parent's clone(): exact for base pages; copy_page_range time unknown",
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
				.points = { { "huge_pmd_fexit", PROBE_FEXIT, { "copy_huge_pmd" } } },
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
					  { "alloc_hugetlb_folio", "alloc_huge_page" } },
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
};

enum { OBS_SYSCALLS, OBS_PINNED, OBS_THP, OBS_HUGETLB };

/* Cumulative BPF totals as of the previous report. */
static struct {
	__u64 counters[FC_MAX];
	__u64 latency[FORK_LAT_KINDS][HIST_SLOTS];
	__u64 vfork_latency[HIST_SLOTS];
	__u64 copies[HIST_SLOTS];
	__u64 losses[LOSS_MAX];
} prev;

/* This report's share: cumulative values minus the previous report's. */
struct fork_report {
	__u64 counters[FC_MAX];
	__u64 latency[FORK_LAT_KINDS][HIST_SLOTS];
	__u64 vfork_latency[HIST_SLOTS];
	__u64 copies[HIST_SLOTS];
	__u64 losses[LOSS_MAX];
	struct fork_row *rows;
	size_t n_rows;
};

struct fork_row {
	unsigned int pid;
	struct fork_proc_stats st;
};

static void *fork_open(void)
{
	return fork_bpf__open();
}

static struct bpf_object *fork_object(void *skel)
{
	return ((struct fork_bpf *)skel)->obj;
}

static int fork_configure(void *skel, const struct tracer_opts *opts)
{
	struct fork_bpf *s = skel;

	s->rodata->filter = opts->filter;
	return bpf_map__set_max_entries(s->maps.procs, opts->max_procs);
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
	const struct fork_row *x = a, *y = b;

	if (x->st.pinned_copies != y->st.pinned_copies)
		return x->st.pinned_copies < y->st.pinned_copies ? 1 : -1;
	if (x->st.forks != y->st.forks)
		return x->st.forks < y->st.forks ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Takes every row out of the map: exited processes are reported once. */
static int drain_rows(int fd, struct fork_report *r)
{
	struct fork_proc_key key, next;
	struct fork_row *grown;
	void *prev_key = NULL;
	size_t cap = 0;

	while (!bpf_map_get_next_key(fd, prev_key, &next)) {
		key = next;
		prev_key = &key;
		if (r->n_rows == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(r->rows, cap * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			r->rows = grown;
		}
		if (bpf_map_lookup_elem(fd, &key, &r->rows[r->n_rows].st))
			continue;
		r->rows[r->n_rows++].pid = key.tgid;
	}
	for (size_t i = 0; i < r->n_rows; i++) {
		key.tgid = r->rows[i].pid;
		bpf_map_delete_elem(fd, &key);
	}
	qsort(r->rows, r->n_rows, sizeof(*r->rows), cmp_rows);
	return 0;
}

static int collect(struct fork_bpf *s, struct fork_report *r)
{
	delta(r->counters, s->bss->counters, prev.counters, FC_MAX);
	delta(&r->latency[0][0], &s->bss->latency_hist[0][0], &prev.latency[0][0],
	      FORK_LAT_KINDS * HIST_SLOTS);
	delta(r->vfork_latency, s->bss->vfork_latency_hist, prev.vfork_latency,
	      HIST_SLOTS);
	delta(r->copies, s->bss->copies_hist, prev.copies, HIST_SLOTS);
	delta(r->losses, s->bss->losses, prev.losses, LOSS_MAX);
	return drain_rows(bpf_map__fd(s->maps.procs), r);
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
				    const struct fork_row *row)
{
	const struct fork_proc_stats *st = &row->st;
	struct json_object *j = json_object_new_object();

#define ADD(k, v) json_object_object_add(j, k, v)
	ADD("pid", json_object_new_int64(row->pid));
	ADD("comm", json_comm(st->comm, sizeof(st->comm)));
	ADD("forks", json_object_new_uint64(st->forks));
	ADD("vforks", json_object_new_uint64(st->vforks));
	ADD("threads", json_object_new_uint64(st->threads));
	ADD("failed", json_object_new_uint64(st->failed));
	ADD("pinned_copies", u64_or_null(have(ctx, OBS_PINNED),
					 st->pinned_copies));
	ADD("thp_splits", u64_or_null(have(ctx, OBS_THP), st->thp_splits));
	ADD("hugetlb_copies", u64_or_null(have(ctx, OBS_HUGETLB),
					  st->hugetlb_copies));
	ADD("fork_us_total", json_object_new_uint64(st->total_ns / 1000));
	ADD("fork_us_max", json_object_new_uint64(st->max_ns / 1000));
	ADD("copy_page_range_us", u64_or_null(copy_time_known(ctx),
					      st->cpr_ns / 1000));
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

	json_object_object_add(units, "latency", json_object_new_string("us"));
	json_object_object_add(units, "pinned_copies",
			       json_object_new_string("base_pages"));
	json_object_object_add(units, "hugetlb_copies",
			       json_object_new_string("huge_pages"));
	json_object_object_add(o, "units", units);
	json_object_object_add(t, "forks", json_object_new_uint64(r->counters[FC_FORKS]));
	json_object_object_add(t, "vforks", json_object_new_uint64(r->counters[FC_VFORKS]));
	json_object_object_add(t, "threads", json_object_new_uint64(r->counters[FC_THREADS]));
	json_object_object_add(t, "failed", json_object_new_uint64(r->counters[FC_FAILED]));
	json_object_object_add(t, "pinned_copies", u64_or_null(have(ctx, OBS_PINNED),
				r->counters[FC_PINNED_COPIES]));
	json_object_object_add(t, "thp_splits", u64_or_null(have(ctx, OBS_THP),
				r->counters[FC_THP_SPLITS]));
	json_object_object_add(t, "hugetlb_copies", u64_or_null(have(ctx, OBS_HUGETLB),
				r->counters[FC_HUGETLB_COPIES]));
	json_object_object_add(t, "copy_page_range_us",
			       u64_or_null(cpr, r->counters[FC_CPR_NS] / 1000));
	json_object_object_add(o, "totals", t);
	json_object_object_add(lat, "has_pinned",
			       hist_json(r->latency[FORK_LAT_PINNED], HIST_SLOTS));
	json_object_object_add(lat, "no_pinned",
			       hist_json(r->latency[FORK_LAT_UNPINNED], HIST_SLOTS));
	json_object_object_add(lat, "vfork", hist_json(r->vfork_latency, HIST_SLOTS));
	json_object_object_add(o, "latency_us", lat);
	json_object_object_add(o, "copies_per_fork", hist_json(r->copies, HIST_SLOTS));
	for (size_t i = 0; i < r->n_rows; i++)
		json_object_array_add(rows, row_json(ctx, &r->rows[i]));
	json_object_object_add(o, "processes", rows);
	json_object_object_add(lost, "window_map_full",
			       json_object_new_uint64(r->losses[LOSS_WINDOW_MAP_FULL]));
	json_object_object_add(lost, "proc_map_full",
			       json_object_new_uint64(r->losses[LOSS_PROC_MAP_FULL]));
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
	size_t n = r->n_rows < ctx->opts->top ? r->n_rows : ctx->opts->top;
	char comm[16 * 3 + 1];

	if (!r->n_rows)
		return;
	fprintf(out, "\n%-8s %-16s %7s %7s %14s %10s %10s %s\n", "PID", "COMM",
		"FORKS", "VFORKS", "PINNED_COPIES", "TOTAL_US", "MAX_US",
		"HAS_PINNED");
	for (size_t i = 0; i < n; i++) {
		const struct fork_proc_stats *st = &r->rows[i].st;

		utf8_sanitize(st->comm, sizeof(st->comm), comm, sizeof(comm));
		fprintf(out, "%-8u %-16s %7llu %7llu %14llu %10llu %10llu %s\n",
			r->rows[i].pid, comm, st->forks, st->vforks,
			st->pinned_copies, st->total_ns / 1000,
			st->max_ns / 1000, st->has_pinned ? "yes" : "no");
	}
	if (n < r->n_rows)
		fprintf(out, "(%zu more processes; --top or --json shows them)\n",
			r->n_rows - n);
}

static void report_text(const struct report_ctx *ctx,
			const struct fork_report *r)
{
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%sforks %llu  vforks %llu  threads %llu  failed %llu",
		report_time(ctx, ts, sizeof(ts)), r->counters[FC_FORKS],
		r->counters[FC_VFORKS], r->counters[FC_THREADS],
		r->counters[FC_FAILED]);
	print_count(out, "pinned-page copies", have(ctx, OBS_PINNED),
		    r->counters[FC_PINNED_COPIES]);
	print_count(out, "THP splits", have(ctx, OBS_THP),
		    r->counters[FC_THP_SPLITS]);
	print_count(out, "hugetlb copies", have(ctx, OBS_HUGETLB),
		    r->counters[FC_HUGETLB_COPIES]);
	print_count(out, "copy_page_range us", copy_time_known(ctx),
		    r->counters[FC_CPR_NS] / 1000);
	fprintf(out, "\n");
	fprintf(out, "\nfork latency, parents that have pinned pages:\n");
	print_log2_hist(out, r->latency[FORK_LAT_PINNED], HIST_SLOTS, "usecs");
	fprintf(out, "\nfork latency, other parents:\n");
	print_log2_hist(out, r->latency[FORK_LAT_UNPINNED], HIST_SLOTS, "usecs");
	if (r->counters[FC_VFORKS]) {
		fprintf(out, "\nvfork latency (until the child execs or exits):\n");
		print_log2_hist(out, r->vfork_latency, HIST_SLOTS, "usecs");
	}
	if (have(ctx, OBS_PINNED) && r->counters[FC_PINNED_COPIES]) {
		fprintf(out, "\npinned-page copies per fork:\n");
		print_log2_hist(out, r->copies, HIST_SLOTS, "pages");
	}
	print_rows(ctx, r);
	if (r->losses[LOSS_WINDOW_MAP_FULL] || r->losses[LOSS_PROC_MAP_FULL])
		fprintf(out, "LOST: %llu forks (window map full), %llu process rows (process map full: raise --max-procs)\n",
			r->losses[LOSS_WINDOW_MAP_FULL],
			r->losses[LOSS_PROC_MAP_FULL]);
	fflush(out);
}

static int fork_report(void *skel, const struct report_ctx *ctx)
{
	struct fork_report r = {};
	int err = collect(skel, &r);

	if (!err) {
		if (ctx->opts->json)
			report_json(ctx, &r);
		else
			report_text(ctx, &r);
	}
	free(r.rows);
	return err;
}

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
	       "Which kernel hooks are used: mmtrace probes.",
	.obs = fork_obs,
	.n_obs = sizeof(fork_obs) / sizeof(fork_obs[0]),
	.open = fork_open,
	.object = fork_object,
	.configure = fork_configure,
	.load = fork_load,
	.destroy = fork_destroy,
	.report = fork_report,
};
