// SPDX-License-Identifier: GPL-2.0
/*
 * The findings rules at their thresholds: one unit below is silent, the
 * threshold fires, with its numbers as evidence; a rule whose numbers the
 * kernel cannot give (not known) says nothing, whatever they are.
 */
#include <stdbool.h>
#include <string.h>
#include "check.h"
#include "findings.h"

static bool all[F_MAX];

static struct subject subj(unsigned int pid, const char *comm)
{
	struct subject s = { .pid = pid };

	strncpy(s.comm, comm, COMM_LEN - 1);
	return s;
}

static const struct finding *eval(const struct subject *s, size_t n,
				  const bool *known, struct findings *f)
{
	findings_free(f);
	findings_eval(s, n, known, f);
	return f->n ? &f->f[0] : NULL;
}

static unsigned long long ev(const struct finding *f, const char *name)
{
	for (size_t i = 0; f && i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].name, name))
			return f->evidence[i].value;
	return ~0ULL;
}

static void pinned(struct findings *f)
{
	struct subject s = subj(42, "trainer");
	const struct finding *x;
	bool known[F_MAX];

	s.v[F_FORKS] = 4;
	s.v[F_PINNED_COPIES] = 255;
	CHECK(!eval(&s, 1, all, f), "255 pinned pages: silent");
	s.v[F_PINNED_COPIES] = 256;
	x = eval(&s, 1, all, f);
	CHECK(x && f->n == 1 && !strcmp(x->id, "fork.pinned_copies") &&
	      x->pid == 42 && !strcmp(x->comm, "trainer"), "256 fire");
	CHECK(ev(x, "pinned_copies") == 256 && ev(x, "forks") == 4 &&
	      ev(x, "bytes_per_fork") == 256 * 4096 / 4, "evidence");
	CHECK(x && strstr(x->what, "1.0 MiB") && strstr(x->advice, "MADV_DONTFORK"),
	      "what %s", x ? x->what : "");
	memcpy(known, all, sizeof(known));
	known[F_PINNED_COPIES] = false;
	CHECK(!eval(&s, 1, known, f), "pinned copies not known: silent");
}

static void slow_fork(struct findings *f)
{
	/* Pid 0 never exists: no /proc memory, the rule still fires. */
	struct subject s = subj(0x7fffffff, "bigfork");
	const struct finding *x;

	s.v[F_FORKS] = 3;
	s.v[F_FORK_NS] = 3 * 2000000ULL - 1;
	s.v[F_FORK_MAX_NS] = 2500000;
	CHECK(!eval(&s, 1, all, f), "mean 1999999 ns: silent");
	s.v[F_FORK_NS] = 3 * 2000000ULL;
	x = eval(&s, 1, all, f);
	CHECK(x && !strcmp(x->id, "fork.page_table_copy") &&
	      ev(x, "fork_mean_ns") == 2000000 &&
	      ev(x, "fork_max_ns") == 2500000 && ev(x, "forks") == 3,
	      "mean 2 ms fires");
	s.v[F_PINNED_COPIES] = 1;
	x = eval(&s, 1, all, f);
	CHECK(!x, "with a pinned copy: not a page-table finding");
	s.v[F_FORKS] = 0;
	s.v[F_PINNED_COPIES] = 0;
	CHECK(!eval(&s, 1, all, f), "no fork: silent");
}

static void gup(struct findings *f)
{
	struct subject s = subj(7, "dma");
	const struct finding *x;
	bool known[F_MAX];

	s.v[F_GUP_SLOW] = 63;
	CHECK(!eval(&s, 1, all, f), "63 slow: silent");
	s.v[F_GUP_SLOW] = 64;
	s.v[F_GUP_FAST] = 65;
	CHECK(!eval(&s, 1, all, f), "64 slow, 65 fast: silent");
	s.v[F_GUP_FAST] = 64;
	s.v[F_GUP_CALLS] = 4;
	x = eval(&s, 1, all, f);
	CHECK(x && !strcmp(x->id, "gup.slow_path") &&
	      ev(x, "pages_slow") == 64 && ev(x, "pages_fast") == 64 &&
	      ev(x, "calls") == 4, "64 slow of 128 fires");
	memcpy(known, all, sizeof(known));
	known[F_GUP_FAST] = known[F_GUP_SLOW] = false;
	CHECK(!eval(&s, 1, known, f), "no slow-path split: silent");
}

static void pmd(struct findings *f)
{
	struct subject s[3] = { subj(1, "db"), subj(2, "db"), subj(3, "web") };
	const struct finding *x;

	s[0].v[F_PMD_SHARE_CALLS] = 1;
	s[2].v[F_PMD_SHARE_CALLS] = 1;
	CHECK(!eval(s, 3, all, f), "one call per name: silent");
	s[1].v[F_PMD_SHARE_CALLS] = 1;
	s[1].v[F_PMD_SHARE_NS] = 500;
	x = eval(s, 3, all, f);
	CHECK(x && f->n == 1 && !strcmp(x->id, "hugetlb.pmd_not_shared") &&
	      x->pid == 0 && !strcmp(x->comm, "db") &&
	      ev(x, "pmd_share_calls") == 2 && ev(x, "pmd_shared") == 0 &&
	      ev(x, "pmd_share_ns") == 500, "two calls of db, none shared");
	s[1].v[F_PMD_SHARED] = 1;
	CHECK(!eval(s, 3, all, f), "one shared: silent");
}

int main(void)
{
	struct findings f = {};
	char line[128];

	for (int i = 0; i < F_MAX; i++)
		all[i] = true;
	pinned(&f);
	slow_fork(&f);
	gup(&f);
	pmd(&f);
	findings_free(&f);
	CHECK(!strcmp(findings_line(&f, line, sizeof(line)), "findings: none"),
	      "%s", line);
	CHECK_DONE();
}
