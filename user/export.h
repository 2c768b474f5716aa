/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `mmtrace serve` exposes: each loaded view's metric table
 * (struct view_metrics), per-process counters summed by a bounded label,
 * and mmtrace's own health (probes and tiers, BPF run time, losses).
 */
#ifndef MMTRACE_EXPORT_H
#define MMTRACE_EXPORT_H

#include <pthread.h>
#include <stdbool.h>
#include "container.h"
#include "labels.h"
#include "metrics.h"
#include "session.h"

enum export_by {
	EXPORT_BY_NONE,
	EXPORT_BY_COMM,
	EXPORT_BY_CGROUP,
	EXPORT_BY_CONTAINER,	/* labels container_id and pod_uid */
};

/*
 * The growth of a cgroup id that no scan has named yet: it waits for the
 * next scan, which names it or proves the cgroup removed ("unknown").
 */
struct cgroup_pending {
	unsigned long long id;
	double since;		/* when its growth was read */
	unsigned long long *sums;
};

struct export_view {
	const struct view *t;
	struct session s;	/* s.res stays for probe health if not loaded */
	bool loaded;
	unsigned char *bss;	/* the object's .bss, as libbpf maps it */
	int rows_fd;			/* its "procs" map */
	struct label_table labels;
	struct cgroup_pending *pending;	/* rows of cgroups not yet named */
	size_t n_pending;
};

struct exporter {
	struct export_view *views;
	size_t n_views;
	enum export_by by;
	size_t top;
	const char *version;
	bool bpf_stats;		/* run time and run counts are being kept */
	pthread_mutex_t lock;	/* collection vs. the HTTP thread */
	struct cgroup_names cgroups;	/* the cgroup2 mount, as last walked */
	double label_idle_s;	/* 0: LABEL_IDLE_EVICT_S */
};

const char *export_by_name(enum export_by by);
int export_init(struct exporter *x);
/* Folds per-process growth into the labels; also recycles exited rows. */
void export_collect(struct exporter *x);
/*
 * The whole exposition, malloc'ed; NULL when memory ran out. @head: only
 * its length is sent (a HEAD request), so label series born at 0 are not
 * counted as shown.
 */
char *export_render(struct exporter *x, enum metrics_format format,
		    bool head, size_t *len);
void export_free(struct exporter *x);

#endif /* MMTRACE_EXPORT_H */
