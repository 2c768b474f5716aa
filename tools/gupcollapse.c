// SPDX-License-Identifier: GPL-2.0
/*
 * gupcollapse - GUP-fast walks on an mm whose page tables are retracted.
 *
 *   gupcollapse [--ranges N]
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
 * Prints the truth as one JSON line: the thread ids the in-guest trace
 * needs, the collapses madvise() reported, and the vmsplice calls. Which
 * calls met a retraction is not known here: the VM test compares mmtrace
 * with a tracefs trace of the same run.
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

int main(int argc, char **argv)
{
	unsigned long ranges = 4;
	int collapsed = 0;
	pthread_t t;

	if (argc == 3 && !strcmp(argv[1], "--ranges")) {
		if (parse_count(argv[2], &ranges) || !ranges || ranges > 64)
			argc = 0;
	}
	if (argc != 1 && argc != 3) {
		fprintf(stderr,
			"usage: gupcollapse [--ranges N]  (1..64, default 4)\n");
		return 2;
	}
	range_len = ranges * HUGE;
	range = map_shmem(range_len);
	/* Small pages first: there must be a PTE table to retract. */
	madvise(range, range_len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < range_len; off += PAGE)
		range[off] = 1;
	madvise(range, range_len, MADV_HUGEPAGE);
	if (pthread_create(&t, NULL, splicer, NULL))
		die("pthread_create");
	while (!gup_tid || !splices)
		sched_yield();
	for (unsigned long i = 0; i < ranges; i++) {
		current_range = i;
		collapsed += !madvise(range + i * HUGE, HUGE, MADV_COLLAPSE);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("{\"work\": \"gupcollapse\", \"pid\": %d, \"gup_tid\": %d, "
	       "\"ranges\": %lu, \"collapsed\": %d, \"splices\": %lu}\n",
	       getpid(), gup_tid, ranges, collapsed, splices);
	return 0;
}
