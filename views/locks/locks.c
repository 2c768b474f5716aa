// SPDX-License-Identifier: GPL-2.0
/* mmtrace locks: the table entry, the skeleton glue and the report. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "events.h"
#include "ksyms.h"
#include "locks.h"
#include "locks.skel.h"
#include "misses.h"
#include "options.h"
#include "output.h"
#include "owners.h"
#include "rows.h"
#include "tasks.h"
#include "view.h"
#include "fields.h"

#define TP(prog, event) { prog, PROBE_TRACEPOINT, { event } }
#define BTF(prog, event) { prog, PROBE_TP_BTF, { event } }

/*
 * Why a fault left the VMA lock, as CONFIG_PER_VMA_LOCK_STATS would count
 * it in /proc/vmstat (off in distribution kernels): the paths of
 * do_user_addr_fault() in arch/x86/mm/fault.c, 6.12 and 7.x.
 */
#define VMA_EXACT_NOTE "exact: a user fault that enters lock_mm_and_find_vma fell back; lock_vma_under_rcu returning NULL is an abort (vmstat vma_lock_abort); handle_mm_fault under the VMA lock returning VM_FAULT_RETRY is a retry (vma_lock_retry; one that returns to user space for a signal instead of falling back counts as served); a fault whose VMA was locked and no handler entered is an access error (access_error(): signalled under the VMA lock from 6.10, a fallback before, no vmstat event); a VMA detached while lock_vma_under_rcu looked it up (vma_lock_miss) loops inside that function and is not observed"

#define VMA_WRITE_NOTE "each call of __vma_start_write (a VMA not yet write-locked in this mmap_lock write cycle), timed from entry to return: mostly the wait for its readers, which emits no lock:contention event; a call in flight at the end is not counted"

/* Each point at the fentry and kprobe tiers (TWIN_PLANS, user/probe.h). */
#define VMA_POINTS(P)                                                        \
	P(RETURN, "vma_lock", 2, false, "lock_vma_under_rcu")                \
	P(ENTRY, "vma_fallback", 3, false, "lock_mm_and_find_vma")           \
	P(ENTRY, "vma_handle", 4, false, "handle_mm_fault")                  \
	P(RETURN, "vma_handled", 4, false, "handle_mm_fault")
#define VMA_WRITE_POINTS(P)                                                  \
	P(ENTRY, "vma_write", 0, false, "__vma_start_write")                 \
	P(RETURN, "vma_write", 0, false, "__vma_start_write")

static const struct observation locks_obs[] = {
	{
		.name = "locks.exits",
		.summary = "thread and process exits and execs: per-thread state, rows of exited processes, process names",
		.if_missing = "thread exits are not seen, so the per-thread state of the others cannot be kept, and rows do not take a process's new name at exec",
		.required = true,
		.support = true,
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "drops a thread's state when it exits; a process's row takes its new name at exec or when its leader is renamed (task_rename)",
			.points = {
				TP("locks_task_exit", "sched/sched_process_exit"),
				TP("locks_exec", "sched/sched_process_exec"),
				{ "locks_rename", PROBE_TP_BTF, { "task_rename" }, true },
			},
		} },
	},
	{
		.name = "locks.mmap_lock",
		/* Three programs on every acquisition: over 2% by their floor. */
		.detail = true,
		.summary = "mmap_lock acquisitions, failures, wait and hold times, read and write",
		.if_missing = "mmap_lock acquisitions, waits and holds are not traced (needs the mmap_lock_* tracepoints through BTF; the lock functions are inline, so no kprobe can stand in)",
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "mmap_lock_start_locking to acquire_returned (wait), acquire to released (hold); on 6.1/6.12 enabling them formats a memcg path per acquisition, which costs",
			.points = {
				BTF("mmap_start_btf", "mmap_lock_start_locking"),
				BTF("mmap_returned_btf", "mmap_lock_acquire_returned"),
				BTF("mmap_released_btf", "mmap_lock_released"),
			},
		} },
	},
	{
		.name = "locks.contention",
		.summary = "sleeping-lock contention (rwsem, mutex, rtmutex, percpu-rwsem), mmap_lock or other, by caller and by holder",
		.if_missing = "sleeping-lock contention is not traced, so neither callers nor holders of contended locks are known (needs the lock:contention_begin/end tracepoints through BTF, 5.19+)",
		.plans = { {
			.tier = TIER_TRACEPOINT,
			.note = "lock:contention_begin to contention_end per thread; spinlocks are counted, not timed; rwsem writers' optimistic spinning comes before contention_begin and is not seen; the waiter's stack and the holder the kernel records (mutex owner, rwsem writer) are read at contention_begin",
			.points = {
				BTF("contention_begin_btf", "contention_begin"),
				BTF("contention_end_btf", "contention_end"),
			},
		} },
	},
	{
		.name = "locks.vma_faults",
		/* A program per fault, and sys_enter (every syscall's slow path). */
		.detail = true,
		.summary = "user page faults served under a per-VMA lock, or fallen back to mmap_lock",
		.if_missing = "faults are not split into per-VMA-lock faults and mmap_lock fallbacks (needs per-VMA locks, CONFIG_PER_VMA_LOCK 6.4+, and the page_fault_user tracepoint, or on arm64 fentry on do_mem_abort)",
		.plans = {
			{
				.tier = TIER_FENTRY,
				.note = VMA_EXACT_NOTE,
				.points = {
					BTF("vma_fault_btf", "page_fault_user"),
					VMA_POINTS(FENTRY_POINT)
				},
			},
			{
				.tier = TIER_FENTRY,
				.note = "arm64, which has no page_fault_user: as above, a user fault being do_mem_abort from EL0 with a translation, access flag or permission fault status",
				.points = {
					{ "vma_fault_abort_fentry", PROBE_FENTRY, { "do_mem_abort" }, .nargs = 3 },
					VMA_POINTS(FENTRY_POINT)
				},
			},
			{
				.tier = TIER_KPROBE,
				.note = VMA_EXACT_NOTE,
				.points = {
					BTF("vma_fault_btf", "page_fault_user"),
					VMA_POINTS(KPROBE_POINT)
				},
			},
			{
				.tier = TIER_TRACEPOINT,
				.note = "NOT EXACT: a fault after which its thread starts a read acquisition of mmap_lock before its next syscall or fault counts as a fallback; that also counts a fault that set up a new VMA's anon_vma under mmap_read_trylock while holding the VMA lock, and a thread killed by a signal after a fault (exit_mm); the sum is exact; why a fault fell back (abort, retry, access error) is not seen",
				.points = {
					BTF("vma_fault_btf", "page_fault_user"),
					BTF("vma_tp_lock_btf", "mmap_lock_start_locking"),
					BTF("vma_tp_syscall_btf", "sys_enter"),
				},
			},
		},
	},
	{
		.name = "locks.vma_write",
		/* A timed program on every VMA write lock: mmap, munmap, mprotect. */
		.detail = true,
		.summary = "VMA write locks: how long a writer (mmap, munmap, mprotect, ...) waited for the faults reading the VMA",
		.if_missing = "VMA write-lock waits are not timed (needs __vma_start_write, out of line on 7.x; on 6.12 vma_start_write is inline and its waits show as lock:contention on the VMA's vm_lock, counted as other contention)",
		.plans = { TWIN_PLANS(VMA_WRITE_POINTS, VMA_WRITE_NOTE,
				      VMA_WRITE_NOTE) },
	},
	CHILDREN_OBSERVATION("locks"),
};

static struct row_table proc_rows = PROC_ROW_TABLE(
	struct locks_proc_key, struct locks_proc_stats, v, v);

/* Contended and total_ns grow; max_ns is since tracing began. */
static struct row_table lock_rows = {
	.key_size = sizeof(struct lock_key),
	.value_size = sizeof(struct lock_stats),
	.sums_off = offsetof(struct lock_stats, contended),
	.sums_end = offsetofend(struct lock_stats, total_ns),
	.exited_off = -1,
};

static struct locks_proc_stats *proc(const struct row *row)
{
	return (void *)row->value;
}

static struct lock_stats *lock(const struct row *row)
{
	return (void *)row->value;
}

static struct prog_misses prev_misses;

/* What a report can count as lost (include/filter.h). */
#define LOCKS_LOSSES                                                         \
	(LOSS_BIT(LOSS_WINDOW_MAP_FULL) | LOSS_BIT(LOSS_PROC_MAP_FULL) |     \
	 LOSS_BIT(LOSS_LOCK_STATE_FULL) | LOSS_BIT(LOSS_LOCK_TABLE_FULL) |   \
	 LOSS_BIT(LOSS_CALLER_UNKNOWN) | LOSS_BIT(LOSS_OWNER_MAP_FULL) |     \
	 LOSSES_EVENTS | LOSSES_FOLLOW)

/* One report's share: the .bss counters' growth since the previous report. */
struct locks_report {
	struct locks_bpf__bss t;
	struct rows procs;
	struct rows locks;
	struct prog_misses misses;	/* events programs did not run for */
	struct rows callers;	/* (lock, path) rows: struct caller_key */
	struct rows owners;	/* (lock, holder) rows */
	int stacks_fd;		/* the paths' frames, by key */
};

static struct locks_bpf__bss prev_totals;

#define BSS struct locks_bpf__bss
#define ROW struct locks_proc_stats
#define MODE(m) LABEL("mode", m)
#define LOCK(l) LABEL("lock", l)
/* The text totals lines: each its heading, but the last. */
#define LINE_MMAP "mmap_lock"
/* An mmap_lock histogram's family: its read and its write member. */
#define MODE_HISTOGRAMS(n, h, member, what)                                  \
	HISTOGRAM_NS(n, h, member[MODE_READ], OBS_MMAP, MODE("read"),        \
		     .key = "mmap_lock_ns.read_" what,                       \
		     .text = "mmap_lock read " what),                        \
	HISTOGRAM_NS(n, "", member[MODE_WRITE], OBS_MMAP, MODE("write"),     \
		     .key = "mmap_lock_ns.write_" what,                      \
		     .text = "mmap_lock write " what)

#define LINE_CONTENDED "contended"
#define LINE_FAULTS "faults"
#define LINE_CAUSES "VMA lock"
#define LINE_VMA_WRITE "VMA write"

/*
 * Every number locks reports, once. The order is the JSON's and the text
 * report's: each totals line, then the process table's columns; members of
 * an exporter family, and the numbers one label or column sums, adjacent.
 * A histogram's key is "object.key" when it is in an object of the report.
 */
static const struct number locks_numbers[] = {
	NUMBER("mmap_read_acquired", OBS_MMAP, .text = "read",
	       .line = LINE_MMAP, AT_BSS(counters[LC_ACQUIRED_R]),
	       AT_ROW(v[PV_READ_ACQUIRED]), COLUMN("MMAP_READ", 10), SORT(2),
	       EXPORT("locks_mmap_lock_acquired", "mmap_lock acquisitions, by mode"),
	       MODE("read")),
	NUMBER("mmap_write_acquired", OBS_MMAP, .text = "write",
	       .line = LINE_MMAP, AT_BSS(counters[LC_ACQUIRED_W]),
	       AT_ROW(v[PV_WRITE_ACQUIRED]), COLUMN("MMAP_WRITE", 10), SORT(2),
	       EXPORT("locks_mmap_lock_acquired", ""), MODE("write"),
	       EXPORT_ROW("mmap_lock_write_acquired"),
	       .row_help = "mmap_lock write acquisitions"),
	/* The text shows one count of failures, read and write. */
	NUMBER("mmap_read_failed", OBS_MMAP, .text = "failed",
	       .line = LINE_MMAP, AT_BSS(counters[LC_FAILED_R]),
	       AT_ROW(v[PV_READ_FAILED]),
	       EXPORT("locks_mmap_lock_failed", "mmap_lock trylock or killable acquisitions that failed, by mode"),
	       MODE("read")),
	NUMBER("mmap_write_failed", OBS_MMAP, .text = "failed",
	       .line = LINE_MMAP, AT_BSS(counters[LC_FAILED_W]),
	       AT_ROW(v[PV_WRITE_FAILED]),
	       EXPORT("locks_mmap_lock_failed", ""), MODE("write")),
	/* One column and one field of top: the wait, read and write. */
	NUMBER("mmap_read_wait_ns", OBS_MMAP, NS, AT_ROW(v[PV_READ_WAIT_NS]),
	       COLUMN("MMAP_WAIT_US", 12), .field = F_MMAP_WAIT_NS),
	NUMBER("mmap_write_wait_ns", OBS_MMAP, NS,
	       AT_ROW(v[PV_WRITE_WAIT_NS]), COLUMN("MMAP_WAIT_US", 12),
	       .field = F_MMAP_WAIT_NS, EXPORT_ROW("mmap_lock_wait_seconds"),
	       .help = "Time to acquire mmap_lock (write)"),
	NUMBER("mmap_read_hold_ns", OBS_MMAP, NS, AT_ROW(v[PV_READ_HOLD_NS])),
	NUMBER("mmap_write_hold_ns", OBS_MMAP, NS,
	       AT_ROW(v[PV_WRITE_HOLD_NS])),
	NUMBER("mmap_write_hold_max_ns", OBS_MMAP, NS,
	       AT_ROW(max_write_hold_ns)),
	NUMBER("mmap_downgrades", OBS_MMAP, AT_BSS(counters[LC_DOWNGRADES]),
	       EXPORT("locks_mmap_lock_downgrades", "mmap_lock write holds turned read (munmap)")),
	NUMBER("mmap_nested", OBS_MMAP, AT_BSS(counters[LC_NESTED])),
	NUMBER("mmap_unmatched_releases", OBS_MMAP,
	       AT_BSS(counters[LC_UNMATCHED_RELEASE])),
	MODE_HISTOGRAMS("locks_mmap_lock_wait_seconds", "Time to acquire mmap_lock, by mode",
			wait_hist, "wait"),
	MODE_HISTOGRAMS("locks_mmap_lock_hold_seconds", "Time mmap_lock was held, by mode",
			hold_hist, "hold"),
	NUMBER("mmap_contended", OBS_CONTENTION, .text = "mmap_lock",
	       .line = LINE_CONTENDED, AT_BSS_COUNT(contention_hist[CONT_MMAP]),
	       AT_ROW(v[PV_MMAP_CONTENDED]), COLUMN("CONTENTION", 12),
	       EXPORT("locks_contended", "Sleeping-lock contentions: the task's own mmap_lock, or any other lock"),
	       LOCK("mmap_lock")),
	NUMBER("other_contended", OBS_CONTENTION, .text = "other",
	       .line = LINE_CONTENDED, AT_BSS_COUNT(contention_hist[CONT_OTHER]),
	       AT_ROW(v[PV_OTHER_CONTENDED]), EXPORT("locks_contended", ""),
	       LOCK("other")),
	/* Top's contention is both classes; its lost time, other locks'. */
	NUMBER("mmap_contention_ns", OBS_CONTENTION, NS,
	       AT_ROW(v[PV_MMAP_CONTENTION_NS]), SORT(1), .field = F_CONTENTION_NS,
	       EXPORT_ROW("contention_wait_seconds"),
	       .help = "Time waiting on the contended mmap_lock"),
	NUMBER("mmap_contention_max_ns", OBS_CONTENTION, NS,
	       AT_ROW(max_mmap_wait_ns)),
	NUMBER("other_contention_ns", OBS_CONTENTION, NS,
	       AT_ROW(v[PV_OTHER_CONTENTION_NS]),
	       .field = F_OTHER_CONTENTION_NS, .sum_field = F_CONTENTION_NS),
	HISTOGRAM_NS("locks_contention_wait_seconds", "Time waiting on a contended sleeping lock",
		     contention_hist[CONT_MMAP], OBS_CONTENTION,
		     LOCK("mmap_lock"), .key = "contention_ns.mmap_lock",
		     .text = "contended mmap_lock wait"),
	HISTOGRAM_NS("locks_contention_wait_seconds", "",
		     contention_hist[CONT_OTHER], OBS_CONTENTION,
		     LOCK("other"), .key = "contention_ns.other",
		     .text = "other contended lock wait"),
	NUMBER("spin_contended_untimed", OBS_CONTENTION,
	       AT_BSS(counters[LC_SPIN_SKIPPED]),
	       EXPORT("locks_spin_contentions_skipped", "Spinlock contentions seen and not timed")),
	NUMBER("waits_in_flight_charged", OBS_CONTENTION,
	       AT_BSS(counters[LC_WAITS_CHARGED])),
	NUMBER("faults", OBS_VMA, .text = "all", .line = LINE_FAULTS,
	       AT_BSS(counters[LC_FAULTS]), AT_ROW(v[PV_FAULTS]),
	       COLUMN("FAULTS", 10),
	       EXPORT("locks_faults", "User page faults"),
	       EXPORT_ROW("faults"), .field = F_FAULTS),
	NUMBER("vma_lock_faults", OBS_VMA, .text = "under VMA lock",
	       .line = LINE_FAULTS, AT_BSS(counters[LC_VMA_LOCK_FAULTS]),
	       AT_ROW(v[PV_VMA_LOCK_FAULTS]), COLUMN("VMA_LOCK", 10),
	       EXPORT("locks_vma_lock_faults", "User page faults served under the per-VMA lock, counted when that is known (tracepoint tier: the split is approximate, the sum with fallbacks exact)"),
	       EXPORT_ROW("vma_lock_faults"),
	       .row_help = "Faults served under the per-VMA lock"),
	NUMBER("vma_lock_fallbacks", OBS_VMA, .text = "fell back to mmap_lock",
	       .line = LINE_FAULTS, AT_BSS(counters[LC_FALLBACKS]),
	       AT_ROW(v[PV_FALLBACKS]), COLUMN("FALLBACK", 10),
	       EXPORT("locks_fault_fallbacks", "User page faults served under mmap_lock instead of the per-VMA lock (tracepoint tier: the split is approximate, the sum exact)"),
	       EXPORT_ROW("fault_fallbacks"),
	       .row_help = "Faults served under mmap_lock", .field = F_FALLBACKS),
	/*
	 * Only the fentry and kprobe plans see why a fault left the VMA
	 * lock (locks.vma_faults' notes).
	 */
	NUMBER("vma_lock_aborts", OBS_VMA, .below_tier = TIER_TRACEPOINT,
	       .text = "aborts", .line = LINE_CAUSES,
	       AT_BSS(counters[LC_VMA_ABORTS]), AT_ROW(v[PV_VMA_ABORTS]),
	       EXPORT("locks_vma_lock_aborts", "User page faults that fell back because lock_vma_under_rcu found no VMA or could not lock it (vmstat vma_lock_abort)")),
	NUMBER("vma_lock_retries", OBS_VMA, .below_tier = TIER_TRACEPOINT,
	       .text = "retries", .line = LINE_CAUSES,
	       AT_BSS(counters[LC_VMA_RETRIES]), AT_ROW(v[PV_VMA_RETRIES]),
	       EXPORT("locks_vma_lock_retries", "User page faults whose handler returned VM_FAULT_RETRY under the per-VMA lock, redone under mmap_lock unless a signal was pending (vmstat vma_lock_retry)")),
	NUMBER("vma_lock_access_errors", OBS_VMA,
	       .below_tier = TIER_TRACEPOINT, .text = "access errors",
	       .line = LINE_CAUSES, AT_BSS(counters[LC_VMA_ACCESS_ERRORS]),
	       AT_ROW(v[PV_VMA_ACCESS_ERRORS]),
	       EXPORT("locks_vma_lock_access_errors", "User page faults refused by access_error() with the per-VMA lock held: signalled under it from 6.10 (in vma_lock_faults), redone under mmap_lock before (no vmstat event)")),
	NUMBER("vma_write_locks", OBS_VMA_WRITE, .text = "VMA write locks",
	       .line = LINE_VMA_WRITE, AT_BSS_COUNT(vma_write_hist),
	       AT_ROW(v[PV_VMA_WRITE_LOCKS]),
	       EXPORT("locks_vma_write_locks", "VMA write locks taken by __vma_start_write (7.x), each waiting for the VMA's readers")),
	NUMBER("vma_write_wait_ns", OBS_VMA_WRITE, NS,
	       AT_ROW(v[PV_VMA_WRITE_WAIT_NS])),
	HISTOGRAM_NS("locks_vma_write_wait_seconds", "Time in __vma_start_write: a VMA writer's wait for the faults reading the VMA (7.x)",
		     vma_write_hist, OBS_VMA_WRITE, .key = "vma_write_wait_ns",
		     .text = "VMA write-lock wait"),
};

static void locks_render(struct metrics *m, void *skel,
			 const struct obs_result *res, size_t top, bool head);

static const struct cpu_sum locks_cpu_sums[] = {
	CPU_SUM("contention_cpu", contention_hist),
	CPU_SUM("spin_cpu", counters[LC_SPIN_SKIPPED]),
};

VIEW_METRICS_AND(locks, &proc_rows, struct locks_proc_stats, LOCKS_LOSSES,
		 locks_render, CPU_SUMS(locks_cpu_sums));

/* The number @key of the table. */
static const struct number *number_of(const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(locks_numbers); i++)
		if (locks_numbers[i].key && !strcmp(locks_numbers[i].key, key))
			return &locks_numbers[i];
	abort();
}

/* A contended lock's or caller's row as reports show it. */
struct shown_stats {
	struct lock_stats s;
	unsigned long long avg_ns;
};

#undef ROW
#define ROW struct shown_stats

/*
 * The numbers of a lock's or a caller's row, in the tables' order; serve
 * exports those that add up by (lock, caller).
 */
static const struct number stat_numbers[] = {
	NUMBER("contended", OBS_CONTENTION, AT_ROW(s.contended),
	       COLUMN("contended", 10),
	       EXPORT("locks_caller_contended", "Sleeping-lock contentions, by lock and by the waiter's caller (the first function outside the locking code); serve --detail only: a stack walk per contention")),
	NUMBER("total_ns", OBS_CONTENTION, NS, AT_ROW(s.total_ns),
	       COLUMN("total wait", 12),
	       EXPORT("locks_caller_wait_seconds", "Time waiting on a contended sleeping lock, by lock and caller")),
	NUMBER("max_ns", OBS_CONTENTION, NS, AT_ROW(s.max_ns),
	       COLUMN("max wait", 12)),
	NUMBER("avg_ns", OBS_CONTENTION, NS, AT_ROW(avg_ns),
	       COLUMN("avg wait", 12)),
};

static const struct view_metrics stat_metrics = {
	.numbers = stat_numbers,
	.n_numbers = ARRAY_LEN(stat_numbers),
};

static struct shown_stats shown(const struct lock_stats *ls)
{
	struct shown_stats sh = { *ls, 0 };

	if (ls->contended)
		sh.avg_ns = ls->total_ns / ls->contended;
	return sh;
}

/* @ls's numbers into @j. */
static void stats_json(struct json_object *j, const struct report_ctx *ctx,
		       const struct lock_stats *ls)
{
	struct shown_stats sh = shown(ls);

	json_add_row_numbers(j, ctx, &stat_metrics, &sh);
}

/* The columns of @ls, times in us, or (@ls NULL) their headers. */
static void print_stats(FILE *out, const struct lock_stats *ls)
{
	struct shown_stats sh = ls ? shown(ls) : (struct shown_stats){};

	for (size_t i = 0; i < ARRAY_LEN(stat_numbers); i++) {
		const struct number *n = &stat_numbers[i];
		unsigned long long v = number_value(n, &sh, true);
		const char *sep = i ? " " : "";

		if (!ls)
			fprintf(out, "%s%*s", sep, n->width, n->column);
		else if (n->decimals == 9)
			fprintf(out, "%s%*llu us", sep, n->width - 3, v / 1000);
		else
			fprintf(out, "%s%*llu", sep, n->width, v);
	}
}

/* A histogram of the report's .bss copy. */
static const __u64 *hist_of(const struct locks_report *r,
			    const struct number *n)
{
	return (const __u64 *)((const char *)&r->t + n->off);
}

/* The histograms, each null where unknown; "object.key" in an object. */
static void hists_json(struct json_object *o, const struct report_ctx *ctx,
		       const struct locks_report *r)
{
	for (size_t i = 0; i < ARRAY_LEN(locks_numbers); i++) {
		const struct number *n = &locks_numbers[i];
		const char *key = n->key, *dot;
		struct json_object *in = o;
		char obj[32];

		if (n->type != METRIC_HISTOGRAM || !key)
			continue;
		dot = strchr(key, '.');
		if (dot) {
			snprintf(obj, sizeof(obj), "%.*s", (int)(dot - key), key);
			if (!json_object_object_get_ex(o, obj, &in)) {
				in = json_object_new_object();
				json_add(o, obj, in);
			}
			key = dot + 1;
		}
		json_add_hist_known(in, key, number_known(ctx, n),
				    hist_of(r, n));
	}
}

/* The histograms that are known, each under its title. */
static void print_hists(const struct report_ctx *ctx,
			const struct locks_report *r)
{
	for (size_t i = 0; i < ARRAY_LEN(locks_numbers); i++) {
		const struct number *n = &locks_numbers[i];

		if (n->type != METRIC_HISTOGRAM || !n->text ||
		    !number_known(ctx, n))
			continue;
		fprintf(ctx->out, "\n%s:\n", n->text);
		print_log2_hist(ctx->out, hist_of(r, n), HIST_SLOTS, "nsecs");
	}
}

static int charge_wait_rows(struct locks_report *r, const struct lock_wait *w,
			    __u64 ns);
static int read_caller_rows(struct locks_bpf *s, struct locks_report *r);
static unsigned int stack_depth(const struct view_opts *o);

/*
 * Waits in flight are read only by the final report (charge_in_flight):
 * without one, each is kept in its thread's task storage (locks.bpf.c,
 * waits_in_thread) with the waits it ended, which fold_waits moves to the
 * rows before each read (rows_use_object); the map left unused shrinks to
 * one entry.
 */
static int waits_configure(struct locks_bpf *s, const struct view_opts *opts)
{
	int err;

	s->rodata->waits_in_thread = opts->numbers_only &&
				     s->rodata->use_task_storage;
	/* The waits hash is by thread id too: exits drop its entries. */
	if (!s->rodata->waits_in_thread)
		s->data_gate->gate.by_tid = 1;
	err = bpf_program__set_autoload(s->progs.fold_waits,
					s->rodata->waits_in_thread);
	if (err)
		return err;
	if (s->rodata->waits_in_thread)
		return bpf_map__set_max_entries(s->maps.waits, 1);
	/* As thread_state_configure(): where the type may be unknown. */
	err = bpf_map__set_type(s->maps.thread_waits, BPF_MAP_TYPE_HASH);
	return err ? err : bpf_map__set_max_entries(s->maps.thread_waits, 1);
}

static int locks_configure(void *skel, const struct view_opts *opts)
{
	struct locks_bpf *s = skel;
	struct events_config *ev = &s->rodata->events_cfg;
	int err;

	s->rodata->lock_stack_bytes = (stack_depth(opts) + LOCK_STACK_SLACK) *
				      sizeof(__u64);
	/* A stack walk per contention is detail in serve, as its hooks are. */
	s->rodata->wait_paths = !opts->skip_detail && !opts->skip_paths;
	/* Per lock, per holder, a process's longest wait: the report's. */
	s->rodata->report_numbers = !opts->numbers_only;
	err = thread_state_configure(s->maps.thread_locks,
				     s->maps.thread_locks_by_tid,
				     &s->rodata->use_task_storage,
				     &s->data_gate->gate.by_tid);
	if (!err)
		err = waits_configure(s, opts);
	if (err)
		return err;
	err = events_configure(s->maps.events, ev, opts);
	/* Index 0 is the wait in both kinds (include/events.h). */
	if (opts->event_thresholds & EVENT_OPT_MIN_LATENCY)
		events_threshold(ev, MWEV_WAIT_NS, opts->min_latency_us * 1000);
	return err ? err : bpf_map__set_max_entries(s->maps.procs,
						    opts->max_procs);
}

VIEW_EVENTS_MAP(locks)

static struct row *find_proc(struct rows *procs, unsigned int pid)
{
	for (size_t i = 0; i < procs->n; i++)
		if (row_pid(&procs->r[i]) == pid)
			return &procs->r[i];
	return NULL;
}

static struct row *find_lock(struct rows *locks, const struct lock_key *key)
{
	for (size_t i = 0; i < locks->n; i++)
		if (!memcmp(locks->r[i].key, key, sizeof(*key)))
			return &locks->r[i];
	return NULL;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The report's row of process @tgid, added with nothing counted yet (its
 * name from the map) when the report has none.
 */
static struct row *report_proc(struct locks_report *r, int procs_fd,
			       unsigned int tgid)
{
	struct row fresh = {}, *row = find_proc(&r->procs, tgid);

	if (row)
		return row;
	memcpy(fresh.key, &tgid, sizeof(tgid));
	bpf_map_lookup_elem(procs_fd, fresh.key, fresh.value);
	memset(proc(&fresh)->v, 0, sizeof(proc(&fresh)->v));
	if (rows_push(&r->procs, &fresh))
		return NULL;
	return &r->procs.r[r->procs.n - 1];
}

/* A wait still in flight at the end: charged as if it ended now. */
static int charge_wait(struct locks_report *r, int procs_fd,
		       const struct lock_wait *w, __u64 now)
{
	int class = w->is_mmap ? CONT_MMAP : CONT_OTHER;
	struct lock_key lk = { w->addr, w->flags & ~LCB_F_SPIN, w->is_mmap };
	__u64 ns = now > w->start_ns ? now - w->start_ns : 0;
	struct row fresh = {}, *row;
	int err;

	r->t.counters[LC_WAITS_CHARGED]++;
	r->t.contention_hist[class][hist_slot(ns)]++;
	r->t.contention_hist[class][HIST_SUM] += ns;
	row = find_lock(&r->locks, &lk);
	if (!row) {
		memcpy(fresh.key, &lk, sizeof(lk));
		err = rows_push(&r->locks, &fresh);
		if (err)
			return err;
		row = &r->locks.r[r->locks.n - 1];
	}
	lock(row)->contended++;
	lock(row)->total_ns += ns;
	if (ns > lock(row)->max_ns)
		lock(row)->max_ns = ns;
	row = report_proc(r, procs_fd, w->tgid);
	if (!row)
		return -ENOMEM;
	proc(row)->v[PV_MMAP_CONTENDED + 2 * class]++;
	proc(row)->v[PV_MMAP_CONTENTION_NS + 2 * class] += ns;
	if (w->is_mmap && ns > proc(row)->max_mmap_wait_ns)
		proc(row)->max_mmap_wait_ns = ns;
	return charge_wait_rows(r, w, ns);
}

static int charge_in_flight(struct locks_bpf *s, struct locks_report *r)
{
	int fd = bpf_map__fd(s->maps.waits), err = 0;
	__u32 key, next, *prev_key = NULL;
	__u64 now = monotonic_ns();
	struct lock_wait w;

	while (!err && !bpf_map_get_next_key(fd, prev_key, &next)) {
		key = next;
		prev_key = &key;
		if (!bpf_map_lookup_elem(fd, &key, &w))
			err = charge_wait(r, bpf_map__fd(s->maps.procs), &w,
					  now);
	}
	return err;
}

/*
 * A fault window still open at the end: no mmap_lock was taken since the
 * fault, so it was served under its VMA lock. The programs are disarmed
 * and leave the windows alone (locks.bpf.c): each fault is counted by
 * BPF or here, once.
 */
static int charge_fault_windows(struct locks_bpf *s, struct locks_report *r)
{
	int fd = bpf_map__fd(s->maps.fault_windows);
	__u32 key, next, *prev_key = NULL;
	struct fault_window w;
	struct row *row;

	while (!bpf_map_get_next_key(fd, prev_key, &next)) {
		key = next;
		prev_key = &key;
		if (bpf_map_lookup_elem(fd, &key, &w))
			continue;
		row = report_proc(r, bpf_map__fd(s->maps.procs), w.tgid);
		if (!row)
			return -ENOMEM;
		/* As window_served() in locks.bpf.c. */
		if (w.vma_locked && !w.vma_handling) {
			r->t.counters[LC_VMA_ACCESS_ERRORS]++;
			proc(row)->v[PV_VMA_ACCESS_ERRORS]++;
		}
		r->t.counters[LC_VMA_LOCK_FAULTS]++;
		proc(row)->v[PV_VMA_LOCK_FAULTS]++;
	}
	return 0;
}

static int cmp_locks(const void *a, const void *b)
{
	const struct lock_stats *x = lock(a), *y = lock(b);

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return memcmp(((const struct row *)a)->key,
		      ((const struct row *)b)->key, ROW_KEY_MAX);
}

static int collect(struct locks_bpf *s, struct locks_report *r,
		   const struct report_ctx *ctx)
{
	bool final = ctx->final;
	int err;

	BSS_DELTA(&r->t, &prev_totals, s, &locks_metrics);
	misses_collect(s->obj, &prev_misses, &r->misses);
	err = rows_read(&proc_rows, bpf_map__fd(s->maps.procs), &r->procs);
	if (!err)
		err = rows_read(&lock_rows, bpf_map__fd(s->maps.lock_table),
				&r->locks);
	if (!err)
		err = read_caller_rows(s, r);
	/* The programs are disarmed by now: the waits map holds still. */
	if (!err && final)
		err = charge_in_flight(s, r);
	if (!err && final)
		err = charge_fault_windows(s, r);
	rows_sort_numbers(&r->procs, &locks_metrics);
	rows_sort(&r->locks, cmp_locks);
	return err;
}

/* "rwsem:W", "mutex", ... as perf lock contention names lock types. */
static const char *lock_type(unsigned int flags)
{
	if (flags & LCB_F_PERCPU)
		return flags & LCB_F_WRITE ? "pcpu-sem:W" : "pcpu-sem:R";
	if (flags & LCB_F_MUTEX)
		return "mutex";
	if (flags & LCB_F_RT)
		return "rtmutex";
	if (flags & LCB_F_WRITE)
		return "rwsem:W";
	if (flags & LCB_F_READ)
		return "rwsem:R";
	return "other";
}

static struct json_object *proc_json(const struct report_ctx *ctx,
				     const struct row *row)
{
	const struct locks_proc_stats *st = proc(row);
	struct json_object *j = json_row_new(row, st->comm, sizeof(st->comm),
					       st->cgroup_id);

	json_add_row_numbers(j, ctx, &locks_metrics, st);
	return j;
}

static struct json_object *lock_json(const struct report_ctx *ctx,
				     const struct row *row)
{
	const struct lock_key *k = (const void *)row->key;
	const struct lock_stats *ls = lock(row);
	struct json_object *j = json_object_new_object();
	char addr[32];

	snprintf(addr, sizeof(addr), "0x%llx", k->addr);
	json_add_str(j, "addr", addr);
	json_add_str(j, "type", lock_type(k->flags));
	json_add_bool(j, "mmap_lock", k->is_mmap);
	stats_json(j, ctx, ls);
	return j;
}

/* ---- contention by caller, named locks, owners -------------------------- */

/*
 * Rows only grow in the maps (a path's key and a holder's pid are kept
 * for good); max_ns is since tracing began, as in the lock table.
 */
static struct row_table caller_rows = {
	.key_size = sizeof(struct caller_key),
	.value_size = sizeof(struct lock_stats),
	.sums_off = offsetof(struct lock_stats, contended),
	.sums_end = offsetofend(struct lock_stats, total_ns),
	.exited_off = -1,
};

static struct row_table owner_rows = LOCK_OWNER_ROW_TABLE;

enum {
	OPT_STACK_DEPTH = 0x200,
	OPT_CALLERS,
};

#define STACK_DEPTH_MAX (KERNEL_STACK_MAX - LOCK_STACK_SLACK)
#define CALLERS_MAX 8

static const struct argp_option locks_options[] = {
	{ NULL, 0, NULL, 0, "Contention by caller and holder:", 6 },
	{ "lock", 'L', "NAME", 0,
	  "Only this lock in the caller and holder tables: mmap_lock, mmap_lock(other), i_mmap_rwsem, a global lock's name, or an address",
	  6 },
	{ "stack-depth", OPT_STACK_DEPTH, "N", 0,
	  "Kernel frames kept of each waiter's path (default 16, at most 56)",
	  6 },
	{ "callers", OPT_CALLERS, "N", 0,
	  "Frames outside the locking code that name a caller (default 1, at most 8)",
	  6 },
	{},
};

static int locks_parse_option(int key, const char *arg, struct view_opts *o)
{
	unsigned long v;

	switch (key) {
	case 'L':
		if (!*arg) {
			fprintf(stderr, "mmtrace: -L needs a lock name\n");
			return EXIT_USAGE;
		}
		o->lock_name = arg;
		return 0;
	case OPT_STACK_DEPTH:
		if (parse_ulong(arg, 1, STACK_DEPTH_MAX, "--stack-depth", &v))
			return EXIT_USAGE;
		o->stack_depth = v;
		return 0;
	case OPT_CALLERS:
		if (parse_ulong(arg, 1, CALLERS_MAX, "--callers", &v))
			return EXIT_USAGE;
		o->callers = v;
		return 0;
	}
	return EXIT_USAGE;
}

static unsigned int stack_depth(const struct view_opts *o)
{
	return o && o->stack_depth ? o->stack_depth : LOCK_STACK_DEFAULT;
}

static unsigned int caller_frames_of(const struct view_opts *o)
{
	return o && o->callers ? o->callers : 1;
}

/* The kind of lock, for locks known only by address. */
static const char *lock_kind_name(unsigned int flags)
{
	if (flags & LCB_F_PERCPU)
		return "percpu-rwsem";
	if (flags & LCB_F_MUTEX)
		return "mutex";
	if (flags & LCB_F_RT)
		return "rtmutex";
	if (flags & (LCB_F_READ | LCB_F_WRITE))
		return "rwsem";
	return "lock";
}

/*
 * What a report calls a lock: its class's name, else the kallsyms name of
 * the global it is (or is in), else its address and kind.
 */
static void lock_name(unsigned long long addr, unsigned int kind, char *buf,
		      size_t len)
{
	static const char *const names[LOCK_CLASSES] = {
		[LOCK_MMAP_OWN] = "mmap_lock",
		[LOCK_MMAP_OTHER] = "mmap_lock(other)",
		[LOCK_I_MMAP] = "i_mmap_rwsem",
	};
	unsigned int class = LOCK_KIND_CLASS(kind);
	unsigned long long off;
	const char *sym;

	if (class < LOCK_CLASSES && names[class]) {
		snprintf(buf, len, "%s", names[class]);
		return;
	}
	sym = ksyms_data_symbol(ksyms_kernel(), addr, &off);
	if (sym && off)
		snprintf(buf, len, "%s+0x%llx", sym, off);
	else if (sym)
		snprintf(buf, len, "%s", sym);
	else
		snprintf(buf, len, "0x%llx (%s)", addr,
			 lock_kind_name(LOCK_KIND_FLAGS(kind)));
}

/* -L: the name as reports show it, or the address of an unnamed lock. */
static bool lock_selected(const struct view_opts *o, const char *name)
{
	size_t n;

	if (!o || !o->lock_name)
		return true;
	if (!strcmp(o->lock_name, name))
		return true;
	n = strlen(o->lock_name);
	return !strncmp(name, "0x", 2) && !strncmp(name, o->lock_name, n) &&
	       name[n] == ' ';
}

/*
 * The tracer's own frames above the tracepoint: this program, the
 * trampoline or bpf_trace_run that calls it, the tracepoint's iterator.
 */
static bool tracer_frame(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_prog_", "bpf_trampoline_", "ftrace_trampoline",
		"bpf_trace_run", "__bpf_trace_", "__traceiter_",
		"trace_contention_", "perf_trace_", NULL,
	};

	return ksym_name_in(name, prefixes);
}

/*
 * The locking code: the kernel's lock and scheduler text sections, as
 * perf lock contention tells them (__lock_text_start..end and
 * __sched_text_start..end, where every lock's slow path and its down_*
 * and mutex_lock* entries live), and by name the parts that are not
 * __sched (osq, the rwsem and mutex helpers, raw spinlocks).
 */
static bool lock_frame(unsigned long long ip, const char *name)
{
	static const char *const prefixes[] = {
		"rwsem_", "__rwsem_", "down_", "__down_", "up_", "mutex_",
		"__mutex_", "ww_mutex_", "osq_", "rt_mutex", "__rt_mutex",
		"rtlock_", "percpu_down_", "__percpu_down_", "percpu_rwsem_",
		"_raw_", "queued_", "native_queued_", NULL,
	};
	static unsigned long long range[4];
	static bool looked;
	const struct ksyms *ks = ksyms_kernel();

	if (!looked) {
		range[0] = ksyms_addr_of(ks, "__lock_text_start");
		range[1] = ksyms_addr_of(ks, "__lock_text_end");
		range[2] = ksyms_addr_of(ks, "__sched_text_start");
		range[3] = ksyms_addr_of(ks, "__sched_text_end");
		looked = true;
	}
	return (ip >= range[0] && ip < range[1]) ||
	       (ip >= range[2] && ip < range[3]) ||
	       ksym_name_in(name, prefixes);
}

#define CALLER_LEN 256

/* A waiter's path as a report shows it: names, or raw addresses. */
struct lock_path {
	int n;
	char frame[STACK_DEPTH_MAX][24];	/* raw "0x..." */
	const char *name[STACK_DEPTH_MAX];	/* NULL: kallsyms hides it */
	bool have_caller;
	char caller[CALLER_LEN];
};

static const char *path_frame(const struct lock_path *p, int i)
{
	return p->name[i] ? p->name[i] : p->frame[i];
}

static void caller_append(struct lock_path *p, const char *name)
{
	size_t len = strlen(p->caller);

	snprintf(p->caller + len, sizeof(p->caller) - len, "%s%s",
		 len ? " <- " : "", name);
}

/*
 * The path of stack @key without the tracer's frames, at most
 * --stack-depth of them; its caller is the first --callers frames outside
 * the locking code (none when kallsyms hides the names that tell).
 */
static void lock_path(int stacks_fd, __u32 key, const struct view_opts *o,
		      struct lock_path *p)
{
	const struct ksyms *ks = ksyms_kernel();
	unsigned int depth = stack_depth(o), want = caller_frames_of(o);
	struct kernel_stack st = {};
	unsigned long long off;
	unsigned int got = 0;
	const char *name;

	memset(p, 0, sizeof(*p));
	if (!key || bpf_map_lookup_elem(stacks_fd, &key, &st))
		return;
	for (int i = 0; i < KERNEL_STACK_MAX && st.ip[i] &&
			(unsigned int)p->n < depth; i++) {
		name = ksyms_symbolize(ks, st.ip[i], &off);
		if ((!name && !ksyms_addrs_hidden(ks)) ||
		    (name && tracer_frame(name)))
			continue;
		p->name[p->n] = name;
		snprintf(p->frame[p->n], sizeof(p->frame[0]), "0x%llx",
			 st.ip[i]);
		p->n++;
		if (!name || got == want || (!got && lock_frame(st.ip[i], name)))
			continue;
		caller_append(p, name);
		got++;
	}
	p->have_caller = got > 0;
}

/* A row of contention_by_caller: per (lock, type, path). */
struct caller_line {
	char lock[96];
	unsigned int flags;
	struct lock_path path;
	struct lock_stats sum;
};

static bool same_path(const struct lock_path *a, const struct lock_path *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(path_frame(a, i), path_frame(b, i)))
			return false;
	return true;
}

/*
 * JSON keeps paths apart; text merges the paths of one caller. Without a
 * caller (names hidden) the raw path tells rows apart in both.
 */
static bool same_line(const struct caller_line *a, const struct caller_line *b,
		      bool by_path)
{
	if (strcmp(a->lock, b->lock) || a->flags != b->flags ||
	    a->path.have_caller != b->path.have_caller)
		return false;
	if (a->path.have_caller && strcmp(a->path.caller, b->path.caller))
		return false;
	return (a->path.have_caller && !by_path) || same_path(&a->path, &b->path);
}

static int cmp_caller_lines(const void *a, const void *b)
{
	const struct caller_line *x = a, *y = b;
	int c;

	if (x->sum.total_ns != y->sum.total_ns)
		return x->sum.total_ns < y->sum.total_ns ? 1 : -1;
	c = strcmp(x->lock, y->lock);
	return c ? c : strcmp(x->path.caller, y->path.caller);
}

static void line_add(struct caller_line *l, const struct lock_stats *ls)
{
	l->sum.contended += ls->contended;
	l->sum.total_ns += ls->total_ns;
	if (ls->max_ns > l->sum.max_ns)
		l->sum.max_ns = ls->max_ns;
}

/* The report's (lock, caller) rows that -L selects; NULL if no memory. */
static struct caller_line *caller_lines(const struct rows *rows, int stacks_fd,
					const struct view_opts *o,
					bool by_path, size_t *n_lines)
{
	struct caller_line *lines, *cur;
	size_t n = 0, j;

	lines = calloc(rows->n + 1, sizeof(*lines));
	if (!lines)
		return NULL;
	cur = &lines[rows->n];
	for (size_t i = 0; i < rows->n; i++) {
		const struct caller_key *k = (const void *)rows->r[i].key;

		memset(cur, 0, sizeof(*cur));
		lock_name(k->lock, k->kind, cur->lock, sizeof(cur->lock));
		if (!lock_selected(o, cur->lock))
			continue;
		cur->flags = LOCK_KIND_FLAGS(k->kind);
		lock_path(stacks_fd, k->stack, o, &cur->path);
		for (j = 0; j < n && !same_line(&lines[j], cur, by_path); j++)
			;
		if (j == n)
			lines[n++] = *cur;
		line_add(&lines[j], lock(&rows->r[i]));
	}
	qsort(lines, n, sizeof(*lines), cmp_caller_lines);
	*n_lines = n;
	return lines;
}

/* Holder rows as reports name them; -L selects. */
static bool owner_lock_name(const struct lock_owner_key *k, char *buf,
			    size_t len, const void *opts)
{
	lock_name(k->lock, k->kind & ~LOCK_OWNER_KNOWN, buf, len);
	return lock_selected(opts, buf);
}

/* A wait in flight at the end, in the caller and holder tables too. */
static int charge_wait_rows(struct locks_report *r, const struct lock_wait *w,
			    __u64 ns)
{
	unsigned int type = w->flags & (LCB_F_MUTEX | LCB_F_RT | LCB_F_PERCPU);
	__u64 addr = w->class == LOCK_ADDR ? w->addr : 0;
	struct caller_key ck = {
		.lock = addr,
		.stack = w->stack,
		.kind = LOCK_KIND(w->class, w->flags & ~LCB_F_SPIN),
	};
	struct lock_owner_key ok = {
		.lock = addr,
		.kind = LOCK_KIND(w->class, type) |
			(w->owner.known ? LOCK_OWNER_KNOWN : 0),
		.pid = w->owner.pid,
	};
	struct lock_stats *ls;
	struct row fresh = {};

	memcpy(fresh.key, &ck, sizeof(ck));
	ls = (void *)fresh.value;
	ls->contended = 1;
	ls->total_ns = ls->max_ns = ns;
	if (rows_push(&r->callers, &fresh))
		return -ENOMEM;
	return owner_row_push(&r->owners, &ok, w->owner.comm, ns);
}

static int read_caller_rows(struct locks_bpf *s, struct locks_report *r)
{
	int err = rows_read(&caller_rows, bpf_map__fd(s->maps.callers),
			    &r->callers);

	if (!err)
		err = rows_read(&owner_rows, bpf_map__fd(s->maps.owners),
				&r->owners);
	r->stacks_fd = bpf_map__fd(s->maps.lock_stacks);
	return err;
}

static struct json_object *caller_json(const struct report_ctx *ctx,
				       const struct caller_line *l)
{
	struct json_object *j = json_object_new_object();
	struct json_object *stack = json_object_new_array();

	for (int f = 0; f < l->path.n; f++)
		json_object_array_add(stack, json_object_new_string(
					      path_frame(&l->path, f)));
	json_object_object_add(j, "lock", json_object_new_string(l->lock));
	json_object_object_add(j, "type",
			       json_object_new_string(lock_type(l->flags)));
	json_object_object_add(j, "caller", l->path.have_caller ?
			       json_object_new_string(l->path.caller) : NULL);
	stats_json(j, ctx, &l->sum);
	json_object_object_add(j, "stack", stack);
	return j;
}

/* contention_by_caller and owners, each [] when contention is not seen. */
static void callers_owners_json(struct json_object *o,
				const struct report_ctx *ctx,
				const struct locks_report *r)
{
	struct json_object *callers = json_object_new_array();
	struct caller_line *cl;
	size_t n = 0;

	cl = caller_lines(&r->callers, r->stacks_fd, ctx->opts, true, &n);
	for (size_t i = 0; cl && i < n; i++)
		json_object_array_add(callers, caller_json(ctx, &cl[i]));
	free(cl);
	json_object_object_add(o, "contention_by_caller", callers);
	json_object_object_add(o, "owners", owners_json(&r->owners,
							owner_lock_name,
							ctx->opts));
}

static void print_callers(const struct report_ctx *ctx,
			  const struct locks_report *r)
{
	struct caller_line *lines;
	FILE *out = ctx->out;
	size_t n = 0, shown;
	char esc[96 * 4 + 1];

	lines = caller_lines(&r->callers, r->stacks_fd, ctx->opts, false, &n);
	if (!lines || !n) {
		free(lines);
		return;
	}
	shown = n < ctx->opts->top ? n : ctx->opts->top;
	fprintf(out, "\n");
	print_stats(out, NULL);
	fprintf(out, " %12s   %s\n", "type", "caller");
	for (size_t i = 0; i < shown; i++) {
		const struct caller_line *l = &lines[i];

		text_escape(l->lock, strlen(l->lock), esc, sizeof(esc));
		print_stats(out, &l->sum);
		fprintf(out, " %12s   %s  [%s]\n", lock_type(l->flags),
			l->path.have_caller ? l->path.caller : "?", esc);
		for (int f = 0; !l->path.have_caller && f < l->path.n; f++)
			fprintf(out, "%*s%s\n", 62, "", path_frame(&l->path, f));
	}
	if (shown < n)
		fprintf(out, "(%zu more callers; --top or --json shows them)\n",
			n - shown);
	free(lines);
}

static void print_owners(const struct report_ctx *ctx,
			 const struct locks_report *r)
{
	owners_text(ctx->out, &r->owners, owner_lock_name, ctx->opts,
		    ctx->opts->top);
}

static void report_json(const struct report_ctx *ctx,
			const struct locks_report *r, struct json_object *o)
{
	struct json_object *units = json_object_new_object();
	struct json_object *t = json_object_new_object();
	struct json_object *locks = json_object_new_array();
	struct json_object *lost;

	json_add_str(units, "latency", "ns");
	json_add(o, "units", units);
	json_add_totals(t, ctx, &locks_metrics, &r->t);
	json_add(o, "totals", t);
	hists_json(o, ctx, r);
	for (size_t i = 0; i < r->locks.n; i++)
		json_object_array_add(locks, lock_json(ctx, &r->locks.r[i]));
	json_add(o, "locks", locks);
	json_add_rows(o, "processes", ctx, &r->procs, proc_json);
	callers_owners_json(o, ctx, r);
	lost = json_add_losses(o, r->t.losses, LOCKS_LOSSES);
	json_add_u64(lost, "recursion_misses", misses_total(&r->misses));
	json_add(lost, "recursion_misses_by_program", misses_json(&r->misses));
}

static void print_locks(const struct report_ctx *ctx,
			const struct locks_report *r)
{
	size_t n = view_rows_shown(ctx, r->locks.n);
	FILE *out = ctx->out;

	if (!r->locks.n)
		return;
	fprintf(out, "\n");
	print_stats(out, NULL);
	fprintf(out, "  %-10s %s\n", "type", "lock");
	for (size_t i = 0; i < n; i++) {
		const struct lock_key *k = (const void *)r->locks.r[i].key;
		const struct lock_stats *ls = lock(&r->locks.r[i]);

		print_stats(out, ls);
		fprintf(out, "  %-10s 0x%llx%s\n", lock_type(k->flags), k->addr,
			k->is_mmap ? " (mmap_lock)" : "");
	}
	view_rows_more(out, n, r->locks.n, "locks");
}

static void print_procs(const struct report_ctx *ctx,
			const struct locks_report *r)
{
	size_t n = view_rows_shown(ctx, r->procs.n);
	char comm[COMM_TEXT_LEN];

	if (!r->procs.n)
		return;
	print_rows_header(ctx->out, &locks_metrics);
	for (size_t i = 0; i < n; i++) {
		const struct locks_proc_stats *st = proc(&r->procs.r[i]);

		text_comm(st->comm, sizeof(st->comm), comm);
		print_row_numbers(ctx, &locks_metrics, &r->procs.r[i], comm);
	}
	view_rows_more(ctx->out, n, r->procs.n, "processes");
}

/* A totals line: its heading, its numbers. */
static void print_line(const struct report_ctx *ctx,
		       const struct locks_report *r, const char *line)
{
	fprintf(ctx->out, "%s  ", line);
	print_totals_line(ctx, &locks_metrics, &r->t, line);
}

static void report_text(const struct report_ctx *ctx,
			const struct locks_report *r)
{
	FILE *out = ctx->out;
	char ts[32];

	fprintf(out, "\n%s", report_time(ctx, ts, sizeof(ts)));
	print_line(ctx, r, LINE_MMAP);
	fprintf(out, "\n");
	print_line(ctx, r, LINE_CONTENDED);
	fprintf(out, "\n");
	print_line(ctx, r, LINE_FAULTS);
	/* Lines the tier cannot tell are left out. */
	if (number_known(ctx, number_of("vma_lock_aborts"))) {
		fprintf(out, "\n");
		print_line(ctx, r, LINE_CAUSES);
	}
	if (obs_known(ctx, OBS_VMA_WRITE)) {
		fprintf(out, "\n");
		print_totals_line(ctx, &locks_metrics, &r->t, LINE_VMA_WRITE);
	}
	fprintf(out, "\n");
	print_hists(ctx, r);
	print_locks(ctx, r);
	print_callers(ctx, r);
	print_owners(ctx, r);
	print_procs(ctx, r);
	losses_text(out, r->t.losses, LOCKS_LOSSES, "fault windows");
	if (misses_total(&r->misses))
		fprintf(out, "LOST: %llu events (recursion_misses: program busy on that CPU)\n",
			misses_total(&r->misses));
	fflush(out);
}

VIEW_SKELETON(locks, &r.procs, &r.locks, &r.callers, &r.owners)

/*
 * serve: contention by (lock, caller) and by (lock, holder), at most --top
 * label pairs each; the rest is "other". Paths that print the same caller
 * are one series; a caller kallsyms cannot name is "unknown".
 */
static struct label_table caller_labels;
static struct owner_labels owner_labels;
static bool caller_labels_ready;

static void caller_labels_add(const struct rows *growth, int stacks_fd)
{
	char value[LABEL_VALUE_LEN];
	struct caller_line *lines;
	struct label_entry *e;
	size_t n = 0;

	lines = caller_lines(growth, stacks_fd, NULL, false, &n);
	for (size_t i = 0; lines && i < n; i++) {
		struct shown_stats sh = shown(&lines[i].sum);

		snprintf(value, sizeof(value), "%s\x1f%s", lines[i].lock,
			 lines[i].path.have_caller ? lines[i].path.caller :
						     "unknown");
		e = label_table_get(&caller_labels, value,
				    monotonic_ns() / 1e9);
		for (size_t k = 0; k < ARRAY_LEN(stat_numbers); k++)
			if (stat_numbers[k].name)
				e->sums[k] += number_value(&stat_numbers[k],
							   &sh, true);
	}
	free(lines);
}

static void locks_render(struct metrics *m, void *skel,
			 const struct obs_result *res, size_t top, bool head)
{
	struct locks_bpf *s = skel;
	struct rows growth = {};
	char family[64];

	if (res[OBS_CONTENTION].chosen < 0)
		return;
	if (!caller_labels_ready &&
	    label_table_init(&caller_labels, top, ARRAY_LEN(stat_numbers)))
		return;
	caller_labels_ready = true;
	if (!rows_read(&caller_rows, bpf_map__fd(s->maps.callers), &growth))
		caller_labels_add(&growth, bpf_map__fd(s->maps.lock_stacks));
	rows_free(&growth);
	for (size_t i = 0; i < ARRAY_LEN(stat_numbers); i++) {
		const struct number *n = &stat_numbers[i];

		if (!n->name)
			continue;
		snprintf(family, sizeof(family), "mmtrace_%s", n->name);
		label_pair_render(m, &caller_labels, family, n->help, "lock",
				  "caller", i, n->decimals);
	}
	if (!head)
		label_table_shown(&caller_labels);
	if (!rows_read(&owner_rows, bpf_map__fd(s->maps.owners), &growth))
		owner_labels_render(m, &owner_labels, "mmtrace_locks", &growth,
				    owner_lock_name, NULL, top, head);
	rows_free(&growth);
}

static const char *mode_name(unsigned long long write)
{
	return write ? "write" : "read";
}

static const char *lock_type_name(unsigned long long flags)
{
	return lock_type(flags);
}

/* --events: what the lock events carry (include/events.h). */
static const struct event_desc locks_events[] = {
	{
		.kind = EV_MMAP_LOCK_WAIT,
		.name = "mmap_lock_wait",
		.fields = {
			[MWEV_WAIT_NS] = { "wait_ns", "wait", EVF_NS,
					   .reason = "latency" },
			[MWEV_WRITE] = { "mode", NULL, EVF_NAME, mode_name },
			[MWEV_ACQUIRED] = { "acquired", NULL, EVF_BOOL },
		},
	},
	{
		.kind = EV_LOCK_CONTENTION,
		.name = "lock_contention",
		.fields = {
			[CEV_WAIT_NS] = { "wait_ns", "wait", EVF_NS,
					  .reason = "latency" },
			[CEV_LOCK] = { "lock", NULL, EVF_HEX },
			[CEV_FLAGS] = { "type", NULL, EVF_NAME, lock_type_name },
			[CEV_IS_MMAP] = { "mmap_lock", NULL, EVF_BOOL },
		},
	},
};

const struct view locks_view = {
	.name = "locks",
	.summary = "mmap_lock wait and hold times, lock contention, per-VMA-lock faults",
	.doc = "Trace mm locking: mmap_lock acquisitions with wait and hold times "
	       "(read and write), sleeping-lock contention (mmap_lock or other, "
	       "like perf lock contention), page faults served under a "
	       "per-VMA lock or fallen back to mmap_lock and why (abort, "
	       "retry), and VMA writers' waits for readers (7.x).\v"
	       "Examples:\n"
	       "  mmtrace locks                    # all processes, until Ctrl-C\n"
	       "  mmtrace locks -p 1234 -d 10      # one process, 10 s\n"
	       "  mmtrace locks --json -- ./app    # run ./app, trace it, JSON\n"
	       "  mmtrace locks --events --min-latency 1000  # waits of 1 ms or more\n"
	       "Which kernel hooks are used: mmtrace probes.",
	.obs = locks_obs,
	.n_obs = ARRAY_LEN(locks_obs),
	VIEW_OPS(locks),
	.configure = locks_configure,
	.events_map = locks_events_map,
	.event_kinds = locks_events,
	.n_event_kinds = ARRAY_LEN(locks_events),
	.event_options = EVENT_OPT_MIN_LATENCY,
	.event_stacks = true,
	.options = locks_options,
	.parse_option = locks_parse_option,
	.names_frames = true,
	.metrics = &locks_metrics,
};
