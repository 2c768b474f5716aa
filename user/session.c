// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "command.h"
#include "events.h"
#include "findings.h"
#include "ksyms.h"
#include "output.h"
#include "outstream.h"
#include "rows.h"
#include "session.h"
#include "tasks.h"

/* Bounded: each retry rejects one plan, and there are few plans. */
#define MAX_SETUP_ATTEMPTS 16

static bool libbpf_verbose;
static char failed_prog[128];

/*
 * libbpf names the program that failed to load in a warning; that is how a
 * load failure is pinned on one observation's plan instead of the whole run.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char msg[512];
	const char *p, *end;
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	p = strstr(msg, "prog '");
	if (level == LIBBPF_WARN && p) {
		p += strlen("prog '");
		end = strchr(p, '\'');
		if (end && end - p < (long)sizeof(failed_prog))
			snprintf(failed_prog, sizeof(failed_prog), "%.*s",
				 (int)(end - p), p);
	}
	/*
	 * Warnings are expected while plans fall back one by one; the final
	 * outcome is reported by mmtrace itself. -v shows everything, with
	 * verifier logs whole: print the original, not the copy.
	 */
	if (libbpf_verbose)
		vfprintf(stderr, fmt, ap);
	return 0;
}

/* Effective capabilities, from /proc: no libcap needed for three bits. */
static bool has_cap(int cap)
{
	char line[128];
	uint64_t eff = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << cap);
}

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

/*
 * CO-RE needs a description of this kernel's types: its own BTF, or a
 * file given with --btf (BTFHub has them for kernels built without).
 */
static int preflight_btf(void)
{
	const char *path = probe_btf_path();
	struct btf *btf;
	int err;

	if (!path) {
		if (kernel_has_own_btf())
			return 0;
		fprintf(stderr,
			"mmtrace: this kernel has no BTF (%s): pass this kernel's BTF file with --btf PATH (BTFHub has them), or use a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
			KERNEL_BTF);
		return -ENOENT;
	}
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		fprintf(stderr, "mmtrace: cannot use --btf '%s': %s\n",
			text_arg(path), strerror(-err));
		return err;
	}
	btf__free(btf);
	return 0;
}

int session_preflight(void)
{
	int err = preflight_btf();

	if (err)
		return err;
	if (!has_cap(CAP_SYS_ADMIN) &&
	    !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON))) {
		fprintf(stderr,
			"mmtrace: needs root: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (run it with sudo)\n");
		return -EPERM;
	}
	return 0;
}

static void detach_links(struct session *s)
{
	for (size_t i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	s->links = NULL;
	s->n_links = 0;
}

void session_unload(struct session *s)
{
	detach_links(s);
	if (s->view && s->view->metrics && s->view->metrics->rows)
		rows_forget_object(s->view->metrics->rows);
	if (s->skel)
		s->view->destroy(s->skel);
	s->skel = NULL;
}

/*
 * One rule for every view: it cannot run without its required observations,
 * nor when none of the others (the ones that count something) can attach,
 * since it would report nothing but nulls. Each says why, on this kernel.
 */
static int cannot_trace(const struct view *t, struct obs_result *res)
{
	char why[OBS_MAX_PLANS * (REASON_LEN + 16)];
	bool any = false;
	size_t o;

	for (o = 0; o < t->n_obs; o++) {
		if (res[o].chosen >= 0 || !t->obs[o].required)
			continue;
		fprintf(stderr,
			"mmtrace: cannot trace %s: no attach plan for %s works on this kernel (-v shows libbpf's log):\n",
			t->name, t->obs[o].name);
		for (int i = 0; i < OBS_MAX_PLANS && res[o].why[i][0]; i++)
			fprintf(stderr, "mmtrace:   %s tier: %s\n",
				probe_tier_name(t->obs[o].plans[i].tier),
				text_arg(res[o].why[i]));
		return -EOPNOTSUPP;
	}
	for (o = 0; o < t->n_obs; o++)
		any |= !t->obs[o].support && res[o].chosen >= 0;
	if (any)
		return 0;
	fprintf(stderr,
		"mmtrace: cannot trace %s: none of its observations can attach on this kernel (-v shows libbpf's log):\n",
		t->name);
	for (o = 0; o < t->n_obs; o++) {
		if (t->obs[o].support)
			continue;
		probe_why_none(&t->obs[o], &res[o], why, sizeof(why));
		fprintf(stderr, "mmtrace:   %s: %s\n", t->obs[o].name,
			text_arg(why));
	}
	return -EOPNOTSUPP;
}

static void load_failure_advice(int err)
{
	fprintf(stderr, "mmtrace: loading BPF programs failed: %s\n",
		strerror(-err));
	fprintf(stderr, "mmtrace: rerun with -v for libbpf's log\n");
}

/*
 * The gate (bpf/common.bpf.h): @armed, and, if @attached, the observations
 * attached. Its filtered and by_tid are set before load and never change:
 * programs that run unarmed need them too (pidns_learn, the exits).
 */
static int gate_write(struct bpf_object *obj, unsigned int armed,
		      const __u64 *attached)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".data.gate");
	struct gate g;
	__u32 zero = 0;

	if (!map || bpf_map_lookup_elem(bpf_map__fd(map), &zero, &g))
		return -errno;
	g.armed = armed;
	if (attached)
		g.attached = *attached;
	if (bpf_map_update_elem(bpf_map__fd(map), &zero, &g, BPF_ANY))
		return -errno;
	return 0;
}

/* Any field set; a field added later counts without a change here. */
static bool filtered(const struct task_filter *f)
{
	static const struct task_filter none;

	return memcmp(f, &none, sizeof(none)) != 0;
}

/*
 * Nothing asks more of a view than its counts: no opt-in detail (serve's
 * defaults) and no filter, not even a pid namespace's (its tasks alone
 * are traced: task_wanted()).
 */
static bool counts_only(const struct view_opts *opts)
{
	return opts->skip_detail && !filtered(&opts->filter);
}

/* What a .filters_only observation is for (user/probe.h). */
static bool filters_need(const struct view_opts *opts)
{
	return !opts->skip_detail || opts->filter.follow ||
	       opts->filter.pidns_ino;
}

/* Resolves @obs from plan @first; an unarmed plan only for counts alone. */
static void resolve(const struct observation *obs, int first,
		    const struct view_opts *opts, struct obs_result *res)
{
	int i = probe_resolve_tier(kernel_env_live(), obs, first,
				   opts->max_tier, res);

	while (i >= 0 && obs->plans[i].unarmed && !counts_only(opts)) {
		probe_resolve_tier(kernel_env_live(), obs, i + 1,
				   opts->max_tier, res);
		snprintf(res->why[i], sizeof(res->why[i]),
			 "not tried: for serve's defaults only (counts alone, no filter)");
		i = res->chosen;
	}
}

/*
 * Filters that need a map, then the switch that lets programs count:
 * both after attach, so that nothing half-attached is ever counted.
 * What attached goes in first, in an update of its own: an update
 * copies the value in no set order, and no program may see armed with
 * attached still empty.
 */
static int arm(struct bpf_object *obj, const struct view_opts *opts,
	       const struct obs_result *res, size_t n_obs)
{
	struct bpf_map *map;
	__u64 attached = 0;
	__u32 zero = 0;
	int err;

	for (size_t i = 0; i < n_obs && i < 64; i++)
		if (res[i].chosen >= 0)
			attached |= 1ULL << i;
	if (opts->cgroup_fd >= 0) {
		map = bpf_object__find_map_by_name(obj, "cgroup_filter");
		if (!map || bpf_map_update_elem(bpf_map__fd(map), &zero,
						&opts->cgroup_fd, BPF_ANY))
			return -errno;
	}
	err = gate_write(obj, 0, &attached);
	return err ? err : gate_write(obj, 1, NULL);
}

#define QUIESCE_MS 500

/*
 * Before the final report: no new event starts, and the ones in flight
 * finish, so totals and per-process rows describe the same events. The
 * wait is bounded: a vfork parent may sleep in its window for hours.
 */
static void quiesce(const struct session *s)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000L };
	const struct view *t = s->view;

	if (gate_write(t->object(s->skel), 0, NULL))
		return;
	for (int ms = 0; t->busy && t->busy(s->skel) && ms < QUIESCE_MS;
	     ms += 10)
		nanosleep(&tick, NULL);
}

/*
 * The common filter (-p, -c, --cgroup, COMMAND), in every object's
 * .rodata.filter (bpf/common.bpf.h): written once here, for every view.
 * The gate says whether it is set from the start: a program that learns
 * mmtrace's pid namespace runs before the programs are armed.
 */
static int set_filter(struct bpf_object *obj, const struct task_filter *f)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj,
							   ".rodata.filter");
	const void *now = NULL;
	struct gate g;
	size_t size = 0;

	if (!map || bpf_map__set_initial_value(map, f, sizeof(*f)))
		return -ENOENT;
	/* Its field alone: the view's configure sets by_tid. */
	map = bpf_object__find_map_by_name(obj, ".data.gate");
	if (map)
		now = bpf_map__initial_value(map, &size);
	if (!now || size != sizeof(g))
		return -ENOENT;
	memcpy(&g, now, sizeof(g));
	g.filtered = filtered(f);
	return bpf_map__set_initial_value(map, &g, sizeof(g)) ? -ENOENT : 0;
}

/* One try: returns 0, 1 to retry with a plan rejected, or -errno. */
static int try_setup(struct session *s, const struct view *t,
		     const struct view_opts *opts)
{
	struct bpf_object *obj;
	size_t failed;
	int err, owner;

	s->skel = t->open();
	if (!s->skel) {
		fprintf(stderr, "mmtrace: cannot open BPF object: %s\n",
			strerror(errno));
		return -errno;
	}
	obj = t->object(s->skel);
	/* Before probe_apply(): a view's quirks read the probes' kernel BTF. */
	err = set_filter(obj, &opts->filter);
	if (!err)
		err = t->configure(s->skel, opts);
	if (!err)
		err = tasks_configure(obj, opts);
	/*
	 * libbpf parses the kernel's BTF again for attach targets and CO-RE:
	 * drop ours first, so that one copy at a time is in memory.
	 */
	kernel_env_live_cleanup();
	if (!err)
		err = probe_apply(obj, t->obs, s->res, t->n_obs);
	if (err)
		return err;
	failed_prog[0] = '\0';
	err = t->load(s->skel);
	if (err) {
		owner = failed_prog[0] ? probe_owner(t->obs, s->res, t->n_obs,
						     failed_prog) : -1;
		if (owner < 0) {
			load_failure_advice(err);
			return err;
		}
		probe_reject(&s->res[owner], "program %s failed to load: %s",
			     failed_prog, strerror(-err));
		failed = owner;
	} else {
		if (t->metrics && t->metrics->rows)
			rows_use_object(t->metrics->rows, obj);
		err = probe_attach(obj, t->obs, s->res, t->n_obs, &s->links,
				   &s->n_links, &failed);
		if (!err) {
			err = tasks_start(obj, t, s->res, opts);
			if (err)
				return err;
			err = arm(obj, opts, s->res, t->n_obs);
			if (err)
				fprintf(stderr, "mmtrace: cannot arm the probes: %s\n",
					strerror(-err));
			return err;
		}
	}
	resolve(&t->obs[failed], s->res[failed].chosen + 1, opts,
		&s->res[failed]);
	return 1;
}

/* Each plan of @obs: not tried, for @why. */
static void leave_out(const struct observation *obs, struct obs_result *res,
		      const char *why)
{
	res->chosen = -1;
	res->left_out = true;
	for (int i = 0; i < OBS_MAX_PLANS; i++)
		snprintf(res->why[i], sizeof(res->why[i]), "%s", why);
}

int session_skip(struct session *s, const struct view *t, const char *why)
{
	memset(s, 0, sizeof(*s));
	s->view = t;
	s->res = calloc(t->n_obs, sizeof(*s->res));
	if (!s->res)
		return -ENOMEM;
	for (size_t o = 0; o < t->n_obs; o++)
		leave_out(&t->obs[o], &s->res[o], why);
	return 0;
}

bool session_skips_required(const struct view *t, const struct view_opts *opts)
{
	for (size_t o = 0; opts->skip_detail && o < t->n_obs; o++)
		if (t->obs[o].required && t->obs[o].detail)
			return true;
	return false;
}

static volatile sig_atomic_t stop_requested, child_changed;

int session_open(struct session *s, const struct view *t,
		 const struct view_opts *opts)
{
	struct view_opts loaded = *opts;
	int err = -ELOOP;

	memset(s, 0, sizeof(*s));
	s->view = t;
	/* Every pid mmtrace takes or shows is its own namespace's. */
	if (tasks_pidns(&loaded.filter.pidns_ino))
		return -ENOENT;
	s->filter = loaded.filter;
	opts = &loaded;
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	s->res = calloc(t->n_obs, sizeof(*s->res));
	if (!s->res)
		return -ENOMEM;
	for (size_t o = 0; o < t->n_obs; o++) {
		if (opts->skip_detail && t->obs[o].detail)
			leave_out(&t->obs[o], &s->res[o], SKIPPED_DETAIL);
		else if (t->obs[o].filters_only && !filters_need(opts))
			leave_out(&t->obs[o], &s->res[o], SKIPPED_UNNEEDED);
		else
			resolve(&t->obs[o], 0, opts, &s->res[o]);
	}
	for (int attempt = 0; attempt < MAX_SETUP_ATTEMPTS; attempt++) {
		err = stop_requested ? -EINTR : cannot_trace(t, s->res);
		if (!err)
			err = try_setup(s, t, opts);
		if (err <= 0)
			break;
		session_unload(s);
		err = -ELOOP;
	}
	/*
	 * Also where no try_setup() dropped it (a plan left with no tier, a
	 * stop, an open that failed): serve and top go on without the view.
	 */
	kernel_env_live_cleanup();
	/* On failure the results stay, for 'mmtrace probes' to print. */
	if (err)
		session_unload(s);
	return err;
}

void session_close(struct session *s)
{
	events_close(s->events);
	s->events = NULL;
	ksyms_kernel_free();
	session_unload(s);
	free(s->res);
	s->res = NULL;
}

static void on_stop(int sig)
{
	stop_requested = 1;
}

static void on_child(int sig)
{
	child_changed = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_banner(const struct session *s)
{
	char why[OBS_MAX_PLANS * (REASON_LEN + 16)];
	const struct view *t = s->view;

	/* On stderr even with --json: stdout carries only reports. */
	fprintf(stderr, "mmtrace %s: tracing", t->name);
	for (size_t i = 0; i < t->n_obs; i++)
		fprintf(stderr, "%s %s=%s", i ? "," : "", t->obs[i].name,
			probe_tier_name(probe_result_tier(&t->obs[i],
							  &s->res[i])));
	fprintf(stderr, ". Ctrl-C to stop.\n");
	tasks_banner(&s->filter);
	for (size_t i = 0; i < t->n_obs; i++) {
		if (s->res[i].chosen >= 0)
			continue;
		/* The reason is this kernel's own, never a guess about others. */
		probe_why_none(&t->obs[i], &s->res[i], why, sizeof(why));
		fprintf(stderr, "mmtrace: warning: %s unavailable: %s; on this kernel: %s\n",
			t->obs[i].name, t->obs[i].if_missing, text_arg(why));
	}
}

static FILE *report_out;

static int report(const struct session *s, const struct view_opts *o,
		  double seconds, bool final)
{
	struct report_ctx ctx = {
		.opts = o,
		.obs = s->view->obs,
		.res = s->res,
		.n_obs = s->view->n_obs,
		.seconds = seconds,
		.final = final,
		.out = report_out,
	};
	struct findings f = {};
	int err;

	/* Read before the report, which takes exited processes' rows away. */
	if (!o->no_findings && findings_of_view(s->view, s->skel, s->res, &f))
		fprintf(stderr, "mmtrace: warning: findings unavailable for this report\n");
	if (!o->no_findings && o->json)
		ctx.findings = findings_json(&f);
	err = s->view->report(s->skel, &ctx);
	if (!err && !o->no_findings && !o->json) {
		findings_print(report_out, &f);
		fflush(report_out);
	}
	json_object_put(ctx.findings);
	findings_free(&f);
	return err;
}

/*
 * Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session)
 * stop tracing with the final report, from setup on; a dead reader is not
 * fatal.
 */
static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The signals that end a wait are blocked outside ppoll() and unblocked
 * inside it, so one arriving between a check and the wait is not missed.
 */
static void block_wakeups(sigset_t *wait_mask)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGHUP);
	sigdelset(wait_mask, SIGCHLD);
}

/* The mask ppoll() waits with: the wakeup signals unblocked. */
static sigset_t wait_mask;

static struct timespec until(double due)
{
	double left = due - now_seconds();
	struct timespec ts = {};

	if (left > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
	}
	return ts;
}

/* How often a run whose COMMAND has exited looks for its descendants. */
#define FOLLOW_POLL_NS (100 * 1000000L)

/*
 * The run ends with COMMAND, or with the last process it started when
 * they are followed (a daemon's parent exits first).
 */
static bool command_done(const struct session *s, struct command *cmd)
{
	static double exited_at;
	static bool told;
	long long left;

	if (!command_poll(cmd))
		return false;
	if (!s->filter.follow)
		return true;
	if (!exited_at)
		exited_at = now_seconds();
	left = tasks_followed(s->view->object(s->skel));
	/*
	 * Children already reaped leave the set only when their task is
	 * freed, after an RCU grace period: say so only of processes that
	 * outlive COMMAND for real, and ask the kernel which are alive.
	 */
	if (left > 0 && now_seconds() - exited_at >= 1.0)
		left = tasks_alive(s->view->object(s->skel),
				   !s->filter.pidns_ino);
	if (left > 0 && !told && now_seconds() - exited_at >= 1.0) {
		fprintf(stderr, "mmtrace: COMMAND has exited; tracing the processes it started until they exit (Ctrl-C to stop)\n");
		told = true;
	}
	return left <= 0;
}

/*
 * Sleeps until a signal, the next report, the end, or events to print;
 * reports on the way. Events come first: a report counts them.
 */
static int trace_loop(const struct session *s, const struct view_opts *o,
		      struct command *cmd, double *last)
{
	struct pollfd events = { .fd = events_fd(s->events), .events = POLLIN };
	const struct timespec follow_tick = { .tv_nsec = FOLLOW_POLL_NS };
	double start = now_seconds(), due, now, read_by;
	struct timespec ts;
	const struct timespec *wait;
	int err = 0;

	*last = start;
	while (!stop_requested && !err) {
		due = o->interval_s ? *last + o->interval_s : 0;
		if (o->duration_s && (!due || start + o->duration_s < due))
			due = start + o->duration_s;
		/* Records do not wake us (bpf/events.bpf.h): read them often. */
		read_by = now_seconds() + EVENTS_POLL_MS / 1e3;
		if (events.fd >= 0 && (!due || due > read_by))
			due = read_by;
		ts = until(due);
		wait = due ? &ts : NULL;
		/* No signal says that a followed descendant has gone: look. */
		if (cmd && cmd->reaped &&
		    (!wait || ts.tv_sec || ts.tv_nsec > follow_tick.tv_nsec))
			wait = &follow_tick;
		if (!(cmd && child_changed))
			ppoll(&events, events.fd >= 0, wait, &wait_mask);
		child_changed = 0;
		events_drain(s->events);
		if (cmd && command_done(s, cmd))
			break;
		now = now_seconds();
		if (o->duration_s && now >= start + o->duration_s)
			break;
		if (o->interval_s && now >= *last + o->interval_s) {
			err = report(s, o, now - *last, false);
			*last = now;
		}
	}
	return err;
}

static int run_attached(struct session *s, const struct view_opts *o,
			struct command *cmd)
{
	double last;
	int err;

	/* From here on, the output waits for its reader as ppoll() does. */
	block_wakeups(&wait_mask);
	outstream_wakeups(&wait_mask, &stop_requested);
	if (s->view->names_frames)
		ksyms_kernel();
	s->events = events_open(s->view, s->skel, o, report_out);
	if (o->events && !s->events) {
		if (cmd)
			command_abort(cmd);
		return 1;
	}
	print_banner(s);
	if (cmd) {
		err = command_release(cmd, o->command[0]);
		if (err)
			return err;
	}
	err = trace_loop(s, o, cmd, &last);
	/* The COMMAND's last forks belong in the final report. */
	if (cmd)
		command_stop(cmd);
	quiesce(s);
	/*
	 * Nothing counts any more: detach now, so that a reader that takes
	 * the last lines slowly (or never) holds no probe attached.
	 */
	detach_links(s);
	outstream_final();
	/* The last events, from before and during the quiesce. */
	while (events_drain(s->events) > 0)
		;
	if (!err)
		err = report(s, o, now_seconds() - last, true);
	if (err)
		return 1;
	return cmd ? command_exit_code(cmd, o->command[0]) : 0;
}

static int open_output(const char *path)
{
	/* Close-on-exec: the report file is not the COMMAND's business. */
	report_out = outstream_open(path);
	if (report_out)
		return 0;
	fprintf(stderr, "mmtrace: cannot write %s: %s\n",
		path ? text_arg(path) : "stdout", strerror(errno));
	return -errno;
}

int session_run(const struct view *t, const struct view_opts *opts)
{
	struct view_opts o = *opts;
	struct command cmd, *c = NULL;
	struct session s;
	int err;

	install_handlers();
	outstream_stderr();
	if (session_preflight())
		return 1;
	if (open_output(o.output))
		return 2;
	if (o.command) {
		err = command_spawn(&cmd, o.command);
		if (err) {
			fprintf(stderr, "mmtrace: fork: %s\n", strerror(-err));
			return 1;
		}
		c = &cmd;
		o.filter.tgid = cmd.pid;
		o.filter.follow = !o.no_children;
	}
	err = session_open(&s, t, &o);
	if (err) {
		if (c)
			command_abort(c);
		session_close(&s);
		return err == -EINTR ? 130 : 1;
	}
	err = run_attached(&s, &o, c);
	session_close(&s);
	kernel_env_live_cleanup();
	/* As before the stream: a failed write to stdout is not fatal. */
	if (outstream_close(report_out) && o.output)
		err = 1;
	return err;
}
