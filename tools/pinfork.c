// SPDX-License-Identifier: GPL-2.0
/*
 * pinfork - a workload whose fork()-time copies of pinned pages are known.
 *
 * Since Linux 5.9, fork() does not share a private anonymous page that may be
 * DMA-pinned (page_maybe_dma_pinned() in an mm with MMF_HAS_PINNED) with the
 * child for copy-on-write: the device would keep writing into a page that the
 * parent no longer owns after its next write.  It copies the page into the
 * child at once instead (copy_present_page(), copy_hugetlb_page_range()).
 *
 * A maybe-pinned transparent huge page is not copied whole: copy_huge_pmd()
 * splits the parent's PMD (thp_split_pmd in /proc/vmstat) and returns
 * -EAGAIN, and the PTEs are then copied one by one; each 4 KiB subpage of the
 * still pinned folio is copied at once.  Later forks find the PTEs already.
 *
 * This program pins N pages with io_uring fixed buffers (FOLL_PIN |
 * FOLL_LONGTERM), forks F times and prints, as one JSON line on stdout, how
 * many such copies the kernel should have made (a model, which some kernels
 * do not follow: e.g. early hugetlb copies came after 5.9) and how many it did
 * make, measured through /proc/self/pagemap, so that a tracer's count can be
 * checked against the truth.
 *
 * Only raw syscalls are used (no liburing): the binary is linked statically
 * and run in a busybox VM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT		26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21 << MAP_HUGE_SHIFT)
#endif

#define HUGE_PAGE_SIZE		(2UL << 20)
#define THP_SYSFS		"/sys/kernel/mm/transparent_hugepage/"
/* io_buffer_validate() rejects a registered iovec longer than 1 GiB. */
#define IOV_MAX_LEN		(1UL << 30)
/* IORING_MAX_REG_BUFFERS: the kernel's cap on iovecs per registration. */
#define MAX_REG_BUFFERS		(1UL << 14)
#define MAX_FORKS		1000000UL
#define MAX_DELAY_MS		3600000UL

/* /proc/PID/pagemap: one 64-bit entry per base page of the address space. */
#define PM_PFN_MASK		((UINT64_C(1) << 55) - 1)
#define PM_PRESENT		(UINT64_C(1) << 63)
#define PM_CHUNK		512
/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_THP			22
/* What a child sends when it could not measure its copies. */
#define COPIES_UNKNOWN		UINT64_MAX

enum mode { MODE_PIN, MODE_DONTFORK, MODE_NOPIN };

static const char *const mode_names[] = {
	[MODE_PIN]	= "pin",
	[MODE_DONTFORK]	= "dontfork",
	[MODE_NOPIN]	= "nopin",
};

struct config {
	unsigned long pages;
	unsigned long forks;
	unsigned long delay_ms;
	enum mode mode;
	bool hugetlb;
	bool thp;
	bool wait_start;
};

struct buffer {
	char *addr;
	size_t len;
	size_t page_size;
	bool thp;
};

/*
 * The fork-time copies, measured: a child whose page has another PFN than the
 * parent's got a copy.  Each child compares its own pagemap with pfns[] and
 * sends its count through the pipe; ok is false once any part is unknown.
 * The THP splits are the change of the system-wide thp_split_pmd counter.
 */
struct measure {
	uint64_t *pfns;
	int rfd;
	int wfd;
	bool ok;
	unsigned long copies;
	bool splits_ok;
	uint64_t splits;
};

/* Reads pagemap entries PM_CHUNK at a time. */
struct pagemap {
	int fd;
	size_t page_size;
	uint64_t base;
	size_t nr;
	uint64_t ent[PM_CHUNK];
};

static volatile sig_atomic_t got_usr1;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: pinfork [options]\n"
"Pin a buffer with io_uring fixed buffers, fork F times (each child exits at\n"
"once) and print the number of pinned pages fork() had to copy as JSON.\n"
"\n"
"  --pages N       buffer size in pages (default 64)\n"
"  --forks F       number of forks (default 10)\n"
"  --mode M        pin: pin the buffer (expect N*F copies)\n"
"                  dontfork: pin, then MADV_DONTFORK (expect 0)\n"
"                  nopin: never pin (expect 0); default pin\n"
"  --hugetlb       use 2 MiB MAP_HUGETLB pages; N counts huge pages\n"
"  --thp           use 2 MiB transparent huge pages (MADV_HUGEPAGE); N\n"
"                  counts huge pages; the first fork splits each one and\n"
"                  copies its 512 base pages (expect 512*N*F copies)\n"
"  --delay-ms MS   sleep between forks (default 0)\n"
"  --wait-start    print the pid on stderr, then wait for SIGUSR1 or a\n"
"                  newline on stdin before doing anything\n"
"  --help          show this help\n"
"\n"
"The copies made are also measured through /proc/self/pagemap (needs\n"
"CAP_SYS_ADMIN to see PFNs): \"observed_copies\" is null without it.\n"
"\"observed_thp_splits\" is the change of thp_split_pmd in /proc/vmstat\n"
"across the forks, system-wide.\n"
"\n"
"Exit: 0 ok, 1 setup or fork failure, 2 bad arguments.\n");
}

/* Accept plain decimal only: strtoul() would take "-1" and "0x10". */
static int parse_ulong(const char *opt, const char *s, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "pinfork: --%s: invalid value '%s' ", opt, s);
	if (max == ULONG_MAX)
		fprintf(stderr, "(want >= %lu)\n", min);
	else
		fprintf(stderr, "(want %lu..%lu)\n", min, max);
	return -1;
}

static int parse_mode(const char *s, enum mode *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "pinfork: --mode: invalid value '%s' %s\n", s,
		"(want pin|dontfork|nopin)");
	return -1;
}

/* The cap keeps the iovec count within what one registration accepts. */
static int check_size(const struct config *cfg)
{
	size_t ps = cfg->hugetlb || cfg->thp ? HUGE_PAGE_SIZE :
		    (size_t)getpagesize();
	unsigned long max = MAX_REG_BUFFERS * (IOV_MAX_LEN / ps);

	if (cfg->pages <= max)
		return 0;
	fprintf(stderr, "pinfork: --pages: %lu is too large (max %lu)\n",
		cfg->pages, max);
	return -1;
}

/* Returns -1 to continue, or an exit code. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "pages",	required_argument,	NULL, 'p' },
		{ "forks",	required_argument,	NULL, 'f' },
		{ "mode",	required_argument,	NULL, 'm' },
		{ "hugetlb",	no_argument,		NULL, 'H' },
		{ "thp",	no_argument,		NULL, 'T' },
		{ "delay-ms",	required_argument,	NULL, 'd' },
		{ "wait-start",	no_argument,		NULL, 'w' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, err = 0;

	opterr = 0;	/* one error line, in our own format */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			err = parse_ulong("pages", optarg, 1, ULONG_MAX,
					  &cfg->pages);
			break;
		case 'f':
			err = parse_ulong("forks", optarg, 0, MAX_FORKS,
					  &cfg->forks);
			break;
		case 'm':
			err = parse_mode(optarg, &cfg->mode);
			break;
		case 'H':
			cfg->hugetlb = true;
			break;
		case 'T':
			cfg->thp = true;
			break;
		case 'd':
			err = parse_ulong("delay-ms", optarg, 0, MAX_DELAY_MS,
					  &cfg->delay_ms);
			break;
		case 'w':
			cfg->wait_start = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "pinfork: bad option '%s' %s\n",
				argv[optind - 1], "(see --help)");
			return 2;
		}
		if (err)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "pinfork: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (cfg->hugetlb && cfg->thp) {
		fprintf(stderr, "pinfork: --hugetlb and --thp are %s\n",
			"mutually exclusive");
		return 2;
	}
	return check_size(cfg) ? 2 : -1;
}

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/*
 * Lets a tracer learn our pid and attach before anything happens.  SIGUSR1
 * is blocked except inside ppoll()/sigsuspend(), so a signal sent as soon as
 * the pid is printed cannot be lost.
 */
static void wait_for_start(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	bool stdin_open = true;
	sigset_t usr1, orig;
	ssize_t n;
	char c;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &orig);
	sigaction(SIGUSR1, &sa, NULL);
	fprintf(stderr,
		"pinfork: pid %d waiting for SIGUSR1 or a newline on stdin\n",
		(int)getpid());
	while (!got_usr1) {
		if (!stdin_open) {
			sigsuspend(&orig);
			continue;
		}
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			/* EINTR means got_usr1 is set. */
			if (errno != EINTR)
				stdin_open = false;
			continue;
		}
		n = read(STDIN_FILENO, &c, 1);
		if (n == 1 && c == '\n')
			break;
		/* At EOF only the signal can start us. */
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			stdin_open = false;
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* The parent's N pages and, during each fork, the child's N copies. */
static void hugetlb_hint(unsigned long pages)
{
	fprintf(stderr, "pinfork: reserve 2 MiB huge pages first, e.g.\n");
	fprintf(stderr, "  echo %lu > /proc/sys/vm/nr_hugepages\n", 2 * pages);
}

/*
 * A PMD can map a THP only at a 2 MiB aligned address: map 2 MiB more than
 * needed and unmap the slack on both sides, leaving a buffer that
 * munmap(addr, len) frees whole.
 */
static void *mmap_thp_aligned(size_t len)
{
	size_t map_len = len + HUGE_PAGE_SIZE, head;
	uintptr_t mask = HUGE_PAGE_SIZE - 1, start;
	char *p;

	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	start = (uintptr_t)p;
	head = ((start + mask) & ~mask) - start;
	if (head)
		munmap(p, head);
	if (map_len - head > len)
		munmap(p + head + len, map_len - head - len);
	return p + head;
}

static int map_buffer(const struct config *cfg, struct buffer *buf)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	int advice = MADV_NOHUGEPAGE;

	buf->thp = cfg->thp;
	buf->page_size = cfg->hugetlb || cfg->thp ? HUGE_PAGE_SIZE :
			 (size_t)getpagesize();
	buf->len = cfg->pages * buf->page_size;
	if (cfg->hugetlb)
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
	if (cfg->thp)
		buf->addr = mmap_thp_aligned(buf->len);
	else
		buf->addr = mmap(NULL, buf->len, PROT_READ | PROT_WRITE, flags,
				 -1, 0);
	if (buf->addr == MAP_FAILED) {
		fprintf(stderr, "pinfork: mmap of %zu bytes: %s\n", buf->len,
			strerror(errno));
		if (cfg->hugetlb)
			hugetlb_hint(cfg->pages);
		return -1;
	}
	if (cfg->hugetlb)
		return 0;
	/*
	 * --thp wants 2 MiB THPs.  Otherwise a THP (or mTHP) would be copied
	 * as one unit and change the count.
	 */
	if (cfg->thp)
		advice = MADV_HUGEPAGE;
	if (madvise(buf->addr, buf->len, advice)) {
		fprintf(stderr, "pinfork: madvise(%s): %s\n",
			cfg->thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE",
			strerror(errno));
		if (cfg->thp && errno == EINVAL)
			fprintf(stderr, "pinfork: %s\n",
				"kernel without transparent huge pages?");
		munmap(buf->addr, buf->len);
		return -1;
	}
	return 0;
}

/*
 * Write every page so it is present and exclusively ours: a read would map
 * the shared zero page, which fork() never copies.
 */
static void touch_buffer(const struct buffer *buf)
{
	size_t off;

	for (off = 0; off < buf->len; off += buf->page_size)
		buf->addr[off] = 1;
}

static void report_uring_error(const char *what, int err)
{
	fprintf(stderr, "pinfork: %s: %s\n", what, strerror(err));
	if (err == ENOSYS) {
		fprintf(stderr, "pinfork: kernel without io_uring\n");
		return;
	}
	/* The errno for each cause differs between kernels: name both. */
	fprintf(stderr, "pinfork: is io_uring disabled? ");
	fprintf(stderr, "see /proc/sys/kernel/io_uring_disabled (0 = on)\n");
	fprintf(stderr, "pinfork: without CAP_IPC_LOCK the pinned buffer ");
	fprintf(stderr, "counts against RLIMIT_MEMLOCK (ulimit -l)\n");
}

/* Registering a fixed buffer pins it with FOLL_PIN | FOLL_LONGTERM. */
static int register_buffer(int fd, const struct buffer *buf)
{
	size_t nr = (buf->len + IOV_MAX_LEN - 1) / IOV_MAX_LEN;
	struct iovec *iov;
	size_t i, off;
	int ret = 0;

	iov = calloc(nr, sizeof(*iov));
	if (!iov) {
		fprintf(stderr, "pinfork: out of memory\n");
		return -1;
	}
	for (i = 0; i < nr; i++) {
		off = i * IOV_MAX_LEN;
		iov[i].iov_base = buf->addr + off;
		iov[i].iov_len = buf->len - off < IOV_MAX_LEN ?
				 buf->len - off : IOV_MAX_LEN;
	}
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS,
		    iov, (unsigned int)nr) < 0) {
		report_uring_error("io_uring_register(IORING_REGISTER_BUFFERS)",
				   errno);
		ret = -1;
	}
	free(iov);
	return ret;
}

/* Returns the ring fd, which must stay open to keep the pages pinned. */
static int pin_buffer(const struct buffer *buf)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0) {
		report_uring_error("io_uring_setup", errno);
		return -1;
	}
	if (register_buffer(fd, buf)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int pagemap_open(struct pagemap *pm)
{
	pm->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	pm->page_size = (size_t)getpagesize();
	pm->nr = 0;
	return pm->fd < 0 ? -1 : 0;
}

/*
 * The entry of the base page at @addr; @end bounds the read-ahead.  Reading
 * pagemap neither faults pages in nor breaks copy-on-write.
 */
static int pagemap_get(struct pagemap *pm, uintptr_t addr, uintptr_t end,
		       uint64_t *ent)
{
	uint64_t vpn = addr / pm->page_size;
	size_t want;
	ssize_t n;

	if (!pm->nr || vpn < pm->base || vpn - pm->base >= pm->nr) {
		want = (end - addr + pm->page_size - 1) / pm->page_size;
		if (want > PM_CHUNK)
			want = PM_CHUNK;
		do {
			n = pread(pm->fd, pm->ent, want * sizeof(pm->ent[0]),
				  (off_t)(vpn * sizeof(pm->ent[0])));
		} while (n < 0 && errno == EINTR);
		if (n < (ssize_t)sizeof(pm->ent[0]))
			return -1;
		pm->base = vpn;
		pm->nr = (size_t)n / sizeof(pm->ent[0]);
	}
	*ent = pm->ent[vpn - pm->base];
	return 0;
}

/*
 * The bytes of PMD-mapped THPs (AnonHugePages) in the VMAs overlapping @buf;
 * *inside tells whether those VMAs all lie within @buf, so that the sum is
 * about @buf alone.
 */
static int smaps_anon_huge(const struct buffer *buf, size_t *bytes,
			   bool *inside)
{
	uintptr_t start = (uintptr_t)buf->addr, end = start + buf->len;
	bool in_buf = false, bol = true, line_start;
	uintptr_t vm_start, vm_end;
	unsigned long kb;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	*bytes = 0;
	*inside = true;
	while (fgets(line, sizeof(line), f)) {
		/* Skip the rest of a line longer than line[] (a long path). */
		line_start = bol;
		bol = strchr(line, '\n') != NULL;
		if (!line_start)
			continue;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &vm_start,
			   &vm_end) == 2) {
			in_buf = vm_start < end && vm_end > start;
			if (in_buf && (vm_start < start || vm_end > end))
				*inside = false;
		} else if (in_buf &&
			   sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			*bytes += kb << 10;
		}
	}
	fclose(f);
	return 0;
}

/*
 * Whether each 2 MiB page of @buf is one THP: physically contiguous base
 * pages from a 2 MiB aligned PFN, a compound head then tails, all flagged
 * THP.  -1 if pagemap or /proc/kpageflags cannot tell (CAP_SYS_ADMIN).
 */
static int kpageflags_thp(const struct buffer *buf, bool *thp)
{
	uintptr_t start = (uintptr_t)buf->addr, end = start + buf->len;
	size_t i, ps = (size_t)getpagesize(), per = HUGE_PAGE_SIZE / ps;
	uint64_t ent, pfn, flags, want, prev = 0;
	struct pagemap pm;
	int kfd, ret = 0;

	if (pagemap_open(&pm))
		return -1;
	kfd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		close(pm.fd);
		return -1;
	}
	*thp = true;
	for (i = 0; i < buf->len / ps && *thp; i++) {
		if (pagemap_get(&pm, start + i * ps, end, &ent)) {
			ret = -1;
			break;
		}
		pfn = ent & PM_PFN_MASK;
		if (!(ent & PM_PRESENT)) {
			*thp = false;
			break;
		}
		if (!pfn || pread(kfd, &flags, sizeof(flags),
				  (off_t)(pfn * sizeof(flags))) !=
			    sizeof(flags)) {
			ret = -1;
			break;
		}
		if (i % per) {
			want = UINT64_C(1) << KPF_COMPOUND_TAIL;
			*thp = pfn == prev + 1;
		} else {
			want = UINT64_C(1) << KPF_COMPOUND_HEAD;
			*thp = !(pfn % per);
		}
		want |= UINT64_C(1) << KPF_THP;
		if ((flags & want) != want)
			*thp = false;
		prev = pfn;
	}
	close(kfd);
	close(pm.fd);
	return ret;
}

static void print_file(const char *path)
{
	char line[256];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f))
		fprintf(stderr, "pinfork:   %s: %s%s", path, line,
			strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/*
 * copy_huge_pmd() acts on a PMD-mapped THP only: without one, --thp would
 * count something else.  smaps shows PMD mappings; kpageflags is the
 * fallback when the VMA extends beyond the buffer.
 */
static int check_thp(const struct buffer *buf, const char *when)
{
	size_t bytes;
	bool inside, thp;

	if (!smaps_anon_huge(buf, &bytes, &inside)) {
		if (bytes < buf->len) {
			fprintf(stderr, "pinfork: smaps: %s %zu of %zu bytes\n",
				"AnonHugePages", bytes, buf->len);
			goto not_thp;
		}
		if (inside)
			return 0;
	}
	if (!kpageflags_thp(buf, &thp)) {
		if (thp)
			return 0;
		goto not_thp;
	}
	fprintf(stderr, "pinfork: %s: %s\n",
		"cannot tell whether the buffer is in transparent huge pages",
		"/proc/self/smaps and /proc/kpageflags do not say");
	return -1;
not_thp:
	fprintf(stderr, "pinfork: the buffer is not in 2 MiB %s %s\n",
		"transparent huge pages", when);
	fprintf(stderr, "pinfork: THP must be 'always' or 'madvise' in %s%s\n",
		THP_SYSFS "enabled", " (and memory not too fragmented):");
	print_file(THP_SYSFS "enabled");
	print_file(THP_SYSFS "hugepages-2048kB/enabled");
	print_file(THP_SYSFS "defrag");
	return -1;
}

/*
 * The pages whose PFNs are compared: each page of @buf, by its first base
 * page, but each base page of a THP, as fork() copies those one by one.
 */
static size_t measure_step(const struct buffer *buf)
{
	return buf->thp ? (size_t)getpagesize() : buf->page_size;
}

static size_t measure_nr(const struct buffer *buf)
{
	return buf->len / measure_step(buf);
}

/*
 * The PFN of each measured page of @buf, into @pfns.  A page not present, or
 * a PFN of 0 (hidden without CAP_SYS_ADMIN), fails.
 */
static int read_pfns(const struct buffer *buf, uint64_t *pfns)
{
	uintptr_t start = (uintptr_t)buf->addr, end = start + buf->len;
	size_t i, step = measure_step(buf);
	struct pagemap pm;
	uint64_t ent;
	int ret = 0;

	if (pagemap_open(&pm))
		return -1;
	for (i = 0; i < measure_nr(buf); i++) {
		if (pagemap_get(&pm, start + i * step, end, &ent) ||
		    !(ent & PM_PRESENT) || !(ent & PM_PFN_MASK)) {
			ret = -1;
			break;
		}
		pfns[i] = ent & PM_PFN_MASK;
	}
	close(pm.fd);
	return ret;
}

/* A /proc/vmstat counter; -1 if the kernel lacks it (e.g. no THP support). */
static int vmstat_get(const char *name, uint64_t *val)
{
	char key[64];
	uint64_t v;
	FILE *f;
	int ret = -1;

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %" SCNu64, key, &v) == 2) {
		if (!strcmp(key, name)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static void copies_init(const struct buffer *buf, struct measure *m)
{
	int fds[2];

	m->ok = false;
	m->copies = 0;
	m->rfd = m->wfd = -1;
	m->pfns = calloc(measure_nr(buf), sizeof(*m->pfns));
	if (!m->pfns) {
		fprintf(stderr, "pinfork: out of memory: %s\n",
			"observed_copies unknown");
		return;
	}
	if (read_pfns(buf, m->pfns)) {
		fprintf(stderr, "pinfork: no PFNs in /proc/self/pagemap %s\n",
			"(needs CAP_SYS_ADMIN): observed_copies unknown");
		return;
	}
	/* Non-blocking: a child that died without a word must not hang us. */
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
		fprintf(stderr, "pinfork: pipe: %s\n", strerror(errno));
		return;
	}
	m->rfd = fds[0];
	m->wfd = fds[1];
	m->ok = true;
}

/* Last before the first fork: the split counter is read just before it. */
static void measure_init(const struct buffer *buf, struct measure *m)
{
	copies_init(buf, m);
	m->splits_ok = !vmstat_get("thp_split_pmd", &m->splits);
}

/*
 * A page moved since the snapshot (migration, compaction) would read as a
 * copy in a later child: then the measurement cannot be trusted.
 */
static void copies_finish(const struct buffer *buf, struct measure *m)
{
	size_t i, nr = measure_nr(buf);
	uint64_t *now;

	if (!m->ok)
		return;
	now = calloc(nr, sizeof(*now));
	if (!now || read_pfns(buf, now)) {
		m->ok = false;
	} else {
		for (i = 0; i < nr; i++) {
			if (now[i] != m->pfns[i]) {
				fprintf(stderr, "pinfork: %s\n",
					"buffer pages moved during the forks");
				m->ok = false;
				break;
			}
		}
	}
	free(now);
}

/*
 * First after the last waitpid().  thp_split_pmd is system-wide: a split
 * elsewhere in the meantime is counted too.
 */
static void measure_finish(const struct buffer *buf, struct measure *m)
{
	uint64_t now;

	if (m->splits_ok && !vmstat_get("thp_split_pmd", &now) &&
	    now >= m->splits)
		m->splits = now - m->splits;
	else
		m->splits_ok = false;
	copies_finish(buf, m);
}

static void measure_free(struct measure *m)
{
	if (m->rfd >= 0)
		close(m->rfd);
	if (m->wfd >= 0)
		close(m->wfd);
	free(m->pfns);
}

/*
 * Runs in the child: the pages present in our own pagemap with another PFN
 * than the parent's were copied at fork.  A page absent (MADV_DONTFORK) was
 * not.  The buffer itself is never touched, which would copy it on write.
 */
static uint64_t count_copies(const struct buffer *buf, const uint64_t *pfns)
{
	uintptr_t start = (uintptr_t)buf->addr, end = start + buf->len;
	size_t i, step = measure_step(buf);
	uint64_t ent, pfn, copies = 0;
	struct pagemap pm;

	if (pagemap_open(&pm))
		return COPIES_UNKNOWN;
	for (i = 0; i < measure_nr(buf); i++) {
		if (pagemap_get(&pm, start + i * step, end, &ent)) {
			copies = COPIES_UNKNOWN;
			break;
		}
		if (!(ent & PM_PRESENT))
			continue;
		pfn = ent & PM_PFN_MASK;
		if (!pfn) {
			copies = COPIES_UNKNOWN;
			break;
		}
		if (pfn != pfns[i])
			copies++;
	}
	close(pm.fd);
	return copies;
}

/* _exit(): the child must not flush stdio buffers or run atexit. */
static void __attribute__((noreturn))
child_exit(const struct buffer *buf, const struct measure *m)
{
	uint64_t copies;
	ssize_t n;

	if (m->ok) {
		copies = count_copies(buf, m->pfns);
		/* A failed write leaves the pipe empty: the parent sees that. */
		n = write(m->wfd, &copies, sizeof(copies));
		(void)n;
	}
	_exit(0);
}

/* After waitpid(): the child wrote its count, if any, before exiting. */
static void collect_copies(struct measure *m)
{
	uint64_t copies;

	if (!m->ok)
		return;
	if (read(m->rfd, &copies, sizeof(copies)) != sizeof(copies) ||
	    copies == COPIES_UNKNOWN) {
		m->ok = false;
		return;
	}
	m->copies += copies;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int fork_one(bool hugetlb, const struct buffer *buf,
		    struct measure *m)
{
	int status, err;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		err = errno;
		fprintf(stderr, "pinfork: fork: %s\n", strerror(err));
		if (hugetlb && err == ENOMEM)
			fprintf(stderr,
				"pinfork: each fork needs N free huge pages\n");
		return -1;
	}
	if (pid == 0)
		child_exit(buf, m);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "pinfork: waitpid: %s\n",
				strerror(errno));
			m->ok = false;
			return -1;
		}
	}
	collect_copies(m);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "pinfork: child %d: status 0x%x\n", (int)pid,
			status);
		return -1;
	}
	return 0;
}

static unsigned long fork_children(const struct config *cfg,
				   const struct buffer *buf, struct measure *m)
{
	unsigned long i, ok = 0;

	for (i = 0; i < cfg->forks; i++) {
		if (i && cfg->delay_ms)
			sleep_ms(cfg->delay_ms);
		if (!fork_one(cfg->hugetlb, buf, m))
			ok++;
	}
	return ok;
}

/*
 * Only successful forks are counted: a failed fork may have copied part of
 * the buffer before giving up, so the truth is unknown then (we exit 1).
 * With --thp the first fork splits each of the N THPs, and every fork copies
 * their base pages.
 */
static int print_truth(const struct config *cfg, const struct buffer *buf,
		       unsigned long forks_ok, const struct measure *m)
{
	unsigned long copies = 0, splits = 0;
	char observed[24] = "null", observed_splits[24] = "null";

	if (cfg->mode == MODE_PIN) {
		copies = cfg->pages * forks_ok;
		if (cfg->thp) {
			copies *= HUGE_PAGE_SIZE / (size_t)getpagesize();
			splits = forks_ok ? cfg->pages : 0;
		}
	}
	if (m->ok)
		snprintf(observed, sizeof(observed), "%lu", m->copies);
	if (m->splits_ok)
		snprintf(observed_splits, sizeof(observed_splits),
			 "%" PRIu64, m->splits);
	printf("{\"pid\":%d,\"mode\":\"%s\",\"pages\":%lu,\"page_size\":%zu,"
	       "\"hugetlb\":%s,\"thp\":%s,\"forks\":%lu,\"forks_ok\":%lu,"
	       "\"expected_pinned_copies\":%lu,\"expected_unit\":\"%s\","
	       "\"observed_copies\":%s,\"expected_thp_splits\":%lu,"
	       "\"observed_thp_splits\":%s}\n",
	       (int)getpid(), mode_names[cfg->mode], cfg->pages,
	       buf->page_size, cfg->hugetlb ? "true" : "false",
	       cfg->thp ? "true" : "false", cfg->forks, forks_ok, copies,
	       cfg->hugetlb ? "huge_pages" : "base_pages", observed, splits,
	       observed_splits);
	if (fflush(stdout)) {
		fprintf(stderr, "pinfork: stdout: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int run(const struct config *cfg)
{
	struct buffer buf;
	struct measure m;
	unsigned long forks_ok;
	int ring_fd = -1, ret = 1;

	if (map_buffer(cfg, &buf))
		return 1;
	touch_buffer(&buf);
	if (cfg->thp && check_thp(&buf, "after touching it"))
		goto unmap;
	if (cfg->mode != MODE_NOPIN) {
		ring_fd = pin_buffer(&buf);
		if (ring_fd < 0)
			goto unmap;
	}
	/* A long-term pin may migrate (and split) a page in ZONE_MOVABLE. */
	if (cfg->thp && cfg->mode != MODE_NOPIN &&
	    check_thp(&buf, "after pinning it"))
		goto close_ring;
	if (cfg->mode == MODE_DONTFORK &&
	    madvise(buf.addr, buf.len, MADV_DONTFORK)) {
		fprintf(stderr, "pinfork: madvise(MADV_DONTFORK): %s\n",
			strerror(errno));
		goto close_ring;
	}
	/* Before the forks: nothing is added to the parent's clone() window. */
	measure_init(&buf, &m);
	forks_ok = fork_children(cfg, &buf, &m);
	measure_finish(&buf, &m);
	if (!print_truth(cfg, &buf, forks_ok, &m) && forks_ok == cfg->forks)
		ret = 0;
	measure_free(&m);
close_ring:
	if (ring_fd >= 0)
		close(ring_fd);
unmap:
	munmap(buf.addr, buf.len);
	return ret;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.pages = 64,
		.forks = 10,
		.mode = MODE_PIN,
	};
	int ret;

	ret = parse_args(argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (cfg.wait_start)
		wait_for_start();
	return run(&cfg);
}
