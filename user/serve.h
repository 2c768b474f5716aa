/* SPDX-License-Identifier: GPL-2.0 */
/* mmtrace serve: every view at once, as Prometheus metrics over HTTP. */
#ifndef MMTRACE_SERVE_H
#define MMTRACE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include "view.h"

#define SERVE_DEFAULT_PORT 9479

/*
 * How serve loads its views: numbers only, and without the opt-in detail
 * unless @whole (--detail, --views). 'mmtrace probes --serve' loads them so.
 */
void serve_load_opts(struct view_opts *o, bool whole);

/* Runs `mmtrace serve`; argv[0] is "serve". Returns the exit status. */
int serve_main(const struct view *const *all_views, size_t n_views,
	       int argc, char **argv);

#endif /* MMTRACE_SERVE_H */
