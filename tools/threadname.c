// SPDX-License-Identifier: GPL-2.0
/*
 * threadname - a process whose threads have names of their own, with what
 * each did known: the oracle of "a process row carries the process's name".
 *
 * The main thread is --name (default "mainproc"); it starts a thread that
 * names itself "helper" (pthread_setname_np). With --wait both then wait
 * for SIGUSR1, so a tracer following the pid sees the helper act first.
 * The helper faults --faults fresh pages, vmsplices one touched page
 * --vmsplice times (one GUP-fast call each), with --hugetlb faults one page
 * of a PUD-aligned 1 GiB hugetlb mapping (one huge_pmd_share call), and
 * creates one thread, which inherits the name "helper". Then the main
 * thread forks --forks times (default 3). Prints one JSON line:
 *
 *   {"pid":P, "comm":"mainproc", "helper":"helper", "forks":3,
 *    "threads":2, "threads_after_wait":1, "helper_faults":N, ...}
 *
 * helper_faults is the helper's own count (getrusage RUSAGE_THREAD).
 * With --wait it waits for SIGUSR1 again after printing, so a tracer can
 * stop before the exit. --late-name: the main thread takes its name only
 * after the wait, once it has faulted a page under the program's name (a
 * daemon naming itself at start-up).
 *
 * Exit status: 0, 1 on a failed system call, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

#define PAGE 4096UL
#define PUD_SIZE (1UL << 30)

static struct {
	const char *name;
	unsigned long faults, forks, vmsplices;
	int hugetlb, wait, late_name;
} cfg = { .name = "mainproc", .forks = 3 };

/* go: the helper may start; done: it has, and main may join it. */
static pthread_barrier_t go, done;
static unsigned long helper_faults;

static void die(const char *what)
{
	fprintf(stderr, "threadname: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void touch_pages(unsigned long n)
{
	char *p;

	if (!n)
		return;
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (unsigned long i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

/* One touched page into a pipe and back: one GUP-fast call each time. */
static void vmsplice_n(unsigned long n)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	struct iovec iov = { .iov_base = page, .iov_len = PAGE };
	char back[64];
	int fds[2];

	if (!n)
		return;
	memset(page, 1, sizeof(page));
	if (pipe(fds))
		die("pipe");
	for (unsigned long i = 0; i < n; i++) {
		if (vmsplice(fds[1], &iov, 1, 0) != (ssize_t)PAGE)
			die("vmsplice");
		for (size_t left = PAGE; left; ) {
			ssize_t got = read(fds[0], back,
					   left < sizeof(back) ? left : sizeof(back));

			if (got <= 0)
				die("read");
			left -= got;
		}
	}
	close(fds[0]);
	close(fds[1]);
}

/* MAP_SHARED over a whole aligned PUD: its first fault calls huge_pmd_share. */
static void hugetlb_fault(void)
{
	char *hole, *addr, *p;
	int fd;

	fd = syscall(SYS_memfd_create, "threadname", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, PUD_SIZE))
		die("1 GiB hugetlb memfd");
	hole = mmap(NULL, 2 * PUD_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hole == MAP_FAILED)
		die("mmap");
	addr = (char *)(((uintptr_t)hole + PUD_SIZE - 1) & ~(PUD_SIZE - 1));
	p = mmap(addr, PUD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of 1 GiB hugetlb");
	p[0] = 1;
	/* Gone before main forks: 5.10's fork copies hugetlb tables too. */
	munmap(hole, 2 * PUD_SIZE);
	close(fd);
}

static void *idle_thread(void *arg)
{
	return arg;
}

static void *helper(void *arg)
{
	unsigned long f0;
	pthread_t t;

	pthread_setname_np(pthread_self(), "helper");
	pthread_barrier_wait(&go);
	f0 = thread_faults();
	touch_pages(cfg.faults);
	helper_faults = thread_faults() - f0;
	vmsplice_n(cfg.vmsplices);
	if (cfg.hugetlb)
		hugetlb_fault();
	errno = pthread_create(&t, NULL, idle_thread, NULL);
	if (errno)
		die("pthread_create");
	pthread_join(t, NULL);
	pthread_barrier_wait(&done);
	return arg;
}

static void fork_n(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
}

/* SIGUSR1 is blocked in every thread; only sigwait takes it. */
static void wait_usr1(const char *what)
{
	sigset_t usr1;
	int sig;

	fprintf(stderr, "threadname: pid %d %s, waiting for SIGUSR1\n",
		getpid(), what);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigwait(&usr1, &sig);
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || !*s || *s == '-' || *out > 1000000 ? -1 : 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "faults", required_argument, NULL, 'f' },
		{ "forks", required_argument, NULL, 'k' },
		{ "vmsplice", required_argument, NULL, 's' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "wait", no_argument, NULL, 'w' },
		{ "late-name", no_argument, NULL, 'l' },
		{}
	};
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': cfg.name = optarg; break;
		case 'f': bad |= parse_ulong(optarg, &cfg.faults); break;
		case 'k': bad |= parse_ulong(optarg, &cfg.forks); break;
		case 's': bad |= parse_ulong(optarg, &cfg.vmsplices); break;
		case 'H': cfg.hugetlb = 1; break;
		case 'w': cfg.wait = 1; break;
		case 'l': cfg.late_name = 1; break;
		default: bad = 1;
		}
	}
	return bad || optind != argc || strlen(cfg.name) > 15 ? -1 : 0;
}

int main(int argc, char **argv)
{
	sigset_t usr1;
	pthread_t t;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "usage: threadname [--name NAME] [--faults N] [--forks N]\n"
				"                  [--vmsplice N] [--hugetlb] [--wait] [--late-name]\n");
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	if (!cfg.late_name && prctl(PR_SET_NAME, cfg.name))
		die("prctl");
	pthread_barrier_init(&go, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	errno = pthread_create(&t, NULL, helper, NULL);
	if (errno)
		die("pthread_create");
	if (cfg.wait)
		wait_usr1("ready");
	if (cfg.late_name) {
		touch_pages(1);
		if (prctl(PR_SET_NAME, cfg.name))
			die("prctl");
	}
	/*
	 * Barriers are private futexes; a join waits on the shared futex of
	 * the thread's tid, a GUP-fast call (get_futex_key): the helper must
	 * be the first of the process to make one.
	 */
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&done);
	pthread_join(t, NULL);
	fork_n(cfg.forks);
	printf("{\"pid\":%d,\"comm\":\"%s\",\"helper\":\"helper\",\"forks\":%lu,"
	       "\"threads\":2,\"threads_after_wait\":1,\"helper_faults\":%lu,"
	       "\"vmsplices\":%lu,\"hugetlb_faults\":%d}\n",
	       getpid(), cfg.name, cfg.forks, helper_faults, cfg.vmsplices,
	       cfg.hugetlb);
	fflush(stdout);
	if (cfg.wait)
		wait_usr1("done");
	return 0;
}
