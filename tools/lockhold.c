// SPDX-License-Identifier: GPL-2.0
/*
 * lockhold - one thread holds mmap_lock for writing, for a known time,
 * while others fault behind it: the holder of every wait it causes is
 * known.
 *
 * The holder ("lockholder") changes the protection of a large populated
 * mapping back and forth (mprotect RW to RWX and back), R or more times.
 * mprotect holds mmap_lock for writing while it rewrites every PTE, and it
 * write-locks the mapping's VMA, so that W threads ("faulter") that fault
 * on their own pages of the same mapping (MADV_DONTNEED, then a write)
 * cannot finish under the VMA lock and wait for mmap_lock for reading.
 * The faulters pause 100 us between faults: readers that took the lock
 * all the time would make the holder queue behind them, and readers that
 * come then queue behind a lock readers hold, which records no holder
 * (what a kernel without per-VMA locks, 6.1, showed without the pause).
 * Readers never wait for each other, and no other thread takes mmap_lock
 * for writing during the run: a wait on this mm's mmap_lock whose holder
 * the kernel records (a writer) was caused by the holder. (A reader can
 * also wait behind the holder's own queued write while readers hold the
 * lock; then the kernel records no holder.)
 *
 * The holder's mprotect calls are timed (CLOCK_MONOTONIC around each):
 * hold_ns is their sum, a bound on the time it held the lock.
 *
 * R rounds are a minimum: a slow or busy machine (a TCG guest) can
 * schedule the faulters only between the holder's calls, and then nothing
 * waits. A fault that began while the holder was inside mprotect and
 * ended after that call returned ("overlaps") is one that could not
 * finish under the hold; the holder goes on, for up to OVERLAP_WAIT_S
 * seconds, until MIN_OVERLAPS faults did so (with --peeker: as many of
 * its reads). A bound in time, not in rounds: on a one-CPU TCG guest a
 * fault overlaps a hold about once in 150 rounds of 0.3 ms each.
 *
 * With --peeker, a child process ("peeker") reads /proc/PPID/cmdline in a
 * loop meanwhile: the kernel reads another mm for it (access_remote_vm),
 * under that mm's mmap_lock, so it waits behind the holder on another
 * process's mmap_lock.
 *
 * With --leader-exits the main thread (the process's leader) exits
 * (pthread_exit) after the run, while the holder and the faulters live on:
 * once the leader is a zombie, the holder waits for SIGUSR1 and the threads
 * make a second run, the same, and exit. Per-process state a tracer keeps
 * for the process is then the threads' alone.
 *
 * Prints one JSON line on stdout: {"pid", "holder_tid", "holder_comm",
 * "rounds" (made), "hold_ns", "faulters", "faults", "overlaps",
 * "peeker_pid", "peeks", "peek_overlaps", "errno"}, of the first run. With
 * --wait-start it waits for SIGUSR1 before the run and again after
 * printing (with --leader-exits: the holder, after the leader exited).
 */
#define WORKLOAD "lockhold"
#include "workload.h"
#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#define MAX_FAULTERS 64
#define HOLDER_COMM "lockholder"
#define FAULTER_COMM "faulter"
#define PEEKER_COMM "peeker"
#define MIN_OVERLAPS 8
#define OVERLAP_WAIT_S 30

struct config {
	unsigned long rounds;
	unsigned long pages;
	unsigned int faulters;
	int wait_start;
	int peeker;
	int linger;
	int leader_exits;
};

static struct config cfg = { .rounds = 20, .pages = 32768, .faulters = 3 };
static char *region;
static atomic_uint go;		/* 1: warm-up, 1 + N: run N */
static atomic_uint holding_done;	/* the runs the holder finished */
static atomic_uint worked;	/* threads done with their work */
static atomic_uint release;	/* --linger: 1 lets them exit */
static atomic_ulong faults;
/* Shared with the peeker (MAP_SHARED): it times its reads by them too. */
struct shared {
	atomic_ulong hold_seq;	/* odd while the holder is inside mprotect */
	atomic_ulong peek_overlaps;
};
static struct shared *sh;
static atomic_ulong overlaps;
static unsigned long rounds;	/* the holder's, R or more */
static atomic_int error;
static pid_t holder_tid;
static pthread_t leader;
/* The holder, then the faulters. */
static pthread_t threads[MAX_FAULTERS + 1];
static int peek_pipe[2];	/* the peeker's count, when it is told to stop */
static unsigned long long hold_ns;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

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

/*
 * A thread's work is done: with --linger it stays alive until main() lets
 * it go, so that what a tracer keeps per thread is still the thread's.
 */
static void work_done(void)
{
	atomic_fetch_add(&worked, 1);
	futex_wake(&worked);
	if (cfg.linger)
		wait_until(&release, 1);
}

/* The peeker's reads if there is one, else the faults, met the holder. */
static bool enough_overlaps(void)
{
	if (cfg.peeker)
		return atomic_load(&sh->peek_overlaps) >= MIN_OVERLAPS;
	return atomic_load(&overlaps) >= MIN_OVERLAPS;
}

static unsigned int runs(void)
{
	return cfg.leader_exits ? 2 : 1;
}

/* One run's holds: the rounds made, their time added to hold_ns. */
static unsigned long hold(void)
{
	size_t len = cfg.pages * PAGE;
	unsigned long long t, until;
	unsigned long made;

	until = now_ns() + OVERLAP_WAIT_S * 1000000000ULL;
	for (made = 0; made < cfg.rounds ||
	     (!enough_overlaps() && now_ns() < until); made++) {
		int prot = PROT_READ | PROT_WRITE | (made % 2 ? 0 : PROT_EXEC);

		t = now_ns();
		atomic_fetch_add(&sh->hold_seq, 1);
		if (mprotect(region, len, prot))
			atomic_store(&error, errno);
		atomic_fetch_add(&sh->hold_seq, 1);
		hold_ns += now_ns() - t;
	}
	if (mprotect(region, len, PROT_READ | PROT_WRITE))
		atomic_store(&error, errno);
	return made;
}

/*
 * The leader is a zombie: past its exit's tracepoints. Joining it ends
 * when the kernel clears its tid, in exit_mm(), before them.
 */
static void wait_leader_exit(void)
{
	char stat[256], *state;
	int fd;

	pthread_join(leader, NULL);
	for (;;) {
		fd = open("/proc/self/stat", O_RDONLY);
		if (fd < 0 || read(fd, stat, sizeof(stat) - 1) <= 0)
			die("/proc/self/stat");
		close(fd);
		stat[sizeof(stat) - 1] = 0;
		state = strrchr(stat, ')');
		if (state && state[1] == ' ' && state[2] == 'Z')
			return;
		usleep(1000);
	}
}

static void *holder_main(void *arg)
{
	holder_tid = syscall(SYS_gettid);
	pthread_setname_np(pthread_self(), HOLDER_COMM);
	for (unsigned int run = 1; run <= runs(); run++) {
		if (run > 1) {
			wait_leader_exit();
			wait_usr1("leader exited");
			atomic_store(&overlaps, 0);
			atomic_store(&go, run + 1);
			futex_wake(&go);
		}
		wait_until(&go, run + 1);
		if (run == 1)
			rounds = hold();
		else
			hold();
		atomic_store(&holding_done, run);
		work_done();
	}
	if (!cfg.leader_exits)
		return NULL;
	/* The last thread: its exit is the process's, and says how it went. */
	for (unsigned long i = 1; i <= cfg.faulters; i++)
		pthread_join(threads[i], NULL);
	exit(atomic_load(&error) ? 1 : 0);
}

/* Its own page, past the holder's populated part: zapped and refaulted. */
static void *faulter_main(void *arg)
{
	char *page = region + (cfg.pages + (unsigned long)arg) * PAGE;
	struct timespec pause = { .tv_nsec = 100 * 1000 };

	pthread_setname_np(pthread_self(), FAULTER_COMM);
	*(volatile char *)page = 1;
	for (unsigned int run = 1; run <= runs(); run++) {
		wait_until(&go, run + 1);
		while (atomic_load(&holding_done) < run) {
			unsigned long seq;

			if (madvise(page, PAGE, MADV_DONTNEED))
				atomic_store(&error, errno);
			seq = atomic_load(&sh->hold_seq);
			*(volatile char *)page = 1;
			if (seq % 2 && atomic_load(&sh->hold_seq) != seq)
				atomic_fetch_add(&overlaps, 1);
			atomic_fetch_add(&faults, 1);
			nanosleep(&pause, NULL);
		}
		work_done();
	}
	return NULL;
}

/*
 * The peeker: reads its parent's cmdline until its stdin (a pipe the
 * parent holds) says stop, then writes how many reads it made.
 */
static void peeker_main(pid_t parent, int stop_fd)
{
	char path[64], buf[256];
	unsigned long peeks = 0;
	struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };
	int fd;

	prctl(PR_SET_NAME, PEEKER_COMM);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)parent);
	while (poll(&pfd, 1, 0) == 0) {
		unsigned long seq;

		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(1);
		seq = atomic_load(&sh->hold_seq);
		if (read(fd, buf, sizeof(buf)) < 0)
			_exit(1);
		if (seq % 2 && atomic_load(&sh->hold_seq) != seq)
			atomic_fetch_add(&sh->peek_overlaps, 1);
		close(fd);
		peeks++;
	}
	if (write(peek_pipe[1], &peeks, sizeof(peeks)) != sizeof(peeks))
		_exit(1);
	_exit(0);
}

static pid_t start_peeker(int stop[2])
{
	pid_t parent = getpid(), pid;

	if (pipe(stop) || pipe(peek_pipe))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(stop[1]);
		peeker_main(parent, stop[0]);
	}
	close(stop[0]);
	return pid;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: lockhold [--rounds R] [--pages P] [--faulters W] [--peeker]\n"
"                [--wait-start [--linger | --leader-exits]]\n"
"  One thread mprotects P populated pages R times or more (mmap_lock held\n"
"  for writing) while W threads fault on the same mapping; --peeker: a\n"
"  child process reads this one's /proc/PID/cmdline meanwhile.\n"
"  --linger: the threads stay alive after their work until the SIGUSR1\n"
"  that answers \"done\".\n"
"  --leader-exits: the main thread exits after the run; the others run\n"
"  again at the SIGUSR1 that answers \"leader exited\", then exit.\n"
"Prints {\"pid\",\"holder_tid\",\"holder_comm\",\"rounds\",\"hold_ns\",...}.\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' },
		{ "faulters", required_argument, NULL, 'f' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "peeker", no_argument, NULL, 'k' },
		{ "linger", no_argument, NULL, 'l' },
		{ "leader-exits", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "r:p:f:wklxh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_range(optarg, 1, 1000000, &cfg.rounds))
				return -1;
			break;
		case 'p':
			if (parse_range(optarg, 1, 1 << 22, &cfg.pages))
				return -1;
			break;
		case 'f':
			if (parse_range(optarg, 1, MAX_FAULTERS, &v))
				return -1;
			cfg.faulters = v;
			break;
		case 'w':
			cfg.wait_start = 1;
			break;
		case 'k':
			cfg.peeker = 1;
			break;
		case 'l':
			cfg.linger = 1;
			break;
		case 'x':
			cfg.leader_exits = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	/* Only the SIGUSR1 after "done" lets lingering threads go. */
	if (cfg.linger && !cfg.wait_start)
		return -1;
	/* The second run starts at a SIGUSR1, and has no peeker. */
	if (cfg.leader_exits &&
	    (!cfg.wait_start || cfg.linger || cfg.peeker))
		return -1;
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long peeks = 0;
	pid_t peeker = 0;
	int stop[2], status;
	size_t len;
	char truth[512];

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	block_usr1();
	warm_stack();
	leader = pthread_self();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	len = (cfg.pages + cfg.faulters) * PAGE;
	region = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	for (size_t off = 0; off < cfg.pages * PAGE; off += PAGE)
		region[off] = 1;
	if (pthread_create(&threads[0], NULL, holder_main, NULL))
		die("pthread_create");
	for (unsigned long i = 0; i < cfg.faulters; i++)
		if (pthread_create(&threads[i + 1], NULL, faulter_main,
				   (void *)i))
			die("pthread_create");
	atomic_store(&go, 1);
	if (cfg.wait_start)
		wait_usr1("ready");
	if (cfg.peeker)
		peeker = start_peeker(stop);
	atomic_store(&go, 2);
	futex_wake(&go);
	for (unsigned int n; (n = atomic_load(&worked)) <= cfg.faulters;)
		futex_wait(&worked, n);
	if (!cfg.linger && !cfg.leader_exits)
		for (unsigned long i = 0; i <= cfg.faulters; i++)
			pthread_join(threads[i], NULL);
	if (peeker) {
		close(stop[1]);
		if (read(peek_pipe[0], &peeks, sizeof(peeks)) != sizeof(peeks) ||
		    waitpid(peeker, &status, 0) < 0 || status)
			atomic_store(&error, EIO);
	}
	snprintf(truth, sizeof(truth),
		 "{\"pid\":%d,\"holder_tid\":%d,\"holder_comm\":\"%s\","
		 "\"rounds\":%lu,\"hold_ns\":%llu,\"faulters\":%u,"
		 "\"faults\":%lu,\"overlaps\":%lu,\"peeker_pid\":%d,"
		 "\"peeks\":%lu,\"peek_overlaps\":%lu,\"errno\":%d}\n",
		 getpid(), (int)holder_tid, HOLDER_COMM, rounds, hold_ns,
		 cfg.faulters, atomic_load(&faults), atomic_load(&overlaps),
		 (int)peeker, peeks, atomic_load(&sh->peek_overlaps),
		 atomic_load(&error));
	if (write(STDOUT_FILENO, truth, strlen(truth)) < 0)
		return 1;
	if (atomic_load(&error))
		return 1;
	if (cfg.leader_exits)
		pthread_exit(NULL);
	if (cfg.wait_start)
		wait_usr1("done");
	atomic_store(&release, 1);
	futex_wake(&release);
	for (unsigned long i = 0; cfg.linger && i <= cfg.faulters; i++)
		pthread_join(threads[i], NULL);
	return 0;
}
