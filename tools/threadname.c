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
#define WORKLOAD "threadname"
#include "workload.h"
#include <pthread.h>
#include <sys/prctl.h>

static struct {
	const char *name;
	unsigned long faults, forks, vmsplices;
	int hugetlb, wait, late_name;
} cfg = { .name = "mainproc", .forks = 3 };

/* go: the helper may start; done: it has, and main may join it. */
static pthread_barrier_t go, done;
static unsigned long helper_faults;

static void *idle_thread(void *arg)
{
	return arg;
}

static void *helper(void *arg)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	unsigned long f0;
	pthread_t t;

	pthread_setname_np(pthread_self(), "helper");
	pthread_barrier_wait(&go);
	f0 = faults_of(RUSAGE_THREAD);
	touch_pages(cfg.faults);
	helper_faults = faults_of(RUSAGE_THREAD) - f0;
	if (cfg.vmsplices)
		memset(page, 1, sizeof(page));
	vmsplice_n(cfg.vmsplices, page);
	/* Gone before main forks: 5.10's fork copies hugetlb tables too. */
	if (cfg.hugetlb)
		hugetlb_fault(1);
	errno = pthread_create(&t, NULL, idle_thread, NULL);
	if (errno)
		die("pthread_create");
	pthread_join(t, NULL);
	pthread_barrier_wait(&done);
	return arg;
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
		case 'f': bad |= parse_count(optarg, &cfg.faults); break;
		case 'k': bad |= parse_count(optarg, &cfg.forks); break;
		case 's': bad |= parse_count(optarg, &cfg.vmsplices); break;
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
	pthread_t t;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "usage: threadname [--name NAME] [--faults N] [--forks N]\n"
				"                  [--vmsplice N] [--hugetlb] [--wait] [--late-name]\n");
		return 2;
	}
	block_usr1();
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
