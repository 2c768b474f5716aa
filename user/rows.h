/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-report rows of a BPF hash map whose values hold counters that only
 * grow (per-process tables, lock tables). Rows stay in the map; each
 * report shows what grew since the previous one, so no update is lost to
 * a read-then-delete race. Rows of exited processes are reported once
 * more and then deleted, so the map does not fill with the dead.
 */
#ifndef MMTRACE_ROWS_H
#define MMTRACE_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#define ROW_KEY_MAX 16
#define ROW_VALUE_MAX 512

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

struct row;

/* How a map's values are laid out, and what the previous report saw. */
struct row_table {
	size_t key_size;	/* <= ROW_KEY_MAX */
	size_t value_size;	/* <= ROW_VALUE_MAX */
	size_t sums_off;	/* the __u64 counters that only grow */
	size_t sums_end;
	long exited_off;	/* a __u32 set when the process exited; -1 */
	/* Without such a flag: is this row's process gone? (optional) */
	bool (*gone)(const struct row *r);
	struct row *seen;	/* previous report, sorted by key */
	size_t n_seen;
	/*
	 * The BPF object's row_marks (a tgid-keyed table's, ROW_MARKS
	 * bytes, mapped), kept true as rows are deleted; NULL: none.
	 */
	volatile unsigned char *marks;
	/*
	 * The object's task iterator (a loaded program of attach type
	 * BPF_TRACE_ITER; a view has at most one), run before each read: it
	 * moves what threads keep of their own to their rows (locks:
	 * fold_waits). Run again after rows were deleted, the tgids it
	 * writes (__u32) are those whose live threads keep sums for a row
	 * that is gone: their marks stay set. NULL: none, or not loaded.
	 */
	struct bpf_program *sync;
};

/*
 * A view's process rows: keys of @key_type, values of @row_type whose
 * counters that only grow run from @first to @last, and whose exited flag
 * the exit program sets (trailing arguments: more initializers).
 */
#define PROC_ROW_TABLE(key_type, row_type, first, last, ...)                 \
	{ .key_size = sizeof(key_type), .value_size = sizeof(row_type),      \
	  .sums_off = offsetof(row_type, first),                             \
	  .sums_end = offsetofend(row_type, last),                           \
	  .exited_off = offsetof(row_type, exited), __VA_ARGS__ }

/* One row as read: the key and the value in slots of fixed size. */
struct row {
	unsigned char key[ROW_KEY_MAX];
	unsigned char value[ROW_VALUE_MAX] __attribute__((aligned(8)));
};

struct rows {
	struct row *r;
	size_t n, cap;
};

/*
 * Appends to @out every row of map @fd that grew since the previous call,
 * with its counters as the growth; other fields as they are now. @t's
 * sync iterator runs first (a failure is said once on stderr, and the
 * rows are read all the same). Returns 0 or -errno (-E2BIG: @t's sizes).
 */
int rows_read(struct row_table *t, int fd, struct rows *out);

/*
 * As rows_read(), for a second reader of a map whose owner reads it next
 * (user/findings.c beside a view's report): exited rows are left for the
 * owner to report and delete. @t is the second reader's own copy.
 */
int rows_peek(struct row_table *t, int fd, struct rows *out);

/*
 * Gives @t what @obj keeps for its rows, each if @obj has it: its
 * row_marks (bpf/common.bpf.h; @t keyed by tgid only) and its loaded task
 * iterator (row_table.sync). Call after load.
 */
struct bpf_object;
void rows_use_object(struct row_table *t, struct bpf_object *obj);

/* Takes back what rows_use_object() gave @t: call before @obj goes. */
void rows_forget_object(struct row_table *t);

/* Appends a copy of @r (e.g. a row made up at the final report). */
int rows_push(struct rows *rows, const struct row *r);

/* qsort() of the rows; @cmp compares two struct row. */
void rows_sort(struct rows *rows, int (*cmp)(const void *, const void *));

void rows_free(struct rows *rows);
void row_table_free(struct row_table *t);
/* rows_free() on each of a NULL-terminated list. */
void rows_free_all(struct rows *rows, ...);

/* The key of per-process tables: the process id. */
static inline unsigned int row_pid(const struct row *r)
{
	return *(const unsigned int *)r->key;
}

/*
 * Is the process of per-process row @r gone: no thread of it left, its
 * pid free (kill(pid, 0): ESRCH)? For a table without an exited flag
 * (row_table.gone), and for one whose leader exited first.
 */
bool row_process_gone(const struct row *r);

#endif /* MMTRACE_ROWS_H */
