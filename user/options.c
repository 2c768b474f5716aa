// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "options.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

enum {
	OPT_CGROUP = 0x100,
	OPT_MAX_PROCS,
	OPT_TOP,
	OPT_TIER,
};

int parse_ulong(const char *s, unsigned long min, unsigned long max,
		const char *what, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		fprintf(stderr, "mmtrace: invalid %s '%s': not a number\n",
			what, s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end) {
		fprintf(stderr, "mmtrace: invalid %s '%s': not a number\n",
			what, s);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		fprintf(stderr,
			"mmtrace: invalid %s '%s': must be between %lu and %lu\n",
			what, s, min, max);
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
			arg, COMM_LEN - 1, COMM_LEN - 1);
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
		arg);
	return -EINVAL;
}

int cgroup_open(const char *path)
{
	struct statfs fs;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mmtrace: cannot use cgroup '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr,
			"mmtrace: '%s' is not a cgroup v2 directory (try /sys/fs/cgroup/...)\n",
			path);
		close(fd);
		return -1;
	}
	return fd;
}

static const struct argp_option common_options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only", 1 },
	{ "comm", 'c', "NAME", 0,
	  "Trace processes with this name only (at most 15 chars)", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Trace this cgroup v2 and its descendants, e.g. /sys/fs/cgroup/system.slice",
	  1 },
	{ "interval", 'i', "SECONDS", 0,
	  "Print a report every SECONDS (default: once, at the end)", 2 },
	{ "duration", 'd', "SECONDS", 0,
	  "Stop after SECONDS (default: Ctrl-C or end of COMMAND)", 2 },
	{ "timestamp", 'T', NULL, 0, "Print a timestamp on each report", 3 },
	{ "json", 'j', NULL, 0,
	  "One JSON object per report (format in README.md)", 3 },
	{ "output", 'o', "FILE", 0,
	  "Write reports to FILE (the COMMAND keeps stdout)", 3 },
	{ "top", OPT_TOP, "N", 0, "Rows in text tables (default 20)", 3 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0,
	  "Processes tracked per report (default 10240); overflow is counted",
	  4 },
	{ "tier", OPT_TIER, "TIER", 0,
	  "Use no tier richer than TIER: fentry (default), kprobe or tracepoint",
	  4 },
	{ "verbose", 'v', NULL, 0,
	  "Show attach points and libbpf's messages", 4 },
	{},
};

struct parse_state {
	struct tracer_opts *opts;
	const char *cgroup;
	int err;
};

static int parse_number(struct parse_state *ps, const char *arg,
			unsigned long min, unsigned long max, const char *what,
			unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(arg, min, max, what, &v)) {
		ps->err = EXIT_USAGE;
		return EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct tracer_opts *o = ps->opts;

	switch (key) {
	case 'p':
		return parse_number(ps, arg, 1, INT_MAX, "pid",
				    &o->filter.tgid);
	case 'c':
		if (parse_comm(arg, &o->filter)) {
			ps->err = EXIT_USAGE;
			return EINVAL;
		}
		return 0;
	case OPT_CGROUP:
		ps->cgroup = arg;
		return 0;
	case 'i':
		return parse_number(ps, arg, 1, 86400, "interval",
				    &o->interval_s);
	case 'd':
		return parse_number(ps, arg, 1, 31536000, "duration",
				    &o->duration_s);
	case OPT_TOP:
		return parse_number(ps, arg, 1, 100000, "--top", &o->top);
	case OPT_MAX_PROCS:
		return parse_number(ps, arg, 16, 1 << 22, "--max-procs",
				    &o->max_procs);
	case 'o':
		o->output = arg;
		return 0;
	case OPT_TIER:
		if (parse_tier(arg, &o->max_tier)) {
			ps->err = EXIT_USAGE;
			return EINVAL;
		}
		return 0;
	case 'T':
		o->timestamps = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		/* The first non-option starts COMMAND: stop parsing there. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* -p takes a process: a thread id would silently match nothing. */
int check_pid(unsigned int pid)
{
	char path[64], line[128];
	unsigned int tgid = 0;
	FILE *f;

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

static int validate(struct parse_state *ps)
{
	struct tracer_opts *o = ps->opts;

	if (o->filter.tgid && o->command) {
		fprintf(stderr,
			"mmtrace: -p and COMMAND conflict: a COMMAND is traced by its own pid\n");
		return EXIT_USAGE;
	}
	if (o->filter.tgid && check_pid(o->filter.tgid))
		return EXIT_USAGE;
	if (ps->cgroup) {
		o->cgroup_fd = cgroup_open(ps->cgroup);
		if (o->cgroup_fd < 0)
			return EXIT_USAGE;
		o->filter.cgroup_set = 1;
	}
	return 0;
}

unsigned int options_argp_flags;

int tracer_parse_args(const struct tracer *t, int argc, char **argv,
		      struct tracer_opts *opts)
{
	struct parse_state ps = { .opts = opts };
	char args_doc[] = "[--] [COMMAND [ARG...]]";
	struct argp argp = {
		.options = common_options,
		.parser = parse_common,
		.args_doc = args_doc,
		.doc = t->doc,
	};
	int err;

	memset(opts, 0, sizeof(*opts));
	opts->cgroup_fd = -1;
	opts->max_procs = 10240;
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
