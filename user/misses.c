// SPDX-License-Identifier: GPL-2.0
/* Recursion misses of a view's programs, per program (see misses.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "misses.h"

void misses_collect(struct bpf_object *obj, struct prog_misses *was,
		    struct prog_misses *out)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);
		__u64 now = was->n[i];

		if (i == MISSES_MAX_PROGS)
			break;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			now = info.recursion_misses;
		out->name[i] = bpf_program__name(prog);
		out->n[i] = now - was->n[i];
		was->n[i] = now;
		i++;
	}
}

__u64 misses_total(const struct prog_misses *m)
{
	__u64 sum = 0;

	for (int i = 0; i < MISSES_MAX_PROGS; i++)
		sum += m->n[i];
	return sum;
}

struct json_object *misses_json(const struct prog_misses *m)
{
	struct json_object *j = json_object_new_object();

	for (int i = 0; i < MISSES_MAX_PROGS; i++)
		if (m->n[i] && m->name[i])
			json_object_object_add(j, m->name[i],
					       json_object_new_uint64(m->n[i]));
	return j;
}
