/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and running one view: the part every view shares. */
#ifndef MMTRACE_SESSION_H
#define MMTRACE_SESSION_H

#include "view.h"

struct events;

struct session {
	const struct view *view;
	void *skel;
	struct obs_result *res;
	struct bpf_link **links;
	size_t n_links;
	struct events *events;		/* --events: the stream's consumer */
	struct task_filter filter;	/* as loaded: pid namespace, follow */
};

/*
 * Resolves, loads and attaches @t, falling back plan by plan when the kernel
 * refuses one. Returns 0, or a negative errno after saying what to do.
 */
int session_open(struct session *s, const struct view *t,
		 const struct view_opts *opts);
/* Why an observation marked .detail is not attached (view_opts.skip_detail). */
#define SKIPPED_DETAIL "opt-in detail: 'mmtrace serve --detail' loads it"
/* Why an observation marked .filters_only is not attached. */
#define SKIPPED_UNNEEDED "not needed: no COMMAND to follow, no pid namespace to learn, no detail"
/*
 * @t not loaded at all, each observation for @why: what `serve` keeps of a
 * view it leaves out, for probe health. Returns 0 or -ENOMEM.
 */
int session_skip(struct session *s, const struct view *t, const char *why);
/* Does @opts leave out an observation @t cannot run without? */
bool session_skips_required(const struct view *t, const struct view_opts *opts);
/* Detaches and unloads; the probe results stay, for what they say. */
void session_unload(struct session *s);
void session_close(struct session *s);

/* Runs the view: attach, optional COMMAND, reports. Exit status. */
int session_run(const struct view *t, const struct view_opts *opts);

/* Environment checks that turn EPERM into advice. */
int session_preflight(void);

#endif /* MMTRACE_SESSION_H */
