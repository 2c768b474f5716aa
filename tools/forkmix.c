// SPDX-License-Identifier: GPL-2.0
/*
 * forkmix: an oracle for how mmtrace fork classifies clone-family calls.
 * It makes exactly F forks, V vforks and T threads, one after the other,
 * and prints what it made as one JSON line.  It never pins a page, so its
 * truth also says that fork copied nothing: a tracer that counts copies
 * for an unpinned parent is wrong, and the oracle checks it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse_count(const char *s, const char *what, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *out > 100000) {
		fprintf(stderr, "forkmix: invalid %s '%s' (0..100000)\n", what, s);
		return -1;
	}
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

/*
 * Not inlined: a vfork child borrows this frame until it _exits, so the
 * frame must not be the caller's loop.
 */
static __attribute__((noinline)) int one_child(bool use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	return 0;
}

static int make_children(unsigned long n, bool use_vfork)
{
	for (unsigned long i = 0; i < n; i++)
		if (one_child(use_vfork))
			return -1;
	return 0;
}

static int make_threads(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, NULL))
			return -1;
		pthread_join(t, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long forks = 0, vforks = 0, threads = 0;

	if (argc != 4 || parse_count(argv[1], "forks", &forks) ||
	    parse_count(argv[2], "vforks", &vforks) ||
	    parse_count(argv[3], "threads", &threads)) {
		fprintf(stderr, "usage: forkmix FORKS VFORKS THREADS\n");
		return 2;
	}
	if (make_children(forks, false) || make_children(vforks, true) ||
	    make_threads(threads)) {
		perror("forkmix");
		return 1;
	}
	printf("{\"pid\":%d,\"forks\":%lu,\"vforks\":%lu,\"threads\":%lu,"
	       "\"expected_pinned_copies\":0,\"expected_unit\":\"base_pages\","
	       "\"mode\":\"nopin\"}\n",
	       getpid(), forks, vforks, threads);
	return 0;
}
