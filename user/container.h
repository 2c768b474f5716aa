/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which container, and which Kubernetes pod, a process runs in, from the
 * path of its cgroup: container runtimes name the cgroup they make for a
 * container after its id, in one of a few shapes (docker, podman,
 * containerd, CRI-O; systemd or cgroupfs cgroup managers; cgroup v1 and
 * v2 trees). Rows and events carry a cgroup v2 id; the cgroup2 mount
 * names it (struct cgroup_names), and container_parse() reads the path.
 */
#ifndef MMTRACE_CONTAINER_H
#define MMTRACE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#define CONTAINER_ID_LEN 64	/* the runtime's full id, lowercase hex */
#define POD_UID_LEN 36		/* a UUID, with dashes */

struct container_ref {
	char id[CONTAINER_ID_LEN + 1];	/* "": not in a container */
	char pod_uid[POD_UID_LEN + 1];	/* "": not in a Kubernetes pod */
};

/*
 * Reads cgroup path @path (e.g. "/system.slice/docker-<id>.scope") into
 * @c: the innermost container it names, and the pod above it under
 * kubepods. Runtime helpers beside a container (conmon scopes) are not
 * the container. Returns whether a container was found.
 */
bool container_parse(const char *path, struct container_ref *c);

/*
 * The same from /proc/PID/cgroup text (@len bytes, not NUL-terminated):
 * the first line, of any hierarchy, v1 or v2, that names a container.
 */
bool container_parse_proc(const char *text, size_t len,
			  struct container_ref *c);

/* A cgroup v2 id, named by a walk of the cgroup2 mount. */
struct cgroup_name {
	unsigned long long id;
	char *path;		/* relative to the mount: "/" is its root */
};

/* Every cgroup of the cgroup2 mount, as of the last walk. */
struct cgroup_names {
	struct cgroup_name *e;	/* sorted by id */
	size_t n;
	char root[4096];	/* where cgroup2 is mounted; "" if nowhere */
	double scanned;		/* CLOCK_MONOTONIC seconds of the last walk */
};

/* Walks the cgroup2 mount again (cgroup v2 ids are its inode numbers). */
void cgroup_names_scan(struct cgroup_names *names);
/* The path of @id as of the last walk, or NULL. */
const char *cgroup_names_find(const struct cgroup_names *names,
			      unsigned long long id);
void cgroup_names_free(struct cgroup_names *names);

double cgroup_now(void);

/*
 * The container of a process of cgroup v2 @cgroup_id and pid @pid, for
 * reports and events: the cgroup's path, the cgroup2 mount walked again
 * when an id is unknown (at most every 0.1 s), and what a walk named kept
 * after the cgroup is removed; where the cgroup v2 path names no
 * container, the process's own /proc/PID/cgroup while it lives (cgroup v1
 * runtimes make no v2 cgroup). Returns false when the cgroup is gone
 * before mmtrace could name it and the process too: unknown.
 */
bool container_of(unsigned long long cgroup_id, unsigned int pid,
		  struct container_ref *c);

/*
 * The container in /proc/@pid/cgroup: 1 found, 0 none, -1 the process is
 * gone (or @pid is 0).
 */
int container_of_pid(unsigned int pid, struct container_ref *c);

struct json_object;

/*
 * Adds "container_id" and "pod_uid" to JSON object @obj: the ids, ""
 * outside a container or pod, null when unknown (see container_of()).
 */
void container_json_add(struct json_object *obj, unsigned long long cgroup_id,
			unsigned int pid);

#endif /* MMTRACE_CONTAINER_H */
