// SPDX-License-Identifier: GPL-2.0
/*
 * pinrace - GUP-fast pins racing fork() on the same mm.
 *
 *   pinrace [--mode same|other|none] [--forks N] [--pages P] [--big MB]
 *           [--regs R]
 *
 * One thread registers and unregisters an io_uring fixed buffer of P
 * touched pages in a loop: pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM)
 * on 6.12 and 7.3 (5.10 and 6.1 pin under mmap_lock, never GUP-fast).
 *   same   another thread of this process forks N times meanwhile: each
 *          fork write-protects the COW VMAs of this mm (write_protect_seq),
 *          and a pin that meets the window falls back to the slow path;
 *   other  a child process forks N times meanwhile: its own mm, so none
 *          of this process's pins is pushed by it;
 *   none   nobody forks; R registrations.
 * A private region of MB touched megabytes, mapped by PTEs, makes each
 * fork's window on it long, longer than a scheduler tick (4 ms at HZ=250;
 * 64 MB took about 4.5 ms on 6.12 under TCG, and one run of 20 forks met
 * no pin): copy_page_range may be preempted inside it
 * (its write side does not disable preemption), and with every thread on
 * one CPU the pinning thread then runs inside the window. The children of
 * the forks exit at once.
 *
 * Prints the truth as one JSON line: the thread ids the in-guest trace
 * needs to tell the pinning thread and the forker apart, and the count
 * of registrations. What the kernel did with each pin is not known here:
 * the VM test compares mmtrace with a tracefs trace of the same run.
 * Raw syscalls only (no liburing): linked statically, run in a busybox VM.
 */
#define WORKLOAD "pinrace"
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <linux/io_uring.h>
#include "workload.h"

struct options {
	const char *mode;
	unsigned long forks;
	unsigned long pages;
	unsigned long big_mb;
	unsigned long regs;
	long cpu;
};

static struct options opt = {
	.mode = "same",
	.forks = 20,
	.pages = 4,
	.big_mb = 192,
	.regs = 200,
	.cpu = 0,
};

static volatile int stop;
static int ring_fd;
static struct iovec pin_iov;
static unsigned long registrations, failures;
static pid_t pin_tid, fork_tid;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pinrace [--mode same|other|none] [--forks N] [--pages P]\n"
		"               [--big MB] [--regs R] [--cpu C|--any-cpu]\n"
		"  --mode    who forks while this process pins (default same)\n"
		"  --forks   forks (default 20)\n"
		"  --pages   pages of the pinned buffer (default 4)\n"
		"  --big     touched private megabytes every fork copies (default 192)\n"
		"  --regs    registrations when nobody forks (default 200)\n"
		"  --cpu     the CPU every thread runs on (default 0)\n"
		"  --any-cpu let the threads run anywhere\n");
}

static int parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "forks", required_argument, NULL, 'f' },
		{ "pages", required_argument, NULL, 'p' },
		{ "big", required_argument, NULL, 'b' },
		{ "regs", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "any-cpu", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long cpu;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'm':
			opt.mode = optarg;
			break;
		case 'f':
			if (parse_count(optarg, &opt.forks))
				return -1;
			break;
		case 'p':
			if (parse_count(optarg, &opt.pages) || !opt.pages)
				return -1;
			break;
		case 'b':
			if (parse_count(optarg, &opt.big_mb))
				return -1;
			break;
		case 'r':
			if (parse_count(optarg, &opt.regs))
				return -1;
			break;
		case 'c':
			if (parse_count(optarg, &cpu))
				return -1;
			opt.cpu = cpu;
			break;
		case 'a':
			opt.cpu = -1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	return strcmp(opt.mode, "same") && strcmp(opt.mode, "other") &&
			       strcmp(opt.mode, "none") ?
		       -1 :
		       0;
}

/* Base pages, so that fork copies one PTE each (a THP is one PMD). */
static char *touched(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (len && madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
	return p;
}

/* One register and unregister: one pin_user_pages_fast() call. */
static void pin_once(void)
{
	if (syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_BUFFERS,
		    &pin_iov, 1)) {
		failures++;
		return;
	}
	registrations++;
	if (syscall(__NR_io_uring_register, ring_fd, IORING_UNREGISTER_BUFFERS,
		    NULL, 0))
		die("io_uring_register(UNREGISTER_BUFFERS)");
}

static void *pinner(void *arg)
{
	(void)arg;
	pin_tid = syscall(SYS_gettid);
	/* At least one pin before any fork, and one after the last. */
	pin_once();
	while (!stop)
		pin_once();
	pin_once();
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	fork_tid = syscall(SYS_gettid);
	fork_n(opt.forks);
	return NULL;
}

/* A process of its own (its own mm, a copy of ours) forks N times on "go". */
static pid_t other_forker(int *go)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(1);
		fork_n(opt.forks);
		_exit(0);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

int main(int argc, char **argv)
{
	struct io_uring_params params = {};
	pthread_t pin_thread, fork_thread;
	pid_t other = 0;
	int go = -1, status;

	if (parse(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	touched(opt.big_mb << 20);
	pin_iov.iov_base = touched(opt.pages * PAGE);
	pin_iov.iov_len = opt.pages * PAGE;
	ring_fd = syscall(__NR_io_uring_setup, 1, &params);
	if (ring_fd < 0)
		die("io_uring_setup");
	if (!strcmp(opt.mode, "other"))
		other = other_forker(&go);
	if (!strcmp(opt.mode, "none")) {
		pin_tid = syscall(SYS_gettid);
		for (unsigned long i = 0; i < opt.regs; i++)
			pin_once();
	} else {
		if (pthread_create(&pin_thread, NULL, pinner, NULL))
			die("pthread_create");
		if (other) {
			if (write(go, "g", 1) != 1)
				die("write");
			if (waitpid(other, &status, 0) != other || status)
				die("the other process's forks");
		} else {
			if (pthread_create(&fork_thread, NULL, forker, NULL))
				die("pthread_create");
			pthread_join(fork_thread, NULL);
		}
		stop = 1;
		pthread_join(pin_thread, NULL);
	}
	printf("{\"work\": \"pinrace\", \"mode\": \"%s\", \"pid\": %d, "
	       "\"pin_tid\": %d, \"fork_tid\": %d, \"other_pid\": %d, "
	       "\"forks\": %lu, \"registrations\": %lu, \"failures\": %lu, "
	       "\"pages\": %lu}\n",
	       opt.mode, getpid(), pin_tid, fork_tid, other, opt.forks,
	       registrations, failures, opt.pages);
	return failures ? 1 : 0;
}
