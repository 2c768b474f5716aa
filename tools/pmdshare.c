// SPDX-License-Identifier: GPL-2.0
/*
 * pmdshare - a workload whose hugetlb PMD-table sharing is known.
 *
 * Processes that map the same hugetlb file MAP_SHARED over a whole PUD-sized
 * (1 GiB), PUD-aligned range share the PMD page table of that range: the
 * first fault of the range in each process finds no PMD table (pud_none)
 * and calls huge_pmd_share(), which looks in the file's i_mmap tree for
 * another process's VMA of the same file range that has a PMD table, and
 * takes a share of it; if none has one, it allocates a table of its own.
 * Later faults of the range find the table and do not call it again.
 *
 * P processes are started one after the other; each maps the range at the
 * same address, faults K huge pages in it, then waits until all are done
 * (a table is only shared while its owner lives). So huge_pmd_share runs
 * once per process (P calls) and finds a table to share in every process
 * but the first: P - 1 shares. MAP_PRIVATE is never shared: 0 shares.
 *
 * MAP_NORESERVE: the 1 GiB range needs no reservation of 512 huge pages;
 * only the K pages faulted come from the pool.
 *
 * The sharing is also MEASURED: the first process writes K pages; a later
 * process that shared its table finds those K entries present and takes
 * one page fault (the one that called huge_pmd_share) to read them all; one
 * with a table of its own takes K. getrusage() counts them.
 *
 * Prints one JSON line on stdout. Static, raw syscalls only.
 */
#define WORKLOAD "pmdshare"
#include "workload.h"
#include <stdbool.h>

#define HUGE_PAGE_SIZE		(2UL << 20)
#define MAX_PROCS		64

struct child {
	pid_t pid;
	long faults;		/* page faults taken to touch the K pages */
};

struct config {
	int procs;
	int pages;		/* K: huge pages each process touches */
	int delay_ms;		/* pause between processes */
	bool private;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pmdshare [--procs P] [--pages K] [--private] [--delay-ms MS]\n"
		"P processes (1..%d, default 4) map one 1 GiB-aligned hugetlb memfd\n"
		"range MAP_SHARED (or MAP_PRIVATE) and touch K huge pages (1..256,\n"
		"default 4), one after the other (MS apart, default 0); prints the\n"
		"expected and measured PMD-table shares as JSON.\n",
		MAX_PROCS);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "procs", required_argument, NULL, 'P' },
		{ "pages", required_argument, NULL, 'k' },
		{ "private", no_argument, NULL, 'p' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*cfg = (struct config){ .procs = 4, .pages = 4 };
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			cfg->procs = atoi(optarg);
			break;
		case 'k':
			cfg->pages = atoi(optarg);
			break;
		case 'p':
			cfg->private = true;
			break;
		case 'd':
			cfg->delay_ms = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || cfg->procs < 1 || cfg->procs > MAX_PROCS ||
	    cfg->pages < 1 || cfg->pages > 256 || cfg->delay_ms < 0 ||
	    cfg->delay_ms > 10000) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * The child: map, touch, report the faults it took on @result, then hold
 * the mapping (and so its page table) until @release is closed.
 */
static int child_main(const struct config *cfg, int fd, char *addr,
		      bool first, int result, int release)
{
	int flags = (cfg->private ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED |
		    MAP_NORESERVE;
	volatile char *p;
	long before, faults;
	char c;

	p = mmap(addr, PUD_SIZE, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pmdshare: mmap of 1 GiB hugetlb: %s\n",
			strerror(errno));
		return 1;
	}
	before = faults_of(RUSAGE_SELF);
	for (int i = 0; i < cfg->pages; i++) {
		if (first)
			p[i * HUGE_PAGE_SIZE] = 1;
		else
			c = p[i * HUGE_PAGE_SIZE];
	}
	(void)c;
	faults = faults_of(RUSAGE_SELF) - before;
	if (write(result, &faults, sizeof(faults)) != sizeof(faults))
		return 1;
	/* EOF once the parent closes its end: every process has faulted. */
	while (read(release, &c, 1) > 0)
		;
	return 0;
}

static int spawn(const struct config *cfg, int fd, char *addr, bool first,
		 int release[2], struct child *ch)
{
	int result[2];

	if (pipe(result))
		return -errno;
	ch->pid = fork();
	if (ch->pid < 0)
		return -errno;
	if (!ch->pid) {
		close(result[0]);
		close(release[1]);
		_exit(child_main(cfg, fd, addr, first, result[1], release[0]));
	}
	close(result[1]);
	/* One at a time: the next process must find this one's table. */
	if (read(result[0], &ch->faults, sizeof(ch->faults)) !=
	    sizeof(ch->faults))
		ch->faults = -1;
	close(result[0]);
	return ch->faults < 0 ? -EIO : 0;
}

static int reap(struct child *kids, int n)
{
	int status, bad = 0;

	for (int i = 0; i < n; i++) {
		if (kids[i].pid <= 0 || waitpid(kids[i].pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	return bad;
}

/* A later process shared the first one's table iff it faulted only once. */
static int observed_shares(const struct config *cfg, const struct child *kids)
{
	int shares = 0;

	for (int i = 1; i < cfg->procs; i++)
		shares += kids[i].faults == 1 && cfg->pages > 1;
	return shares;
}

static void print_truth(const struct config *cfg, const struct child *kids)
{
	/* One PUD range per process: P calls, P - 1 of them share. */
	int ranges = 1, calls = cfg->procs * ranges;
	int shares = cfg->private ? 0 : (cfg->procs - 1) * ranges;

	printf("{\"pid\":%d,\"mode\":\"%s\",\"procs\":%d,\"pages\":%d,"
	       "\"pud_ranges\":%d,",
	       getpid(), cfg->private ? "private" : "shared", cfg->procs,
	       cfg->pages, ranges);
	if (cfg->private)
		printf("\"expected_calls\":null,");
	else
		printf("\"expected_calls\":%d,", calls);
	/* Each sharer gives its share back when it exits (unmap). */
	printf("\"expected_shares\":%d,\"expected_unshares\":%d,",
	       shares, shares);
	/* One page cannot tell a shared table from a new one. */
	if (cfg->pages > 1)
		printf("\"observed_shares\":%d,", observed_shares(cfg, kids));
	else
		printf("\"observed_shares\":null,");
	printf("\"children\":[");
	for (int i = 0; i < cfg->procs; i++)
		printf("%s{\"pid\":%d,\"faults\":%ld,\"expected_calls\":%s,"
		       "\"expected_shares\":%d}",
		       i ? "," : "", kids[i].pid, kids[i].faults,
		       cfg->private ? "null" : "1",
		       !cfg->private && i > 0);
	printf("]}\n");
}

int main(int argc, char **argv)
{
	struct child kids[MAX_PROCS] = {};
	int fd, release[2], err = 0, n = 0;
	struct config cfg;
	char *addr;

	if (parse_args(argc, argv, &cfg))
		return 2;
	fd = syscall(SYS_memfd_create, "pmdshare", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, PUD_SIZE)) {
		fprintf(stderr, "pmdshare: 1 GiB hugetlb memfd: %s (hugetlbfs with 2 MiB pages needed)\n",
			strerror(errno));
		return 1;
	}
	addr = aligned_pud_range();
	if (!addr || pipe(release)) {
		fprintf(stderr, "pmdshare: %s\n", strerror(errno));
		return 1;
	}
	for (; n < cfg.procs && !err; n++) {
		if (n && cfg.delay_ms)
			usleep(cfg.delay_ms * 1000);
		err = spawn(&cfg, fd, addr, n == 0, release, &kids[n]);
	}
	close(release[0]);
	close(release[1]);
	if (reap(kids, n) || err) {
		fprintf(stderr, "pmdshare: a process failed (%s); not enough free huge pages?\n",
			err ? strerror(-err) : "bad exit");
		return 1;
	}
	print_truth(&cfg, kids);
	return 0;
}
