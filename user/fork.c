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
#define PAGE_ALLOC_NOTE                                                       \
	"early-COW preallocations: order-0 GFP_HIGHUSER_MOVABLE allocations "  \
	"inside the parent's clone() (a fault inside clone, e.g. writing "     \
	"CLONE_PARENT_SETTID, would add one); copy_page_range time unknown"

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
				TP("fork_task_exit", "sched/sched_process_exit"),
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
};

enum { OBS_SYSCALLS, OBS_PINNED, OBS_THP, OBS_HUGETLB };

/* The BPF side's global counters and histograms, cumulative since load. */
struct fork_totals {
	__u64 counters[FC_MAX];
	__u64 latency[FORK_LAT_KINDS][HIST_SLOTS];
	__u64 vfork_latency[HIST_SLOTS];
	__u64 copies[HIST_SLOTS];
	__u64 losses[LOSS_MAX];
};

struct fork_row {
	unsigned int pid;
	struct fork_proc_stats st;
};

/* One report's share: this report's totals minus the previous report's. */
struct fork_report {
	struct fork_totals t;
	struct fork_row *rows;
	size_t n_rows;
};

/*
 * Rows stay in the BPF map while their process lives and are diffed here,
 * so no update is lost to a read-then-delete race. @seen is sorted by pid.
 */
static struct {
	struct fork_totals totals;
	struct fork_row *seen;
	size_t n_seen;
} prev;

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

static int cmp_pid(const void *a, const void *b)
{
	const struct fork_row *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* qsort() with a NULL array is undefined even for zero elements. */
static void sort_rows(struct fork_row *rows, size_t n,
		      int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct fork_row *x = a, *y = b;

	if (x->st.pinned_copies != y->st.pinned_copies)
		return x->st.pinned_copies < y->st.pinned_copies ? 1 : -1;
	if (x->st.forks != y->st.forks)
		return x->st.forks < y->st.forks ? 1 : -1;
	return cmp_pid(a, b);
}

/*
 * @cur minus what the previous report saw of the same pid. A row that
 * went backwards was deleted and recreated (pid reuse): all of it is new.
 */
static bool row_delta(const struct fork_row *cur, struct fork_row *out)
{
	const struct fork_row *was;
	const struct fork_proc_stats *c = &cur->st, *p;

	*out = *cur;
	/* bsearch() on the first report's empty (NULL) array is undefined. */
	was = prev.n_seen ? bsearch(cur, prev.seen, prev.n_seen, sizeof(*cur),
				    cmp_pid) : NULL;
	if (!was || c->forks + c->vforks + c->threads + c->failed <
			    was->st.forks + was->st.vforks + was->st.threads +
				    was->st.failed)
		return c->forks || c->vforks || c->threads || c->failed;
	p = &was->st;
	out->st.forks -= p->forks;
	out->st.vforks -= p->vforks;
	out->st.threads -= p->threads;
	out->st.failed -= p->failed;
	out->st.pinned_copies -= p->pinned_copies;
	out->st.thp_splits -= p->thp_splits;
	out->st.hugetlb_copies -= p->hugetlb_copies;
	out->st.total_ns -= p->total_ns;
	out->st.cpr_ns -= p->cpr_ns;
	return out->st.forks || out->st.vforks || out->st.threads ||
	       out->st.failed;
}

static int grow(struct fork_row **rows, size_t n, size_t *cap)
{
	struct fork_row *grown;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	grown = realloc(*rows, *cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*rows = grown;
	return 0;
}

/* Deleting while iterating would restart the walk: delete afterwards. */
static void delete_exited(int fd, const struct fork_row *rows, size_t n)
{
	struct fork_proc_key key;

	for (size_t i = 0; i < n; i++) {
		key.tgid = rows[i].pid;
		bpf_map_delete_elem(fd, &key);
	}
}

/* Reads every row; rows of exited processes are reported once, then freed. */
static int read_rows(int fd, struct fork_report *r)
{
	size_t n_seen = 0, cap_seen = 0, cap_rows = 0, n_gone = 0, cap_gone = 0;
	struct fork_row *seen = NULL, *gone = NULL, cur;
	struct fork_proc_key key, next;
	void *prev_key = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev_key, &next)) {
		key = next;
		prev_key = &key;
		if (bpf_map_lookup_elem(fd, &key, &cur.st))
			continue;
		cur.pid = key.tgid;
		err = grow(&r->rows, r->n_rows, &cap_rows);
		if (!err && row_delta(&cur, &r->rows[r->n_rows]))
			r->n_rows++;
		if (!err && cur.st.exited) {
			err = grow(&gone, n_gone, &cap_gone);
			if (!err)
				gone[n_gone++] = cur;
		} else if (!err) {
			err = grow(&seen, n_seen, &cap_seen);
			if (!err)
				seen[n_seen++] = cur;
		}
	}
	delete_exited(fd, gone, n_gone);
	free(gone);
	sort_rows(seen, n_seen, cmp_pid);
	free(prev.seen);
	prev.seen = seen;
	prev.n_seen = n_seen;
	sort_rows(r->rows, r->n_rows, cmp_rows);
	return err;
}

static int collect(struct fork_bpf *s, struct fork_report *r)
{
	struct fork_totals now;

	memcpy(now.counters, s->bss->counters, sizeof(now.counters));
	memcpy(now.latency, s->bss->latency_hist, sizeof(now.latency));
	memcpy(now.vfork_latency, s->bss->vfork_latency_hist,
	       sizeof(now.vfork_latency));
	memcpy(now.copies, s->bss->copies_hist, sizeof(now.copies));
	memcpy(now.losses, s->bss->losses, sizeof(now.losses));
	delta(&r->t.counters[0], &now.counters[0], &prev.totals.counters[0],
	      sizeof(now) / sizeof(__u64));
	return read_rows(bpf_map__fd(s->maps.procs), r);
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
	json_object_object_add(t, "copy_page_range_us",
			       u64_or_null(cpr, r->t.counters[FC_CPR_NS] / 1000));
	json_object_object_add(o, "totals", t);
	json_object_object_add(lat, "has_pinned",
			       hist_json(r->t.latency[FORK_LAT_PINNED], HIST_SLOTS));
	json_object_object_add(lat, "no_pinned",
			       hist_json(r->t.latency[FORK_LAT_UNPINNED], HIST_SLOTS));
	json_object_object_add(lat, "vfork", hist_json(r->t.vfork_latency, HIST_SLOTS));
	json_object_object_add(o, "latency_us", lat);
	json_object_object_add(o, "copies_per_fork", hist_json(r->t.copies, HIST_SLOTS));
	for (size_t i = 0; i < r->n_rows; i++)
		json_object_array_add(rows, row_json(ctx, &r->rows[i]));
	json_object_object_add(o, "processes", rows);
	json_object_object_add(lost, "window_map_full",
			       json_object_new_uint64(r->t.losses[LOSS_WINDOW_MAP_FULL]));
	json_object_object_add(lost, "proc_map_full",
			       json_object_new_uint64(r->t.losses[LOSS_PROC_MAP_FULL]));
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
	char comm[COMM_UTF8_LEN];

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
	.report = fork_print_report,
	.busy = fork_busy,
};
