// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <mntent.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "options.h"
#include "output.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

enum {
	OPT_CGROUP = 0x100,
	OPT_MAX_PROCS,
	OPT_TOP,
	OPT_TIER,
	OPT_EVENTS,
	OPT_MIN_LATENCY,
	OPT_MIN_COPIES,
	OPT_EVENTS_BUFFER,
	OPT_STACKS,
	OPT_NO_STACKS,
	OPT_NO_CHILDREN,
	OPT_NO_FINDINGS,
	OPT_BTF,
};

/* --events-buffer, in KB; the largest keeps a 1 GiB ring. */
#define EVENTS_BUFFER_DEFAULT_KB 1024
#define EVENTS_BUFFER_MAX_KB (1UL << 20)
#define MIN_LATENCY_MAX_US 3600000000UL	/* an hour */
#define MIN_COPIES_MAX 4294967295UL	/* 16 TiB of base pages */

int parse_ulong(const char *s, unsigned long min, unsigned long max,
		const char *what, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		fprintf(stderr, "mmtrace: invalid %s '%s': not a whole number\n",
			what, text_arg(s));
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end) {
		fprintf(stderr, "mmtrace: invalid %s '%s': not a whole number\n",
			what, text_arg(s));
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		fprintf(stderr,
			"mmtrace: invalid %s '%s': must be between %lu and %lu\n",
			what, text_arg(s), min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int parse_comm(const char *arg, struct task_filter *filter)
{
	if (strlen(arg) >= COMM_LEN || !*arg) {
		fprintf(stderr,
			"mmtrace: invalid comm '%s': 1 to %d characters (the kernel keeps %d)\n",
			text_arg(arg), COMM_LEN - 1, COMM_LEN - 1);
		return -EINVAL;
	}
	filter->comm_set = 1;
	strncpy(filter->comm, arg, COMM_LEN - 1);
	return 0;
}

int parse_tier(const char *arg, enum probe_tier *tier)
{
	for (int t = TIER_FENTRY; t < TIER_NONE; t++)
		if (!strcmp(arg, probe_tier_name(t))) {
			*tier = t;
			return 0;
		}
	fprintf(stderr,
		"mmtrace: invalid --tier '%s': fentry, kprobe or tracepoint\n",
		text_arg(arg));
	return -EINVAL;
}

/*
 * The mount of @type in @mounts (/proc/self/mounts) that holds @path, the
 * longest one, into @dir; the first one when @path is NULL. False if none.
 */
static bool find_mount(FILE *mounts, const char *type, const char *path,
		       char *dir, size_t len)
{
	size_t best = 0, n;
	struct mntent *m;

	rewind(mounts);
	dir[0] = '\0';
	while ((m = getmntent(mounts))) {
		if (strcmp(m->mnt_type, type))
			continue;
		n = strlen(m->mnt_dir);
		if (!path) {
			snprintf(dir, len, "%s", m->mnt_dir);
			return true;
		}
		if (n >= best && !strncmp(path, m->mnt_dir, n) &&
		    (path[n] == '/' || !path[n] || n == 1)) {
			snprintf(dir, len, "%s", m->mnt_dir);
			best = n;
		}
	}
	return dir[0];
}

void cgroup2_hint(FILE *mounts, const char *path, char *hint, size_t len)
{
	char v2[PATH_MAX], v1[PATH_MAX], mirror[2 * PATH_MAX];
	const char *rel;

	if (!find_mount(mounts, "cgroup2", NULL, v2, sizeof(v2))) {
		snprintf(hint, len,
			 "no cgroup v2 is mounted here: mount one with 'mount -t cgroup2 none /sys/fs/cgroup' (beside cgroup v1 controllers, on an empty directory such as /sys/fs/cgroup/unified)");
		return;
	}
	if (!path || !find_mount(mounts, "cgroup", path, v1, sizeof(v1))) {
		snprintf(hint, len, "cgroup v2 is mounted at %s", v2);
		return;
	}
	/* A hybrid host: systemd mirrors its v1 tree in the v2 one. */
	rel = path + strlen(v1);
	snprintf(mirror, sizeof(mirror), "%s%s", v2, rel);
	if (*rel && access(mirror, F_OK) == 0)
		snprintf(hint, len,
			 "it is in the cgroup v1 hierarchy at %s; cgroup v2 is mounted at %s: try %s",
			 v1, v2, mirror);
	else
		snprintf(hint, len,
			 "it is in the cgroup v1 hierarchy at %s; cgroup v2 is mounted at %s",
			 v1, v2);
}

/* Why @path is no cgroup v2 directory, and where one is, on stderr. */
static void cgroup_refuse(const char *path, const char *why)
{
	char real[PATH_MAX], hint[3 * PATH_MAX];
	FILE *mounts = setmntent("/proc/self/mounts", "r");
	const char *where = realpath(path, real) ? real : path;

	if (mounts) {
		cgroup2_hint(mounts, where, hint, sizeof(hint));
		endmntent(mounts);
	} else {
		snprintf(hint, sizeof(hint), "/proc/self/mounts: %s",
			 strerror(errno));
	}
	fprintf(stderr, "mmtrace: cannot use cgroup '%s': %s: %s\n",
		text_arg(path), why, text_arg(hint));
}

int cgroup_open(const char *path)
{
	struct statfs fs;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		cgroup_refuse(path, strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		cgroup_refuse(path, "not a cgroup v2 directory");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The options every tracing subcommand shares, merged by argp into the
 * groups of the subcommand's own: 1 what is traced, 2 for how long,
 * 4 how. One help text each, whichever subcommand shows it.
 */
static const struct argp_option common_options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only", 1 },
	{ "comm", 'c', "NAME", 0,
	  "Trace processes with this name only: the process's name, as in /proc/PID/comm, whichever thread runs (at most 15 chars)", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Trace this cgroup v2 and its descendants, e.g. /sys/fs/cgroup/system.slice",
	  1 },
	{ "duration", 'd', "SECONDS", 0,
	  "Stop after SECONDS (default: Ctrl-C or SIGTERM, or the end of "
	  "COMMAND and what it started)", 2 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0,
	  "Processes tracked per view and report (default 10240); overflow "
	  "is counted", 4 },
	{ "tier", OPT_TIER, "TIER", 0,
	  "Use no tier richer than TIER: fentry (default), kprobe or tracepoint",
	  4 },
	{},
};

static const struct argp_option load_options[] = {
	{ "btf", OPT_BTF, "PATH", 0,
	  "This kernel's BTF from PATH (e.g. BTFHub's) where it has none of "
	  "its own: kprobe and classic tracepoint tiers only", 4 },
	{ "verbose", 'v', NULL, 0,
	  "Show attach points and libbpf's messages (serve: libmicrohttpd's too)",
	  4 },
	{},
};

/* The options of `mmtrace <view>` beside common_argp's. */
static const struct argp_option view_options[] = {
	{ "interval", 'i', "SECONDS", 0,
	  "Print a report every SECONDS (default: once, at the end)", 2 },
	{ "timestamp", 'T', NULL, 0, "Print a timestamp on each report", 3 },
	{ "json", 'j', NULL, 0,
	  "One JSON object per report (format in README.md)", 3 },
	{ "output", 'o', "FILE", 0,
	  "Write reports to FILE (the COMMAND keeps stdout)", 3 },
	{ "top", OPT_TOP, "N", 0, "Rows in text tables (default 20)", 3 },
	{ "no-findings", OPT_NO_FINDINGS, NULL, 0,
	  "Leave out the findings (what to act on, and why) that end each report",
	  3 },
	{ "no-children", OPT_NO_CHILDREN, NULL, 0,
	  "Trace COMMAND alone, not the processes it starts (by default "
	  "every one, however deep)", 4 },
	{},
};

/* A whole number in [min, max] into @out, or one line and EINVAL. */
static error_t parse_uint(const char *arg, unsigned long min,
			  unsigned long max, const char *what,
			  unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(arg, min, max, what, &v))
		return EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static error_t parse_load(int key, char *arg, struct argp_state *state)
{
	struct view_opts *o = state->input;

	switch (key) {
	case OPT_BTF:
		probe_set_btf_path(arg);
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp load_argp = {
	.options = load_options,
	.parser = parse_load,
};

static error_t parse_common_option(int key, char *arg,
				   struct argp_state *state)
{
	struct view_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = o;
		o->max_procs = 10240;
		o->cgroup_fd = -1;
		o->cgroup = NULL;
		return 0;
	case 'p':
		return parse_uint(arg, 1, INT_MAX, "pid", &o->filter.tgid);
	case 'c':
		return parse_comm(arg, &o->filter) ? EINVAL : 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case 'd':
		return parse_uint(arg, 1, 31536000, "duration", &o->duration_s);
	case OPT_MAX_PROCS:
		return parse_uint(arg, 16, 1 << 22, "--max-procs",
				  &o->max_procs);
	case OPT_TIER:
		return parse_tier(arg, &o->max_tier) ? EINVAL : 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child common_children[] = {
	{ .argp = &load_argp },
	{},
};

const struct argp common_argp = {
	.options = common_options,
	.parser = parse_common_option,
	.children = common_children,
};

/*
 * Shown only for views with an event stream, and for those, only the
 * thresholds they take; the others still parse them, to say why not.
 */
static const struct argp_option event_options[] = {
	{ NULL, 0, NULL, 0,
	  "Event stream: a line per event, with its kernel stack where that is worth its cost, before the report:",
	  5 },
	{ "events", OPT_EVENTS, NULL, 0,
	  "Print each event (without a threshold: every one)", 5 },
	{ "min-latency", OPT_MIN_LATENCY, "USEC", 0,
	  "Only events that took at least USEC microseconds", 5 },
	{ "min-copies", OPT_MIN_COPIES, "PAGES", 0,
	  "Only forks that copied at least PAGES pinned pages (with "
	  "--min-latency: either one)", 5 },
	{ "events-buffer", OPT_EVENTS_BUFFER, "KB", 0,
	  "Ring buffer size (default 1024), rounded up to a power-of-two "
	  "number of pages; events that do not fit are counted as dropped",
	  5 },
	{ "stacks", OPT_STACKS, NULL, 0,
	  "Each event with its kernel stack (default for locks; fork's is the "
	  "syscall-exit path): about 2.4 us more per event", 5 },
	{ "no-stacks", OPT_NO_STACKS, NULL, 0,
	  "Events without their kernel stack (the default for fork)", 5 },
};

#define N_VIEW_OPTIONS (sizeof(view_options) / sizeof(view_options[0]) - 1)
#define N_EVENT_OPTIONS (sizeof(event_options) / sizeof(event_options[0]))
/* The report and event options, and at most 8 of the view's own. */
#define MAX_OPTIONS (N_VIEW_OPTIONS + N_EVENT_OPTIONS + 8)

struct parse_state {
	struct view_opts *opts;
	const struct view *t;
	const char *needs_events;	/* an event option given, by name */
	unsigned long events_buffer_kb;
	int stacks;			/* --stacks 1, --no-stacks 0, else -1 */
	int err;
};

static bool event_option_applies(const struct view *t, int key)
{
	if (!t->events_map)
		return false;
	if (key == OPT_MIN_LATENCY)
		return t->event_options & EVENT_OPT_MIN_LATENCY;
	if (key == OPT_MIN_COPIES)
		return t->event_options & EVENT_OPT_MIN_COPIES;
	return true;
}

static const char *event_option_name(int key)
{
	for (size_t i = 0; i < N_EVENT_OPTIONS; i++)
		if (event_options[i].name && event_options[i].key == key)
			return event_options[i].name;
	return "?";
}

static int parse_event_value(struct parse_state *ps, int key, const char *arg,
			     unsigned long min, unsigned long max,
			     unsigned long *out)
{
	char what[32];

	snprintf(what, sizeof(what), "--%s", event_option_name(key));
	if (parse_ulong(arg, min, max, what, out)) {
		ps->err = EXIT_USAGE;
		return EINVAL;
	}
	ps->needs_events = event_option_name(key);
	return 0;
}

/* --events and its options, on the views that have an event stream. */
static int parse_event_option(struct parse_state *ps, int key,
			      const char *arg)
{
	struct view_opts *o = ps->opts;
	unsigned long v;

	if (!event_option_applies(ps->t, key)) {
		fprintf(stderr, "mmtrace: --%s does not apply to %smmtrace %s%s\n",
			event_option_name(key),
			ps->t->events_map ? "the events of " : "",
			ps->t->name,
			ps->t->events_map ? "" : ": it has no event stream");
		ps->err = EXIT_USAGE;
		return EINVAL;
	}
	switch (key) {
	case OPT_EVENTS:
		o->events = true;
		return 0;
	case OPT_MIN_LATENCY:
		if (parse_event_value(ps, key, arg, 0, MIN_LATENCY_MAX_US, &v))
			return EINVAL;
		o->min_latency_us = v;
		o->event_thresholds |= EVENT_OPT_MIN_LATENCY;
		return 0;
	case OPT_MIN_COPIES:
		if (parse_event_value(ps, key, arg, 0, MIN_COPIES_MAX, &v))
			return EINVAL;
		o->min_copies = v;
		o->event_thresholds |= EVENT_OPT_MIN_COPIES;
		return 0;
	case OPT_STACKS:
	case OPT_NO_STACKS:
		ps->stacks = key == OPT_STACKS;
		ps->needs_events = event_option_name(key);
		return 0;
	default:
		return parse_event_value(ps, key, arg, 4, EVENTS_BUFFER_MAX_KB,
					 &ps->events_buffer_kb);
	}
}

static bool view_takes(const struct view *t, int key)
{
	for (const struct argp_option *o = t->options;
	     o && (o->name || o->key || o->doc); o++)
		if (o->name && o->key == key)
			return true;
	return false;
}

static error_t view_option(struct parse_state *ps, int key, const char *arg)
{
	if (!view_takes(ps->t, key) || !ps->t->parse_option)
		return ARGP_ERR_UNKNOWN;
	ps->err = ps->t->parse_option(key, arg, ps->opts);
	return ps->err ? EINVAL : 0;
}

static error_t parse_view_option(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct view_opts *o = ps->opts;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = o;
		return 0;
	case 'i':
		return parse_uint(arg, 1, 86400, "interval", &o->interval_s);
	case OPT_TOP:
		return parse_uint(arg, 1, 100000, "--top", &o->top);
	case 'o':
		o->output = arg;
		return 0;
	case 'T':
		o->timestamps = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case OPT_NO_CHILDREN:
		o->no_children = true;
		return 0;
	case OPT_NO_FINDINGS:
		o->no_findings = true;
		return 0;
	case OPT_EVENTS:
	case OPT_MIN_LATENCY:
	case OPT_MIN_COPIES:
	case OPT_EVENTS_BUFFER:
	case OPT_STACKS:
	case OPT_NO_STACKS:
		return parse_event_option(ps, key, arg);
	case ARGP_KEY_ARG:
		/* The first non-option starts COMMAND: stop parsing there. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	default:
		return view_option(ps, key, arg);
	}
}

/*
 * /proc shows the pids of the namespace it was mounted in: after
 * `unshare --pid --fork` without --mount-proc, the host's. -p is a pid of
 * mmtrace's own namespace, so such a /proc cannot check it.
 */
static int check_proc_pidns(void)
{
	char self[32] = "";
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n > 0 && (pid_t)strtol(self, NULL, 10) == getpid())
		return 0;
	fprintf(stderr,
		"mmtrace: /proc belongs to another pid namespace (it shows mmtrace as %s, not %d): -p cannot be checked; mount this namespace's /proc (unshare --mount-proc)\n",
		n > 0 ? self : "nothing", (int)getpid());
	return EXIT_USAGE;
}

/* -p takes a process: a thread id would silently match nothing. */
int check_pid(unsigned int pid)
{
	char path[64], line[128];
	unsigned int tgid = 0;
	FILE *f;

	if (check_proc_pidns())
		return EXIT_USAGE;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "mmtrace: no process with pid %u\n", pid);
		return EXIT_USAGE;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	if (tgid && tgid != pid) {
		fprintf(stderr,
			"mmtrace: %u is a thread of process %u: use -p %u\n",
			pid, tgid, tgid);
		return EXIT_USAGE;
	}
	return 0;
}

int common_check(struct view_opts *o)
{
	if (o->filter.tgid && check_pid(o->filter.tgid))
		return EXIT_USAGE;
	if (o->cgroup) {
		o->cgroup_fd = cgroup_open(o->cgroup);
		if (o->cgroup_fd < 0)
			return EXIT_USAGE;
		o->filter.cgroup_set = 1;
	}
	return 0;
}

/* The kernel takes a ring of a power-of-two number of pages only. */
static unsigned long ring_bytes(unsigned long kb)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long bytes = page > 0 ? page : 4096;

	while (bytes < kb * 1024)
		bytes <<= 1;
	return bytes;
}

static int validate_events(struct parse_state *ps)
{
	struct view_opts *o = ps->opts;
	unsigned long kb = ps->events_buffer_kb;

	if (!o->events) {
		if (!ps->needs_events)
			return 0;
		fprintf(stderr, "mmtrace: --%s needs --events\n",
			ps->needs_events);
		return EXIT_USAGE;
	}
	o->event_stacks = ps->stacks >= 0 ? ps->stacks : ps->t->event_stacks;
	o->events_buffer = ring_bytes(kb ? kb : EVENTS_BUFFER_DEFAULT_KB);
	if (kb && o->events_buffer != kb * 1024)
		fprintf(stderr, "mmtrace: --events-buffer %lu: using %lu KB, a power-of-two number of pages\n",
			kb, o->events_buffer / 1024);
	return 0;
}

static int validate(struct parse_state *ps)
{
	struct view_opts *o = ps->opts;

	if (validate_events(ps))
		return EXIT_USAGE;

	if (o->no_children && !o->command) {
		fprintf(stderr,
			"mmtrace: --no-children applies to a COMMAND: give one, or use -p\n");
		return EXIT_USAGE;
	}
	if (o->filter.tgid && o->command) {
		fprintf(stderr,
			"mmtrace: -p and COMMAND conflict: a COMMAND is traced by its own pid\n");
		return EXIT_USAGE;
	}
	return common_check(o);
}

unsigned int options_argp_flags;

/* The report options, then the event stream's as @t takes them. */
static struct argp_option *all_options(const struct view *t,
				       struct argp_option *all)
{
	size_t n = N_VIEW_OPTIONS;

	memcpy(all, view_options, n * sizeof(*all));
	for (size_t i = 0; i < N_EVENT_OPTIONS; i++) {
		const struct argp_option *eo = &event_options[i];

		if (!eo->name && !t->events_map)
			continue;	/* no heading for hidden options */
		all[n] = *eo;
		if (eo->name && !event_option_applies(t, eo->key))
			all[n].flags |= OPTION_HIDDEN;
		n++;
	}
	for (const struct argp_option *vo = t->options;
	     vo && (vo->name || vo->key || vo->doc); vo++)
		if (n < MAX_OPTIONS)
			all[n++] = *vo;
	memset(&all[n], 0, sizeof(all[n]));
	return all;
}

int view_parse_args(const struct view *t, int argc, char **argv,
		      struct view_opts *opts)
{
	struct argp_option options[MAX_OPTIONS + 1];
	struct parse_state ps = { .opts = opts, .t = t, .stacks = -1 };
	char args_doc[] = "[--] [COMMAND [ARG...]]";
	/* Merged into the groups of the view's own options (group 0). */
	struct argp_child children[] = { { .argp = &common_argp }, {} };
	struct argp argp = {
		.options = all_options(t, options),
		.parser = parse_view_option,
		.args_doc = args_doc,
		.doc = t->doc,
		.children = children,
	};
	int err;

	memset(opts, 0, sizeof(*opts));
	opts->cgroup_fd = -1;
	opts->top = 20;
	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, ARGP_IN_ORDER | options_argp_flags,
			 NULL, &ps);
	if (ps.err)
		return ps.err;
	if (err)
		return EXIT_USAGE;
	return validate(&ps);
}
