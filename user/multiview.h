/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Several views loaded in one process, as `mmtrace serve` and `mmtrace top`
 * run them: which views a --views list names, and loading one of them so
 * that a view the kernel cannot run is skipped with its reason kept.
 */
#ifndef MMTRACE_MULTIVIEW_H
#define MMTRACE_MULTIVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include "session.h"

/* Whether the comma-separated @list names @name. */
bool multiview_wanted(const char *list, const char *name);

/* 0, or EXIT_USAGE after one line naming what in @list is not a view. */
int multiview_check(const struct view *const *all_views, size_t n,
		    const char *list, const char *who);

/*
 * Opens view @t into @s. A view that cannot run here is unloaded (its
 * probe results stay in s->res) with a line on stderr, and *@loaded is
 * false; that is an error only when @asked (named in --views). Returns
 * 0 or a negative errno (-EINTR: a signal during setup).
 */
int multiview_open(struct session *s, const struct view *t,
		   const struct view_opts *o, bool asked, const char *who,
		   bool *loaded);

/*
 * Detaches every link of the @n sessions at once: a link's release waits
 * for an RCU grace period (perf-event tracepoints: ~50 ms each here), so
 * they are released side by side, one thread each, not one after the
 * other. The sessions are then closed as usual, with nothing attached.
 */
void multiview_detach(struct session *const *s, size_t n);

#endif /* MMTRACE_MULTIVIEW_H */
