// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "container.h"
#include "export.h"
#include "hist.h"
#include "output.h"
#include "rows.h"

/* Unknown cgroup ids trigger a rescan of cgroupfs, at most this often. */
#define CGROUP_RESCAN_S 5.0
/* More ids waiting for a name than this: rescan at once. */
#define CGROUP_PENDING_MAX 4096


const char *export_by_name(enum export_by by)
{
	static const char *const names[] = {
		[EXPORT_BY_NONE] = "none",
		[EXPORT_BY_COMM] = "comm",
		[EXPORT_BY_CGROUP] = "cgroup",
		[EXPORT_BY_CONTAINER] = "container",
	};

	return names[by];
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every BPF object has a .bss and a per-process "procs" map. */
static int find_maps(struct export_view *v)
{
	struct bpf_object *obj = v->t->object(v->s.skel);
	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	struct bpf_map *procs = bpf_object__find_map_by_name(obj, "procs");
	size_t size;

	/* Mapped writable: per-CPU sums go there (view_sum_cpus). */
	v->bss = bss ? (void *)bpf_map__initial_value(bss, &size) : NULL;
	v->rows_fd = procs ? bpf_map__fd(procs) : -1;
	return v->bss && v->rows_fd >= 0 ? 0 : -ENOENT;
}

int export_init(struct exporter *x)
{
	for (size_t i = 0; i < x->n_views; i++) {
		struct export_view *v = &x->views[i];
		const struct view_metrics *tm = v->t->metrics;
		int err;

		if (!v->loaded || !tm)
			continue;
		err = find_maps(v);
		if (!err)
			err = label_table_init(&v->labels, x->top, tm->n_numbers);
		if (err)
			return err;
		if (x->label_idle_s > 0)
			v->labels.idle_evict_s = x->label_idle_s;
	}
	return pthread_mutex_init(&x->lock, NULL) ? -ENOMEM : 0;
}

/*
 * The path of cgroup @id, whose growth was read at @since; "unknown" once
 * a scan that began after that misses it (ids are never reused, so the
 * cgroup was removed); NULL while no such scan has run. @force: scan now,
 * whatever the time of the last one.
 */
static const char *cgroup_path(struct exporter *x, unsigned long long id,
			       double since, bool force)
{
	const char *path = cgroup_names_find(&x->cgroups, id);

	if (path)
		return path;
	if (x->cgroups.scanned >= since)
		return "unknown";
	if (!force && now_seconds() - x->cgroups.scanned < CGROUP_RESCAN_S)
		return NULL;
	cgroup_names_scan(&x->cgroups);
	path = cgroup_names_find(&x->cgroups, id);
	return path ? path : "unknown";
}

/*
 * --by container: "<container_id>/<pod_uid>" (render_label_rows() splits
 * it into two labels); "unknown" for a removed cgroup, as --by cgroup.
 * Where the v2 path names no container, process @pid's own cgroups, while
 * it lives (cgroup v1 runtimes make no v2 cgroup; 0: no process).
 */
static const char *container_label(const char *path, unsigned int pid,
				   char *buf, size_t len)
{
	struct container_ref c;

	if (!strcmp(path, "unknown"))
		return path;
	if (!container_parse(path, &c))
		container_of_pid(pid, &c);
	snprintf(buf, len, "%s/%s", c.id, c.pod_uid);
	return buf;
}

/* The label value of cgroup @path under --by cgroup or container. */
static const char *path_label(const struct exporter *x, const char *path,
			      unsigned int pid, char *buf, size_t len)
{
	if (x->by != EXPORT_BY_CONTAINER)
		return path;
	return container_label(path, pid, buf, len);
}

static void add_growth(unsigned long long *sums,
		       const struct view_metrics *tm, const struct row *r)
{
	__u64 growth;

	for (size_t d = 0; d < tm->n_numbers; d++) {
		if (!tm->numbers[d].row_name)
			continue;
		memcpy(&growth, r->value + tm->numbers[d].row_off,
		       sizeof(growth));
		sums[d] += growth;
	}
}

/* Keeps @r's growth for cgroup @id until a scan names it. */
static void defer_cgroup(struct export_view *v, unsigned long long id,
			 const struct row *r, double now)
{
	const struct view_metrics *tm = v->t->metrics;
	struct cgroup_pending *p = NULL, *grown;

	for (size_t i = 0; i < v->n_pending && !p; i++)
		if (v->pending[i].id == id)
			p = &v->pending[i];
	if (!p) {
		grown = realloc(v->pending, (v->n_pending + 1) * sizeof(*grown));
		if (!grown)
			return;
		v->pending = grown;
		p = &grown[v->n_pending];
		p->sums = calloc(tm->n_numbers ? tm->n_numbers : 1,
				 sizeof(*p->sums));
		if (!p->sums)
			return;
		p->id = id;
		p->since = now;
		v->n_pending++;
	}
	add_growth(p->sums, tm, r);
}

/* Charges the waiting growth of every cgroup a scan has now decided. */
static void fold_pending(struct exporter *x, struct export_view *v,
			 double now)
{
	const struct view_metrics *tm = v->t->metrics;
	bool force = v->n_pending > CGROUP_PENDING_MAX;
	char buf[CONTAINER_ID_LEN + POD_UID_LEN + 2];
	struct label_entry *e;
	const char *path;
	size_t kept = 0;

	for (size_t i = 0; i < v->n_pending; i++) {
		struct cgroup_pending *p = &v->pending[i];

		path = cgroup_path(x, p->id, p->since, force);
		if (!path) {
			v->pending[kept++] = *p;
			continue;
		}
		e = label_table_get(&v->labels,
				    path_label(x, path, 0, buf, sizeof(buf)),
				    now);
		for (size_t d = 0; d < tm->n_numbers; d++)
			e->sums[d] += p->sums[d];
		free(p->sums);
	}
	v->n_pending = kept;
}

static const char *row_label(struct exporter *x, struct export_view *v,
			     const struct row *r, char *buf, size_t len,
			     double now)
{
	const struct view_metrics *tm = v->t->metrics;
	unsigned long long cgroup;
	const char *path;

	if (x->by == EXPORT_BY_COMM) {
		utf8_sanitize((const char *)r->value + tm->comm_off, COMM_LEN,
			      buf, len);
		return buf;
	}
	memcpy(&cgroup, r->value + tm->cgroup_off, sizeof(cgroup));
	path = cgroup_path(x, cgroup, now, false);
	if (!path) {
		defer_cgroup(v, cgroup, r, now);
		return NULL;
	}
	return path_label(x, path, row_pid(r), buf, len);
}

static void collect_view(struct exporter *x, struct export_view *v,
			 double now)
{
	const struct view_metrics *tm = v->t->metrics;
	/* A comm, or a container label: "<id>/<pod uid>" */
	char buf[COMM_UTF8_LEN + CONTAINER_ID_LEN + POD_UID_LEN + 2];
	struct rows rows = {};
	const char *label;

	/* Read even with --by none: that is what recycles exited rows. */
	rows_read(tm->rows, v->rows_fd, &rows);
	for (size_t i = 0; x->by != EXPORT_BY_NONE && i < rows.n; i++) {
		label = row_label(x, v, &rows.r[i], buf, sizeof(buf), now);
		if (label)
			add_growth(label_table_get(&v->labels, label, now)->sums,
				   tm, &rows.r[i]);
	}
	rows_free(&rows);
	fold_pending(x, v, now);
}

void export_collect(struct exporter *x)
{
	double now = now_seconds();

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->n_views; i++)
		if (x->views[i].loaded && x->views[i].t->metrics)
			collect_view(x, &x->views[i], now);
	pthread_mutex_unlock(&x->lock);
}

static bool obs_attached(const struct export_view *v, int obs)
{
	return obs < 0 || v->s.res[obs].chosen >= 0;
}

static bool def_exported(const struct export_view *v, const struct number *d)
{
	if (!d->name || !d->in_bss || !obs_attached(v, d->obs))
		return false;
	return !d->below_tier ||
	       probe_result_tier(&v->t->obs[d->obs], &v->s.res[d->obs]) <
		       d->below_tier;
}

static void family(struct metrics *m, const char *name, enum metric_type type,
		   const char *help)
{
	char full[sizeof("mmtrace_") + 128];

	snprintf(full, sizeof(full), "mmtrace_%s", name);
	metrics_family(m, full, type, help);
}

static void render_def(struct metrics *m, const struct export_view *v,
		       const struct number *d)
{
	struct metric_label label = { d->label, d->label_value };
	unsigned long long hist[HIST_LEN], value;
	size_t n = d->label ? 1 : 0;

	if (d->type == METRIC_HISTOGRAM) {
		/* A copy: the buckets and the count must agree. */
		memcpy(hist, v->bss + d->off, sizeof(hist));
		metrics_log2_hist(m, &label, n, hist, d->max_slot,
				  d->slot_decimals, d->truncated, d->decimals);
		return;
	}
	value = number_value(d, v->bss, false);
	metrics_sample(m, &label, n, value, d->decimals);
}

/* A family is the run of adjacent numbers with its name. */
static void render_defs(struct metrics *m, const struct export_view *v)
{
	const struct view_metrics *tm = v->t->metrics;
	const struct number *d = tm->numbers;
	size_t i = 0, end, n = tm->n_numbers;
	bool any;

	while (i < n) {
		if (!d[i].name) {
			i++;
			continue;
		}
		any = false;
		for (end = i; end < n && d[end].name &&
			      !strcmp(d[end].name, d[i].name);
		     end++)
			any |= def_exported(v, &d[end]);
		if (any)
			family(m, d[i].name, d[i].type, d[i].help);
		for (; i < end; i++)
			if (def_exported(v, &d[i]))
				render_def(m, v, &d[i]);
	}
}

/*
 * One sample of a per-label counter: --by container's value
 * "<id>/<pod uid>" gives container_id and pod_uid ("other" and "unknown"
 * are container ids of their own, in no pod).
 */
static void label_sample(struct metrics *m, const struct exporter *x,
			 const char *value, unsigned long long count,
			 int decimals)
{
	struct metric_label l[2] = { { export_by_name(x->by), value },
				     { "pod_uid", "" } };
	char id[LABEL_VALUE_LEN];
	const char *slash;

	if (x->by != EXPORT_BY_CONTAINER) {
		metrics_sample(m, l, 1, count, decimals);
		return;
	}
	l[0].name = "container_id";
	slash = strchr(value, '/');
	if (slash) {
		snprintf(id, sizeof(id), "%.*s", (int)(slash - value), value);
		l[0].value = id;
		l[1].value = slash + 1;
	}
	metrics_sample(m, l, 2, count, decimals);
}

static void render_label_rows(struct metrics *m, struct exporter *x,
			      struct export_view *v, bool head)
{
	const struct view_metrics *tm = v->t->metrics;
	const char *by = export_by_name(x->by);
	struct label_table *lt = &v->labels;
	char name[128];

	if (x->by == EXPORT_BY_NONE)
		return;
	for (size_t d = 0; d < tm->n_numbers; d++) {
		const struct number *rd = &tm->numbers[d];

		if (!rd->row_name || !obs_attached(v, rd->obs))
			continue;
		snprintf(name, sizeof(name), "%s_%s_%s", v->t->name, by,
			 rd->row_name);
		family(m, name, METRIC_COUNTER,
		       rd->row_help ? rd->row_help : rd->help);
		for (size_t i = 0; i < lt->n; i++)
			label_sample(m, x, lt->e[i].value,
				     label_exposed(&lt->e[i], d), rd->decimals);
		if (lt->other_used)
			label_sample(m, x, lt->other.value,
				     label_exposed(&lt->other, d), rd->decimals);
	}
	if (!head)
		label_table_shown(lt);
}

static void render_probes(struct metrics *m, const struct exporter *x)
{
	struct metric_label l[3] = { { "view", NULL }, { "observation", NULL }, { "tier", NULL } };

	family(m, "view_up", METRIC_GAUGE,
	       "1 if the view is loaded and attached, 0 if this kernel cannot run it or it is opt-in detail not asked for (serve --detail)");
	for (size_t i = 0; i < x->n_views; i++) {
		l[0].value = x->views[i].t->name;
		metrics_sample(m, l, 1, x->views[i].loaded, 0);
	}
	family(m, "probe_attached", METRIC_GAUGE,
	       "1 if the observation is attached, at this tier; 0 if unavailable, opt-in detail not asked for, or not needed ('mmtrace probes' says which)");
	for (size_t i = 0; i < x->n_views; i++) {
		const struct export_view *v = &x->views[i];

		l[0].value = v->t->name;
		for (size_t o = 0; o < v->t->n_obs; o++) {
			bool up = v->loaded && v->s.res[o].chosen >= 0;

			l[1].value = v->t->obs[o].name;
			l[2].value = probe_tier_name(up ? probe_result_tier(
						&v->t->obs[o], &v->s.res[o]) :
							  TIER_NONE);
			metrics_sample(m, l, 3, up, 0);
		}
	}
}

static void render_losses(struct metrics *m, const struct exporter *x)
{
	struct metric_label l[2] = { { "view", NULL }, { "reason", NULL } };
	unsigned long long lost;

	family(m, "lost", METRIC_COUNTER,
	       "Events not counted, or counted under no caller or holder row, by reason (man mmtrace, LOSSES): a full map, a failed update, a full ring buffer, a failed stack capture, a path or holder not kept");
	for (size_t i = 0; i < x->n_views; i++) {
		const struct export_view *v = &x->views[i];

		if (!v->loaded || !v->t->metrics)
			continue;
		l[0].value = v->t->name;
		for (int r = 0; r < LOSS_MAX; r++) {
			if (!(v->t->metrics->losses & LOSS_BIT(r)))
				continue;
			memcpy(&lost, v->bss + v->t->metrics->losses_off +
					      r * sizeof(lost),
			       sizeof(lost));
			l[1].value = loss_name(r);
			metrics_sample(m, l, 2, lost, 0);
		}
	}
}

enum prog_stat { STAT_RUN_NS, STAT_RUNS, STAT_MISSES, STATS };

static unsigned long long prog_stat(const struct bpf_prog_info *info,
				    enum prog_stat s)
{
	if (s == STAT_RUN_NS)
		return info->run_time_ns;
	return s == STAT_RUNS ? info->run_cnt : info->recursion_misses;
}

static void render_prog_stat(struct metrics *m, const struct exporter *x,
			     enum prog_stat stat)
{
	struct metric_label l[2] = { { "view", NULL }, { "program", NULL } };
	struct bpf_program *prog;

	for (size_t i = 0; i < x->n_views; i++) {
		const struct export_view *v = &x->views[i];

		if (!v->loaded)
			continue;
		l[0].value = v->t->name;
		bpf_object__for_each_program(prog, v->t->object(v->s.skel)) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_program__fd(prog);

			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			l[1].value = bpf_program__name(prog);
			metrics_sample(m, l, 2, prog_stat(&info, stat),
				       stat == STAT_RUN_NS ? 9 : 0);
		}
	}
}

static void render_bpf_stats(struct metrics *m, const struct exporter *x)
{
	family(m, "bpf_stats_enabled", METRIC_GAUGE,
	       "1 if mmtrace keeps BPF run time and run counts (serve --bpf-stats, off by default: two clock reads per program run); without them mmtrace_bpf_program_run_seconds_total and _runs_total are absent");
	metrics_sample(m, NULL, 0, x->bpf_stats, 0);
	if (x->bpf_stats) {
		family(m, "bpf_program_run_seconds", METRIC_COUNTER,
		       "Time mmtrace's BPF programs ran, per attached program; only with serve --bpf-stats");
		render_prog_stat(m, x, STAT_RUN_NS);
		family(m, "bpf_program_runs", METRIC_COUNTER,
		       "Runs of mmtrace's BPF programs, per attached program; only with serve --bpf-stats");
		render_prog_stat(m, x, STAT_RUNS);
	}
	family(m, "bpf_program_recursion_misses", METRIC_COUNTER,
	       "Runs the kernel skipped because the program was already running on that CPU: events missed");
	render_prog_stat(m, x, STAT_MISSES);
}

char *export_render(struct exporter *x, enum metrics_format format,
		    bool head, size_t *len)
{
	struct metric_label version = { "version", x->version };
	double now = now_seconds();
	struct metrics m;
	char *text;

	metrics_init(&m, format);
	pthread_mutex_lock(&x->lock);
	family(&m, "build_info", METRIC_GAUGE, "mmtrace's version, always 1");
	metrics_sample(&m, &version, 1, 1, 0);
	render_probes(&m, x);
	for (size_t i = 0; i < x->n_views; i++) {
		struct export_view *v = &x->views[i];

		if (!v->loaded || !v->t->metrics)
			continue;
		collect_view(x, v, now);
		/* After the rows: the histograms hold every wait they do. */
		view_sum_cpus(v->t->object(v->s.skel), v->bss,
			      v->t->metrics);
		render_defs(&m, v);
		render_label_rows(&m, x, v, head);
		if (v->t->metrics->render)
			v->t->metrics->render(&m, v->s.skel, v->s.res, x->top,
					      head);
	}
	render_losses(&m, x);
	render_bpf_stats(&m, x);
	pthread_mutex_unlock(&x->lock);
	text = metrics_finish(&m, len);
	if (!text)
		metrics_free(&m);
	return text;
}

void export_free(struct exporter *x)
{
	for (size_t i = 0; i < x->n_views; i++) {
		struct export_view *v = &x->views[i];

		label_table_free(&v->labels);
		for (size_t p = 0; p < v->n_pending; p++)
			free(v->pending[p].sums);
		free(v->pending);
	}
	cgroup_names_free(&x->cgroups);
	pthread_mutex_destroy(&x->lock);
}
