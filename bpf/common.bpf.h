/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers every mmtrace BPF program shares: filtering, pid namespaces,
 * following a COMMAND's descendants, and loss counting.
 */
#ifndef MMTRACE_COMMON_BPF_H
#define MMTRACE_COMMON_BPF_H

#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "quirks.bpf.h"
#include "attach.bpf.h"
#include "filter.h"
#include "hist.h"

#define EAGAIN 11
#define EEXIST 17
#define ENOMEM 12
#define MAX_ERRNO 4095

/*
 * Set before load, for every view at once, by the session (user/session.c
 * finds it by its section); constant for the verifier afterwards.
 */
const volatile struct task_filter filter SEC(".rodata.filter") = {};

/*
 * Armed by the loader once every program is attached (user/session.c finds
 * it by its section). Until then nothing is counted, so no window can be
 * opened by an entry probe whose exit probe is not attached yet. Its
 * attached bit i says observation i of the view's table attached: a
 * program that serves two observations tests the other's here. filtered
 * is set before load and never changes: programs that run unarmed (the
 * pid namespace's learning) need it too.
 */
struct gate gate SEC(".data.gate") = {};

static __always_inline bool obs_attached(int obs)
{
	return gate.attached & (1ULL << obs);
}

/*
 * filter.<field> for a test: the verifier knows the value and prunes by
 * it, but still loads it when the program runs, from a cache line of its
 * own. A program that runs once a millisecond misses each line it reads:
 * on task_newtask (build host, 2026-12-01), a count in .bss alone ran at
 * 1.0-1.1x the count-only floor, and each further line read added 20-25
 * ns. Without a filter, the gate's line, read already, answers.
 */
#define FILTERED(field) (gate.filtered && filter.field)

/*
 * @x, loaded only where the test before it says so: clang moves a plain
 * load of a global above the test guarding it (it cannot fault), and the
 * program then reads that line on every run, the very read the test was
 * there to spare.
 */
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* --cgroup: slot 0 holds the cgroup v2 directory; descendants match too. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Every lost update is counted; user space prints these in every report. */
__u64 losses[LOSS_MAX] = {};

static __always_inline void count_loss(enum loss_counter c)
{
	if (c < LOSS_MAX)
		__sync_fetch_and_add(&losses[c], 1);
}

/*
 * The process's name: its thread-group leader's comm, what /proc/PID/comm
 * says, whichever thread runs. Rows and --comm use it; a thread's own name
 * (pthread_setname_np) is shown only where the thread is the subject (event
 * lines, which carry its tid). Where the kernel refuses to read the leader
 * (lockdown=confidentiality), the current thread's name is all there is.
 */
static __always_inline void process_comm(char *comm)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (leader != task &&
	    bpf_core_read_str(comm, COMM_LEN, &leader->comm) > 0)
		return;
	bpf_get_current_comm(comm, COMM_LEN);
}

/* Set by exit_signals() before sched_process_exit (include/linux/sched.h). */
#define PF_EXITING 0x00000004

/* Has the current process's leader begun to exit? */
static __always_inline __u32 leader_exiting(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return !!(BPF_CORE_READ(task, group_leader, flags) & PF_EXITING);
}

/* --comm matches the process's name, as rows show it. */
static __always_inline bool comm_matches(void)
{
	char comm[COMM_LEN];

	process_comm(comm);
	for (int i = 0; i < COMM_LEN; i++) {
		if (comm[i] != filter.comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* ---- pid namespaces ---------------------------------------------------- */

/*
 * Found by task_forked() when mmtrace itself forks (user/tasks.c makes it
 * do so once, before arming), read back by user space.
 */
struct task_state tasks SEC(".data.tasks") = {};

/*
 * A struct pid holds the task's number in every namespace from the
 * initial one (numbers[0]) down to its own (numbers[level]): a task is
 * visible in mmtrace's namespace iff that namespace sits at its level
 * there, as task_pid_nr_ns() finds it. Tasks of nested namespaces (a
 * container inside mmtrace's, `unshare -p` in a COMMAND) are seen with
 * their numbers in mmtrace's namespace, unlike with
 * bpf_get_ns_current_pid_tgid(), which only sees tasks of that very one.
 */
static __always_inline void *upid_at(struct pid *pid, unsigned int level)
{
	return (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	       level * bpf_core_type_size(struct upid);
}

static __always_inline __u64 upid_ns(struct pid *pid, unsigned int level)
{
	__u64 ns = 0;

	bpf_probe_read_kernel(&ns, sizeof(ns), upid_at(pid, level) +
			      bpf_core_field_offset(struct upid, ns));
	return ns;
}

/* @pid's number in mmtrace's namespace; 0 if it is not visible there. */
static __always_inline __u32 pid_nr_ns(struct pid *pid)
{
	unsigned int level = tasks.pidns_level;
	int nr = 0;

	if (!pid || !tasks.pidns_addr || BPF_CORE_READ(pid, level) < level ||
	    upid_ns(pid, level) != tasks.pidns_addr)
		return 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), upid_at(pid, level) +
			      bpf_core_field_offset(struct upid, nr));
	return nr;
}

/* @task's tgid << 32 | pid as mmtrace sees them; 0 if it cannot see it. */
static __always_inline __u64 task_ids(struct task_struct *task)
{
	__u32 pid, tgid;

	if (!FILTERED(pidns_ino))
		return (__u64)BPF_CORE_READ(task, tgid) << 32 |
		       (__u32)BPF_CORE_READ(task, pid);
	pid = pid_nr_ns(BPF_CORE_READ(task, thread_pid));
	tgid = pid_nr_ns(BPF_CORE_READ(task, group_leader, thread_pid));
	if (!pid || !tgid)
		return 0;
	return (__u64)tgid << 32 | pid;
}

/*
 * Per-thread state (windows, pending locks) stays keyed by the initial
 * namespace's tid: unique, and a register read. Only what a user reads
 * (filters, rows, events) goes through this.
 *
 * The current task's tgid << 32 | pid in mmtrace's pid namespace, packed
 * as bpf_get_current_pid_tgid() packs them; 0 for a task outside it. In
 * the initial namespace it is that helper, so the common case pays
 * nothing.
 */
static __always_inline __u64 current_ids(void)
{
	if (!FILTERED(pidns_ino))
		return bpf_get_current_pid_tgid();
	return task_ids((struct task_struct *)bpf_get_current_task());
}

/* mmtrace's own fork: its task is in the namespace to learn. */
static __always_inline void pidns_learn(struct task_struct *task)
{
	struct pid *pid;
	unsigned int level;
	__u64 ns;

	if (!FILTERED(pidns_ino) || READ_ONCE(tasks.pidns_addr))
		return;
	pid = BPF_CORE_READ(task, thread_pid);
	level = BPF_CORE_READ(pid, level);
	ns = upid_ns(pid, level);
	if (!ns || BPF_CORE_READ((struct pid_namespace *)ns, ns.inum) !=
			   filter.pidns_ino)
		return;
	tasks.pidns_level = level;
	tasks.pidns_addr = ns;
}

/* ---- following a COMMAND's descendants (filter.follow) ------------------ */

/*
 * Keyed by the initial namespace's tgid, which a test costs nothing to
 * get, and which sched_process_free still knows when the pid is gone.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);	/* --max-procs */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} traced SEC(".maps");

static __always_inline bool follow_add(__u32 tgid)
{
	__u32 one = 1;
	long err = bpf_map_update_elem(&traced, &tgid, &one, BPF_NOEXIST);

	if (!err) {
		__sync_fetch_and_add(&tasks.traced, 1);
		__sync_fetch_and_add(&tasks.added, 1);
		return true;
	}
	if (err == -EEXIST)
		return true;
	count_loss(LOSS_FOLLOW_MAP_FULL);
	return false;
}

/*
 * Is the current process (@tgid, initial namespace) followed? The root
 * (COMMAND) is known by its pid in mmtrace's namespace only, so it is
 * added the first time it is seen: by its first event, or at the
 * latest by its first fork, before any child of it runs.
 */
static __always_inline bool current_followed(__u32 tgid)
{
	if (bpf_map_lookup_elem(&traced, &tgid))
		return true;
	if (tasks.seeded || (current_ids() >> 32) != filter.tgid)
		return false;
	if (!follow_add(tgid))
		return false;
	tasks.seeded = 1;
	return true;
}

/*
 * sched_process_fork, in the parent before the child first runs: a child
 * of a followed process is followed from its first instruction, so no
 * event and no fork of it can come before. Threads share the tgid.
 */
static __always_inline void task_forked(struct task_struct *parent,
					struct task_struct *child)
{
	__u32 tgid;

	pidns_learn(parent);
	/*
	 * Without a filter the gate's line answers; filter.follow is a
	 * constant: without it the verifier drops all.
	 */
	if (!FILTERED(follow))
		return;
	tgid = BPF_CORE_READ(child, tgid);
	if (tgid != (__u32)BPF_CORE_READ(parent, tgid) &&
	    current_followed(BPF_CORE_READ(parent, tgid)))
		follow_add(tgid);
}

/*
 * sched_process_free of a group leader: the whole process is gone (its
 * leader is freed after its last thread), so no event of it can follow.
 */
static __always_inline void task_freed(struct task_struct *task)
{
	__u32 tgid;

	/* As in task_forked(): every process's free pays this test. */
	if (!FILTERED(follow))
		return;
	tgid = BPF_CORE_READ(task, tgid);
	if (BPF_CORE_READ(task, pid) != tgid)
		return;
	if (!bpf_map_delete_elem(&traced, &tgid))
		__sync_fetch_and_sub(&tasks.traced, 1);
}

/*
 * Is the current task traced? Cheapest test first: the tgid is a
 * register read, comm a copy. On success, *@ids holds its tgid << 32 |
 * pid as mmtrace's namespace sees them: rows and events speak those.
 * @ids NULL: the caller needs none, and without a filter no helper is
 * called at all (contention_begin's spinlocks).
 */
static __always_inline bool task_wanted(__u64 *ids)
{
	__u64 id, own;

	if (!gate.armed)
		return false;
	if (!gate.filtered) {
		if (ids)
			*ids = bpf_get_current_pid_tgid();
		return true;
	}
	if (!ids)
		ids = &own;
	id = bpf_get_current_pid_tgid();
	*ids = id;
	if (filter.follow && !current_followed(id >> 32))
		return false;
	*ids = filter.pidns_ino ? current_ids() : id;
	/* Outside mmtrace's namespace: not traced, as its ps shows none. */
	if (filter.pidns_ino && !*ids)
		return false;
	if (!filter.follow && filter.tgid && filter.tgid != *ids >> 32)
		return false;
	if (filter.cgroup_set &&
	    bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	if (filter.comm_set && !comm_matches())
		return false;
	return true;
}

/*
 * Verifiers before 6.x lose the bound when clang tests a copy of the index
 * and indexes with the original; the empty asm pins both to one register.
 */
static __always_inline void hist_add(__u64 *hist, __u64 value)
{
	unsigned int slot = hist_slot(value);

	asm volatile("" : "+r"(slot));
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

/* Records @raw (e.g. ns) in the slot of @raw / @div (e.g. us), and its sum. */
static __always_inline void hist_record(__u64 *hist, __u64 raw, __u64 div)
{
	hist_add(hist, raw / div);
	__sync_fetch_and_add(&hist[HIST_SUM], raw);
}

/*
 * hist_record(@raw, 1) in this CPU's copy of a histogram (a per-CPU map's
 * value), by one program alone, in the context of the task whose wait it
 * records: plain adds, and the line stays in this CPU's cache. A run of
 * the program inside it, from an interrupt (kernels that allow one:
 * quirks.bpf.h, count_on_cpu()), ends a spinlock's contention, which is
 * never recorded here.
 */
static __always_inline void hist_record_cpu(__u64 *hist, __u64 raw)
{
	unsigned int slot = hist_slot(raw);

	asm volatile("" : "+r"(slot));
	if (slot < HIST_SLOTS)
		hist[slot]++;
	hist[HIST_SUM] += raw;
}

/*
 * The value of @key in @map, inserted from @init first if missing (as
 * libbpf-tools' bpf_map_lookup_or_try_init); NULL when the map is full,
 * which the caller counts as a loss: every view keeps its own counters.
 */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	/* EEXIST: another CPU inserted it first, which is fine. */
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

/*
 * A thread's entry in a per-thread hash (keyed by tid) whose entries are
 * counted in @open, so that paths every thread runs (exit, a hook also
 * outside the traced call) look only while some exist: a lookup of a
 * cold bucket is a cache miss. slot_put() replaces an entry whose end
 * was missed; returns 0 or the update's error. Only the deleter
 * decrements, so the count cannot drift.
 */
static __always_inline long slot_put(void *map, __u32 *tid, void *value,
				     __u64 *open)
{
	long err = bpf_map_update_elem(map, tid, value, BPF_NOEXIST);

	if (!err)
		__sync_fetch_and_add(open, 1);
	else if (err == -EEXIST)
		err = bpf_map_update_elem(map, tid, value, BPF_EXIST);
	return err;
}

/* True if the thread had an entry, now gone. */
static __always_inline bool slot_drop(void *map, __u32 *tid, __u64 *open)
{
	if (bpf_map_delete_elem(map, tid))
		return false;
	__sync_fetch_and_sub(open, 1);
	return true;
}

/*
 * Which processes may have a row: a byte per tgid % ROW_MARKS (include/
 * filter.h), set once a row is in the map, cleared by user space when it
 * deletes the last row of that byte and then set again for the rows it
 * still finds (user/rows.c), so that a row inserted meanwhile keeps its
 * mark. Every process runs the exit, exec and rename programs, and few
 * have a row: their lookup of a cold hash bucket was a cache miss (up to
 * 450 ns a run, 5x the hook's floor), a byte is not. A byte, not a bit:
 * setting one needs no atomic or (5.12).
 */
__u8 row_marks[ROW_MARKS] SEC(".data.rowmarks");

static __always_inline bool row_marked(__u32 tgid)
{
	return row_marks[tgid & (ROW_MARKS - 1)];
}

static __always_inline void row_mark(__u32 tgid)
{
	if (!row_marks[tgid & (ROW_MARKS - 1)])
		row_marks[tgid & (ROW_MARKS - 1)] = 1;
}

/* proc_row()'s slow path: a new row from @zero, or NULL (map full). */
static __always_inline void *proc_row_new(void *map, __u32 tgid, void *zero,
					  char *zero_comm, __u64 *zero_cgroup)
{
	void *row;

	process_comm(zero_comm);
	*zero_cgroup = bpf_get_current_cgroup_id();
	row = lookup_or_init(map, &tgid, zero);
	if (row)
		row_mark(tgid);
	else
		count_loss(LOSS_PROC_MAP_FULL);
	return row;
}

/*
 * The row (@row_type) of process @tgid in a per-process @map, created with
 * the process's name and the current cgroup (for the exporter's labels) if
 * it is new; @on_new(row) then runs on a new row (ROW_AS_MADE,
 * ROW_BORN_EXITED). A zero row is built only then: clang zeroed it before
 * every lookup (27 stores for the locks row), and most calls find theirs.
 * A row found is marked too: a mark is only a byte read when it is there.
 */
#define proc_row(map, row_type, tgid, on_new)                                \
	({                                                                   \
		__u32 __tgid = (tgid);                                       \
		row_type *__row = bpf_map_lookup_elem(&(map), &__tgid);      \
									     \
		if (__row) {                                                 \
			row_mark(__tgid);                                    \
		} else {                                                     \
			row_type __zero = {};                                \
									     \
			__row = proc_row_new(&(map), __tgid, &__zero,        \
					     __zero.comm, &__zero.cgroup_id); \
			if (__row)                                           \
				on_new(__row);                               \
		}                                                            \
		__row;                                                       \
	})

/* proc_row()'s @on_new for a view without an exited flag (hugetlb). */
#define ROW_AS_MADE(row) ((void)(row))

/*
 * A row with an exited flag made once its process's leader is exiting is
 * born exited. The leader's exit marks only a row that is there
 * (mark_proc_exited), and a row never marked would outlive its process,
 * for the next process with its pid to inherit, name and cgroup included.
 * Rows are made after it when the other threads live on past the leader's
 * pthread_exit(), or exit after it in an exit_group(). Looked at once the
 * row is in the map and marked: the leader sets PF_EXITING long before its
 * exit hook looks for the row (exit_mm() and more in between), so a row
 * either is there for the hook or sees the flag. A row that exec makes
 * the process's again loses the flag (PROC_NAME_PROGS).
 */
#define ROW_BORN_EXITED(row) born_exited(&(row)->exited)

static __always_inline void born_exited(unsigned int *exited)
{
	if (leader_exiting())
		*exited = 1;
}

/*
 * The row of the process whose leader is exiting now, or NULL (another
 * thread exits, or the process has no row). Views mark it exited; user
 * space reports it one last time and then deletes it (user/rows.c). @id:
 * current_ids(), which the caller may need too: a helper call per exit
 * cost 20 ns, a fifth of the hook's floor (make bench).
 */
static __always_inline void *exiting_proc_row(void *map, __u64 id)
{
	__u32 tgid = id >> 32;

	if (!id || (__u32)id != tgid || !row_marked(tgid))
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

/*
 * Marks the exiting leader's row of @map exited; @row_type has the flag,
 * @id is current_ids().
 */
#define mark_proc_exited(map, row_type, id)                                  \
	do {                                                                 \
		row_type *__row = exiting_proc_row(&map, id);                \
									     \
		if (__row)                                                   \
			__row->exited = 1;                                   \
	} while (0)

/*
 * The row of the process that has just exec'd, or NULL. From exec on its
 * row carries the new name, and so do the counts not reported yet: they
 * move with the row (README, "Process names"). The exec'ing thread is the
 * leader by now, even if another thread called execve (de_thread), so the
 * old leader's exit may have marked the row exited: the process lives on.
 */
static __always_inline void *exec_proc_row(void *map)
{
	/* Rows are keyed as mmtrace's pid namespace sees the process. */
	__u32 tgid = current_ids() >> 32;

	if (!tgid || !row_marked(tgid))
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

/*
 * The row of @task's process if @task is its leader and is being renamed
 * (task_rename: prctl(PR_SET_NAME), a write to /proc/PID/comm, exec), or
 * NULL: a thread's own name is not its process's. The task still has its
 * old name: the caller copies the new one from the tracepoint.
 */
static __always_inline void *renamed_proc_row(void *map,
					      struct task_struct *task)
{
	/* A tp_btf argument: read directly, without a helper call. */
	__u32 tgid = task->tgid;

	if (task->pid != tgid)
		return NULL;
	/* Rows are keyed as mmtrace's pid namespace sees the process. */
	if (FILTERED(pidns_ino))
		tgid = task_ids(task) >> 32;
	if (!tgid || !row_marked(tgid))
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

/*
 * A view's process rows, "procs" to user space, sized by --max-procs.
 * Not preallocated: --max-procs may be large, and rows are freed by RCU.
 */
#define PROC_ROWS_MAP(view)                                                  \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                             \
		__uint(max_entries, 10240);                                  \
		__uint(map_flags, BPF_F_NO_PREALLOC);                        \
		__type(key, struct view##_proc_key);                         \
		__type(value, struct view##_proc_stats);                     \
	} procs SEC(".maps")

/*
 * The programs that keep a view's process rows named and its COMMAND's
 * descendants followed, the same in every view; its observation tables
 * list them by these names (user/tasks.h and each view's exit plan).
 * @row_type: the view's row in @map; @after_exec: a statement on that row
 * (st) once its process has exec'd, e.g. clearing the exited flag.
 */
#define PROC_NAME_PROGS(view, map, row_type, after_exec)                     \
	/* A leader renamed without exec: its row follows (prctl). */        \
	SEC("tp_btf")                                                        \
	int BPF_PROG(view##_rename, struct task_struct *task,                \
		     const char *comm)                                       \
	{                                                                    \
		row_type *st = renamed_proc_row(&map, task);                 \
									     \
		if (st)                                                      \
			bpf_probe_read_kernel_str(st->comm, sizeof(st->comm), \
						  comm);                     \
		return 0;                                                    \
	}                                                                    \
									     \
	SEC("tracepoint")                                                    \
	int view##_exec(void *ctx)                                           \
	{                                                                    \
		row_type *st = exec_proc_row(&map);                          \
									     \
		if (st) {                                                    \
			process_comm(st->comm);                              \
			after_exec;                                          \
		}                                                            \
		return 0;                                                    \
	}

/* sched_process_free of a leader: a followed process is gone. */
#define TASK_FREE_PROG(view)                                                 \
	SEC("tp_btf")                                                        \
	int BPF_PROG(view##_task_free, struct task_struct *task)             \
	{                                                                    \
		task_freed(task);                                            \
		return 0;                                                    \
	}

/* sched_process_fork: COMMAND's descendants followed from their start. */
#define CHILDREN_PROGS(view)                                                 \
	SEC("tp_btf")                                                        \
	int BPF_PROG(view##_task_fork, struct task_struct *parent,           \
		     struct task_struct *child)                              \
	{                                                                    \
		task_forked(parent, child);                                  \
		return 0;                                                    \
	}                                                                    \
	TASK_FREE_PROG(view)

static __always_inline bool is_err_value(unsigned long v)
{
	return v >= (unsigned long)-MAX_ERRNO;
}

#endif /* MMTRACE_COMMON_BPF_H */
