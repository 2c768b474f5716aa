/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit-test harness: CHECK() records one case, and main() ends
 * with CHECK_DONE(), which prints "N passed, N failed" for run.sh to add up.
 */
#ifndef MMTRACE_CHECK_H
#define MMTRACE_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (cond) {                                               \
			check_passed++;                                   \
		} else {                                                  \
			check_failed++;                                   \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                              \
			printf("\n");                                     \
		}                                                         \
	} while (0)

#define CHECK_DONE()                                                      \
	do {                                                              \
		printf("%d passed, %d failed\n", check_passed, check_failed); \
		return check_failed ? 1 : 0;                              \
	} while (0)

#endif /* MMTRACE_CHECK_H */
