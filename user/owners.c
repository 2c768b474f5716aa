// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "metrics.h"
#include "output.h"
#include "owners.h"

static int cmp_owner_lines(const void *a, const void *b)
{
	const struct owner_line *x = a, *y = b;
	int c;

	if (x->sum.wait_ns != y->sum.wait_ns)
		return x->sum.wait_ns < y->sum.wait_ns ? 1 : -1;
	c = strcmp(x->lock, y->lock);
	if (c)
		return c;
	if (x->known != y->known)
		return y->known - x->known;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct owner_line *find_line(struct owner_line *lines, size_t n,
				    const struct owner_line *l)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(lines[i].lock, l->lock) &&
		    lines[i].known == l->known && lines[i].pid == l->pid)
			return &lines[i];
	return NULL;
}

struct owner_line *owner_lines(const struct rows *rows, lock_owner_namer name,
			       const void *arg, size_t *n_lines)
{
	struct owner_line *lines, cur, *l;
	size_t n = 0;

	lines = calloc(rows->n + 1, sizeof(*lines));
	if (!lines)
		return NULL;
	for (size_t i = 0; i < rows->n; i++) {
		const struct lock_owner_key *k = (const void *)rows->r[i].key;
		const struct lock_owner_stats *st = (const void *)rows->r[i].value;

		memset(&cur, 0, sizeof(cur));
		if (!name(k, cur.lock, sizeof(cur.lock), arg))
			continue;
		cur.known = k->kind & LOCK_OWNER_KNOWN;
		cur.pid = k->pid;
		memcpy(cur.comm, st->comm, sizeof(cur.comm));
		l = find_line(lines, n, &cur);
		if (!l) {
			l = &lines[n++];
			*l = cur;
		}
		l->sum.waits += st->waits;
		l->sum.wait_ns += st->wait_ns;
	}
	qsort(lines, n, sizeof(*lines), cmp_owner_lines);
	*n_lines = n;
	return lines;
}

int owner_row_push(struct rows *rows, const struct lock_owner_key *k,
		   const char *comm, unsigned long long ns)
{
	struct lock_owner_stats *st;
	struct row fresh = {};

	memcpy(fresh.key, k, sizeof(*k));
	st = (void *)fresh.value;
	st->waits = 1;
	st->wait_ns = ns;
	memcpy(st->comm, comm, sizeof(st->comm));
	return rows_push(rows, &fresh);
}

static struct json_object *owner_json(const struct owner_line *l)
{
	struct json_object *j = json_object_new_object();
	bool pid = l->known && l->pid;

	json_object_object_add(j, "lock", json_object_new_string(l->lock));
	json_object_object_add(j, "owner_pid",
			       pid ? json_object_new_int64(l->pid) : NULL);
	json_object_object_add(j, "owner_comm", l->known ?
			       json_comm(l->comm, sizeof(l->comm)) : NULL);
	json_object_object_add(j, "waits", json_object_new_uint64(l->sum.waits));
	json_object_object_add(j, "wait_ns",
			       json_object_new_uint64(l->sum.wait_ns));
	return j;
}

struct json_object *owners_json(const struct rows *rows,
				lock_owner_namer name, const void *arg)
{
	struct json_object *a = json_object_new_array();
	struct owner_line *lines;
	size_t n = 0;

	lines = owner_lines(rows, name, arg, &n);
	for (size_t i = 0; lines && i < n; i++)
		json_object_array_add(a, owner_json(&lines[i]));
	free(lines);
	return a;
}

void owners_text(FILE *out, const struct rows *rows, lock_owner_namer name,
		 const void *arg, size_t top)
{
	char comm[COMM_TEXT_LEN], esc[LOCK_NAME_LEN * 4 + 1], pid[16];
	struct owner_line *lines;
	size_t n = 0, shown;

	lines = owner_lines(rows, name, arg, &n);
	if (!lines || !n) {
		free(lines);
		return;
	}
	shown = n < top ? n : top;
	fprintf(out, "\n%10s %12s  %-8s %-16s %s\n", "waits", "total wait",
		"OWNER", "COMM", "lock");
	for (size_t i = 0; i < shown; i++) {
		const struct owner_line *l = &lines[i];

		text_escape(l->lock, strlen(l->lock), esc, sizeof(esc));
		snprintf(pid, sizeof(pid), "%u", l->pid);
		if (l->known)
			text_comm(l->comm, sizeof(l->comm), comm);
		fprintf(out, "%10llu %9llu us  %-8s %-16s %s\n", l->sum.waits,
			l->sum.wait_ns / 1000, l->known && l->pid ? pid : "-",
			l->known ? comm : "(not recorded)", esc);
	}
	if (shown < n)
		fprintf(out, "(%zu more holders; --top or --json shows them)\n",
			n - shown);
	free(lines);
}

void label_pair_render(struct metrics *m, struct label_table *t,
		       const char *family, const char *help, const char *l0,
		       const char *l1, size_t sum, int decimals)
{
	struct metric_label l[2] = { { l0, NULL }, { l1, NULL } };
	char buf[LABEL_VALUE_LEN];
	char *sep;

	metrics_family(m, family, METRIC_COUNTER, help);
	for (size_t i = 0; i <= t->n; i++) {
		const struct label_entry *e = i < t->n ? &t->e[i] : &t->other;

		if (i == t->n && !t->other_used)
			break;
		snprintf(buf, sizeof(buf), "%s", e->value);
		sep = strchr(buf, '\x1f');
		if (sep)
			*sep++ = '\0';
		l[0].value = buf;
		l[1].value = sep ? sep : buf;
		metrics_sample(m, l, 2, label_exposed(e, sum), decimals);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void owner_labels_render(struct metrics *m, struct owner_labels *ol,
			 const char *prefix, const struct rows *growth,
			 lock_owner_namer name, const void *arg, size_t top,
			 bool head)
{
	char family[128], value[LABEL_VALUE_LEN], comm[COMM_UTF8_LEN];
	struct owner_line *lines;
	struct label_entry *e;
	double now = now_s();
	size_t n = 0;

	if (!ol->ready && label_table_init(&ol->t, top, 2))
		return;
	ol->ready = true;
	lines = owner_lines(growth, name, arg, &n);
	for (size_t i = 0; lines && i < n; i++) {
		utf8_sanitize(lines[i].comm, sizeof(lines[i].comm), comm,
			      sizeof(comm));
		snprintf(value, sizeof(value), "%s\x1f%s", lines[i].lock,
			 lines[i].known ? comm : "unknown");
		e = label_table_get(&ol->t, value, now);
		e->sums[0] += lines[i].sum.waits;
		e->sums[1] += lines[i].sum.wait_ns;
	}
	free(lines);
	snprintf(family, sizeof(family), "%s_owner_waits", prefix);
	label_pair_render(m, &ol->t, family,
			  "Waits on a contended lock, by lock and by the thread the kernel recorded as its holder (owner=\"unknown\": none recorded)",
			  "lock", "owner", 0, 0);
	snprintf(family, sizeof(family), "%s_owner_wait_seconds", prefix);
	label_pair_render(m, &ol->t, family,
			  "Time waited on a contended lock, by lock and holder",
			  "lock", "owner", 1, 9);
	if (!head)
		label_table_shown(&ol->t);
}
