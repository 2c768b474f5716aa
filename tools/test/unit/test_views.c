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
	/* Task iterators are not attached: user space runs them (rows.c). */
	bpf_object__for_each_program(prog, obj)
		CHECK(in_a_plan(v, bpf_program__name(prog)) ||
		      bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER,
		      "%s: program %s is in a plan or a task iterator", v->name,
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

/* Where a number lives is inside what holds it; what shows it has a place. */
static void number_checks(const struct view *v, const struct number *n,
			  size_t bss, size_t row)
{
	const char *what = n->key ? n->key : n->name ? n->name :
			   n->row_name ? n->row_name :
			   n->field != F_NONE ? "a field of top" : NULL;
	size_t len = n->type == METRIC_HISTOGRAM || n->hist_count ?
			     HIST_LEN * sizeof(__u64) : sizeof(__u64);

	CHECK(what && (n->in_bss || n->in_row),
	      "%s: a number with no key, no family, no field or no place",
	      v->name);
	if (!what)
		return;
	if (n->in_bss)
		CHECK(n->off + len <= bss, "%s: %s inside .bss (%zu + %zu > %zu)",
		      v->name, what, n->off, len, bss);
	if (n->in_row)
		CHECK(n->row_off + n->row_size <= row &&
			      (n->row_size == 8 || n->row_size == 4),
		      "%s: %s inside the row", v->name, what);
	CHECK(!n->row_name || (n->in_row && n->row_size == 8),
	      "%s: row family %s reads a __u64 of the row", v->name, what);
	CHECK(!n->column || n->in_row, "%s: column %s is in the row", v->name,
	      what);
	/* A title wider than its values shifts every column after it. */
	CHECK(!n->column || !n->width || strlen(n->column) <= (size_t)n->width,
	      "%s: column %s fits its width %d", v->name, n->column, n->width);
	CHECK((n->field == F_NONE && n->sum_field == F_NONE) || n->in_row,
	      "%s: field %s is in the row", v->name, what);
	CHECK(!n->text || n->in_bss, "%s: text %s is a total", v->name, what);
	CHECK(!n->block_column || (n->in_bss && n->type != METRIC_HISTOGRAM),
	      "%s: block column %s is a .bss counter", v->name, what);
	CHECK(!n->name || n->help, "%s: family %s has HELP", v->name, what);
}

/* Two numbers under one key in one place: JSON would keep the last. */
static void key_checks(const struct view *v, const struct view_metrics *m)
{
	const struct number *a, *b;

	for (size_t i = 0; i < m->n_numbers; i++)
		for (size_t j = i + 1; j < m->n_numbers; j++) {
			a = &m->numbers[i];
			b = &m->numbers[j];
			if (!a->key || !b->key || strcmp(a->key, b->key) ||
			    a->type == METRIC_HISTOGRAM ||
			    b->type == METRIC_HISTOGRAM)
				continue;
			CHECK(!(a->in_bss && b->in_bss) &&
				      !(a->in_row && b->in_row),
			      "%s: JSON key %s declared once", v->name, a->key);
		}
}

static void metric_checks(const struct view *v, struct bpf_object *obj)
{
	const struct view_metrics *m = v->metrics;
	size_t bss = bss_size(obj), row;

	if (!m)
		return;
	CHECK(m->losses_off + LOSS_MAX * sizeof(__u64) <= bss,
	      "%s: losses inside .bss", v->name);
	row = m->rows->value_size;
	CHECK(m->comm_off + 16 <= row && m->cgroup_off + 8 <= row,
	      "%s: comm and cgroup inside the row", v->name);
	for (size_t i = 0; i < m->n_numbers; i++)
		number_checks(v, &m->numbers[i], bss, row);
	key_checks(v, m);
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
