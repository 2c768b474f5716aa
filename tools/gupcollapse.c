// SPDX-License-Identifier: GPL-2.0
/*
 * gupcollapse - GUP-fast walks on an mm whose page tables are retracted.
 *
 *   gupcollapse [--ranges N] [--fault] [--no-collapse]
 *
 * A shmem (memfd) range of N 2 MiB ranges is mapped with 4 KiB pages and
 * collapsed one range at a time with MADV_COLLAPSE: from 6.5 each collapse
 * ends in retract_page_tables(), which frees the PTE table of every VMA
 * mapping the range (here, this process's only). Meanwhile another thread
 * vmsplices 16 pages at a time of the range being collapsed into a pipe
 * and drains it: get_user_pages_fast() calls (FOLL_GET) on the same mm.
 * One that finds the pages unmapped by the collapse faults in the slow
 * path and waits on the new huge page's lock, which the collapse drops
 * after it has retracted the table: such a call holds a retraction.
 *
 * --fault: the other thread faults instead. It zaps 16 pages of the range
 * being collapsed (MADV_DONTNEED) and reads them back: page faults on the
 * same mm. One that finds the collapse's locked pages waits for them, as
 * the slow path above does, and so holds a retraction.
 *
 * --no-collapse: everything but MADV_COLLAPSE (the same time per range),
 * on a mapping not marked MADV_HUGEPAGE: nothing is retracted.
 *
 * Prints the truth as one JSON line: the thread ids the in-guest trace
 * needs, the collapses madvise() reported, and the vmsplice calls or the
 * zap-and-read rounds. Which calls or faults met a retraction is not known
 * here: the VM test compares mmtrace with a tracefs trace of the same run.
 */
#define WORKLOAD "gupcollapse"
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include "workload.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HUGE (2UL << 20)
#define BATCH 16

static char *range;
static size_t range_len;
static volatile int stop;
static volatile unsigned long current_range; /* being collapsed */
static volatile unsigned long splices;
static volatile pid_t gup_tid;
static volatile unsigned long rounds;	/* --fault: zap-and-read rounds */

/* A 2 MiB-aligned shared mapping of a memfd of @len. */
static char *map_shmem(size_t len)
{
	char *p = mmap(NULL, len + HUGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fd = syscall(SYS_memfd_create, WORKLOAD, 0);

	if (p == MAP_FAILED || fd < 0 || ftruncate(fd, len))
		die("memfd");
	p = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 0) == MAP_FAILED)
		die("mmap");
	return p;
}

static void *splicer(void *arg)
{
	char buf[BATCH * PAGE];
	int fds[2];

	(void)arg;
	gup_tid = syscall(SYS_gettid);
	if (pipe(fds) || fcntl(fds[1], F_SETPIPE_SZ, BATCH * PAGE) < 0)
		die("pipe");
	while (!stop) {
		for (size_t off = 0; off < HUGE && !stop; off += BATCH * PAGE) {
			struct iovec iov = { range + current_range * HUGE + off,
					     BATCH * PAGE };
			ssize_t n = vmsplice(fds[1], &iov, 1, 0);

			if (n < 0)
				die("vmsplice");
			splices++;
			for (ssize_t left = n; left > 0;) {
				ssize_t got = read(fds[0], buf, left);

				if (got <= 0)
					die("read");
				left -= got;
			}
		}
	}
	return NULL;
}

/* Page faults on the range being collapsed, BATCH pages a round. */
static void *faulter(void *arg)
{
	(void)arg;
	gup_tid = syscall(SYS_gettid);
	while (!stop) {
		for (size_t off = 0; off < HUGE && !stop; off += BATCH * PAGE) {
			volatile char *p = range + current_range * HUGE + off;

			if (madvise((char *)p, BATCH * PAGE, MADV_DONTNEED))
				die("madvise");
			for (size_t i = 0; i < BATCH * PAGE; i += PAGE)
				(void)p[i];
			rounds++;
		}
	}
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: gupcollapse [--ranges N] [--fault] [--no-collapse]  (N 1..64, default 4)\n");
	return 2;
}

int main(int argc, char **argv)
{
	bool fault = false, collapse = true;
	unsigned long ranges = 4;
	int collapsed = 0;
	pthread_t t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ranges") && i + 1 < argc) {
			if (parse_count(argv[++i], &ranges) || !ranges ||
			    ranges > 64)
				return usage();
		} else if (!strcmp(argv[i], "--fault")) {
			fault = true;
		} else if (!strcmp(argv[i], "--no-collapse")) {
			collapse = false;
		} else {
			return usage();
		}
	}
	range_len = ranges * HUGE;
	range = map_shmem(range_len);
	/* Small pages first: there must be a PTE table to retract. */
	madvise(range, range_len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < range_len; off += PAGE)
		range[off] = 1;
	if (collapse)
		madvise(range, range_len, MADV_HUGEPAGE);
	if (pthread_create(&t, NULL, fault ? faulter : splicer, NULL))
		die("pthread_create");
	while (!gup_tid || !(splices || rounds))
		sched_yield();
	for (unsigned long i = 0; i < ranges; i++) {
		current_range = i;
		if (collapse)
			collapsed += !madvise(range + i * HUGE, HUGE,
					      MADV_COLLAPSE);
		else
			usleep(20000);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("{\"work\": \"gupcollapse\", \"pid\": %d, \"gup_tid\": %d, "
	       "\"ranges\": %lu, \"collapsed\": %d, \"splices\": %lu, "
	       "\"fault_rounds\": %lu}\n",
	       getpid(), gup_tid, ranges, collapsed, splices, rounds);
	return 0;
}
