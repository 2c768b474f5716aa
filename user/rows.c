// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "filter.h"
#include "rows.h"

static int cmp_key(const void *a, const void *b)
{
	return memcmp(((const struct row *)a)->key,
		      ((const struct row *)b)->key, ROW_KEY_MAX);
}

int rows_push(struct rows *rows, const struct row *r)
{
	struct row *grown;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 64;
		grown = realloc(rows->r, rows->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		rows->r = grown;
	}
	rows->r[rows->n++] = *r;
	return 0;
}

static uint64_t *sums(const struct row_table *t, struct row *r)
{
	return (uint64_t *)(r->value + t->sums_off);
}

/*
 * @cur minus what the previous report saw under the same key, into @out.
 * A row that went backwards was deleted and recreated (pid reuse): all of
 * it is new. Returns whether anything grew.
 */
static bool row_growth(const struct row_table *t, const struct row *cur,
		       struct row *out)
{
	size_t n = (t->sums_end - t->sums_off) / sizeof(uint64_t);
	struct row *was = NULL;
	uint64_t *now, *then;
	bool grew = false;

	*out = *cur;
	now = sums(t, out);
	/* bsearch() on an empty, NULL array is undefined. */
	if (t->n_seen)
		was = bsearch(cur, t->seen, t->n_seen, sizeof(*cur), cmp_key);
	then = was ? sums(t, was) : NULL;
	for (size_t i = 0; then && i < n; i++)
		if (now[i] < then[i])
			then = NULL;
	for (size_t i = 0; i < n; i++) {
		if (then)
			now[i] -= then[i];
		grew |= now[i] != 0;
	}
	return grew;
}

static bool exited(const struct row_table *t, const struct row *r)
{
	uint32_t flag;

	if (t->exited_off < 0)
		return t->gone && t->gone(r);
	memcpy(&flag, r->value + t->exited_off, sizeof(flag));
	return flag;
}

static unsigned int mark_of(const struct row *r)
{
	return row_pid(r) % ROW_MARKS;
}

/*
 * One pass of @prog over every task of mmtrace's pid namespace. What it
 * writes is tgids (__u32): with @keep, the byte of each one's mark is set.
 */
static int run_task_iterator(struct bpf_program *prog, unsigned char *keep)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	uint32_t tgids[64];
	size_t have = 0;
	ssize_t n;
	int fd, err = 0;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/*
	 * The program runs for each task while read() walks them; EAGAIN:
	 * a million tasks without output in one read, go on.
	 */
	while ((n = read(fd, (char *)tgids + have, sizeof(tgids) - have)) > 0 ||
	       (n < 0 && (errno == EINTR || errno == EAGAIN))) {
		if (n <= 0)
			continue;
		have += n;
		for (size_t i = 0; keep && i < have / sizeof(*tgids); i++)
			keep[tgids[i] % ROW_MARKS] = 1;
		/* A read may end inside a tgid: keep its first bytes. */
		memmove(tgids, (char *)tgids + have - have % sizeof(*tgids),
			have % sizeof(*tgids));
		have %= sizeof(*tgids);
	}
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

bool row_process_gone(const struct row *r)
{
	return kill((pid_t)row_pid(r), 0) && errno == ESRCH;
}

/* Does a process of @gone live on? Its leader exited, its threads may not. */
static bool any_alive(const struct rows *gone)
{
	for (size_t i = 0; i < gone->n; i++)
		if (!row_process_gone(&gone->r[i]))
			return true;
	return false;
}

/*
 * Deleting while iterating would restart the walk: delete afterwards.
 * Then the marks of the deleted rows are cleared, but those @keep has:
 * a row just read (@seen) shares them, or the sync iterator, run again
 * after the deletion if a deleted row's process lives on, found a live
 * thread that keeps sums for a deleted row (locks: a process whose leader
 * exited first). That thread's exit looks for its row only where the
 * mark is set, and a thread that exits before the iterator reached it
 * found its mark not yet cleared. Every row left is then marked again:
 * BPF marks a row after inserting it, so a row inserted before that last
 * walk is found by it, and one inserted later marks itself.
 */
static void delete_rows(const struct row_table *t, int fd,
			const struct rows *gone, const struct rows *seen)
{
	unsigned char key[ROW_KEY_MAX], *prev = NULL;
	unsigned char *keep;

	for (size_t i = 0; i < gone->n; i++)
		bpf_map_delete_elem(fd, gone->r[i].key);
	if (!t->marks || !gone->n)
		return;
	keep = calloc(ROW_MARKS, 1);
	if (!keep)
		return;		/* marks left set cost a lookup, never a row */
	for (size_t i = 0; i < seen->n; i++)
		keep[mark_of(&seen->r[i])] = 1;
	if (t->sync && any_alive(gone) && run_task_iterator(t->sync, keep)) {
		free(keep);
		return;
	}
	for (size_t i = 0; i < gone->n; i++)
		if (!keep[mark_of(&gone->r[i])])
			t->marks[mark_of(&gone->r[i])] = 0;
	free(keep);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (!bpf_map_get_next_key(fd, prev, key)) {
		t->marks[*(unsigned int *)key % ROW_MARKS] = 1;
		prev = key;
	}
}

/*
 * Every row read is marked, whatever BPF saw: its insert and its check of
 * the mark are not ordered against user space's clearing (no full barrier
 * in BPF), so a mark lost that way comes back within one report.
 */
static void mark_row(const struct row_table *t, const struct row *r)
{
	if (t->marks && !t->marks[mark_of(r)])
		t->marks[mark_of(r)] = 1;
}

void rows_use_object(struct row_table *t, struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj,
							   ".data.rowmarks");
	struct bpf_program *prog;
	size_t size = 0;
	void *marks;

	rows_forget_object(t);
	if (t->key_size == sizeof(unsigned int) && map) {
		marks = (void *)bpf_map__initial_value(map, &size);
		if (marks && size == ROW_MARKS)
			t->marks = marks;
	}
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER &&
		    bpf_program__fd(prog) >= 0)
			t->sync = prog;
}

void rows_forget_object(struct row_table *t)
{
	t->marks = NULL;
	t->sync = NULL;
}

/*
 * Best effort: the rows are read even if it fails, since a fold only
 * adds; what threads keep waits for a later read or their exit. Said once.
 */
static void sync_rows(const struct row_table *t)
{
	static bool said;
	int err;

	if (!t->sync)
		return;
	err = run_task_iterator(t->sync, NULL);
	if (err && !said) {
		said = true;
		fprintf(stderr, "mmtrace: cannot move what threads keep to their rows (task iterator %s): %s; their counts show when they exit\n",
			bpf_program__name(t->sync), strerror(-err));
	}
}

static int read_rows(struct row_table *t, int fd, struct rows *out,
		     bool delete)
{
	unsigned char key[ROW_KEY_MAX] = {}, next[ROW_KEY_MAX] = {};
	struct rows seen = {}, gone = {};
	struct row cur, growth;
	void *prev_key = NULL;
	int err = 0;

	if (t->key_size > ROW_KEY_MAX || t->value_size > ROW_VALUE_MAX)
		return -E2BIG;
	sync_rows(t);
	while (!err && !bpf_map_get_next_key(fd, prev_key, next)) {
		memcpy(key, next, t->key_size);
		prev_key = key;
		memset(&cur, 0, sizeof(cur));
		memcpy(cur.key, key, t->key_size);
		if (bpf_map_lookup_elem(fd, key, cur.value))
			continue;	/* deleted meanwhile */
		mark_row(t, &cur);
		if (row_growth(t, &cur, &growth))
			err = rows_push(out, &growth);
		if (!err)
			err = rows_push(exited(t, &cur) ? &gone : &seen, &cur);
	}
	if (delete)
		delete_rows(t, fd, &gone, &seen);
	free(gone.r);
	rows_sort(&seen, cmp_key);
	free(t->seen);
	t->seen = seen.r;
	t->n_seen = seen.n;
	return err;
}

int rows_read(struct row_table *t, int fd, struct rows *out)
{
	return read_rows(t, fd, out, true);
}

int rows_peek(struct row_table *t, int fd, struct rows *out)
{
	return read_rows(t, fd, out, false);
}

void rows_sort(struct rows *rows, int (*cmp)(const void *, const void *))
{
	/* qsort() on a NULL array is undefined, even for no element. */
	if (rows->n > 1)
		qsort(rows->r, rows->n, sizeof(*rows->r), cmp);
}

void rows_free(struct rows *rows)
{
	free(rows->r);
	rows->r = NULL;
	rows->n = rows->cap = 0;
}

void row_table_free(struct row_table *t)
{
	free(t->seen);
	t->seen = NULL;
	t->n_seen = 0;
	rows_forget_object(t);	/* they go with the object */
}

void rows_free_all(struct rows *rows, ...)
{
	va_list ap;

	va_start(ap, rows);
	for (; rows; rows = va_arg(ap, struct rows *))
		rows_free(rows);
	va_end(ap);
}
