// SPDX-License-Identifier: GPL-2.0
/*
 * execname - a process that changes its name by exec, with what it did
 * under each name known: the oracle of how mmtrace names process rows.
 *
 * Under its first name (--name, set with prctl like a shell's child that
 * is still "sh") it faults --faults fresh pages, forks --forks times,
 * vmsplices one touched page --vmsplice times (one GUP-fast call each)
 * and, with --hugetlb, faults one page of a PUD-aligned 1 GiB hugetlb
 * mapping (one huge_pmd_share call). It stays quiet for --quiet-ms, then
 * execs --exec PATH, whose basename is its new name (a symlink gives any
 * name). The new image does the same work again and prints one JSON line:
 *
 *   {"pid":P, "before":{"comm":..,"faults":..,"forks":..,"vmsplices":..,
 *    "hugetlb_faults":..}, "after":{...}, "from_thread":false}
 *
 * "faults" under "before" are measured with getrusage() around the work,
 * after a warm-up of the same code, so a tracer that follows the pid from
 * the --wait pause sees exactly them before the quiet time; without
 * --forks only: after a fork the kernel writes to COW pages of the parent
 * (getrusage()'s result), faults of kernel mode that getrusage() counts. "after" faults are the work's only: exec and the dynamic
 * loader fault too, and getrusage() also counts faults of kernel mode,
 * which page_fault_user does not.
 *
 * --from-thread: a second thread calls execve, so the kernel makes it the
 * leader and ends the old one (de_thread). --wait: wait for SIGUSR1 before
 * the work, and again after printing (a tracer can attach first and stop
 * before the exit).
 *
 * Exit status: 0, 1 on a failed system call, 2 on bad usage.
 */
#define WORKLOAD "execname"
#include "workload.h"
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

struct work {
	char comm[16];
	unsigned long faults, forks, vmsplices, hugetlb_faults;
};

static struct {
	const char *name, *exec;
	unsigned long faults, forks, vmsplices, quiet_ms;
	int hugetlb, from_thread, wait;
	int after;			/* this image is the one after exec */
	struct work before;		/* carried over the exec */
} cfg = { .quiet_ms = 2000 };

static void quiet(unsigned long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void do_work(struct work *w, char *page)
{
	touch_pages(cfg.faults);
	fork_n(cfg.forks);
	vmsplice_n(cfg.vmsplices, page);
	w->forks = cfg.forks;
	w->vmsplices = cfg.vmsplices;
	if (cfg.hugetlb)
		hugetlb_fault(0);
	w->hugetlb_faults = cfg.hugetlb;
}

static void *exec_thread(void *arg)
{
	char **argv = arg;

	syscall(SYS_execve, cfg.exec, argv, environ);
	die("execve");
	return NULL;
}

static void exec_next(const struct work *w)
{
	static char carry[160], n[4][24];
	static char *argv[20];
	int i = 0;
	pthread_t t;

	snprintf(carry, sizeof(carry), "%s,%lu,%lu,%lu,%lu", w->comm,
		 w->faults, w->forks, w->vmsplices, w->hugetlb_faults);
	snprintf(n[0], sizeof(n[0]), "%lu", cfg.faults);
	snprintf(n[1], sizeof(n[1]), "%lu", cfg.forks);
	snprintf(n[2], sizeof(n[2]), "%lu", cfg.vmsplices);
	snprintf(n[3], sizeof(n[3]), "%lu", cfg.quiet_ms);
	argv[i++] = (char *)cfg.exec;
	argv[i++] = "--after";
	argv[i++] = carry;
	argv[i++] = "--faults";
	argv[i++] = n[0];
	argv[i++] = "--forks";
	argv[i++] = n[1];
	argv[i++] = "--vmsplice";
	argv[i++] = n[2];
	argv[i++] = "--quiet-ms";
	argv[i++] = n[3];
	if (cfg.hugetlb)
		argv[i++] = "--hugetlb";
	if (cfg.wait)
		argv[i++] = "--wait";
	if (cfg.from_thread)
		argv[i++] = "--from-thread";
	argv[i] = NULL;
	if (!cfg.from_thread) {
		exec_thread(argv);
		return;
	}
	errno = pthread_create(&t, NULL, exec_thread, argv);
	if (errno)
		die("pthread_create");
	pthread_join(t, NULL);	/* execve ends this thread */
}

static void print_work(char *buf, size_t len, const struct work *w)
{
	snprintf(buf, len,
		 "{\"comm\":\"%s\",\"faults\":%lu,\"forks\":%lu,"
		 "\"vmsplices\":%lu,\"hugetlb_faults\":%lu}",
		 w->comm, w->faults, w->forks, w->vmsplices, w->hugetlb_faults);
}

static int after_exec(char *page)
{
	struct work w = {};
	char b[256], a[256];
	unsigned long f0;

	prctl(PR_GET_NAME, w.comm);
	f0 = faults_of(RUSAGE_SELF);
	do_work(&w, page);
	w.faults = faults_of(RUSAGE_SELF) - f0;
	print_work(b, sizeof(b), &cfg.before);
	print_work(a, sizeof(a), &w);
	printf("{\"pid\":%d,\"before\":%s,\"after\":%s,\"from_thread\":%s}\n",
	       getpid(), b, a, cfg.from_thread ? "true" : "false");
	fflush(stdout);
	if (cfg.wait)
		wait_usr1("done");
	return 0;
}

/*
 * The first name's work. The same code runs once first on nothing but a
 * page, so that from the pause on the only faults are the work's.
 */
static int before_exec(char *page)
{
	struct work w = {};
	unsigned long f0;

	if (cfg.name && prctl(PR_SET_NAME, cfg.name))
		die("prctl");
	prctl(PR_GET_NAME, w.comm);
	warm_stack();
	touch_pages(1);
	faults_of(RUSAGE_SELF);
	quiet(1);
	say("");
	syscall(SYS_getpid);
	if (cfg.wait)
		wait_usr1("ready");
	f0 = faults_of(RUSAGE_SELF);
	do_work(&w, page);
	w.faults = faults_of(RUSAGE_SELF) - f0;
	say("execname: before exec, quiet\n");
	quiet(cfg.quiet_ms);
	exec_next(&w);
	return 1;
}

static int parse_before(const char *s)
{
	struct work *w = &cfg.before;
	const char *comma = strchr(s, ',');

	if (!comma || comma - s >= (long)sizeof(w->comm))
		return -1;
	memcpy(w->comm, s, comma - s);
	return sscanf(comma + 1, "%lu,%lu,%lu,%lu", &w->faults, &w->forks,
		      &w->vmsplices, &w->hugetlb_faults) == 4 ? 0 : -1;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "exec", required_argument, NULL, 'e' },
		{ "faults", required_argument, NULL, 'f' },
		{ "forks", required_argument, NULL, 'k' },
		{ "vmsplice", required_argument, NULL, 's' },
		{ "quiet-ms", required_argument, NULL, 'q' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "from-thread", no_argument, NULL, 't' },
		{ "wait", no_argument, NULL, 'w' },
		{ "after", required_argument, NULL, 'a' },
		{}
	};
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': cfg.name = optarg; break;
		case 'e': cfg.exec = optarg; break;
		case 'f': bad |= parse_count(optarg, &cfg.faults); break;
		case 'k': bad |= parse_count(optarg, &cfg.forks); break;
		case 's': bad |= parse_count(optarg, &cfg.vmsplices); break;
		case 'q': bad |= parse_count(optarg, &cfg.quiet_ms); break;
		case 'H': cfg.hugetlb = 1; break;
		case 't': cfg.from_thread = 1; break;
		case 'w': cfg.wait = 1; break;
		case 'a': cfg.after = 1; bad |= parse_before(optarg); break;
		default: bad = 1;
		}
	}
	return bad || optind != argc || (!cfg.after && !cfg.exec) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));

	if (parse_args(argc, argv)) {
		fprintf(stderr,
			"usage: execname --exec PATH [--name NAME] [--faults N] [--forks N]\n"
			"                [--vmsplice N] [--hugetlb] [--quiet-ms MS]\n"
			"                [--from-thread] [--wait]\n");
		return 2;
	}
	block_usr1();
	memset(page, 1, sizeof(page));
	return cfg.after ? after_exec(page) : before_exec(page);
}
