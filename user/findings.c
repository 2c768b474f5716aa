// SPDX-License-Identifier: GPL-2.0
/*
 * The findings rules. Each is a threshold on numbers a view measured,
 * over one report, and names its source: the seed threads
 * (/work/shared/background.md in the project, summarized in the README),
 * a kernel commit, or a measurement in the README. A rule whose numbers
 * the running kernel cannot give (a field not known) is not evaluated,
 * and no rule gives advice that the running kernel makes wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "findings.h"
#include "output.h"
#include "rows.h"
#include "view.h"

#define PAGE_4K 4096ULL
#define NS_PER_MS 1000000ULL

/*
 * fork.pinned_copies: at least 256 base pages (1 MiB) copied at fork
 * because they may be DMA-pinned. Source: the early-COW thread (README
 * "Why", commit 70e806e4e645 "mm: Do early cow for pinned pages during
 * fork() for ptes", 5.9): every fork copies every such page, and
 * MADV_DONTFORK on the buffers removes the cost; the README measures
 * 64 pinned pages adding about 100 us to a fork.
 */
#define PINNED_COPIES_MIN 256ULL
/*
 * fork.page_table_copy: process forks averaging 2 ms or more, none of
 * it for pinned pages. Source: the README's measurement ("Findings") on
 * the 6.18 build host: a process with 1 GiB of touched 4 KiB pages (2 MiB
 * of page tables) forks in about 20 ms, one with 16 MiB in about 0.35 ms;
 * 2 ms is about 100 MiB of private memory mapped with 4 KiB pages.
 */
#define SLOW_FORK_NS (2 * NS_PER_MS)
/*
 * gup.slow_path: 64 or more pages, and at least half of those GUP-fast
 * was asked for, got by the slow path under mmap_lock. Source: mm/gup.c:
 * the lockless walk takes only present, writable-as-asked PTEs; the rest
 * fall back (the README's vmsplice of 16 untouched pages: all slow).
 */
#define GUP_SLOW_MIN 64ULL
/*
 * hugetlb.pmd_not_shared: processes of one name called huge_pmd_share
 * twice or more and never found a table to share. Source: the hugetlb
 * PMD-sharing thread (README "Why"): sharing needs MAP_SHARED mappings
 * of the same file covering whole 1 GiB (PUD) ranges at the same offset
 * (mm/hugetlb.c: vma_shareable(), page_table_shareable()).
 */
#define PMD_SHARE_CALLS_MIN 2ULL

struct rule {
	const char *id;
	const char *severity;
	bool by_comm;		/* evaluated per name, over its processes */
	enum field needs[4];	/* each must be known; F_MAX ends */
	bool (*check)(const struct subject *s, struct finding *f);
};

static void evidence(struct finding *f, const char *name,
		     unsigned long long v)
{
	if (f->n_evidence < FINDING_EVIDENCE_MAX)
		f->evidence[f->n_evidence++] = (struct evidence){ name, v };
}

/* 1536 -> "1.5 KiB"; exact below 1 KiB. */
static const char *size_text(unsigned long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%llu B", b);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static const char *ms_text(unsigned long long ns, char *buf, size_t len)
{
	snprintf(buf, len, ns < 10 * NS_PER_MS ? "%.1f ms" : "%.0f ms",
		 ns / 1e6);
	return buf;
}

static bool pinned_copies(const struct subject *s, struct finding *f)
{
	unsigned long long pages = s->v[F_PINNED_COPIES];
	unsigned long long forks = s->v[F_FORKS];
	char total[32], per[32];

	if (pages < PINNED_COPIES_MIN || !forks)
		return false;
	evidence(f, "pinned_copies", pages);
	evidence(f, "forks", forks);
	evidence(f, "bytes_per_fork", pages * PAGE_4K / forks);
	snprintf(f->what, sizeof(f->what),
		 "copied %s of maybe-pinned pages in %llu forks (%s per fork)",
		 size_text(pages * PAGE_4K, total, sizeof(total)), forks,
		 size_text(pages * PAGE_4K / forks, per, sizeof(per)));
	snprintf(f->advice, sizeof(f->advice),
		 "mark its DMA buffers MADV_DONTFORK, or start children with posix_spawn or vfork");
	snprintf(f->brief, sizeof(f->brief),
		 "%s pinned copies/fork -> MADV_DONTFORK, posix_spawn",
		 per);
	return true;
}

/* VmPTE and RssAnon of a live process, in bytes; false if it is gone. */
static bool proc_memory(unsigned int pid, unsigned long long *pte,
			unsigned long long *anon)
{
	char path[64], line[128];
	unsigned long long kb;
	int found = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "VmPTE: %llu kB", &kb) == 1) {
			*pte = kb * 1024;
			found++;
		} else if (sscanf(line, "RssAnon: %llu kB", &kb) == 1) {
			*anon = kb * 1024;
			found++;
		}
	}
	fclose(fp);
	return found == 2;
}

static bool page_table_copy(const struct subject *s, struct finding *f)
{
	unsigned long long forks = s->v[F_FORKS], pte = 0, anon = 0, mean;
	char a[32], b[32], c[32], d[32];
	int n;

	if (!forks || s->v[F_PINNED_COPIES])
		return false;
	mean = s->v[F_FORK_NS] / forks;
	if (mean < SLOW_FORK_NS)
		return false;
	evidence(f, "forks", forks);
	evidence(f, "fork_mean_ns", mean);
	evidence(f, "fork_max_ns", s->v[F_FORK_MAX_NS]);
	evidence(f, "pinned_copies", 0);
	n = snprintf(f->what, sizeof(f->what),
		     "forks take %s on average (longest %s) with no pinned pages copied",
		     ms_text(mean, a, sizeof(a)),
		     ms_text(s->v[F_FORK_MAX_NS], b, sizeof(b)));
	if (proc_memory(s->pid, &pte, &anon)) {
		evidence(f, "page_table_bytes", pte);
		evidence(f, "private_bytes", anon);
		snprintf(f->what + n, sizeof(f->what) - n,
			 ": page-table copy of its %s of private memory (%s of page tables)",
			 size_text(anon, c, sizeof(c)),
			 size_text(pte, d, sizeof(d)));
	}
	snprintf(f->advice, sizeof(f->advice),
		 "back its memory with THP (MADV_HUGEPAGE: one entry per 2 MiB), or start children with posix_spawn or vfork, which copy no page tables");
	snprintf(f->brief, sizeof(f->brief),
		 "forks take %s, no pinned pages -> THP or posix_spawn", a);
	return true;
}

/* MADV_POPULATE_WRITE is in 5.14 and later (commit 4ca9b3859dac). */
static bool kernel_has_populate_write(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 14);
}

static bool gup_slow_path(const struct subject *s, struct finding *f)
{
	unsigned long long slow = s->v[F_GUP_SLOW], fast = s->v[F_GUP_FAST];

	if (slow < GUP_SLOW_MIN || slow < fast)
		return false;
	evidence(f, "pages_slow", slow);
	evidence(f, "pages_fast", fast);
	evidence(f, "calls", s->v[F_GUP_CALLS]);
	snprintf(f->what, sizeof(f->what),
		 "GUP-fast got %llu of %llu pages by the slow path under mmap_lock (pages not present yet)",
		 slow, slow + fast);
	snprintf(f->advice, sizeof(f->advice),
		 "pre-fault the buffers before pinning them (write each page once, or MAP_POPULATE%s)",
		 kernel_has_populate_write() ? ", or MADV_POPULATE_WRITE" : "");
	snprintf(f->brief, sizeof(f->brief),
		 "%llu of %llu GUP pages slow path -> pre-fault before pinning",
		 slow, slow + fast);
	return true;
}

static bool pmd_not_shared(const struct subject *s, struct finding *f)
{
	unsigned long long calls = s->v[F_PMD_SHARE_CALLS];

	if (calls < PMD_SHARE_CALLS_MIN || s->v[F_PMD_SHARED])
		return false;
	evidence(f, "pmd_share_calls", calls);
	evidence(f, "pmd_shared", 0);
	evidence(f, "pmd_share_ns", s->v[F_PMD_SHARE_NS]);
	snprintf(f->what, sizeof(f->what),
		 "huge_pmd_share ran %llu times and found no PMD table to share: each process builds its own",
		 calls);
	snprintf(f->advice, sizeof(f->advice),
		 "map the hugetlb file MAP_SHARED over whole 1 GiB-aligned ranges, at the same file offset in every process, while they run together");
	snprintf(f->brief, sizeof(f->brief),
		 "%llu huge_pmd_share calls, 0 shared -> align on 1 GiB", calls);
	return true;
}

static const struct rule rules[] = {
	{ "fork.pinned_copies", "warning", false,
	  { F_PINNED_COPIES, F_FORKS, F_MAX }, pinned_copies },
	{ "gup.slow_path", "warning", false,
	  { F_GUP_SLOW, F_GUP_FAST, F_MAX }, gup_slow_path },
	{ "fork.page_table_copy", "info", false,
	  { F_FORKS, F_FORK_NS, F_PINNED_COPIES, F_MAX }, page_table_copy },
	{ "hugetlb.pmd_not_shared", "info", true,
	  { F_PMD_SHARE_CALLS, F_PMD_SHARED, F_MAX }, pmd_not_shared },
};

static bool rule_known(const struct rule *r, const bool known[F_MAX])
{
	for (size_t i = 0; i < 4 && r->needs[i] != F_MAX; i++)
		if (!known[r->needs[i]])
			return false;
	return true;
}

static int push(struct findings *out, const struct finding *f)
{
	struct finding *grown = realloc(out->f, (out->n + 1) * sizeof(*f));

	if (!grown)
		return -ENOMEM;
	out->f = grown;
	out->f[out->n++] = *f;
	return 0;
}

/* The subjects summed by name: pid 0. */
static struct subject *by_comm(const struct subject *subs, size_t n,
			       size_t *n_out)
{
	struct subject *g = calloc(n ? n : 1, sizeof(*g));
	size_t k = 0, j;

	if (!g)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (!strncmp(g[j].comm, subs[i].comm, COMM_LEN))
				break;
		if (j == k)
			memcpy(g[k++].comm, subs[i].comm, COMM_LEN);
		for (int x = 0; x < F_MAX; x++)
			g[j].v[x] += subs[i].v[x];
	}
	*n_out = k;
	return g;
}

static void eval_rule(const struct rule *r, const struct subject *subs,
		      size_t n, struct findings *out)
{
	for (size_t i = 0; i < n; i++) {
		struct finding f = { .id = r->id, .severity = r->severity,
				     .pid = subs[i].pid };

		memcpy(f.comm, subs[i].comm, COMM_LEN);
		if (r->check(&subs[i], &f))
			push(out, &f);
	}
}

void findings_eval(const struct subject *subs, size_t n,
		   const bool known[F_MAX], struct findings *out)
{
	struct subject *groups;
	size_t n_groups;

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		if (!rule_known(&rules[r], known))
			continue;
		if (!rules[r].by_comm) {
			eval_rule(&rules[r], subs, n, out);
			continue;
		}
		groups = by_comm(subs, n, &n_groups);
		if (groups)
			eval_rule(&rules[r], groups, n_groups, out);
		free(groups);
	}
}

static int cmp_pid(const void *a, const void *b)
{
	const struct subject *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int findings_of_view(const struct view *t, void *skel,
		     const struct obs_result *res, struct findings *out)
{
	const struct view_metrics *tm = t->metrics;
	/* Our own memory of what we saw: the view's report keeps its own. */
	static struct row_table mine;
	struct bpf_map *procs;
	struct rows rows = {};
	struct subject *subs;
	bool known[F_MAX];
	int err;

	if (!tm || !tm->rows)
		return 0;
	procs = bpf_object__find_map_by_name(t->object(skel), "procs");
	if (!procs)
		return -ENOENT;
	if (!mine.key_size) {
		mine = *tm->rows;
		mine.seen = NULL;
		mine.n_seen = 0;
	}
	/* The object's, as loaded now. */
	mine.marks = tm->rows->marks;
	mine.sync = tm->rows->sync;
	err = rows_peek(&mine, bpf_map__fd(procs), &rows);
	subs = calloc(rows.n ? rows.n : 1, sizeof(*subs));
	if (!subs)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < rows.n; i++) {
		subs[i].pid = row_pid(&rows.r[i]);
		memcpy(subs[i].comm, rows.r[i].value + tm->comm_off, COMM_LEN);
		fields_add(t, &rows.r[i], subs[i].v);
	}
	if (!err) {
		if (rows.n > 1)
			qsort(subs, rows.n, sizeof(*subs), cmp_pid);
		for (int f = 0; f < F_MAX; f++)
			known[f] = field_known(t, res, f);
		findings_eval(subs, rows.n, known, out);
	}
	free(subs);
	rows_free(&rows);
	return err;
}

static void subject_text(const struct finding *f, char *buf, size_t len)
{
	char comm[COMM_TEXT_LEN];

	text_comm(f->comm, sizeof(f->comm), comm);
	if (f->pid)
		snprintf(buf, len, "pid %u (%s)", f->pid, comm);
	else
		snprintf(buf, len, "processes named %s", comm);
}

void findings_print(FILE *out, const struct findings *f)
{
	char who[96];

	if (!f->n) {
		fprintf(out, "\nfindings: none\n");
		return;
	}
	fprintf(out, "\nfindings:\n");
	for (size_t i = 0; i < f->n; i++) {
		subject_text(&f->f[i], who, sizeof(who));
		fprintf(out, "  %s %s: %s %s\n    -> %s\n", f->f[i].severity,
			f->f[i].id, who, f->f[i].what, f->f[i].advice);
	}
}

struct json_object *findings_json(const struct findings *f)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->f[i];
		struct json_object *o = json_object_new_object();
		struct json_object *subj = json_object_new_object();
		struct json_object *ev = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(x->id));
		json_object_object_add(o, "severity",
				       json_object_new_string(x->severity));
		json_object_object_add(subj, "pid", x->pid ?
				       json_object_new_int64(x->pid) : NULL);
		json_object_object_add(subj, "comm",
				       json_comm(x->comm, sizeof(x->comm)));
		json_object_object_add(o, "subject", subj);
		for (size_t e = 0; e < x->n_evidence; e++)
			json_object_object_add(ev, x->evidence[e].name,
					       json_object_new_uint64(x->evidence[e].value));
		json_object_object_add(o, "evidence", ev);
		json_object_object_add(o, "what", json_object_new_string(x->what));
		json_object_object_add(o, "advice",
				       json_object_new_string(x->advice));
		json_object_array_add(list, o);
	}
	return list;
}

const char *findings_line(const struct findings *f, char *buf, size_t len)
{
	char who[96], comm[COMM_TEXT_LEN];

	if (!f->n) {
		snprintf(buf, len, "findings: none");
		return buf;
	}
	/* Short, for an 80-column line: "! trainer 4242: ...". */
	text_comm(f->f[0].comm, sizeof(f->f[0].comm), comm);
	if (f->f[0].pid)
		snprintf(who, sizeof(who), "%s %u", comm, f->f[0].pid);
	else
		snprintf(who, sizeof(who), "every %s", comm);
	if (f->n > 1)
		snprintf(buf, len, "! 1/%zu %s: %s", f->n, who, f->f[0].brief);
	else
		snprintf(buf, len, "! %s: %s", who, f->f[0].brief);
	return buf;
}

void findings_free(struct findings *f)
{
	free(f->f);
	f->f = NULL;
	f->n = 0;
}
