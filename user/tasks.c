// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "tasks.h"

/* The initial pid namespace's inode number (PROC_PID_INIT_INO). */
#define PIDNS_INIT_INO 0xEFFFFFFCULL

int tasks_pidns(unsigned long long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st)) {
		fprintf(stderr, "mmtrace: cannot tell which pid namespace mmtrace runs in: /proc/self/ns/pid: %s (is /proc mounted?)\n",
			strerror(errno));
		return -errno;
	}
	*ino = st.st_ino == PIDNS_INIT_INO ? 0 : st.st_ino;
	return 0;
}

int tasks_configure(struct bpf_object *obj, const struct view_opts *opts)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "traced");

	if (!map)
		return -ENOENT;
	return bpf_map__set_max_entries(map, opts->max_procs);
}

static int read_state(struct bpf_object *obj, struct task_state *ts)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".data.tasks");
	__u32 zero = 0;

	if (!map || bpf_map_lookup_elem(bpf_map__fd(map), &zero, ts))
		return -ENOENT;
	return 0;
}

/* The observation that follows forks: "<view>.children". */
static bool children_attached(const struct view *t,
			      const struct obs_result *res)
{
	size_t len = strlen(t->name);

	for (size_t o = 0; o < t->n_obs; o++)
		if (!strncmp(t->obs[o].name, t->name, len) &&
		    !strcmp(t->obs[o].name + len, ".children"))
			return res[o].chosen >= 0;
	return false;
}

/* mmtrace forks once: sched_process_fork then sees its own namespace. */
static int learn_pidns(struct bpf_object *obj)
{
	struct task_state ts = {};
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (read_state(obj, &ts))
		return -ENOENT;
	return ts.pidns_addr ? 0 : -ESRCH;
}

int tasks_start(struct bpf_object *obj, const struct view *t,
		const struct obs_result *res, const struct view_opts *opts)
{
	bool attached = children_attached(t, res);
	int err;

	if (opts->filter.pidns_ino) {
		err = attached ? learn_pidns(obj) : -EOPNOTSUPP;
		if (err) {
			fprintf(stderr, "mmtrace: cannot trace inside this pid namespace (pid:[%llu]): %s; run mmtrace in the initial one\n",
				opts->filter.pidns_ino,
				attached ? "the kernel did not show mmtrace's own fork in it" :
				"sched_process_fork is not attached ('mmtrace probes' says why)");
			return err;
		}
	}
	if (opts->filter.follow && !attached) {
		fprintf(stderr, "mmtrace: cannot follow the processes COMMAND starts: sched_process_fork is not attached ('mmtrace probes' says why); --no-children traces COMMAND alone\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

long long tasks_followed(struct bpf_object *obj)
{
	struct task_state ts = {};

	return read_state(obj, &ts) ? 0 : ts.traced;
}

/*
 * A process leaves the traced map at sched_process_free, and a program
 * can miss that: a recursion miss, or a hash bucket busy on that CPU
 * (-EBUSY, kernel/bpf/hashtab.c). Its pid then stays in the map for
 * ever, and a run that waits for the followed processes would never end:
 * ask the kernel whether each pid still names a task (a zombie does;
 * reaped and freed, it is gone). Pids in the map are the initial
 * namespace's, so only there can mmtrace ask.
 */
long long tasks_alive(struct bpf_object *obj, bool initial_pidns)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "traced");
	struct task_state before = {}, after = {};
	__u32 key, *prev = NULL;
	long long alive = 0;
	int fd;

	if (!map || !initial_pidns || read_state(obj, &before))
		return tasks_followed(obj);
	fd = bpf_map__fd(map);
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (!kill((pid_t)key, 0) || errno == EPERM)
			alive++;
		prev = &key;
	}
	/*
	 * The walk is not atomic: a process can start a child the walk has
	 * passed and be gone before the walk reaches it (a daemon's double
	 * fork). An insertion meanwhile: not done, look again.
	 */
	if (read_state(obj, &after) || after.added != before.added)
		return tasks_followed(obj);
	return alive;
}

void tasks_banner(const struct task_filter *filter)
{
	if (filter->pidns_ino)
		fprintf(stderr, "mmtrace: in pid namespace pid:[%llu]: pids are this namespace's; tasks outside it are not traced\n",
			filter->pidns_ino);
	if (filter->follow)
		fprintf(stderr, "mmtrace: following COMMAND and every process it starts (--no-children: COMMAND alone)\n");
}
