// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "session.h"

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
	/* Verifier logs are long: print the original, not the copy. */
	if (libbpf_verbose || (level == LIBBPF_WARN && !p))
		vfprintf(stderr, fmt, ap);
	return 0;
}

int session_preflight(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr,
			"mmtrace: this kernel has no BTF (/sys/kernel/btf/vmlinux): mmtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOENT;
	}
	if (geteuid() != 0)
		fprintf(stderr,
			"mmtrace: warning: not running as root; loading BPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (try sudo)\n");
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

static int required_missing(const struct tracer *t, struct obs_result *res)
{
	for (size_t o = 0; o < t->n_obs; o++) {
		if (res[o].chosen >= 0 || !t->obs[o].required)
			continue;
		fprintf(stderr,
			"mmtrace: cannot trace %s: no attach plan for %s works on this kernel (-v shows libbpf's log):\n",
			t->name, t->obs[o].name);
		for (int i = 0; i < OBS_MAX_PLANS && res[o].why[i][0]; i++)
			fprintf(stderr, "mmtrace:   %s tier: %s\n",
				probe_tier_name(t->obs[o].plans[i].tier),
				res[o].why[i]);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void load_failure_advice(int err)
{
	fprintf(stderr, "mmtrace: loading BPF programs failed: %s\n",
		strerror(-err));
	if (err == -EPERM || err == -EACCES)
		fprintf(stderr,
			"mmtrace: run as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN); rerun with -v for libbpf's log\n");
	else
		fprintf(stderr, "mmtrace: rerun with -v for libbpf's log\n");
}

/* One try: returns 0, 1 to retry with a plan rejected, or -errno. */
static int try_setup(struct session *s, const struct tracer *t,
		     const struct tracer_opts *opts)
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
	err = probe_apply(obj, t->obs, s->res, t->n_obs);
	if (!err)
		err = t->configure(s->skel, opts);
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
		err = probe_attach(obj, t->obs, s->res, t->n_obs, &s->links,
				   &s->n_links, &failed);
		if (!err)
			return 0;
	}
	probe_resolve_tier(kernel_env_live(), &t->obs[failed],
			   s->res[failed].chosen + 1, opts->max_tier,
			   &s->res[failed]);
	return 1;
}

int session_open(struct session *s, const struct tracer *t,
		 const struct tracer_opts *opts)
{
	int err = -EAGAIN;

	memset(s, 0, sizeof(*s));
	s->tracer = t;
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	s->res = calloc(t->n_obs, sizeof(*s->res));
	if (!s->res)
		return -ENOMEM;
	for (size_t o = 0; o < t->n_obs; o++)
		probe_resolve_tier(kernel_env_live(), &t->obs[o], 0,
				   opts->max_tier, &s->res[o]);
	for (int attempt = 0; attempt < MAX_SETUP_ATTEMPTS; attempt++) {
		err = required_missing(t, s->res);
		if (err)
			break;
		err = try_setup(s, t, opts);
		if (err <= 0)
			break;
		detach_links(s);
		t->destroy(s->skel);
		s->skel = NULL;
	}
	if (err)
		session_close(s);
	return err < 0 ? err : 0;
}

void session_close(struct session *s)
{
	detach_links(s);
	if (s->skel)
		s->tracer->destroy(s->skel);
	s->skel = NULL;
	free(s->res);
	s->res = NULL;
}

static volatile sig_atomic_t stop_requested, child_changed;

static void on_stop(int sig)
{
	stop_requested = 1;
}

static void on_child(int sig)
{
	child_changed = 1;
}

/* The child waits on a pipe until the probes are attached, then execs. */
static pid_t spawn_held(char **argv, int *go_fd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "mmtrace: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_banner(const struct session *s, const struct tracer_opts *o)
{
	const struct tracer *t = s->tracer;

	/* On stderr even with --json: stdout carries only reports. */
	fprintf(stderr, "mmtrace %s: tracing", t->name);
	for (size_t i = 0; i < t->n_obs; i++)
		fprintf(stderr, "%s %s=%s", i ? "," : "", t->obs[i].name,
			probe_tier_name(probe_result_tier(&t->obs[i],
							  &s->res[i])));
	fprintf(stderr, ". Ctrl-C to stop.\n");
	for (size_t i = 0; i < t->n_obs; i++)
		if (s->res[i].chosen < 0)
			fprintf(stderr, "mmtrace: warning: %s unavailable: %s ('mmtrace probes' says why)\n",
				t->obs[i].name, t->obs[i].if_missing);
}

static FILE *report_out;

static int report(const struct session *s, const struct tracer_opts *o,
		  double seconds, bool final)
{
	struct report_ctx ctx = {
		.opts = o,
		.obs = s->tracer->obs,
		.res = s->res,
		.n_obs = s->tracer->n_obs,
		.seconds = seconds,
		.final = final,
		.out = report_out ? report_out : stdout,
	};

	return s->tracer->report(s->skel, &ctx);
}

static void install_handlers(sigset_t *orig)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
}

static bool child_done(pid_t child, int *status)
{
	if (child <= 0 || !child_changed)
		return false;
	child_changed = 0;
	return waitpid(child, status, WNOHANG) == child;
}

/* Sleeps until a signal, the next report, or the end; reports on the way. */
static int trace_loop(const struct session *s, const struct tracer_opts *o,
		      pid_t child, int *status, const sigset_t *orig)
{
	double start = now_seconds(), last = start, now, due;
	struct timespec ts;
	int err = 0;

	while (!stop_requested && !err) {
		due = o->interval_s ? last + o->interval_s : 0;
		if (o->duration_s && (!due || start + o->duration_s < due))
			due = start + o->duration_s;
		now = now_seconds();
		if (due) {
			double left = due > now ? due - now : 0;

			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		}
		ppoll(NULL, 0, due ? &ts : NULL, orig);
		if (child_done(child, status))
			break;
		now = now_seconds();
		if (o->duration_s && now >= start + o->duration_s)
			break;
		if (o->interval_s && now >= last + o->interval_s) {
			err = report(s, o, now - last, false);
			last = now;
		}
	}
	return err ? err : report(s, o, now_seconds() - last, true);
}

static int run_attached(struct session *s, const struct tracer_opts *o,
			pid_t child, int go_fd)
{
	int status = 0, err;
	sigset_t orig;

	install_handlers(&orig);
	print_banner(s, o);
	if (child > 0) {
		if (write(go_fd, "g", 1) != 1)
			return -errno;
		close(go_fd);
	}
	err = trace_loop(s, o, child, &status, &orig);
	if (child > 0 && !WIFEXITED(status) && !WIFSIGNALED(status)) {
		/* Stopped by a signal or -d: do not leave the command behind. */
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	if (err)
		return 1;
	if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status)) {
		fprintf(stderr, "mmtrace: %s exited with status %d\n",
			o->command[0], WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

int session_run(const struct tracer *t, const struct tracer_opts *opts)
{
	struct tracer_opts o = *opts;
	struct session s;
	pid_t child = 0;
	int go_fd = -1, err;

	if (session_preflight())
		return 1;
	if (o.output) {
		report_out = fopen(o.output, "w");
		if (!report_out) {
			fprintf(stderr, "mmtrace: cannot write %s: %s\n",
				o.output, strerror(errno));
			return 2;
		}
	}
	if (o.command) {
		child = spawn_held(o.command, &go_fd);
		if (child < 0) {
			fprintf(stderr, "mmtrace: fork: %s\n", strerror(errno));
			return 1;
		}
		o.filter.tgid = child;
	}
	err = session_open(&s, t, &o);
	if (err) {
		if (child > 0) {
			close(go_fd);
			waitpid(child, NULL, 0);
		}
		return 1;
	}
	err = run_attached(&s, &o, child, go_fd);
	session_close(&s);
	kernel_env_live_cleanup();
	if (report_out && fclose(report_out))
		err = 1;
	return err;
}
