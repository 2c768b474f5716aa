// SPDX-License-Identifier: GPL-2.0
/*
 * Every view's tables agree with its BPF object, without root: each plan's
 * program exists, each program is in a plan, and each metric the exporter
 * reads lies inside the .bss or the row it is read from.
 */
#include <string.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "hist.h"
#include "rows.h"
#include "view.h"

extern const struct view fork_view, gup_view, hugetlb_view, locks_view;

static const struct view *const views[] = {
	&fork_view, &gup_view, &hugetlb_view, &locks_view,
};

static bool in_a_plan(const struct view *v, const char *prog)
{
	for (size_t o = 0; o < v->n_obs; o++)
		for (int p = 0; p < OBS_MAX_PLANS; p++)
			for (int i = 0; i < PLAN_MAX_POINTS; i++) {
				const char *name = v->obs[o].plans[p].points[i].prog;

				if (name && !strcmp(name, prog))
					return true;
			}
	return false;
}

static void plan_checks(const struct view *v, struct bpf_object *obj)
{
	struct bpf_program *prog;

	for (size_t o = 0; o < v->n_obs; o++)
		for (int p = 0; p < OBS_MAX_PLANS; p++)
			for (int i = 0; i < PLAN_MAX_POINTS; i++) {
				const char *name = v->obs[o].plans[p].points[i].prog;

				if (!name)
					continue;
				CHECK(bpf_object__find_program_by_name(obj, name),
				      "%s: %s: program %s exists", v->name,
				      v->obs[o].name, name);
			}
	bpf_object__for_each_program(prog, obj)
		CHECK(in_a_plan(v, bpf_program__name(prog)),
		      "%s: program %s is in a plan", v->name,
		      bpf_program__name(prog));
}

static size_t bss_size(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len > 4 &&
		    !strcmp(name + len - 4, ".bss"))
			return bpf_map__value_size(map);
	}
	return 0;
}

/* The session writes the common filter into every object by this name. */
static void filter_checks(const struct view *v, struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj,
							   ".rodata.filter");

	CHECK(map && bpf_map__value_size(map) == sizeof(struct task_filter),
	      "%s: .rodata.filter holds a struct task_filter (%u bytes)",
	      v->name, map ? bpf_map__value_size(map) : 0);
}

static void metric_checks(const struct view *v, struct bpf_object *obj)
{
	const struct view_metrics *m = v->metrics;
	size_t bss = bss_size(obj), row;

	if (!m)
		return;
	CHECK(m->losses_off + LOSS_MAX * sizeof(__u64) <= bss,
	      "%s: losses inside .bss", v->name);
	for (size_t i = 0; i < m->n_defs; i++) {
		const struct metric_def *d = &m->defs[i];
		size_t len = d->type == METRIC_HISTOGRAM ?
				     HIST_LEN * sizeof(__u64) : sizeof(__u64);

		CHECK(d->off + len <= bss, "%s: %s inside .bss (%zu + %zu > %zu)",
		      v->name, d->name, d->off, len, bss);
	}
	row = m->rows->value_size;
	CHECK(m->comm_off + 16 <= row && m->cgroup_off + 8 <= row,
	      "%s: comm and cgroup inside the row", v->name);
	for (size_t i = 0; i < m->n_row_defs; i++)
		CHECK(m->row_defs[i].off + sizeof(__u64) <= row,
		      "%s: row metric %s inside the row", v->name,
		      m->row_defs[i].name);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		const struct view *v = views[i];
		void *skel = v->open();

		CHECK(skel, "%s: the skeleton opens", v->name);
		if (!skel)
			continue;
		plan_checks(v, v->object(skel));
		filter_checks(v, v->object(skel));
		metric_checks(v, v->object(skel));
		v->destroy(skel);
	}
	CHECK_DONE();
}
