// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace top: the processes losing the most time in the traced paths,
 * refreshed every interval, full screen (ncurses) on a terminal and a
 * plain table otherwise. It loads the views as `mmtrace serve` does
 * (user/multiview.c) and reads their per-process maps once per interval
 * through user/fields.h: no BPF work of its own.
 */
#include <argp.h>
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "findings.h"
#include "multiview.h"
#include "options.h"
#include "output.h"
#include "rows.h"
#include "tasks.h"
#include "top.h"

#define TOP_MAX_VIEWS 8
#define KEY_WAIT_MS 100
#define NUM_W 6			/* a number column, without its space */

static const unsigned int intervals[] = { 1, 2, 5, 10 };

enum col {
	C_LOST,
	C_FORK_MS,
	C_FORKS,
	C_PINNED,
	C_MMAP_MS,
	C_CONT_MS,
	C_FALLBACKS,
	C_GUP_SLOW,
	C_PMD_MS,
	C_MAX,
};

/*
 * A column: its field(s), and whether it is a time (ms) or a count (a
 * rate on the screen, the interval's count in the plain table, so that a
 * script can add the tables up). LOST is the sum of the times that are
 * known: fork, mmap_lock wait, contended waits on other locks (those on
 * mmap_lock are inside the mmap_lock wait already) and huge_pmd_share.
 */
static const struct column {
	const char *screen, *plain;	/* headers, at most NUM_W wide */
	enum field field;		/* F_MAX: LOST */
	bool time;
} cols[C_MAX] = {
	[C_LOST] = { "LOSTms", "LOSTms", F_MAX, true },
	[C_FORK_MS] = { "FORKms", "FORKms", F_FORK_NS, true },
	[C_FORKS] = { "FORK/s", "FORKS", F_FORKS, false },
	[C_PINNED] = { "PIN/s", "PINNED", F_PINNED_COPIES, false },
	[C_MMAP_MS] = { "MMAPms", "MMAPms", F_MMAP_WAIT_NS, true },
	[C_CONT_MS] = { "CONTms", "CONTms", F_CONTENTION_NS, true },
	[C_FALLBACKS] = { "FALL/s", "FALLBK", F_FALLBACKS, false },
	[C_GUP_SLOW] = { "SLOW/s", "GUPSLW", F_GUP_SLOW, false },
	[C_PMD_MS] = { "PMDms", "PMDms", F_PMD_SHARE_NS, true },
};

static const enum field lost_parts[] = {
	F_FORK_NS, F_MMAP_WAIT_NS, F_OTHER_CONTENTION_NS, F_PMD_SHARE_NS,
};

struct top_view {
	const struct view *t;
	struct session s;
	bool loaded;
	int procs_fd;
	const unsigned char *bss;
};

struct top {
	struct top_view v[TOP_MAX_VIEWS];
	size_t n_views;
	bool known[F_MAX];
	struct subject *subs;	/* the last interval's, by pid */
	size_t n_subs;
	unsigned long long host[F_MAX];
	unsigned long long lost, lost_total;
	struct findings findings;
	double seconds;
	/* What the user set. */
	unsigned int interval_s;
	unsigned int duration_s;
	unsigned int rows_max;	/* plain table rows */
	enum col sort;
	bool batch, paused, findings_on;
	char name[COMM_LEN];	/* the screen's name filter ('/') */
};

struct top_opts {
	struct view_opts t;
	struct top *top;
	int err;
};

enum {
	OPT_SORT = 0x300,
	OPT_TOP,
	OPT_NO_FINDINGS,
};

static const struct argp_option top_options[] = {
	{ "interval", 'i', "SECONDS", 0,
	  "Refresh every SECONDS (default 2; the 'i' key cycles 1, 2, 5, 10)",
	  2 },
	{ "sort", OPT_SORT, "COLUMN", 0,
	  "Sort by COLUMN: lost (default), fork, forks, pinned, mmap, cont, fallbacks, gupslow, pmd",
	  2 },
	{ "batch", 'b', NULL, 0,
	  "A plain table per interval even on a terminal (it is the default when stdout is not one)",
	  3 },
	{ "top", OPT_TOP, "N", 0, "Rows in the plain table (default 20)", 3 },
	{ "no-findings", OPT_NO_FINDINGS, NULL, 0,
	  "Leave out the findings line", 3 },
	{},
};

/* -p, -c, --cgroup, -d, --max-procs, --tier, --btf, -v: in top's groups. */
static const struct argp_child top_children[] = {
	{ .argp = &common_argp },
	{},
};

static const char *const sort_names[C_MAX] = {
	"lost", "fork", "forks", "pinned", "mmap", "cont", "fallbacks",
	"gupslow", "pmd",
};

static int number(struct top_opts *to, const char *arg, unsigned long min,
		  unsigned long max, const char *what, unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(arg, min, max, what, &v)) {
		to->err = EXIT_USAGE;
		return EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_sort(struct top_opts *to, const char *arg)
{
	for (int c = 0; c < C_MAX; c++)
		if (!strcmp(arg, sort_names[c])) {
			to->top->sort = c;
			return 0;
		}
	fprintf(stderr, "mmtrace top: invalid --sort '%s': lost, fork, forks, pinned, mmap, cont, fallbacks, gupslow or pmd\n",
		text_arg(arg));
	to->err = EXIT_USAGE;
	return EINVAL;
}

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	struct top_opts *to = state->input;
	struct top *top = to->top;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &to->t;
		return 0;
	case 'i':
		return number(to, arg, 1, 3600, "interval", &top->interval_s);
	case OPT_SORT:
		return parse_sort(to, arg);
	case 'b':
		top->batch = true;
		return 0;
	case OPT_TOP:
		return number(to, arg, 1, 100000, "--top", &top->rows_max);
	case OPT_NO_FINDINGS:
		top->findings_on = false;
		return 0;
	case ARGP_KEY_ARG:
		fprintf(stderr, "mmtrace top: unexpected argument '%s' (top watches the whole system; filter with -p, -c or --cgroup)\n",
			text_arg(arg));
		to->err = EXIT_USAGE;
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int parse_top_args(int argc, char **argv, struct top_opts *to)
{
	char doc[] =
		"A live view of the processes that lose the most time in the traced "
		"memory-management paths: fork, mmap_lock waits, contended locks, "
		"PMD sharing; with pinned-page copies, faults falling back from the "
		"VMA lock and GUP-fast slow-path pages.\v"
		"Keys: < > or s: sort column; /: filter by name (Enter; empty: all); "
		"p or space: pause; i: interval 1, 2, 5, 10 s; q: quit (detaches at once).\n"
		"'-' in a column: this kernel cannot give it ('mmtrace probes' says why).\n"
		"Without a terminal on stdout (or with -b), a plain table per interval, "
		"with the interval's counts instead of rates.";
	struct argp argp = {
		.options = top_options, .parser = parse_top, .doc = doc,
		.children = top_children,
	};
	int err;

	to->t.top = 20;
	to->t.numbers_only = true;
	to->t.skip_paths = true;
	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, options_argp_flags, NULL, to);
	if (to->err)
		return to->err;
	if (err)
		return EXIT_USAGE;
	to->top->duration_s = to->t.duration_s;
	return common_check(&to->t);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_views(struct top *top, const struct view_opts *o,
		      const struct view *const *all_views, size_t n)
{
	size_t loaded = 0;
	int err;

	for (size_t i = 0; i < n && top->n_views < TOP_MAX_VIEWS; i++) {
		struct top_view *v = &top->v[top->n_views];
		struct bpf_object *obj;
		struct bpf_map *procs, *bss;
		size_t size;

		if (!all_views[i]->metrics)
			continue;
		v->t = all_views[i];
		err = multiview_open(&v->s, v->t, o, false, "mmtrace top",
				     &v->loaded);
		if (v->s.res)
			top->n_views++;
		if (err)
			return err;
		if (!v->loaded)
			continue;
		obj = v->t->object(v->s.skel);
		procs = bpf_object__find_map_by_name(obj, "procs");
		bss = bpf_object__find_map_by_name(obj, ".bss");
		v->procs_fd = procs ? bpf_map__fd(procs) : -1;
		v->bss = bss ? bpf_map__initial_value(bss, &size) : NULL;
		if (v->procs_fd < 0 || !v->bss)
			return -ENOENT;
		for (int f = 0; f < F_MAX; f++)
			top->known[f] |= field_known(v->t, v->s.res, f);
		loaded++;
	}
	if (!loaded) {
		fprintf(stderr, "mmtrace top: no view can run on this kernel ('mmtrace probes' says why)\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Detaches every view: nothing of mmtrace stays attached after this. */
static void close_views(struct top *top)
{
	struct session *s[TOP_MAX_VIEWS];

	for (size_t i = 0; i < top->n_views; i++)
		s[i] = &top->v[i].s;
	multiview_detach(s, top->n_views);
	for (size_t i = 0; i < top->n_views; i++)
		session_close(&top->v[i].s);
	top->n_views = 0;
}

/* Appends a subject for @row of view @v; NULL when memory ran out. */
static struct subject *subject_push(struct top *top, size_t *cap,
				    const struct top_view *v,
				    const struct row *row)
{
	const struct view_metrics *tm = v->t->metrics;
	struct subject *s;

	if (top->n_subs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		s = realloc(top->subs, *cap * sizeof(*s));
		if (!s)
			return NULL;
		top->subs = s;
	}
	s = &top->subs[top->n_subs++];
	memset(s, 0, sizeof(*s));
	s->pid = row_pid(row);
	memcpy(s->comm, row->value + tm->comm_off, COMM_LEN);
	fields_add(v->t, row, s->v);
	return s;
}

static unsigned long long view_losses(const struct top_view *v)
{
	unsigned long long l[LOSS_MAX], sum = 0;

	memcpy(l, v->bss + v->t->metrics->losses_off, sizeof(l));
	for (int i = 0; i < LOSS_MAX; i++)
		if (v->t->metrics->losses & LOSS_BIT(i))
			sum += l[i];
	return sum;
}

static int by_pid(const void *a, const void *b)
{
	const struct subject *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* One subject per pid: the views' rows of a process, added up. */
static void merge_by_pid(struct top *top)
{
	size_t n = 0;

	/* qsort() on a NULL array is undefined, even for no element. */
	if (top->n_subs > 1)
		qsort(top->subs, top->n_subs, sizeof(*top->subs), by_pid);
	for (size_t i = 0; i < top->n_subs; i++) {
		struct subject *s = &top->subs[i];

		if (n && top->subs[n - 1].pid == s->pid) {
			for (int f = 0; f < F_MAX; f++)
				top->subs[n - 1].v[f] += s->v[f];
			continue;
		}
		top->subs[n++] = *s;
	}
	top->n_subs = n;
}

/* One interval: every view's rows that grew, merged by pid. */
static int sample(struct top *top)
{
	unsigned long long lost = 0;
	struct rows rows = {};
	size_t cap = 0;
	int err = 0;

	top->n_subs = 0;
	free(top->subs);
	top->subs = NULL;
	memset(top->host, 0, sizeof(top->host));
	findings_free(&top->findings);
	for (size_t i = 0; !err && i < top->n_views; i++) {
		struct top_view *v = &top->v[i];

		if (!v->loaded)
			continue;
		lost += view_losses(v);
		rows.n = 0;
		err = rows_read(v->t->metrics->rows, v->procs_fd, &rows);
		for (size_t r = 0; !err && r < rows.n; r++)
			if (!subject_push(top, &cap, v, &rows.r[r]))
				err = -ENOMEM;
	}
	rows_free(&rows);
	merge_by_pid(top);
	for (size_t i = 0; i < top->n_subs; i++)
		for (int f = 0; f < F_MAX; f++)
			if (f != F_FORK_MAX_NS && f != F_HAS_PINNED)
				top->host[f] += top->subs[i].v[f];
	top->lost = lost - top->lost_total;
	top->lost_total = lost;
	if (top->findings_on)
		findings_eval(top->subs, top->n_subs, top->known,
			      &top->findings);
	return err;
}

static bool col_known(const struct top *top, enum col c)
{
	if (c != C_LOST)
		return top->known[cols[c].field];
	for (size_t i = 0; i < sizeof(lost_parts) / sizeof(lost_parts[0]); i++)
		if (top->known[lost_parts[i]])
			return true;
	return false;
}

/* A column's raw value: ns for times, a count for the others. */
static unsigned long long col_raw(const struct top *top,
				  const unsigned long long *v, enum col c)
{
	unsigned long long sum = 0;

	if (c != C_LOST)
		return v[cols[c].field];
	for (size_t i = 0; i < sizeof(lost_parts) / sizeof(lost_parts[0]); i++)
		if (top->known[lost_parts[i]])
			sum += v[lost_parts[i]];
	return sum;
}

/* What a cell shows: ms, a rate (screen) or the interval's count. */
static double col_value(const struct top *top, const unsigned long long *v,
			enum col c, bool rate)
{
	unsigned long long raw = col_raw(top, v, c);

	if (cols[c].time)
		return raw / 1e6;
	return rate && top->seconds > 0 ? raw / top->seconds : (double)raw;
}

/* Fits @v into NUM_W characters: 12.3, 1234, 12.3k, 123M. */
static const char *cell(char *buf, size_t len, double v, bool time)
{
	static const char suffix[] = "kMGT";
	int s = -1;

	if (v < 100 && (time || v != (unsigned long long)v)) {
		snprintf(buf, len, "%.1f", v);
		return buf;
	}
	if (v < 1e5) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	while (v >= 1000 && s < 3) {
		v /= 1000;
		s++;
	}
	snprintf(buf, len, v < 100 ? "%.1f%c" : "%.0f%c", v, suffix[s]);
	return buf;
}

/* A cell: "-" when unknown; the plain table's counts are exact. */
static const char *col_text(const struct top *top,
			    const unsigned long long *v, enum col c, bool rate,
			    char *buf, size_t len)
{
	if (!col_known(top, c))
		return "-";
	if (!rate && !cols[c].time) {
		snprintf(buf, len, "%llu", col_raw(top, v, c));
		return buf;
	}
	return cell(buf, len, col_value(top, v, c, rate), cols[c].time);
}

static struct top *sort_top;

static int cmp_rows(const void *a, const void *b)
{
	const struct subject *x = a, *y = b;
	unsigned long long vx = col_raw(sort_top, x->v, sort_top->sort);
	unsigned long long vy = col_raw(sort_top, y->v, sort_top->sort);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The subjects to show, sorted, those the name filter keeps. */
static size_t shown(struct top *top, struct subject **out)
{
	size_t n = 0;

	*out = calloc(top->n_subs ? top->n_subs : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < top->n_subs; i++) {
		char comm[COMM_LEN + 1] = "";

		memcpy(comm, top->subs[i].comm, COMM_LEN);
		if (top->name[0] && !strstr(comm, top->name))
			continue;
		(*out)[n++] = top->subs[i];
	}
	sort_top = top;
	if (n > 1)
		qsort(*out, n, sizeof(**out), cmp_rows);
	return n;
}

static enum probe_tier obs_tier(const struct top_view *v, size_t o)
{
	return v->loaded ? probe_result_tier(&v->t->obs[o], &v->s.res[o]) :
			   TIER_NONE;
}

static bool view_one_tier(const struct top_view *v, enum probe_tier *tier)
{
	bool first = true;

	for (size_t o = 0; o < v->t->n_obs; o++) {
		enum probe_tier t;

		if (v->t->obs[o].support)
			continue;
		t = obs_tier(v, o);
		if (!first && t != *tier)
			return false;
		*tier = t;
		first = false;
	}
	return true;
}

/*
 * The tier of each observation, grouped by tier: "tracepoint: fork.syscalls
 * locks  none: gup hugetlb" (a view whose observations share a tier is
 * named once).
 */
static void tiers_text(const struct top *top, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int tier = TIER_FENTRY; tier <= TIER_NONE && n < len; tier++) {
		bool named = false;

		for (size_t i = 0; i < top->n_views && n < len; i++) {
			const struct top_view *v = &top->v[i];
			enum probe_tier one = TIER_NONE;

			if (view_one_tier(v, &one)) {
				if ((int)one != tier)
					continue;
				n += snprintf(buf + n, len - n, "%s%s%s",
					      named ? " " : n ? "  " : "",
					      named ? "" : probe_tier_name(tier),
					      named ? v->t->name : "");
				if (!named)
					n += snprintf(buf + n, len - n, ": %s",
						      v->t->name);
				named = true;
				continue;
			}
			for (size_t o = 0; o < v->t->n_obs && n < len; o++) {
				if (v->t->obs[o].support ||
				    (int)obs_tier(v, o) != tier)
					continue;
				if (!named)
					n += snprintf(buf + n, len - n, "%s%s:",
						      n ? "  " : "",
						      probe_tier_name(tier));
				n += snprintf(buf + n, len - n, " %s",
					      v->t->obs[o].name);
				named = true;
			}
		}
	}
}

static void host_text(const struct top *top, char *buf, size_t len,
		      bool rate)
{
	static const enum col host_cols[] = {
		C_FORKS, C_PINNED, C_FORK_MS, C_MMAP_MS, C_CONT_MS,
		C_FALLBACKS, C_GUP_SLOW, C_PMD_MS,
	};
	char num[32];
	size_t n;

	n = snprintf(buf, len, "%s: %zu procs",
		     top->v[0].s.filter.tgid || top->v[0].s.filter.comm_set ||
		     top->v[0].s.filter.cgroup_set ? "traced" : "host",
		     top->n_subs);
	for (size_t i = 0; i < sizeof(host_cols) / sizeof(host_cols[0]) &&
			   n < len; i++) {
		enum col c = host_cols[i];

		n += snprintf(buf + n, len - n, "  %s %s",
			      rate ? cols[c].screen : cols[c].plain,
			      col_text(top, top->host, c, rate, num, sizeof(num)));
	}
}

/* A table row or its header, into @buf; COMM is @comm_w wide. */
static void row_text(const struct top *top, const struct subject *s,
		     bool rate, int comm_w, char *buf, size_t len)
{
	char comm[COMM_TEXT_LEN], num[32];
	size_t n;

	if (!s) {
		n = snprintf(buf, len, "%7s %-*s", "PID", comm_w, "COMM");
		for (int c = 0; c < C_MAX && n < len; c++)
			n += snprintf(buf + n, len - n, " %*s", NUM_W,
				      rate ? cols[c].screen : cols[c].plain);
		return;
	}
	text_comm(s->comm, sizeof(s->comm), comm);
	n = snprintf(buf, len, "%7u %-*.*s", s->pid, comm_w, comm_w, comm);
	for (int c = 0; c < C_MAX && n < len; c++)
		n += snprintf(buf + n, len - n, " %*s", NUM_W,
			      col_text(top, s->v, c, rate, num, sizeof(num)));
}

static const char legend[] =
	"ms: in the last interval; -: this kernel cannot give it (mmtrace probes)";

/* The plain table: one per interval, for pipes, files and scripts. */
static void print_plain(struct top *top, FILE *out)
{
	char buf[1024], ts[32];
	struct subject *s;
	time_t now = time(NULL);
	struct tm tm;
	size_t n = shown(top, &s), lim;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	tiers_text(top, buf, sizeof(buf));
	fprintf(out, "\nmmtrace top %s  interval %.1f s  sort %s\ntiers: %s\n",
		ts, top->seconds, cols[top->sort].plain, buf);
	host_text(top, buf, sizeof(buf), false);
	fprintf(out, "%s\n%s; counts are the interval's\n", buf, legend);
	row_text(top, NULL, false, 15, buf, sizeof(buf));
	fprintf(out, "%s\n", buf);
	lim = n < top->rows_max ? n : top->rows_max;
	for (size_t i = 0; i < lim; i++) {
		row_text(top, &s[i], false, 15, buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
	}
	if (lim < n)
		fprintf(out, "(%zu more processes; --top shows them)\n", n - lim);
	fprintf(out, "lost %llu (%llu since start: full maps, raise --max-procs)\n",
		top->lost, top->lost_total);
	if (top->findings_on)
		findings_print(out, &top->findings);
	fflush(out);
	free(s);
}

static int run_plain(struct top *top)
{
	const struct timespec tick = { .tv_nsec = KEY_WAIT_MS * 1000000L };
	double start = now_seconds(), last = start, now;
	int err = 0;

	bool end = false;

	/* The last table covers the time since the one before: they add up. */
	while (!end && !err) {
		nanosleep(&tick, NULL);
		now = now_seconds();
		end = stop_requested ||
		      (top->duration_s && now - start >= top->duration_s);
		if (!end && now - last < top->interval_s)
			continue;
		top->seconds = now - last;
		last = now;
		err = sample(top);
		if (!err)
			print_plain(top, stdout);
	}
	return err;
}

/*
 * Writes @text from line @y, breaking lines only between items, which
 * are separated by two spaces; returns the next line.
 */
static int wrap(int y, const char *prefix, const char *text)
{
	int indent = strlen(prefix), x = indent;
	const char *p = text;

	mvaddstr(y, 0, prefix);
	while (*p) {
		const char *end = strstr(p, "  ");
		int w = end ? end - p : (int)strlen(p);

		if (x + w > COLS && x > indent) {
			y++;
			x = indent;
			move(y, x);
		}
		addnstr(p, w);
		x += w;
		p += w;
		if (*p) {
			addstr("  ");
			x += 2;
			p += 2;
		}
	}
	return y + 1;
}

static void draw(struct top *top)
{
	char buf[1024], head[128];
	struct subject *s;
	size_t n = shown(top, &s);
	int comm_w = COLS - 8 - C_MAX * (NUM_W + 1) - 1;
	int y, rows;

	if (comm_w > 15)
		comm_w = 15;
	if (comm_w < 4)
		comm_w = 4;
	erase();
	snprintf(head, sizeof(head),
		 "mmtrace top - every %us%s%s%s - sort %s - %zu shown",
		 top->interval_s, top->paused ? " - PAUSED" : "",
		 top->name[0] ? " - name " : "", top->name,
		 cols[top->sort].screen, n);
	attron(A_BOLD);
	mvaddnstr(0, 0, head, COLS);
	attroff(A_BOLD);
	tiers_text(top, buf, sizeof(buf));
	y = wrap(1, "tiers: ", buf);
	host_text(top, buf, sizeof(buf), true);
	y = wrap(y, "", buf);
	mvaddnstr(y++, 0, legend, COLS);
	row_text(top, NULL, true, comm_w, buf, sizeof(buf));
	attron(A_REVERSE);
	mvaddnstr(y++, 0, buf, COLS);
	attroff(A_REVERSE);
	rows = LINES - y - 2;
	for (size_t i = 0; (int)i < rows && i < n; i++) {
		row_text(top, &s[i], true, comm_w, buf, sizeof(buf));
		mvaddnstr(y + i, 0, buf, COLS);
	}
	snprintf(buf, sizeof(buf),
		 "lost %llu (%llu since start) | </>:sort /:name p:pause i:interval q:quit",
		 top->lost, top->lost_total);
	mvaddnstr(LINES - 2, 0, buf, COLS);
	if (top->findings_on) {
		findings_line(&top->findings, buf, sizeof(buf));
		mvaddnstr(LINES - 1, 0, buf, COLS);
	}
	free(s);
	refresh();
}

/* The name filter, typed on the bottom line; Enter ends, Esc cancels. */
static void ask_name(struct top *top)
{
	char name[COMM_LEN] = "";
	size_t n = 0;
	int ch;

	timeout(-1);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		printw("name (Enter: apply, empty: all): %s", name);
		refresh();
		ch = getch();
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			break;
		/* Esc, or a signal to stop: the filter stays as it was. */
		if (ch == 27 || (ch == ERR && stop_requested)) {
			timeout(KEY_WAIT_MS);
			return;
		}
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n)
			name[--n] = '\0';
		else if (ch >= 0x20 && ch < 0x7f && n < COMM_LEN - 1)
			name[n++] = ch, name[n] = '\0';
	}
	memcpy(top->name, name, sizeof(name));
	timeout(KEY_WAIT_MS);
}

static void next_interval(struct top *top)
{
	size_t n = sizeof(intervals) / sizeof(intervals[0]);

	for (size_t i = 0; i < n; i++)
		if (intervals[i] > top->interval_s) {
			top->interval_s = intervals[i];
			return;
		}
	top->interval_s = intervals[0];
}

/* Returns false to quit. */
static bool on_key(struct top *top, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case '>':
	case 's':
	case KEY_RIGHT:
		top->sort = (top->sort + 1) % C_MAX;
		break;
	case '<':
	case KEY_LEFT:
		top->sort = (top->sort + C_MAX - 1) % C_MAX;
		break;
	case '/':
	case 'f':
		ask_name(top);
		break;
	case 'p':
	case ' ':
		top->paused = !top->paused;
		break;
	case 'i':
		next_interval(top);
		break;
	default:
		return true;
	}
	draw(top);
	return true;
}

static int run_screen(struct top *top)
{
	double start = now_seconds(), last = start, now;
	bool first = true;
	int err = 0, ch;

	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(KEY_WAIT_MS);
	draw(top);
	while (!stop_requested && !err) {
		ch = getch();
		if (ch != ERR && ch != KEY_RESIZE && !on_key(top, ch))
			break;
		if (ch == KEY_RESIZE)
			draw(top);
		now = now_seconds();
		if (top->duration_s && now - start >= top->duration_s)
			break;
		/* The first picture comes after one second, not a whole interval. */
		if (now - last < (first ? 1 : top->interval_s))
			continue;
		first = false;
		top->seconds = now - last;
		last = now;
		/* Paused: the maps keep counting; the next sample covers it all. */
		if (top->paused)
			continue;
		err = sample(top);
		draw(top);
	}
	/* Quit detaches at once: before the screen is restored. */
	close_views(top);
	endwin();
	return err;
}

int top_main(const struct view *const *all_views, size_t n_views, int argc,
	     char **argv)
{
	struct top top = {
		.interval_s = 2, .rows_max = 20, .findings_on = true,
	};
	struct top_opts to = { .top = &top };
	struct sigaction sa = { .sa_handler = on_stop };
	int err;

	err = parse_top_args(argc, argv, &to);
	if (err)
		return err;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (session_preflight())
		return 1;
	if (!top.batch && (!isatty(STDOUT_FILENO) || !getenv("TERM")))
		top.batch = true;
	err = open_views(&top, &to.t, all_views, n_views);
	if (err)
		goto out;
	if (top.batch) {
		tasks_banner(&top.v[0].s.filter);
		fprintf(stderr, "mmtrace top: a table every %u s. Ctrl-C to stop.\n",
			top.interval_s);
		err = run_plain(&top);
	} else {
		err = run_screen(&top);
	}
out:
	close_views(&top);
	findings_free(&top.findings);
	free(top.subs);
	kernel_env_live_cleanup();
	if (err == -EINTR)
		return 130;
	return err ? 1 : 0;
}
