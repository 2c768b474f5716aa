// SPDX-License-Identifier: GPL-2.0
/*
 * Containers and pods from cgroup paths. The shapes, by runtime and
 * cgroup manager (<id> is 64 hex digits, <uid> a pod's UUID):
 *
 *   docker, systemd      /system.slice/docker-<id>.scope
 *   docker, cgroupfs     /docker/<id>
 *   podman, systemd      /machine.slice/libpod-<id>.scope[/container]
 *   podman, cgroupfs     /libpod_parent/libpod-<id>
 *   containerd, k8s, systemd
 *     /kubepods.slice/kubepods-burstable.slice/
 *       kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
 *   CRI-O, k8s, systemd  .../kubepods-pod<uid with _>.slice/crio-<id>.scope
 *   k8s, cgroupfs        /kubepods/burstable/pod<uid>/<id>  (or crio-<id>)
 *
 * cgroup v1 hierarchies hold the same paths, one per controller line of
 * /proc/PID/cgroup. The monitors beside a container (podman's
 * libpod-conmon-<id>.scope, CRI-O's crio-conmon-<id>.scope) carry its id
 * but are not inside it: the prefix list leaves them out.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "container.h"

/* A cgroup of a container: [<prefix>]<id>[.scope], a prefix from here. */
static const char *const runtime_prefixes[] = {
	"", "docker-", "cri-containerd-", "crio-", "libpod-",
};

static bool is_hex_id(const char *s, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* Path component @s (@len bytes) names a container: its id into @id. */
static bool component_container(const char *s, size_t len, char *id)
{
	const size_t n = sizeof(runtime_prefixes) / sizeof(runtime_prefixes[0]);

	if (ends_with(s, len, ".scope"))
		len -= strlen(".scope");
	for (size_t i = 0; i < n; i++) {
		size_t p = strlen(runtime_prefixes[i]);

		if (len < p || memcmp(s, runtime_prefixes[i], p) ||
		    !is_hex_id(s + p, len - p))
			continue;
		memcpy(id, s + p, CONTAINER_ID_LEN);
		id[CONTAINER_ID_LEN] = '\0';
		return true;
	}
	return false;
}

/*
 * A pod's uid: a UUID with dashes (cgroupfs) or underscores (systemd,
 * where '-' separates slices) at 8, 13, 18 and 23, given with dashes; or
 * the 32 hex digits of a static pod's (the kubelet's hash of its file).
 */
static bool pod_uid(const char *s, size_t len, char *uid)
{
	if (len != POD_UID_LEN && len != 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool sep = len == POD_UID_LEN &&
			   (i == 8 || i == 13 || i == 18 || i == 23);
		char ch = s[i];

		if (sep ? ch != '-' && ch != '_' :
			  !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		uid[i] = sep ? '-' : ch;
	}
	uid[len] = '\0';
	return true;
}

/*
 * pod<uid> (cgroupfs) or kubepods[-<qos>]-pod<uid>.slice (systemd; with
 * a kubelet --cgroup-root, kubelet-kubepods-...-pod<uid>.slice).
 */
static bool component_pod(const char *s, size_t len, char *uid)
{
	const char *kube, *pod;

	if (len > 3 && !memcmp(s, "pod", 3))
		return pod_uid(s + 3, len - 3, uid);
	kube = memmem(s, len, "kubepods-", 9);
	if (!kube || !ends_with(s, len, ".slice"))
		return false;
	len -= strlen(".slice");
	pod = memmem(kube, len - (kube - s), "-pod", 4);
	return pod && pod_uid(pod + 4, len - (pod + 4 - s), uid);
}

bool container_parse(const char *path, struct container_ref *c)
{
	char id[CONTAINER_ID_LEN + 1], uid[POD_UID_LEN + 1];
	bool kube = false;
	const char *s = path, *end;
	size_t len;

	memset(c, 0, sizeof(*c));
	while (s && *s) {
		while (*s == '/')
			s++;
		end = strchrnul(s, '/');
		len = end - s;
		if (memmem(s, len, "kubepods", 8))
			kube = true;
		if (component_container(s, len, id))
			memcpy(c->id, id, sizeof(id));
		else if (kube && component_pod(s, len, uid))
			memcpy(c->pod_uid, uid, sizeof(uid));
		s = end;
	}
	return c->id[0];
}

bool container_parse_proc(const char *text, size_t len,
			  struct container_ref *c)
{
	const char *line = text, *end = text + len, *eol, *path;
	char buf[4096];

	memset(c, 0, sizeof(*c));
	for (; line < end; line = eol + 1) {
		eol = memchr(line, '\n', end - line);
		if (!eol)
			eol = end;
		/* "hierarchy-id:controllers:path" */
		path = memchr(line, ':', eol - line);
		path = path ? memchr(path + 1, ':', eol - path - 1) : NULL;
		if (!path || (size_t)(eol - path - 1) >= sizeof(buf))
			continue;
		memcpy(buf, path + 1, eol - path - 1);
		buf[eol - path - 1] = '\0';
		if (container_parse(buf, c))
			return true;
	}
	memset(c, 0, sizeof(*c));
	return false;
}

double cgroup_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* nftw() takes no context pointer. */
static struct cgroup_names *walking;

static int add_cgroup(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	struct cgroup_names *names = walking;
	const char *rel = path + strlen(names->root);
	struct cgroup_name *grown;

	if (type != FTW_D)
		return 0;
	grown = realloc(names->e, (names->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	names->e = grown;
	grown[names->n].id = st->st_ino;
	grown[names->n].path = strdup(*rel ? rel : "/");
	if (grown[names->n].path)
		names->n++;
	return 0;
}

static int cmp_cgroup(const void *a, const void *b)
{
	const struct cgroup_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void free_entries(struct cgroup_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->e[i].path);
	free(names->e);
	names->e = NULL;
	names->n = 0;
}

void cgroup_names_free(struct cgroup_names *names)
{
	free_entries(names);
}

static int find_cgroup2_root(struct cgroup_names *names)
{
	struct mntent *m;
	FILE *f;

	if (names->root[0])
		return 0;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(names->root, sizeof(names->root), "%s",
				 m->mnt_dir);
			break;
		}
	endmntent(f);
	return names->root[0] ? 0 : -ENOENT;
}

void cgroup_names_scan(struct cgroup_names *names)
{
	free_entries(names);
	names->scanned = cgroup_now();
	if (find_cgroup2_root(names))
		return;
	walking = names;
	nftw(names->root, add_cgroup, 16, FTW_PHYS | FTW_MOUNT);
	walking = NULL;
	if (names->n > 1)
		qsort(names->e, names->n, sizeof(*names->e), cmp_cgroup);
}

const char *cgroup_names_find(const struct cgroup_names *names,
			      unsigned long long id)
{
	struct cgroup_name key = { .id = id }, *hit = NULL;

	/* bsearch() on an empty, NULL array is undefined. */
	if (names->n)
		hit = bsearch(&key, names->e, names->n, sizeof(key),
			      cmp_cgroup);
	return hit ? hit->path : NULL;
}

int container_of_pid(unsigned int pid, struct container_ref *c)
{
	char file[64], text[8192];
	ssize_t len;
	int fd;

	memset(c, 0, sizeof(*c));
	if (!pid)
		return -1;
	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text));
	close(fd);
	if (len <= 0)
		return -1;
	return container_parse_proc(text, len, c);
}

/*
 * Reports and events come from one thread: one table for them, walked
 * again for an id it lacks, at most every CGROUP_WALK_GAP_S. What a walk
 * names is remembered after the cgroup is removed (ids are never reused):
 * a container that exits before the report keeps its id if any walk saw
 * it, e.g. the one its first event made.
 */
#define CGROUP_WALK_GAP_S 0.1
#define NAMED_MAX 4096

struct named {
	unsigned long long id;
	bool gone;			/* a walk after its first sight missed it */
	struct container_ref c;		/* what its path says */
};

static struct cgroup_names report_names;
static struct named named[NAMED_MAX];
static size_t n_named, next_named;

static struct named *find_named(unsigned long long id)
{
	for (size_t i = 0; i < n_named; i++)
		if (named[i].id == id)
			return &named[i];
	return NULL;
}

/* Oldest first out: a long run sees more cgroups than it keeps. */
static struct named *add_named(unsigned long long id)
{
	struct named *e = &named[next_named];

	next_named = (next_named + 1) % NAMED_MAX;
	if (n_named < NAMED_MAX)
		n_named++;
	memset(e, 0, sizeof(*e));
	e->id = id;
	return e;
}

/*
 * A cgroup v2 id is its kernfs node id, and cgroupfs takes it as a file
 * handle (kernfs's exportfs operations, 4.15): open_by_handle_at() finds a
 * live cgroup at once, where a walk of the tree is rationed. Needs
 * CAP_DAC_READ_SEARCH, as mmtrace runs; 0 with the path relative to the
 * cgroup2 mount in @path, or -errno (ESTALE: removed).
 */
static int cgroup_path_by_id(struct cgroup_names *names,
			     unsigned long long id, char *path, size_t len)
{
	struct {
		struct file_handle fh;
		unsigned long long id;
	} h = { .fh = { .handle_bytes = sizeof(h.id), .handle_type = 0xfe } };
	char link[64], full[4096];
	int mount_fd, fd, err = 0;
	ssize_t n;

	if (find_cgroup2_root(names))
		return -ENOENT;
	h.id = id;
	mount_fd = open(names->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0)
		return -errno;
	fd = open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	full[n] = '\0';
	n = strlen(names->root);
	if (strncmp(full, names->root, n) || (full[n] && full[n] != '/')) {
		err = -ENOENT;
		goto out;
	}
	snprintf(path, len, "%s", full[n] ? full + n : "/");
out:
	close(mount_fd);
	return err;
}

/* What cgroup @id's path says; NULL while no walk could tell. */
static const struct named *name_cgroup(unsigned long long id)
{
	struct named *e = find_named(id);
	char by_id[4096];
	const char *path;
	double asked = cgroup_now();

	if (e)
		return e;
	path = cgroup_names_find(&report_names, id);
	if (!path && !cgroup_path_by_id(&report_names, id, by_id,
					sizeof(by_id)))
		path = by_id;
	if (!path && asked - report_names.scanned >= CGROUP_WALK_GAP_S) {
		cgroup_names_scan(&report_names);
		path = cgroup_names_find(&report_names, id);
		if (!path) {
			add_named(id)->gone = true;
			return find_named(id);
		}
	}
	if (!path)
		return NULL;
	e = add_named(id);
	container_parse(path, &e->c);
	return e;
}

bool container_of(unsigned long long cgroup_id, unsigned int pid,
		  struct container_ref *c)
{
	const struct named *e = name_cgroup(cgroup_id);

	memset(c, 0, sizeof(*c));
	if (e && !e->gone && e->c.id[0]) {
		*c = e->c;
		return true;
	}
	/* A cgroup v1 runtime makes no v2 cgroup; a gone cgroup, no path. */
	return container_of_pid(pid, c) >= 0 || (e && !e->gone);
}

void container_json_add(struct json_object *obj, unsigned long long cgroup_id,
			unsigned int pid)
{
	struct container_ref c;

	if (!container_of(cgroup_id, pid, &c)) {
		json_object_object_add(obj, "container_id", NULL);
		json_object_object_add(obj, "pod_uid", NULL);
		return;
	}
	json_object_object_add(obj, "container_id",
			       json_object_new_string(c.id));
	json_object_object_add(obj, "pod_uid", json_object_new_string(c.pod_uid));
}
