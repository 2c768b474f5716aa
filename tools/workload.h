/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workload.h - what the workloads in tools/ do alike: their work (faults,
 * forks, vmsplice, a hugetlb fault), their --wait handshake and their
 * number arguments. Each stays one tools/<name>.c, static-linkable; it
 * defines WORKLOAD, its name in messages, before including this.
 *
 * Not every workload uses every helper: they are __maybe_unused rather
 * than inline, so that the compiler places and inlines them as it did
 * when each workload had its own copy (the fault oracles count code pages).
 */
#ifndef MMTRACE_TOOLS_WORKLOAD_H
#define MMTRACE_TOOLS_WORKLOAD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WORKLOAD
#error "define WORKLOAD, the workload's name, before including workload.h"
#endif

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

#define __maybe_unused __attribute__((unused))

#define PAGE 4096UL
#define PUD_SIZE (1UL << 30)
#define STACK_WARM (256UL << 10)

static __maybe_unused void die(const char *what)
{
	fprintf(stderr, WORKLOAD ": %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Without stdio: its first use would fault in the measured work. */
static __maybe_unused void say(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0)
		exit(1);
}

/* Page faults so far of RUSAGE_SELF or RUSAGE_THREAD, as getrusage counts. */
static __maybe_unused unsigned long faults_of(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* Maps the stack the work uses, so that it faults only in the work. */
static __maybe_unused __attribute__((noinline)) void warm_stack(void)
{
	volatile char area[STACK_WARM];

	for (size_t i = 0; i < sizeof(area); i += PAGE)
		area[i] = 0;
}

/*
 * Before any thread starts, so that every thread inherits the mask: a
 * SIGUSR1 then only ends wait_usr1's sigwait, never the process.
 */
static __maybe_unused void block_usr1(void)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
}

/* SIGUSR1 is blocked in every thread; only sigwait takes it. */
static __maybe_unused void wait_usr1(const char *what)
{
	char line[128];
	sigset_t usr1;
	int sig;

	snprintf(line, sizeof(line), WORKLOAD ": pid %d %s, waiting for SIGUSR1\n",
		 getpid(), what);
	say(line);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigwait(&usr1, &sig);
}

/* A number argument from @min to @max, digits only: -1 otherwise. */
static __maybe_unused int parse_range(const char *s, unsigned long min,
				      unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || !*s || *s == '-' || *out < min ||
	       *out > max ? -1 : 0;
}

/* A count argument: 0 to 1000000, digits only. */
static __maybe_unused int parse_count(const char *s, unsigned long *out)
{
	return parse_range(s, 0, 1000000, out);
}

/* @n fresh anonymous pages, written once each: @n page faults. */
static __maybe_unused void touch_pages(unsigned long n)
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

/* @n children that exit at once, each reaped before the next. */
static __maybe_unused void fork_n(unsigned long n)
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

/* A touched @page into a pipe and back: one GUP-fast call each time. */
static __maybe_unused void vmsplice_n(unsigned long n, char *page)
{
	struct iovec iov = { .iov_base = page, .iov_len = PAGE };
	char back[64];
	int fds[2];

	if (!n)
		return;
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

/*
 * A PUD-aligned 1 GiB hole: reserve 2 GiB, keep the aligned middle. NULL
 * on failure; the 2 GiB stay reserved.
 */
static __maybe_unused char *aligned_pud_range(void)
{
	char *p = mmap(NULL, 2 * PUD_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((uintptr_t)p + PUD_SIZE - 1) & ~(PUD_SIZE - 1));
}

/*
 * MAP_SHARED over a whole aligned PUD: its first fault calls
 * huge_pmd_share. With @unmap the range and memfd are gone again after it.
 */
static __maybe_unused void hugetlb_fault(int unmap)
{
	char *addr, *p;
	int fd;

	fd = syscall(SYS_memfd_create, WORKLOAD, MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, PUD_SIZE))
		die("1 GiB hugetlb memfd");
	addr = aligned_pud_range();
	if (!addr)
		die("mmap");
	p = mmap(addr, PUD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of 1 GiB hugetlb");
	p[0] = 1;
	if (!unmap)
		return;
	munmap(p, PUD_SIZE);
	close(fd);
}

#endif /* MMTRACE_TOOLS_WORKLOAD_H */
