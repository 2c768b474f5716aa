// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <mntent.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "arch.h"
#include "ksyms.h"
#include "output.h"
#include "probe.h"

#define TRACEFS "/sys/kernel/tracing"
#define TRACEFS_MAGIC 0x74726163

const char *probe_tier_name(enum probe_tier tier)
{
	static const char *const names[] = {
		[TIER_FENTRY] = "fentry",
		[TIER_KPROBE] = "kprobe",
		[TIER_TRACEPOINT] = "tracepoint",
		[TIER_NONE] = "none",
	};

	return tier <= TIER_NONE ? names[tier] : "?";
}

const char *probe_kind_name(enum probe_kind kind)
{
	static const char *const names[] = {
		[PROBE_FENTRY] = "fentry",
		[PROBE_FEXIT] = "fexit",
		[PROBE_KPROBE] = "kprobe",
		[PROBE_KRETPROBE] = "kretprobe",
		[PROBE_TP_BTF] = "tp_btf",
		[PROBE_TRACEPOINT] = "tracepoint",
	};

	return kind <= PROBE_TRACEPOINT ? names[kind] : "?";
}

/* The live kernel: BTF, kallsyms and tracefs, each read once, on demand. */
static struct btf *vmlinux_btf;
static bool vmlinux_btf_tried;
static struct ksyms *kernel_syms;
static bool kernel_syms_tried;
static char fentry_blocked[REASON_LEN];
static const char *tracing_dir;
static char tracing_mount[PATH_MAX];

/* --btf: a BTF file for CO-RE where the kernel has none of its own. */
static const char *btf_path;

void probe_set_btf_path(const char *path)
{
	btf_path = path;
}

const char *probe_btf_path(void)
{
	return btf_path;
}

const struct bpf_object_open_opts *probe_open_opts(void)
{
	static struct bpf_object_open_opts opts = {
		.sz = sizeof(opts),
	};

	opts.btf_custom_path = btf_path;
	return &opts;
}

bool kernel_has_own_btf(void)
{
	return !access(KERNEL_BTF, R_OK);
}

/*
 * fentry, fexit and tp_btf programs attach to ids of the kernel's own
 * BTF: a file given with --btf describes the kernel for CO-RE, but the
 * kernel cannot attach by it. Fills @why when they cannot attach here.
 */
static bool no_own_btf(char *why, size_t len)
{
	if (kernel_has_own_btf())
		return false;
	snprintf(why, len,
		 "the kernel has no BTF of its own (%s missing): fentry, fexit and tp_btf need it%s",
		 KERNEL_BTF, btf_path ? "; --btf serves CO-RE only" : "");
	return true;
}

struct btf *kernel_env_live_btf(void)
{
	if (!vmlinux_btf_tried) {
		vmlinux_btf_tried = true;
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf = NULL;
	}
	return vmlinux_btf;
}

static int live_btf_func(const char *name, int nargs, char *why, size_t len)
{
	const struct btf_type *proto;
	struct btf *btf;
	int id;

	if (no_own_btf(why, len))
		return -ENOENT;
	btf = kernel_env_live_btf();
	if (!btf) {
		snprintf(why, len, "cannot read the kernel's BTF (%s)",
			 KERNEL_BTF);
		return -ENOENT;
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, len, "%s not in kernel BTF (inlined or renamed)",
			 name);
		return -ENOENT;
	}
	proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (nargs && btf_vlen(proto) != nargs) {
		snprintf(why, len,
			 "%s takes %d arguments in this kernel; the program reads %d",
			 name, btf_vlen(proto), nargs);
		return -EINVAL;
	}
	return 0;
}

static int live_ksym(const char *name, char *why, size_t len)
{
	if (!kernel_syms_tried) {
		kernel_syms_tried = true;
		kernel_syms = ksyms_load();
	}
	if (!kernel_syms) {
		snprintf(why, len, "cannot read /proc/kallsyms");
		return -EACCES;
	}
	if (!ksyms_has(kernel_syms, name)) {
		snprintf(why, len, "%s not in /proc/kallsyms (inlined or renamed)",
			 name);
		return -ENOENT;
	}
	return 0;
}

static const char *live_ksym_clone(const char *base, char *why, size_t len)
{
	const char *name;

	if (live_ksym(base, why, len) == -EACCES)
		return NULL;
	name = ksyms_find_clone(kernel_syms, base);
	if (!name)
		snprintf(why, len,
			 "neither %s nor a clone of it in /proc/kallsyms (inlined?)",
			 base);
	return name;
}

void lockdown_state(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");
	char line[128] = "", *open, *close;

	snprintf(buf, len, "unknown, securityfs not mounted");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		/* "none [integrity] confidentiality": the bracketed one. */
		open = strchr(line, '[');
		close = open ? strchr(open, ']') : NULL;
		if (open && close)
			snprintf(buf, len, "%.*s", (int)(close - open - 1),
				 open + 1);
	}
	fclose(f);
}

/* A trampoline attach is the only honest test: BTF alone is not enough. */
static int live_fentry_try(const char *name, bool fexit, char *why,
			   size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },			   /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int id, prog_fd, link_fd, err;
	char lockdown[64];

	if (fentry_blocked[0]) {
		snprintf(why, len, "%s", fentry_blocked);
		return -EPERM;
	}
	if (live_btf_func(name, 0, why, len))
		return -ENOENT;
	id = btf__find_by_name_kind(kernel_env_live_btf(), name, BTF_KIND_FUNC);
	opts.expected_attach_type = fexit ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mmtrace_probe", "GPL",
				insns, 2, &opts);
	if (prog_fd < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES) {
			lockdown_state(lockdown, sizeof(lockdown));
			snprintf(fentry_blocked, sizeof(fentry_blocked),
				 "fentry/fexit programs refused (%s: kernel lockdown or an LSM; lockdown: %s)",
				 strerror(-err), lockdown);
			snprintf(why, len, "%s", fentry_blocked);
		} else {
			snprintf(why, len, "%s %s: load failed: %s",
				 fexit ? "fexit" : "fentry", name,
				 strerror(-err));
		}
		return err;
	}
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	err = link_fd < 0 ? -errno : 0;
	if (err)
		snprintf(why, len, "%s %s: attach failed: %s",
			 fexit ? "fexit" : "fentry", name,
			 err == -524 ? ARCH_FENTRY_ENOTSUPP : strerror(-err));
	else
		close(link_fd);
	close(prog_fd);
	return err;
}

static int live_kprobes(char *why, size_t len)
{
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0)
		return 0;
	snprintf(why, len,
		 "kprobes are not available in this kernel (no kprobe PMU: CONFIG_KPROBES off)");
	return -EOPNOTSUPP;
}

/*
 * A tracefs mounted already: /sys/kernel/tracing first. A path under
 * debugfs's "tracing" is never looked into: that mounts tracefs there
 * (an automount), a mount nobody asked for that stays behind.
 */
static const char *tracefs_mounted(void)
{
	struct statfs fs;
	struct mntent *m;
	FILE *f;

	if (!statfs(TRACEFS, &fs) && fs.f_type == TRACEFS_MAGIC)
		return TRACEFS;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "tracefs")) {
			snprintf(tracing_mount, sizeof(tracing_mount), "%s",
				 m->mnt_dir);
			break;
		}
	endmntent(f);
	return tracing_mount[0] ? tracing_mount : NULL;
}

static const char *find_tracing_dir(char *why, size_t len)
{
	if (tracing_dir)
		return tracing_dir;
	tracing_dir = tracefs_mounted();
	if (tracing_dir)
		return tracing_dir;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0) {
		fprintf(stderr, "mmtrace: mounted tracefs on %s\n", TRACEFS);
		return tracing_dir = TRACEFS;
	}
	snprintf(why, len,
		 "tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs tracefs %s' as root",
		 strerror(errno), TRACEFS);
	return NULL;
}

static int live_tracepoint(const char *event, char *why, size_t len)
{
	const char *dir = find_tracing_dir(why, len);
	char path[256];

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, event);
	if (access(path, R_OK)) {
		snprintf(why, len, "tracepoint %s: %s", event,
			 errno != ENOENT ? strerror(errno) :
			 arch_missing_tracepoint(event) ?: "not in this kernel");
		return -errno;
	}
	return 0;
}

static int live_tp_btf(const char *name, char *why, size_t len)
{
	char type[128];

	if (no_own_btf(why, len))
		return -ENOENT;
	if (!kernel_env_live_btf()) {
		snprintf(why, len, "cannot read the kernel's BTF (%s)",
			 KERNEL_BTF);
		return -ENOENT;
	}
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	if (btf__find_by_name_kind(kernel_env_live_btf(), type, BTF_KIND_TYPEDEF) < 0) {
		snprintf(why, len, "no BTF tracepoint %s in this kernel%s%s",
			 name, arch_missing_tracepoint(name) ? ": " : "",
			 arch_missing_tracepoint(name) ?: "");
		return -ENOENT;
	}
	return 0;
}

const struct kernel_env *kernel_env_live(void)
{
	static const struct kernel_env env = {
		.btf_func = live_btf_func,
		.ksym = live_ksym,
		.ksym_clone = live_ksym_clone,
		.fentry_try = live_fentry_try,
		.kprobes = live_kprobes,
		.tracepoint = live_tracepoint,
		.tp_btf = live_tp_btf,
	};

	return &env;
}

void kernel_env_live_cleanup(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	vmlinux_btf_tried = false;
	ksyms_free(kernel_syms);
	kernel_syms = NULL;
	kernel_syms_tried = false;
}

/* "NAME.*" resolved to a kallsyms name, or NULL with a reason. */
static const char *resolve_clone(const struct kernel_env *env,
				 const char *target, char *why, size_t len)
{
	size_t n = strlen(target), suffix = strlen(PROBE_CLONE_SUFFIX);
	char base[128];

	if (!env->ksym_clone || n <= suffix || n - suffix >= sizeof(base)) {
		snprintf(why, len, "cannot resolve clones of %s", target);
		return NULL;
	}
	snprintf(base, sizeof(base), "%.*s", (int)(n - suffix), target);
	return env->ksym_clone(base, why, len);
}

static bool is_clone_pattern(const char *target)
{
	size_t n = strlen(target), suffix = strlen(PROBE_CLONE_SUFFIX);

	return n > suffix && !strcmp(target + n - suffix, PROBE_CLONE_SUFFIX);
}

/* 0 if @target can be used; *@resolved is the name to attach to. */
static int check_target(const struct kernel_env *env,
			const struct probe_point *pt, const char *target,
			const char **resolved, char *why, size_t len)
{
	enum probe_kind kind = pt->kind;
	int err;

	*resolved = target;

	switch (kind) {
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		err = env->btf_func(target, pt->nargs, why, len);
		if (!err)
			err = env->fentry_try(target, kind == PROBE_FEXIT, why,
					      len);
		return err;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		err = env->kprobes(why, len);
		if (err || !is_clone_pattern(target))
			return err ? err : env->ksym(target, why, len);
		*resolved = resolve_clone(env, target, why, len);
		return *resolved ? 0 : -ENOENT;
	case PROBE_TP_BTF:
		return env->tp_btf(target, why, len);
	case PROBE_TRACEPOINT:
		return env->tracepoint(target, why, len);
	}
	snprintf(why, len, "unknown probe kind %d", kind);
	return -EINVAL;
}

/* The first candidate the kernel has; @why keeps the first refusal. */
static const char *resolve_point(const struct kernel_env *env,
				 const struct probe_point *pt, char *why,
				 size_t len)
{
	char reason[REASON_LEN];
	const char *resolved;

	why[0] = '\0';
	for (int i = 0; i < PROBE_MAX_TARGETS && pt->targets[i]; i++) {
		if (!check_target(env, pt, pt->targets[i], &resolved, reason,
				  sizeof(reason)))
			return resolved;
		if (!why[0])
			snprintf(why, len, "%s", reason);
	}
	return NULL;
}

static bool plan_empty(const struct attach_plan *plan)
{
	return !plan->points[0].prog;
}

static int check_plan(const struct kernel_env *env,
		      const struct attach_plan *plan, struct obs_result *res,
		      char *why, size_t len)
{
	char reason[REASON_LEN];

	for (int i = 0; i < PLAN_MAX_POINTS && plan->points[i].prog; i++) {
		const struct probe_point *pt = &plan->points[i];
		const char *name = resolve_point(env, pt, reason,
						 sizeof(reason));

		res->target[i] = NULL;
		if (name) {
			snprintf(res->target_name[i], TARGET_LEN, "%s", name);
			res->target[i] = res->target_name[i];
		} else if (!pt->optional) {
			snprintf(why, len, "%s", reason);
			return -ENOENT;
		}
	}
	return 0;
}

/* Is @name, of any type, in /proc/kallsyms? (ksyms.c keeps text only.) */
static bool kallsyms_has(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
			!strcmp(sym, name);
	fclose(f);
	return found;
}

/* The architecture's reason why no plan of @obs can work here, or false. */
static bool arch_refused(const struct kernel_env *env,
			 const struct observation *obs, struct obs_result *res)
{
	const char *sym = arch_required_ksym(obs->name);

	if (!sym || env != kernel_env_live() || kallsyms_has(sym))
		return false;
	for (int i = 0; i < OBS_MAX_PLANS && !plan_empty(&obs->plans[i]); i++)
		snprintf(res->why[i], sizeof(res->why[i]), ARCH_KSYM_WHY, sym);
	return true;
}

int probe_resolve(const struct kernel_env *env, const struct observation *obs,
		  int first, struct obs_result *res)
{
	return probe_resolve_tier(env, obs, first, TIER_FENTRY, res);
}

int probe_resolve_tier(const struct kernel_env *env,
		       const struct observation *obs, int first,
		       enum probe_tier max_tier, struct obs_result *res)
{
	res->chosen = -1;
	if (arch_refused(env, obs, res))
		return -1;
	for (int i = first; i < OBS_MAX_PLANS; i++) {
		const struct attach_plan *plan = &obs->plans[i];

		if (plan_empty(plan))
			break;
		if (plan->tier < max_tier) {
			snprintf(res->why[i], sizeof(res->why[i]),
				 "not tried: --tier %s", probe_tier_name(max_tier));
			continue;
		}
		memset(res->target, 0, sizeof(res->target));
		if (!check_plan(env, plan, res, res->why[i],
				sizeof(res->why[i]))) {
			res->chosen = i;
			return i;
		}
	}
	memset(res->target, 0, sizeof(res->target));
	return -1;
}

void probe_reject(struct obs_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->chosen < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(res->why[res->chosen], REASON_LEN, fmt, ap);
	va_end(ap);
}

static const struct attach_plan *chosen_plan(const struct observation *obs,
					     const struct obs_result *res)
{
	return res->chosen >= 0 ? &obs->plans[res->chosen] : NULL;
}

enum probe_tier probe_result_tier(const struct observation *obs,
				  const struct obs_result *res)
{
	const struct attach_plan *plan = chosen_plan(obs, res);

	return plan ? plan->tier : TIER_NONE;
}

void probe_why_none(const struct observation *obs,
		    const struct obs_result *res, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < OBS_MAX_PLANS && used < len; i++) {
		bool seen = false;
		int tiers = 0;

		if (plan_empty(&obs->plans[i]))
			break;
		for (int j = 0; j < i; j++)
			seen |= !strcmp(res->why[i], res->why[j]);
		if (seen || !res->why[i][0])
			continue;
		/* One reason once, after every tier it rejected. */
		for (int j = i; j < OBS_MAX_PLANS && used < len; j++) {
			if (plan_empty(&obs->plans[j]))
				break;
			if (strcmp(res->why[i], res->why[j]) ||
			    (j > i && obs->plans[j].tier == obs->plans[j - 1].tier))
				continue;
			used += snprintf(buf + used, len - used, "%s%s",
					 tiers++ ? ", " : used ? "; " : "",
					 probe_tier_name(obs->plans[j].tier));
		}
		if (used < len)
			used += snprintf(buf + used, len - used, ": %s",
					 res->why[i]);
	}
}

int probe_apply(struct bpf_object *obj, const struct observation *obs,
		const struct obs_result *res, size_t n)
{
	struct bpf_program *prog;
	int err;

	/*
	 * Task iterators are run by user space, not attached: the view's
	 * configure decides whether they load (locks: waits_configure).
	 */
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__expected_attach_type(prog) != BPF_TRACE_ITER)
			bpf_program__set_autoload(prog, false);
	for (size_t o = 0; o < n; o++) {
		const struct attach_plan *plan = chosen_plan(&obs[o], &res[o]);

		for (int i = 0; plan && i < PLAN_MAX_POINTS; i++) {
			const struct probe_point *pt = &plan->points[i];

			if (!pt->prog)
				break;
			if (!res[o].target[i])
				continue;
			prog = bpf_object__find_program_by_name(obj, pt->prog);
			if (!prog) {
				fprintf(stderr, "mmtrace: BUG: no program %s\n",
					pt->prog);
				return -ENOENT;
			}
			bpf_program__set_autoload(prog, true);
			if (pt->kind != PROBE_FENTRY && pt->kind != PROBE_FEXIT &&
			    pt->kind != PROBE_TP_BTF)
				continue;
			err = bpf_program__set_attach_target(prog, 0,
							     res[o].target[i]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The id of tracepoint @target ("category/name") in our tracefs. */
static int tracepoint_id(const char *target, unsigned long long *id)
{
	char path[PATH_MAX], why[REASON_LEN];
	const char *dir = find_tracing_dir(why, sizeof(why));
	FILE *f;
	int err;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, target);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = fscanf(f, "%llu", id) == 1 ? 0 : -EINVAL;
	fclose(f);
	return err;
}

/*
 * A tracepoint attached by its id from our tracefs: libbpf (1.1) would
 * read it under /sys/kernel/debug/tracing whenever debugfs is mounted,
 * and mount tracefs there.
 */
static struct bpf_link *attach_tracepoint(struct bpf_program *prog,
					  const char *target)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
	};
	struct bpf_link *link;
	int pfd, err;

	err = tracepoint_id(target, &attr.config);
	if (err) {
		errno = -err;
		return NULL;
	}
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	/* The link owns the perf event from here on. */
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		err = errno;
		close(pfd);
		errno = err;
	}
	return link;
}

static struct bpf_link *attach_point(struct bpf_program *prog,
				     const struct probe_point *pt,
				     const char *target)
{
	switch (pt->kind) {
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		return bpf_program__attach_kprobe(
			prog, pt->kind == PROBE_KRETPROBE, target);
	case PROBE_TRACEPOINT:
		return attach_tracepoint(prog, target);
	default:
		return bpf_program__attach(prog);
	}
}

static int add_link(struct bpf_link ***links, size_t *n, struct bpf_link *l)
{
	struct bpf_link **grown = realloc(*links, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = l;
	*links = grown;
	return 0;
}

int probe_attach(struct bpf_object *obj, const struct observation *obs,
		 struct obs_result *res, size_t n, struct bpf_link ***links,
		 size_t *n_links, size_t *failed_obs)
{
	for (size_t o = 0; o < n; o++) {
		const struct attach_plan *plan = chosen_plan(&obs[o], &res[o]);

		for (int i = 0; plan && i < PLAN_MAX_POINTS; i++) {
			const struct probe_point *pt = &plan->points[i];
			struct bpf_program *prog;
			struct bpf_link *link;
			int err;

			if (!pt->prog)
				break;
			if (!res[o].target[i])
				continue;
			prog = bpf_object__find_program_by_name(obj, pt->prog);
			link = prog ? attach_point(prog, pt, res[o].target[i])
				    : NULL;
			err = link ? add_link(links, n_links, link) : -errno;
			if (err && link)
				bpf_link__destroy(link);
			if (err) {
				probe_reject(&res[o], "%s %s: attach failed: %s",
					     probe_kind_name(pt->kind),
					     res[o].target[i], strerror(-err));
				*failed_obs = o;
				return err;
			}
		}
	}
	return 0;
}

int probe_owner(const struct observation *obs, const struct obs_result *res,
		size_t n, const char *prog)
{
	for (size_t o = 0; o < n; o++) {
		const struct attach_plan *plan = chosen_plan(&obs[o], &res[o]);

		for (int i = 0; plan && i < PLAN_MAX_POINTS; i++) {
			if (!plan->points[i].prog)
				break;
			if (res[o].target[i] &&
			    !strcmp(plan->points[i].prog, prog))
				return (int)o;
		}
	}
	return -1;
}

static void print_points(const struct attach_plan *plan,
			 const struct obs_result *res)
{
	for (int i = 0; i < PLAN_MAX_POINTS && plan->points[i].prog; i++) {
		const struct probe_point *pt = &plan->points[i];

		if (res->target[i])
			printf("      %-10s %s\n", probe_kind_name(pt->kind),
			       text_arg(res->target[i]));
		else
			printf("      %-10s %s (absent, optional)\n",
			       probe_kind_name(pt->kind), pt->targets[0]);
	}
}

void probe_print(const struct observation *obs, const struct obs_result *res,
		 size_t n, bool verbose)
{
	for (size_t o = 0; o < n; o++) {
		const struct attach_plan *plan = chosen_plan(&obs[o], &res[o]);

		printf("%-22s %s\n", obs[o].name, obs[o].summary);
		if (obs[o].detail)
			printf("  serve    opt-in detail: loaded by 'mmtrace serve --detail' (or --views)\n");
		if (res[o].left_out) {
			printf("  left out %s\n", text_arg(res[o].why[0]));
			continue;
		}
		for (int i = 0; i < OBS_MAX_PLANS; i++) {
			if (plan_empty(&obs[o].plans[i]))
				break;
			if (i == res[o].chosen)
				break;
			printf("  rejected %-10s %s\n",
			       probe_tier_name(obs[o].plans[i].tier),
			       text_arg(res[o].why[i]));
		}
		if (!plan) {
			printf("  UNAVAILABLE: %s\n", obs[o].if_missing);
			continue;
		}
		printf("  using    %-10s %s\n", probe_tier_name(plan->tier),
		       plan->note ? plan->note : "");
		if (verbose)
			print_points(plan, &res[o]);
	}
}

static struct json_object *points_json(const struct attach_plan *plan,
				       const struct obs_result *res)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < PLAN_MAX_POINTS && plan->points[i].prog; i++) {
		struct json_object *p = json_object_new_object();
		const struct probe_point *pt = &plan->points[i];

		json_object_object_add(p, "program",
				       json_object_new_string(pt->prog));
		json_object_object_add(p, "kind", json_object_new_string(
						probe_kind_name(pt->kind)));
		json_object_object_add(p, "target",
				       res->target[i] ? json_object_new_string(
							res->target[i]) : NULL);
		json_object_array_add(arr, p);
	}
	return arr;
}

struct json_object *probe_json(const struct observation *obs,
			       const struct obs_result *res, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t o = 0; o < n; o++) {
		const struct attach_plan *plan = chosen_plan(&obs[o], &res[o]);
		struct json_object *j = json_object_new_object();
		struct json_object *rejected = json_object_new_array();

		json_object_object_add(j, "name",
				       json_object_new_string(obs[o].name));
		json_object_object_add(j, "tier", json_object_new_string(
				probe_tier_name(probe_result_tier(&obs[o], &res[o]))));
		for (int i = 0; i < OBS_MAX_PLANS && i != res[o].chosen &&
				!res[o].left_out; i++) {
			struct json_object *r;

			if (plan_empty(&obs[o].plans[i]))
				break;
			r = json_object_new_object();
			json_object_object_add(r, "tier", json_object_new_string(
					probe_tier_name(obs[o].plans[i].tier)));
			json_object_object_add(r, "reason",
					       json_object_new_string(res[o].why[i]));
			json_object_array_add(rejected, r);
		}
		json_object_object_add(j, "rejected", rejected);
		json_object_object_add(j, "left_out", res[o].left_out ?
				       json_object_new_string(res[o].why[0]) : NULL);
		json_object_object_add(j, "serve_detail",
				       json_object_new_boolean(obs[o].detail));
		json_object_object_add(j, "note", plan && plan->note ?
				       json_object_new_string(plan->note) : NULL);
		json_object_object_add(j, "points",
				       plan ? points_json(plan, &res[o]) : NULL);
		if (!plan && !res[o].left_out)
			json_object_object_add(j, "unavailable",
					       json_object_new_string(obs[o].if_missing));
		json_object_array_add(arr, j);
	}
	return arr;
}

/*
 * Task-local storage that tracing programs can use (a10787e6d58c, 5.13:
 * bpf/thread.bpf.h): the map type, and the helpers in tracepoint and kprobe
 * programs (tp_btf and fentry had them first). Probed once, as each probe
 * loads a program.
 * MMTRACE_TASK_STORAGE=0 pretends the kernel has none, for tests of the
 * fallback.
 */
bool kernel_has_task_storage(void)
{
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_KPROBE,
	};
	static int has = -1;
	const char *env = getenv("MMTRACE_TASK_STORAGE");

	if (has >= 0)
		return has;
	has = !(env && !strcmp(env, "0")) &&
	      libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) > 0;
	for (size_t i = 0; has && i < sizeof(types) / sizeof(types[0]); i++)
		has = libbpf_probe_bpf_helper(types[i], BPF_FUNC_task_storage_get,
					      NULL) > 0 &&
		      libbpf_probe_bpf_helper(types[i],
					      BPF_FUNC_get_current_task_btf,
					      NULL) > 0;
	return has;
}

int thread_state_configure(struct bpf_map *storage, struct bpf_map *by_tid,
			   bool *use_task_storage, unsigned int *gate_by_tid)
{
	int err;

	*use_task_storage = kernel_has_task_storage();
	if (*use_task_storage)
		return bpf_map__set_max_entries(by_tid, 1);
	*gate_by_tid = 1;
	/* Never used, but created: as a hash where the type is unknown. */
	err = bpf_map__set_type(storage, BPF_MAP_TYPE_HASH);
	return err ? err : bpf_map__set_max_entries(storage, 1);
}
