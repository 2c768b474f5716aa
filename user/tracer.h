/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracer is one subcommand: its observations (attach plans), its BPF
 * skeleton, and its report. Adding one means a folder views/<name>/ holding
 * <name>.bpf.c, <name>.h and a <name>.c defining <name>_tracer, and one line
 * in MMTRACE_VIEWS (main.c).
 * The session (session.c) does everything else: probe resolution with
 * fallback, load, attach, the command to trace, intervals, signals.
 */
#ifndef MMTRACE_TRACER_H
#define MMTRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "filter.h"
#include "metrics.h"
#include "probe.h"

#define MMTRACE_VERSION "0.2.0"

struct bpf_object;
struct bpf_map;
struct row_table;
struct event_desc;
struct argp_option;
struct metrics;
struct obs_result;

/* The --events thresholds a view takes (struct tracer.event_options). */
enum event_option {
	EVENT_OPT_MIN_LATENCY = 1 << 0,
	EVENT_OPT_MIN_COPIES = 1 << 1,
};

struct tracer_opts {
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
	const char *output;		/* reports go here instead of stdout */
	int cgroup_fd;			/* --cgroup directory, or -1 */
	bool events;			/* --events: a line per event */
	unsigned int event_thresholds;	/* EVENT_OPT_* given */
	unsigned long long min_latency_us;
	unsigned long long min_copies;
	unsigned long events_buffer;	/* ring buffer bytes */
	/* The view's own options (struct tracer.options); 0/NULL: unset. */
	unsigned int stack_depth;	/* locks --stack-depth */
	unsigned int callers;		/* locks --callers */
	const char *lock_name;		/* locks -L */
};

struct report_ctx {
	const struct tracer_opts *opts;
	const struct observation *obs;
	const struct obs_result *res;
	size_t n_obs;
	double seconds;			/* time this report covers */
	bool final;
	FILE *out;
};

/*
 * One exported value: a __u64 counter or a HIST_LEN histogram in the
 * object's .bss (mapped by libbpf), cumulative since load. Members of one
 * family (same name, one fixed label each) are adjacent in a view's table.
 */
struct metric_def {
	const char *name;	/* mmtrace_<name>; counters without _total */
	const char *help;
	enum metric_type type;
	size_t off;		/* offset in .bss */
	int decimals;		/* value unit: 10^-decimals (ns -> s: 9) */
	int obs;		/* only while this observation is attached */
	enum probe_tier below_tier;	/* and below this tier (0: any) */
	const char *label, *label_value;	/* optional */
	int slot_decimals;	/* histograms: the slot unit (us: 6) */
	bool truncated;		/* slots hold raw / 10^k (ns -> us) */
	unsigned int max_slot;	/* last finite bucket */
};

/* Trailing arguments are more designated initializers: .label = ... */
#define METRIC_U64(bss_type, n, h, member, dec, ob, ...)                     \
	{ .name = n, .help = h, .type = METRIC_COUNTER,                      \
	  .off = offsetof(bss_type, member), .decimals = dec, .obs = ob,     \
	  __VA_ARGS__ }
#define METRIC_HIST(bss_type, n, h, member, slot_dec, trunc, max, sum_dec,  \
		    ob, ...)                                                 \
	{ .name = n, .help = h, .type = METRIC_HISTOGRAM,                    \
	  .off = offsetof(bss_type, member), .slot_decimals = slot_dec,      \
	  .truncated = trunc, .max_slot = max, .decimals = sum_dec,          \
	  .obs = ob, __VA_ARGS__ }
/* Time histograms: ns recorded in us slots, up to 2^27 us (134 s). */
#define METRIC_HIST_US(bss_type, n, h, member, ob, ...)                      \
	METRIC_HIST(bss_type, n, h, member, 6, true, 27, 9, ob, __VA_ARGS__)
/* ns recorded in ns slots, up to 2^37 ns (137 s). */
#define METRIC_HIST_NS(bss_type, n, h, member, ob, ...)                      \
	METRIC_HIST(bss_type, n, h, member, 9, false, 37, 9, ob, __VA_ARGS__)

/* A per-process counter, exported summed by comm or cgroup (--by). */
struct row_metric_def {
	const char *name;	/* mmtrace_<view>_<by>_<name> */
	const char *help;
	size_t off;		/* in the row value, inside the sums */
	int decimals;
	int obs;
};

struct tracer_metrics {
	const struct metric_def *defs;
	size_t n_defs;
	size_t losses_off;	/* .bss offset of losses[LOSS_MAX] */
	struct row_table *rows;	/* rows of the view's "procs" map */
	size_t comm_off, cgroup_off;	/* in the row value */
	const struct row_metric_def *row_defs;
	size_t n_row_defs;
	/*
	 * Families the view renders itself, after the table's (label sets
	 * of its own, bounded by @top), or NULL. @head: a HEAD request, so
	 * series born at 0 are not counted as shown.
	 */
	void (*render)(struct metrics *m, void *skel,
		       const struct obs_result *res, size_t top, bool head);
};

struct tracer {
	const char *name;
	const char *summary;		/* one line in `mmtrace --help` */
	const char *doc;		/* the subcommand's --help text */
	const struct observation *obs;
	size_t n_obs;
	void *(*open)(void);
	struct bpf_object *(*object)(void *skel);
	/* Before load: filters and map sizes into .rodata and maps. */
	int (*configure)(void *skel, const struct tracer_opts *opts);
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
	 * Options of this view alone (an argp table ending in {}), and
	 * their parser: 0, or EXIT_USAGE after one line on stderr.
	 */
	const struct argp_option *options;
	int (*parse_option)(int key, const char *arg, struct tracer_opts *o);
	/*
	 * Names kernel frames (user/ksyms.c): kallsyms is read once attached,
	 * while it lists the tracer's own trampolines; they are freed after
	 * detach, before the final report, and their addresses then name
	 * nothing.
	 */
	bool names_frames;
	/* What `mmtrace serve` exports (user/serve.c); NULL: nothing. */
	const struct tracer_metrics *metrics;
};

#endif /* MMTRACE_TRACER_H */
