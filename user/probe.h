/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach plans: how every view finds the richest way to observe something
 * on the running kernel, and says what it picked and why.
 *
 * An observation ("pinned-page copies at fork") has plans ordered richest
 * first, typically fentry/fexit, then kprobe/kretprobe, then tracepoints.
 * A plan is a set of probe points (one BPF program, one kind, candidate
 * targets: the first one the kernel has wins). Resolution checks each plan
 * against the kernel (BTF, kallsyms, a trial fentry attach, kprobe support,
 * tracefs) and picks the first plan that passes; load or attach failures
 * reject the plan and the session retries with the next one.
 */
#ifndef MMTRACE_PROBE_H
#define MMTRACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct btf;
struct bpf_link;
struct json_object;

enum probe_kind {
	PROBE_FENTRY,
	PROBE_FEXIT,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
	PROBE_TP_BTF,
	PROBE_TRACEPOINT,	/* target "category/event" */
};

enum probe_tier {
	TIER_FENTRY,		/* fentry/fexit (BPF trampolines) */
	TIER_KPROBE,		/* kprobe/kretprobe */
	TIER_TRACEPOINT,	/* tracepoints, tp_btf, raw tracepoints */
	TIER_NONE,		/* nothing could attach */
};

#define PROBE_MAX_TARGETS 4
#define PLAN_MAX_POINTS 12
#define OBS_MAX_PLANS 4
#define REASON_LEN 200

/*
 * A kprobe or kretprobe target "NAME.*" is NAME or a compiler clone of it
 * (NAME.isra.0, ...), whichever kallsyms has: clones are named by the
 * compiler of each build, and a kprobe needs the exact symbol.
 */
#define PROBE_CLONE_SUFFIX ".*"

struct probe_point {
	const char *prog;
	enum probe_kind kind;
	const char *targets[PROBE_MAX_TARGETS];
	bool optional;		/* a missing target is noted, not fatal */
	int nargs;		/* fentry/fexit: the arity the program reads */
};

struct attach_plan {
	enum probe_tier tier;
	const char *note;	/* what this plan sees and misses */
	/*
	 * Its programs count from attach to detach and honour no filter:
	 * tried only where no filter and no opt-in detail asks more of the
	 * view (serve's defaults; session.c). The gate a program reads to
	 * be armed is a cache line of its own (README "Benchmark").
	 */
	bool unarmed;
	struct probe_point points[PLAN_MAX_POINTS];
};

/*
 * A plan at the fentry tier and its twin at the kprobe tier, from one list
 * of the points both attach: @list(P) names each once, as
 *   P(ENTRY or RETURN, "<name>", nargs, optional, targets...)
 * and the programs are <name>_fentry and <name>_kprobe at an entry,
 * <name>_fexit and <name>_kretprobe at a return, as the BPF side's
 * ENTRY_PROGS() and RETURN_PROGS() define them (bpf/attach.bpf.h).
 * Trailing arguments are points both plans attach besides.
 */
#define TWIN_PLANS(list, fentry_note, kprobe_note, ...)                      \
	{ .tier = TIER_FENTRY, .note = fentry_note,                          \
	  .points = { list(FENTRY_POINT) __VA_ARGS__ } },                    \
	{ .tier = TIER_KPROBE, .note = kprobe_note,                          \
	  .points = { list(KPROBE_POINT) __VA_ARGS__ } }
/* Where the twins are not adjacent: .points = { LIST(FENTRY_POINT) ... }. */
#define FENTRY_POINT(at, name, n, opt, ...) FENTRY_##at(name, n, opt, __VA_ARGS__)
#define FENTRY_ENTRY(name, n, opt, ...)                                      \
	{ name "_fentry", PROBE_FENTRY, { __VA_ARGS__ }, opt, n },
#define FENTRY_RETURN(name, n, opt, ...)                                     \
	{ name "_fexit", PROBE_FEXIT, { __VA_ARGS__ }, opt, n },
#define KPROBE_POINT(at, name, n, opt, ...) KPROBE_##at(name, opt, __VA_ARGS__)
#define KPROBE_ENTRY(name, opt, ...)                                         \
	{ name "_kprobe", PROBE_KPROBE, { __VA_ARGS__ }, opt },
#define KPROBE_RETURN(name, opt, ...)                                        \
	{ name "_kretprobe", PROBE_KRETPROBE, { __VA_ARGS__ }, opt },

struct observation {
	const char *name;
	const char *summary;
	const char *if_missing;	/* what the user loses if no plan works */
	bool required;		/* the view cannot run without it */
	bool support;		/* state for the others: observes nothing itself */
	/*
	 * Opt-in detail for `mmtrace serve` (--detail): its hooks cost more
	 * than an always-on exporter may (README "Benchmark"). The CLI views
	 * load it always.
	 */
	bool detail;
	/*
	 * Support for filters (COMMAND's descendants, mmtrace's pid
	 * namespace) and for opt-in detail: left out where neither is asked
	 * (serve's defaults in the initial pid namespace), as its programs
	 * would run on every fork and free to do nothing.
	 */
	bool filters_only;
	struct attach_plan plans[OBS_MAX_PLANS];
};

/* What resolution decided for one observation. */
/*
 * Kernel symbol names are at most 512 bytes (KSYM_NAME_LEN): b8a94bfb3395
 * ("kallsyms: increase maximum kernel symbol length to 512", 6.1).
 */
#define TARGET_LEN 512

struct obs_result {
	int chosen;		/* plan index, -1 when none works */
	bool left_out;		/* not tried, for why[0] (opt-in, not needed) */
	char why[OBS_MAX_PLANS][REASON_LEN];
	const char *target[PLAN_MAX_POINTS];	/* resolved, chosen plan */
	/*
	 * The names target[] points to. Copies: a clone's name comes from
	 * the kallsyms table, which is freed as soon as resolution is done.
	 */
	char target_name[PLAN_MAX_POINTS][TARGET_LEN];
};

/*
 * What the running kernel offers. Production code uses kernel_env_live();
 * unit tests pass a fake, so resolution is testable without privileges.
 * Each check returns 0, or a negative errno and a reason in @why.
 */
struct kernel_env {
	int (*btf_func)(const char *name, int nargs, char *why, size_t len);
	int (*ksym)(const char *name, char *why, size_t len);
	/* Optional: the kallsyms name of @base or of a clone of it. */
	const char *(*ksym_clone)(const char *base, char *why, size_t len);
	int (*fentry_try)(const char *name, bool fexit, char *why, size_t len);
	int (*kprobes)(char *why, size_t len);
	int (*tracepoint)(const char *category_event, char *why, size_t len);
	int (*tp_btf)(const char *name, char *why, size_t len);
};

const struct kernel_env *kernel_env_live(void);
/*
 * The running kernel's BTF as kernel_env_live() parses it (now, if not
 * yet), or NULL; kernel_env_live_cleanup() frees it, with the kallsyms.
 */
struct btf *kernel_env_live_btf(void);
void kernel_env_live_cleanup(void);

const char *probe_tier_name(enum probe_tier tier);

/* The kernel's lockdown mode ("none", "integrity", ...), or why unknown. */
void lockdown_state(char *buf, size_t len);
const char *probe_kind_name(enum probe_kind kind);

/*
 * Resolves @obs from plan @first on, skipping plans richer than @max_tier;
 * fills @res. Returns the chosen index or -1.
 */
int probe_resolve_tier(const struct kernel_env *env,
		       const struct observation *obs, int first,
		       enum probe_tier max_tier, struct obs_result *res);
int probe_resolve(const struct kernel_env *env, const struct observation *obs,
		  int first, struct obs_result *res);

/* Autoload and attach targets of @obj's programs for the chosen plans. */
int probe_apply(struct bpf_object *obj, const struct observation *obs,
		const struct obs_result *res, size_t n);

/*
 * Attaches the chosen plans. On failure, returns -errno and sets *failed_obs
 * to the observation whose plan failed, with a reason in its result.
 */
int probe_attach(struct bpf_object *obj, const struct observation *obs,
		 struct obs_result *res, size_t n, struct bpf_link ***links,
		 size_t *n_links, size_t *failed_obs);

/* Marks the chosen plan of @res as failed for @why. */
void probe_reject(struct obs_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Index of the observation whose chosen plan loads program @prog. */
int probe_owner(const struct observation *obs, const struct obs_result *res,
		size_t n, const char *prog);

enum probe_tier probe_result_tier(const struct observation *obs,
				  const struct obs_result *res);

/*
 * Why no plan of @obs works on the running kernel, from its own rejections:
 * "fentry: REASON; kprobe: REASON", each reason once.
 */
void probe_why_none(const struct observation *obs,
		    const struct obs_result *res, char *buf, size_t len);

void probe_print(const struct observation *obs, const struct obs_result *res,
		 size_t n, bool verbose);
struct json_object *probe_json(const struct observation *obs,
			       const struct obs_result *res, size_t n);

/* Where the kernel publishes its own BTF. */
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

/*
 * --btf PATH: a BTF file of the running kernel (BTFHub's convention) that
 * libbpf reads for CO-RE instead of the kernel's. Views open their
 * skeletons with probe_open_opts(), which carries it.
 */
struct bpf_object_open_opts;
void probe_set_btf_path(const char *path);
const char *probe_btf_path(void);	/* NULL: the kernel's own */
const struct bpf_object_open_opts *probe_open_opts(void);
/* The kernel publishes its BTF: fentry, fexit and tp_btf can attach. */
bool kernel_has_own_btf(void);

/*
 * Per-thread state (bpf/thread.bpf.h): task-local storage if this kernel
 * lets tracing programs use it, else the hash by thread id. Sets the
 * object's switch, and @gate_by_tid (the view's gate.by_tid: exits drop
 * entries by thread id) where it picks the hash; shrinks the map it
 * leaves unused, before load.
 */
bool kernel_has_task_storage(void);
struct bpf_map;
int thread_state_configure(struct bpf_map *storage, struct bpf_map *by_tid,
			   bool *use_task_storage, unsigned int *gate_by_tid);

#endif /* MMTRACE_PROBE_H */
