// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "fields.h"
#include "probe.h"
#include "rows.h"

extern const struct view_fields fork_fields, gup_fields, hugetlb_fields,
	locks_fields;

const struct view_fields *view_fields(const char *view)
{
	static const struct {
		const char *view;
		const struct view_fields *fields;
	} table[] = {
		{ "fork", &fork_fields },
		{ "gup", &gup_fields },
		{ "hugetlb", &hugetlb_fields },
		{ "locks", &locks_fields },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].view, view))
			return table[i].fields;
	return NULL;
}

bool field_known(const struct view_fields *vf, const struct obs_result *res,
		 enum field f)
{
	for (size_t i = 0; vf && res && i < vf->n_defs; i++)
		if (vf->defs[i].field == f)
			return res[vf->defs[i].obs].chosen >= 0;
	return false;
}

void fields_add(const struct view_fields *vf, const struct row *r,
		unsigned long long v[F_MAX])
{
	for (size_t i = 0; i < vf->n_defs; i++) {
		const struct field_def *d = &vf->defs[i];
		unsigned long long x = 0;
		unsigned int x32;

		if (d->size == sizeof(x32)) {
			memcpy(&x32, r->value + d->off, sizeof(x32));
			x = x32;
		} else {
			memcpy(&x, r->value + d->off, sizeof(x));
		}
		v[d->field] += x;
	}
}
