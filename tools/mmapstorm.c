// SPDX-License-Identifier: GPL-2.0
/*
 * mmapstorm - threads that mmap, fault and munmap in parallel, with the
 * number of calls and page faults known (the shape of will-it-scale mmap2).
 *
 * Each of T threads maps P anonymous pages, writes one byte to each page,
 * and unmaps them, N times. mmap() and munmap() each take mmap_lock for
 * write exactly once (vm_mmap_pgoff, __vm_munmap; munmap then downgrades it
 * to read), so with more than one thread they contend on it. The page
 * faults are measured with getrusage() (minor plus major faults of the whole
 * process) around the storm, not assumed to be T * N * P.
 *
 * To keep the tracer's view and the measurement over the same events, the
 * storm runs twice through the same code: a warm-up round that does
 * everything but the storm (so every code and stack page the measured round
 * touches outside the storm is mapped before the measurement starts), then
 * the measured round. With --wait-start the process waits for SIGUSR1
 * before the measured round and again after printing, so that a tracer
 * attached with -p can stop before the process exits (exit takes mmap_lock
 * too).
 *
 * Prints one JSON line on stdout. Exit status: 0, 1 on a failed system call,
 * 2 on bad usage.
 */
#define WORKLOAD "mmapstorm"
#include "workload.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

#define MAX_THREADS	256

struct config {
	unsigned int threads;
	unsigned long count;
	unsigned long pages;
	int wait_start;
};

struct worker {
	pthread_t thread;
	unsigned long mmaps;
	unsigned long munmaps;
	unsigned long touches;
	int error;		/* errno of a failed call, or 0 */
};

static struct config cfg = { .threads = 4, .count = 2000, .pages = 4 };
static struct worker workers[MAX_THREADS];
/* Round r starts when go reaches r + 1; done counts finished threads. */
static atomic_uint go;
static atomic_uint done;

static void futex_wait(atomic_uint *word, unsigned int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void wait_until(atomic_uint *word, unsigned int want)
{
	unsigned int v;

	while ((v = atomic_load(word)) < want)
		futex_wait(word, v);
}

static void storm(struct worker *w)
{
	size_t len = cfg.pages * PAGE;

	for (unsigned long i = 0; i < cfg.count; i++) {
		char *p = (char *)syscall(SYS_mmap, NULL, len,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			w->error = errno;
			return;
		}
		w->mmaps++;
		for (size_t off = 0; off < len; off += PAGE) {
			*(volatile char *)(p + off) = 1;
			w->touches++;
		}
		if (syscall(SYS_munmap, p, len)) {
			w->error = errno;
			return;
		}
		w->munmaps++;
	}
}

/* Round 0 warms up the code around the storm; round 1 is measured. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned int round = 0; round < 2; round++) {
		wait_until(&go, round + 1);
		if (round == 1)
			storm(w);
		if (atomic_fetch_add(&done, 1) + 1 == (round + 1) * cfg.threads)
			futex_wake(&done);
	}
	wait_until(&go, UINT_MAX);	/* parked until the process exits */
	return NULL;
}

static int format_truth(char *buf, size_t len, unsigned long faults)
{
	unsigned long mmaps = 0, munmaps = 0, touches = 0;
	int error = 0;

	for (unsigned int i = 0; i < cfg.threads; i++) {
		mmaps += workers[i].mmaps;
		munmaps += workers[i].munmaps;
		touches += workers[i].touches;
		if (workers[i].error)
			error = workers[i].error;
	}
	snprintf(buf, len,
		 "{\"pid\":%d,\"threads\":%u,\"count\":%lu,\"pages\":%lu,"
		 "\"mmap_calls\":%lu,\"munmap_calls\":%lu,\"touches\":%lu,"
		 "\"faults\":%lu,\"errno\":%d}\n",
		 getpid(), cfg.threads, cfg.count, cfg.pages, mmaps, munmaps,
		 touches, faults, error);
	return error;
}

/*
 * One round as the main thread sees it. The measured round runs the very
 * code the warm-up ran, so no fault outside the storm falls between the
 * two getrusage() calls or after them.
 */
static int run_round(unsigned int round, char *out, size_t len)
{
	unsigned long before = faults_of(RUSAGE_SELF), after;

	atomic_store(&go, round + 1);
	futex_wake(&go);
	wait_until(&done, (round + 1) * cfg.threads);
	after = faults_of(RUSAGE_SELF);
	return format_truth(out, len, after - before);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: mmapstorm [--threads T] [--count N] [--pages P] [--wait-start]\n"
"  T threads each mmap P anonymous pages, write each page, munmap, N times.\n"
"  --threads T     threads (1-%d, default 4)\n"
"  --count N       mmap/munmap pairs per thread (default 2000)\n"
"  --pages P       pages per mapping (default 4)\n"
"  --wait-start    wait for SIGUSR1 before the storm and after printing\n"
"Prints {\"pid\",\"mmap_calls\",\"munmap_calls\",\"touches\",\"faults\",...}.\n",
		MAX_THREADS);
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "pages", required_argument, NULL, 'p' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "t:n:p:wh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_range(optarg, 1, MAX_THREADS, &v))
				return -1;
			cfg.threads = v;
			break;
		case 'n':
			if (parse_range(optarg, 1, 100000000, &cfg.count))
				return -1;
			break;
		case 'p':
			if (parse_range(optarg, 1, 65536, &cfg.pages))
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
	char truth[512];
	int err;

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	block_usr1();
	warm_stack();
	for (unsigned int i = 0; i < cfg.threads; i++) {
		err = pthread_create(&workers[i].thread, NULL, worker_main,
				     &workers[i]);
		if (err) {
			fprintf(stderr, "mmapstorm: pthread_create: %s\n",
				strerror(err));
			return 1;
		}
	}
	run_round(0, truth, sizeof(truth));
	if (cfg.wait_start)
		wait_usr1("ready");
	err = run_round(1, truth, sizeof(truth));
	if (write(STDOUT_FILENO, truth, strlen(truth)) < 0)
		return 1;
	if (err) {
		fprintf(stderr, "mmapstorm: mmap or munmap failed: %s\n",
			strerror(err));
		return 1;
	}
	if (cfg.wait_start)
		wait_usr1("done");
	return 0;
}
