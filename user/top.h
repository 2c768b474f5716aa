/* SPDX-License-Identifier: GPL-2.0 */
/* mmtrace top: a live, ranked view of the processes the views see. */
#ifndef MMTRACE_TOP_H
#define MMTRACE_TOP_H

#include <stddef.h>
#include "view.h"

/* Runs `mmtrace top`; argv[0] is its name. Returns the exit status. */
int top_main(const struct view *const *all_views, size_t n_views,
	     int argc, char **argv);

#endif /* MMTRACE_TOP_H */
