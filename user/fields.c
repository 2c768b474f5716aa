// SPDX-License-Identifier: GPL-2.0
#include "fields.h"
#include "probe.h"
#include "rows.h"
#include "view.h"

bool field_known(const struct view *v, const struct obs_result *res,
		 enum field f)
{
	const struct view_metrics *m = v->metrics;

	for (size_t i = 0; m && res && i < m->n_numbers; i++)
		if (f != F_NONE && (m->numbers[i].field == f ||
				    m->numbers[i].sum_field == f))
			return res[m->numbers[i].obs].chosen >= 0;
	return false;
}

void fields_add(const struct view *v, const struct row *r,
		unsigned long long vals[F_MAX])
{
	const struct view_metrics *m = v->metrics;

	for (size_t i = 0; m && i < m->n_numbers; i++) {
		const struct number *n = &m->numbers[i];

		if (!n->in_row)
			continue;
		if (n->field != F_NONE)
			vals[n->field] += number_value(n, r->value, true);
		if (n->sum_field != F_NONE)
			vals[n->sum_field] += number_value(n, r->value, true);
	}
}
