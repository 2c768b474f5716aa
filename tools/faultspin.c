// SPDX-License-Identifier: GPL-2.0
/*
 * faultspin - one page fault, then a spin without system calls until the
 * process is killed: a fault whose outcome a tracer learns only much later
 * (at the next syscall, fault or mmap_lock of its thread, here at exit),
 * which puts the fault and its outcome in different interval reports.
 *
 * It maps one anonymous page untouched, prints "ready" on stderr and waits
 * for SIGUSR1; then it prints "spinning" on stderr (its last system call),
 * writes to the page (one user fault, its only one from then on) and spins
 * until killed. The fault count is checked from outside against
 * /proc/PID/stat (minflt), since the process cannot report without a
 * system call.
 *
 * Exit status: killed, or 1 on a failed system call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	static const char spinning[] = "spinning\n";
	volatile char *page;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || sigaction(SIGUSR1, &sa, NULL)) {
		perror("faultspin");
		return 1;
	}
	fprintf(stderr, "ready\n");
	while (!go)
		pause();
	if (write(2, spinning, strlen(spinning)) < 0)
		return 1;
	page[0] = 1;
	for (;;)
		__asm__ volatile("" ::: "memory");
}
