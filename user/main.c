// SPDX-License-Identifier: GPL-2.0
/* mmtrace: one binary, a subcommand per kernel area. */
#include <argp.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <json-c/json.h>
#include "options.h"
#include "output.h"
#include "serve.h"
#include "session.h"
#include "top.h"

/*
 * The one table a new view is added to: a line with the name of its folder
 * under views/, whose <name>.c defines <name>_view. In --help order.
 */
#define MMTRACE_VIEWS(VIEW) \
	VIEW(fork) \
	VIEW(hugetlb) \
	VIEW(gup) \
	VIEW(locks)

#define VIEW_DECLARE(name) extern const struct view name##_view;
#define VIEW_ENTRY(name) &name##_view,
MMTRACE_VIEWS(VIEW_DECLARE)
static const struct view *const all_views[] = { MMTRACE_VIEWS(VIEW_ENTRY) };

#define N_VIEWS (sizeof(all_views) / sizeof(all_views[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mmtrace SUBCOMMAND [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"eBPF tracing of Linux memory-management paths.\n\n"
		"Subcommands:\n");
	for (size_t i = 0; i < N_VIEWS; i++)
		fprintf(out, "  %-8s %s\n", all_views[i]->name,
			all_views[i]->summary);
	fprintf(out,
		"  %-8s %s\n"
		"  %-8s %s\n"
		"  %-8s %s\n\n"
		"With COMMAND, mmtrace runs it, traces it and every process it starts,\n"
		"and reports when they have exited (--no-children: COMMAND alone).\n"
		"'mmtrace SUBCOMMAND --help' lists the options of each.\n",
		"probes",
		"which kernel hooks each view uses on this kernel, and why",
		"serve", "every view as Prometheus metrics over HTTP (an exporter)",
		"top", "a live view of the processes losing the most time in these paths");
}

static const struct view *find_view(const char *name)
{
	for (size_t i = 0; i < N_VIEWS; i++)
		if (!strcmp(all_views[i]->name, name))
			return all_views[i];
	return NULL;
}

static int probes_one(const struct view *t, const struct view_opts *o,
		      struct json_object *views)
{
	struct session s;
	int err;

	/* Printed even when setup fails: that is when it matters most. */
	err = session_open(&s, t, o);
	if (!s.res)
		return 1;
	if (views)
		json_object_object_add(views, t->name,
				       probe_json(t->obs, s.res, t->n_obs));
	else
		probe_print(t->obs, s.res, t->n_obs, o->verbose);
	session_close(&s);
	/*
	 * A view whose required observation has no plan on this kernel
	 * (-EOPNOTSUPP) was probed fine: the table says why it cannot run.
	 */
	return err && err != -EOPNOTSUPP ? 1 : 0;
}

static void print_kernel(struct json_object *top)
{
	char lockdown[64];
	struct utsname u;

	/* Where the views keep per-thread state (bpf/thread.bpf.h). */
	const char *state = kernel_has_task_storage() ? "task_storage" :
							"hash";
	/* What CO-RE reads; only the kernel's own lets BTF programs attach. */
	const char *btf = probe_btf_path() ? probe_btf_path() : KERNEL_BTF;
	bool own_btf = kernel_has_own_btf();

	lockdown_state(lockdown, sizeof(lockdown));
	uname(&u);
	if (top) {
		json_object_object_add(top, "kernel",
				       json_object_new_string(u.release));
		json_object_object_add(top, "lockdown",
				       json_object_new_string(lockdown));
		json_object_object_add(top, "thread_state",
				       json_object_new_string(state));
		json_object_object_add(top, "kernel_btf",
				       json_object_new_boolean(own_btf));
		json_object_object_add(top, "btf", json_object_new_string(btf));
		return;
	}
	printf("kernel %s, lockdown: %s\n", text_arg(u.release),
	       text_arg(lockdown));
	if (probe_btf_path())
		printf("BTF for CO-RE: %s (--btf)%s\n", text_arg(btf),
		       own_btf ? "" :
		       "; the kernel has none of its own: no fentry, fexit or tp_btf, only the kprobe and classic tracepoint tiers");
	printf("per-thread state: %s\n\n", *state == 't' ?
	       "task-local storage" :
	       "hash map by thread id (no task-local storage for tracing programs)");
}

struct probes_opts {
	struct view_opts o;
	const char *only;	/* VIEW, or NULL: every view */
};

static const struct argp_option probes_options[] = {
	{ "json", 'j', NULL, 0, "The same as one JSON document", 1 },
	{ "serve", 's', NULL, 0,
	  "As 'mmtrace serve' loads them by default: opt-in detail left out, and the plans kept for counts alone", 1 },
	/* -h as well as -?, as the hand parser before argp took it. */
	{ NULL, 'h', NULL, OPTION_HIDDEN, NULL, 1 },
	{},
};

/* --btf and -v: the views load as they would run. */
static const struct argp_child probes_children[] = {
	{ .argp = &load_argp },
	{},
};

static error_t parse_probes(int key, char *arg, struct argp_state *state)
{
	struct probes_opts *po = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &po->o;
		return 0;
	case 'j':
		po->o.json = true;
		return 0;
	case 's':
		serve_load_opts(&po->o, false);
		return 0;
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		return 0;
	case ARGP_KEY_ARG:
		if (!po->only && find_view(arg)) {
			po->only = arg;
			return 0;
		}
		fprintf(stderr, "mmtrace probes: unknown argument '%s'\n",
			text_arg(arg));
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* mmtrace probes [--json] [--serve] [-v] [--btf PATH] [VIEW] */
static int cmd_probes(int argc, char **argv)
{
	struct probes_opts po = {
		.o = { .max_procs = 1024, .top = 1, .cgroup_fd = -1 },
	};
	char args_doc[] = "[VIEW]";
	char doc[] =
		"Loads every view (or VIEW) as it would run, and prints per "
		"observation the attach tier used (fentry > kprobe > tracepoint) "
		"and why each richer tier was rejected on this kernel.";
	struct argp argp = {
		.options = probes_options,
		.parser = parse_probes,
		.args_doc = args_doc,
		.doc = doc,
		.children = probes_children,
	};
	struct json_object *top = NULL, *views = NULL;
	int rc = 0;

	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, options_argp_flags, NULL, &po))
		return EXIT_USAGE;
	if (session_preflight())
		return 1;
	if (po.o.json) {
		top = json_object_new_object();
		views = json_object_new_object();
	}
	print_kernel(top);
	for (size_t i = 0; i < N_VIEWS; i++) {
		if (po.only && strcmp(po.only, all_views[i]->name))
			continue;
		if (!po.o.json)
			printf("== mmtrace %s\n", all_views[i]->name);
		rc |= probes_one(all_views[i], &po.o, views);
	}
	if (top) {
		json_object_object_add(top, "views", views);
		json_emit(stdout, top);
	}
	return rc;
}

int main(int argc, char **argv)
{
	const struct view *t;
	struct view_opts opts;
	char name[64];
	int err;

	/*
	 * Each view's plan parses the kernel's BTF (5.5 MB on 6.18) and frees
	 * it. glibc raises its mmap threshold to the largest chunk freed, so
	 * the next parse came from the heap, whose pages stay: serve's steady
	 * RSS went 7.2 -> 12.2 MB. A fixed threshold keeps such buffers
	 * mapped, and gives them back when freed; 1 MiB, not glibc's 128 KiB,
	 * so that the row arrays each collect builds (528 bytes a process)
	 * stay on the heap instead of being mapped and unmapped every time.
	 */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("mmtrace %s\n", MMTRACE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "probes")) {
		argv[1] = "mmtrace probes";
		return cmd_probes(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "top")) {
		argv[1] = "mmtrace top";
		return top_main(all_views, N_VIEWS, argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "serve")) {
		argv[1] = "mmtrace serve";
		return serve_main(all_views, N_VIEWS, argc - 1, argv + 1);
	}
	t = find_view(argv[1]);
	if (!t) {
		fprintf(stderr, "mmtrace: unknown subcommand '%s' (try 'mmtrace --help')\n",
			text_arg(argv[1]));
		return EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "mmtrace %s", t->name);
	argv[1] = name;
	err = view_parse_args(t, argc - 1, argv + 1, &opts);
	if (err)
		return err;
	return session_run(t, &opts);
}
