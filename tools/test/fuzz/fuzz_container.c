// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: cgroup paths and /proc/PID/cgroup text, as a hostile cgroup
 * name (any user with a delegated subtree makes one) or a truncated read
 * gives them; an id found is always 64 hex digits, a pod uid 32 or 36.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"

static void check(const struct container_ref *c, bool found)
{
	size_t id = strnlen(c->id, sizeof(c->id));
	size_t pod = strnlen(c->pod_uid, sizeof(c->pod_uid));

	if (id != (found ? CONTAINER_ID_LEN : 0) || id == sizeof(c->id) ||
	    (pod && pod != 32 && pod != POD_UID_LEN) ||
	    strspn(c->id, "0123456789abcdef") != id)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_ref c;
	char *path = malloc(size + 1);

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	check(&c, container_parse(path, &c));
	free(path);
	check(&c, container_parse_proc((const char *)data, size, &c));
	return 0;
}
