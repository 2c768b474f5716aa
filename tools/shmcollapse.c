// SPDX-License-Identifier: GPL-2.0
/*
 * shmcollapse - a workload whose page-table retractions are known.
 *
 * A shmem (memfd) range mapped with 4 KiB pages is collapsed into 2 MiB
 * huge pages with madvise(MADV_COLLAPSE). From 6.6 on, each successful
 * collapse of a file range ends in retract_page_tables(), which removes
 * the PTE table of every VMA mapping that range so that it can be faulted
 * again as a PMD mapping (khugepaged does the same in the background). So
 * there is one retraction per collapse that succeeded.
 *
 * The collapses are counted from madvise()'s result, and the huge mappings
 * they made are MEASURED: ShmemPmdMapped in /proc/self/smaps after the range
 * is touched again. Kernels without MADV_COLLAPSE (before 6.1) collapse
 * nothing: 0 expected.
 *
 * Prints one JSON line on stdout. Static, raw syscalls only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

#define HUGE_PAGE_SIZE		(2UL << 20)
#define PAGE_SIZE		4096UL

/* A 2 MiB-aligned range of @len: reserve more, keep the aligned part. */
static char *aligned_range(size_t len)
{
	char *p = mmap(NULL, len + HUGE_PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((uintptr_t)p + HUGE_PAGE_SIZE - 1) &
			~(HUGE_PAGE_SIZE - 1));
}

static void touch(volatile char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		p[off] = 1;
}

/* kB of the VMA at @addr mapped by PMDs, from /proc/self/smaps. */
static long pmd_mapped_kb(const char *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long start, end;
	long kb = -1;
	int in_vma = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in_vma = start == (uintptr_t)addr;
		else if (in_vma &&
			 sscanf(line, "ShmemPmdMapped: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2, collapsed = 0, fd;
	size_t len;
	char *addr;
	long kb;

	if (argc > 2 || n < 1 || n > 64) {
		fprintf(stderr, "Usage: shmcollapse [N]\n"
			"Collapses N (1..64, default 2) 2 MiB shmem ranges with MADV_COLLAPSE;\n"
			"prints the expected and measured page-table retractions as JSON.\n");
		return 2;
	}
	len = n * HUGE_PAGE_SIZE;
	fd = syscall(SYS_memfd_create, "shmcollapse", 0);
	addr = aligned_range(len);
	if (fd < 0 || ftruncate(fd, len) || !addr ||
	    mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED) {
		fprintf(stderr, "shmcollapse: shmem mapping: %s\n",
			strerror(errno));
		return 1;
	}
	/* Small pages first: there must be a PTE table to retract. */
	madvise(addr, len, MADV_NOHUGEPAGE);
	touch(addr, len);
	madvise(addr, len, MADV_HUGEPAGE);
	for (int i = 0; i < n; i++)
		collapsed += !madvise(addr + i * HUGE_PAGE_SIZE,
				      HUGE_PAGE_SIZE, MADV_COLLAPSE);
	touch(addr, len);
	kb = pmd_mapped_kb(addr);
	printf("{\"pid\":%d,\"ranges\":%d,\"collapsed\":%d,"
	       "\"expected_retracts\":%d,\"observed_pmd_mapped\":",
	       getpid(), n, collapsed, collapsed);
	if (kb < 0)
		printf("null}\n");
	else
		printf("%ld}\n", kb / (long)(HUGE_PAGE_SIZE >> 10));
	return 0;
}
