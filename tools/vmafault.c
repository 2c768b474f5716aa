// SPDX-License-Identifier: GPL-2.0
/*
 * vmafault - page faults that leave the per-VMA lock for a known reason,
 * with their number known: the oracle of mmtrace locks' vma_lock_aborts,
 * vma_lock_retries and vma_lock_access_errors.
 *
 * One round does, in one thread, in this order:
 * - P ordinary faults: P fresh anonymous pages written once each, served
 *   under the VMA lock;
 * - N aborts: a read of an address no VMA covers. lock_vma_under_rcu()
 *   finds none, the fault goes to mmap_lock, finds none either and raises
 *   SIGSEGV, caught here. Such a fault never reaches handle_mm_fault(), so
 *   getrusage() does not count it;
 * - K access errors: a write to a read-only mapping. lock_vma_under_rcu()
 *   locks the VMA, access_error() refuses the write, and x86 redoes the
 *   fault under mmap_lock to raise SIGSEGV (arch/x86/mm/fault.c); not
 *   counted by getrusage() either;
 * - M retries: a read of each of M missing pages of a userfaultfd range,
 *   each resolved by a handler thread with UFFDIO_ZEROPAGE. From 6.6
 *   (29a22b9e08d7, "mm: handle userfaults under VMA lock") the fault
 *   waits under the VMA lock, which it drops, and returns VM_FAULT_RETRY;
 *   it is redone under mmap_lock, and getrusage() counts it once.
 * So: served == faults - M, where faults is what getrusage() measured.
 * - W write locks: mprotect() of one page between two PROT_NONE guard
 *   pages (so that it never merges), made before the round, toggling
 *   PROT_READ and PROT_READ | PROT_WRITE. Each call write-locks that VMA
 *   once in its mmap_lock write cycle: on 7.x one __vma_start_write()
 *   call. Only the W calls change VMAs in a round with P, N, K, M all 0.
 *
 * The round runs twice through the same code: a warm-up round maps every
 * code, data and stack page the measured round touches outside its work.
 * The signal frames go to a warmed alternate stack. With --wait-start the
 * process waits for SIGUSR1 before the measured round and again after
 * printing, so that a tracer attached with -p sees exactly that round.
 *
 * Prints one JSON line on stdout. Exit status: 0, 1 on a failed system
 * call, 2 on bad usage.
 */
#define WORKLOAD "vmafault"
#include "workload.h"
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/ioctl.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define ALTSTACK (64UL << 10)

struct config {
	unsigned long pages;
	unsigned long aborts;
	unsigned long access_errors;
	unsigned long retries;
	unsigned long mprotects;
	int wait_start;
};

struct round {
	unsigned long segv;	/* SIGSEGVs caught */
	unsigned long resolved;	/* userfaults the handler resolved */
	int error;
};

static struct config cfg = { .pages = 64, .aborts = 16,
			     .access_errors = 16, .retries = 16 };
static sigjmp_buf segv_jump;
static volatile unsigned long segv_count;
static volatile unsigned long resolved;
static int uffd = -1;
static char *toggled;		/* the page mprotect() toggles */
static char altstack[ALTSTACK];

static void on_segv(int sig)
{
	segv_count++;
	siglongjmp(segv_jump, 1);
}

/* A read or write of @p that is expected to raise SIGSEGV. */
static __attribute__((noinline)) void touch_bad(volatile char *p, int write)
{
	if (sigsetjmp(segv_jump, 1))
		return;
	if (write)
		*p = 1;
	else
		(void)*p;
}

/* An address no VMA covers: the middle page of three, unmapped again. */
static char *hole(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (munmap(p + PAGE, PAGE))
		die("munmap");
	return p + PAGE;
}

/* The handler thread: every missing page gets the zero page. */
static void *uffd_handler(void *arg)
{
	struct uffdio_zeropage zero = {};
	struct uffd_msg msg = {};

	for (;;) {
		ssize_t got = read(uffd, &msg, sizeof(msg));

		if (got < 0 && errno == EINTR)
			continue;
		if (got != sizeof(msg))
			return NULL;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		zero.range.start = msg.arg.pagefault.address & ~(PAGE - 1);
		zero.range.len = PAGE;
		zero.mode = 0;
		/* Before the wake-up, so that the faulting thread sees it. */
		resolved++;
		if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero) && errno != EEXIST)
			return NULL;
	}
}

/* Only user-mode faults are delivered; root may do without the flag. */
static void uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	pthread_t thread;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (uffd < 0 && errno == EINVAL)
		uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd (root, or vm.unprivileged_userfaultfd=1)");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	if (pthread_create(&thread, NULL, uffd_handler, NULL))
		die("pthread_create");
}

/* @n missing pages of a fresh userfaultfd range, read once each. */
static void uffd_faults(unsigned long n)
{
	struct uffdio_register reg = {};
	char *p;

	if (!n)
		return;
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	reg.range.start = (unsigned long)p;
	reg.range.len = n * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	for (unsigned long i = 0; i < n; i++)
		(void)*(volatile char *)(p + i * PAGE);
}

/* A page between two PROT_NONE guards: its VMA never merges. */
static void guarded_page(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	toggled = p + PAGE;
	if (mprotect(toggled, PAGE, PROT_READ))
		die("mprotect");
}

static void toggle(unsigned long n)
{
	static int writable;

	for (unsigned long i = 0; i < n; i++) {
		writable = !writable;
		if (mprotect(toggled, PAGE,
			     writable ? PROT_READ | PROT_WRITE : PROT_READ))
			die("mprotect");
	}
}

static void run_round(struct round *r)
{
	unsigned long segv = segv_count, done = resolved;
	char *ro;

	touch_pages(cfg.pages);
	if (cfg.aborts) {
		char *gap = hole();

		for (unsigned long i = 0; i < cfg.aborts; i++)
			touch_bad(gap, 0);
	}
	if (cfg.access_errors) {
		ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
		if (ro == MAP_FAILED)
			die("mmap");
		for (unsigned long i = 0; i < cfg.access_errors; i++)
			touch_bad(ro, 1);
	}
	uffd_faults(cfg.retries);
	toggle(cfg.mprotects);
	r->segv = segv_count - segv;
	r->resolved = resolved - done;
}

static void format_truth(char *buf, size_t len, const struct round *r,
			 unsigned long faults)
{
	snprintf(buf, len,
		 "{\"pid\":%d,\"pages\":%lu,\"aborts\":%lu,"
		 "\"access_errors\":%lu,\"retries\":%lu,\"mprotects\":%lu,"
		 "\"segv\":%lu,\"resolved\":%lu,\"faults\":%lu,"
		 "\"errno\":%d}\n",
		 getpid(), cfg.pages, cfg.aborts, cfg.access_errors,
		 cfg.retries, cfg.mprotects, r->segv, r->resolved, faults,
		 r->error);
}

static void measured(char *truth, size_t len)
{
	struct round r = {};
	unsigned long before = faults_of(RUSAGE_SELF), after;

	run_round(&r);
	after = faults_of(RUSAGE_SELF);
	format_truth(truth, len, &r, after - before);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmafault [--pages P] [--aborts N] [--access-errors K] [--retries M]\n"
"                [--mprotects W] [--wait-start]\n"
"  P ordinary faults, N faults on no VMA (SIGSEGV), K writes to a read-only\n"
"  mapping (SIGSEGV), M userfaultfd faults resolved by a handler thread,\n"
"  W mprotect() calls toggling one guarded page (VMA write locks).\n"
"  --wait-start    wait for SIGUSR1 before the round and after printing\n"
"Prints {\"pid\",\"aborts\",\"access_errors\",\"retries\",\"faults\",...}:\n"
"faults is what getrusage() measured around the round.\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "aborts", required_argument, NULL, 'a' },
		{ "access-errors", required_argument, NULL, 'e' },
		{ "retries", required_argument, NULL, 'r' },
		{ "mprotects", required_argument, NULL, 'm' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:a:e:r:m:wh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_count(optarg, &cfg.pages))
				return -1;
			break;
		case 'a':
			if (parse_count(optarg, &cfg.aborts))
				return -1;
			break;
		case 'e':
			if (parse_count(optarg, &cfg.access_errors))
				return -1;
			break;
		case 'r':
			if (parse_count(optarg, &cfg.retries))
				return -1;
			break;
		case 'm':
			if (parse_count(optarg, &cfg.mprotects))
				return -1;
			break;
		case 'w':
			cfg.wait_start = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	char truth[512];

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	block_usr1();
	memset(altstack, 0, sizeof(altstack));
	if (sigaltstack(&ss, NULL) || sigaction(SIGSEGV, &sa, NULL))
		die("sigaction");
	warm_stack();
	guarded_page();
	uffd_open();
	measured(truth, sizeof(truth));		/* the warm-up round */
	if (cfg.wait_start)
		wait_usr1("ready");
	measured(truth, sizeof(truth));
	if (write(STDOUT_FILENO, truth, strlen(truth)) < 0)
		return 1;
	if (cfg.wait_start)
		wait_usr1("done");
	return 0;
}
