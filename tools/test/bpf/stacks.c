// SPDX-License-Identifier: GPL-2.0
/*
 * stacks: checks bpf/stacks.bpf.h's stack_put(), which gup's callers and
 * locks' waiters are kept by, on paths whose hashes collide: each keeps a
 * key of its own and its own frames, and a path that cannot be kept gets
 * 0 (a counted loss), never another path's key. Prints a PASS or FAIL
 * line a check; exits 0 if all passed. Needs root.
 *
 * Until both views used it, locks kept a colliding path under the first
 * one's key (its waits were charged to that caller), and gup's stack-trace
 * map refused it (-EEXIST) and counted its calls as lost.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "filter.h"	/* the types of common.bpf.h's globals */
#include "stack.h"
#include "stacks.skel.h"

#define FNV_PRIME 16777619U
#define FNV_BASIS 2166136261U

static int failed;

static void check(bool ok, const char *what)
{
	printf("%s host stacks: %s\n", ok ? "PASS" : "FAIL", what);
	failed += !ok;
}

/* x with x * FNV_PRIME == 1, modulo 2^32 (Newton's iteration). */
static unsigned int prime_inverse(void)
{
	unsigned int inv = FNV_PRIME;

	for (int i = 0; i < 5; i++)
		inv *= 2 - FNV_PRIME * inv;
	return inv;
}

/* stack_hash()'s FNV-1a, from @h, over one frame: its low, then high half. */
static unsigned int fnv_frame(unsigned int h, unsigned long long ip)
{
	h = (h ^ (unsigned int)ip) * FNV_PRIME;
	return (h ^ (unsigned int)(ip >> 32)) * FNV_PRIME;
}

/* What stack_hash() gives @n frames (0 is kept for "no stack"). */
static unsigned int path_hash(const unsigned long long *ip, int n)
{
	unsigned int h = FNV_BASIS;

	for (int i = 0; i < n; i++)
		h = fnv_frame(h, ip[i]);
	return h ? h : 1;
}

/* The frame, its low half @lo, that takes the hash from @from to @to. */
static unsigned long long colliding_frame(unsigned int from, unsigned int lo,
					  unsigned int to)
{
	unsigned int hi = (to * prime_inverse()) ^ ((from ^ lo) * FNV_PRIME);

	return (unsigned long long)hi << 32 | lo;
}

/* The key stack_put() gives @n frames @ip; ~0U if it did not run. */
static unsigned int put(struct stacks_bpf *skel, const unsigned long long *ip,
			int n, bool small)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(&skel->bss->frames, 0, sizeof(skel->bss->frames));
	memcpy(skel->bss->frames.ip, ip, n * sizeof(*ip));
	skel->bss->n_frames = n;
	skel->bss->small_map = small;
	skel->bss->key = ~0U;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.stack_put_case),
				   &opts) || opts.retval)
		return ~0U;
	return skel->bss->key;
}

static unsigned int put1(struct stacks_bpf *skel, unsigned long long ip,
			 bool small)
{
	return put(skel, &ip, 1, small);
}

/* @key holds the @n frames @ip and nothing after them. */
static bool holds(struct stacks_bpf *skel, unsigned int key,
		  const unsigned long long *ip, int n)
{
	struct kernel_stack st;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.paths), &key, &st))
		return false;
	return !memcmp(st.ip, ip, n * sizeof(*ip)) &&
	       (n == KERNEL_STACK_MAX || !st.ip[n]);
}

/*
 * Six one-frame paths of one hash: STACK_PROBES (4) keys are tried for
 * each, its hash first, so the first four keep one and the last two none.
 */
static void collisions(struct stacks_bpf *skel)
{
	unsigned long long ip[6];
	unsigned int key[6], h;
	char what[160];
	int i;

	ip[0] = 0xffffffff81000000ULL;
	h = path_hash(ip, 1);
	for (i = 1; i < 6; i++)
		ip[i] = colliding_frame(FNV_BASIS, 0x81000000U + 0x40 * i, h);
	check(path_hash(&ip[1], 1) == h && ip[1] != ip[0],
	      "the paths made to collide share one hash");
	for (i = 0; i < 6; i++)
		key[i] = put1(skel, ip[i], false);
	check(key[0] == h, "the first path is kept under its hash");
	for (i = 1; i < 4; i++) {
		snprintf(what, sizeof(what),
			 "colliding path %d: a key of its own (%#x, first %#x)",
			 i, key[i], key[0]);
		check(key[i] && key[i] != ~0U && key[i] != key[0] &&
		      key[i] != key[i - 1], what);
		snprintf(what, sizeof(what),
			 "colliding path %d: its key holds its frames", i);
		check(holds(skel, key[i], &ip[i], 1), what);
	}
	check(holds(skel, key[0], ip, 1),
	      "the first path's key still holds its frames");
	snprintf(what, sizeof(what),
		 "past STACK_PROBES colliding paths: not kept (0), not another's key (got %#x, %#x)",
		 key[4], key[5]);
	check(key[4] == 0 && key[5] == 0, what);
	check(put1(skel, ip[0], false) == key[0] &&
		      put1(skel, ip[2], false) == key[2],
	      "a path seen again gets its key again");
}

/*
 * A path and the same path one frame longer, of one hash, the longer kept
 * first: the shorter one's frames all match it, the zero after them not.
 */
static void prefix(struct stacks_bpf *skel)
{
	unsigned long long ip[2] = { 0xffffffff82000000ULL };
	unsigned int h = path_hash(ip, 1), k1, k2;

	ip[1] = colliding_frame(h, 0x82000040U, h);
	k2 = put(skel, ip, 2, false);
	k1 = put(skel, ip, 1, false);
	check(path_hash(ip, 2) == h && k2 == h && k1 && k1 != ~0U && k1 != k2,
	      "a path one frame shorter than another, of its hash, has a key of its own");
	check(holds(skel, k1, ip, 1) && holds(skel, k2, ip, 2) &&
		      put(skel, ip, 1, false) == k1,
	      "the shorter path's key holds its frames and no more");
}

/* Two paths of hash 0xffffffff: the second's next key wraps past 0. */
static void wrap(struct stacks_bpf *skel)
{
	unsigned long long a = colliding_frame(FNV_BASIS, 0x83000000U, ~0U);
	unsigned long long b = colliding_frame(FNV_BASIS, 0x83000040U, ~0U);
	unsigned int ka = put1(skel, a, false), kb = put1(skel, b, false);
	char what[96];

	snprintf(what, sizeof(what),
		 "the key after 0xffffffff is 1, never 0 (got %#x, %#x)", ka,
		 kb);
	check(ka == ~0U && holds(skel, ka, &a, 1) && kb == 1 &&
		      holds(skel, kb, &b, 1),
	      what);
}

/*
 * Two paths of KERNEL_STACK_MAX frames, of one hash, that differ in their
 * last frame only: no zero after them to compare, and the last one counts.
 */
static void deepest(struct stacks_bpf *skel)
{
	unsigned long long ip[KERNEL_STACK_MAX], other[KERNEL_STACK_MAX];
	unsigned int h, before_last = FNV_BASIS, k, ko;

	for (int i = 0; i < KERNEL_STACK_MAX; i++)
		ip[i] = 0xffffffff84000000ULL + 0x10 * i;
	for (int i = 0; i < KERNEL_STACK_MAX - 1; i++)
		before_last = fnv_frame(before_last, ip[i]);
	h = path_hash(ip, KERNEL_STACK_MAX);
	memcpy(other, ip, sizeof(ip));
	other[KERNEL_STACK_MAX - 1] =
		colliding_frame(before_last, 0x84000000U, h);
	k = put(skel, ip, KERNEL_STACK_MAX, false);
	ko = put(skel, other, KERNEL_STACK_MAX, false);
	check(k == h && put(skel, ip, KERNEL_STACK_MAX, false) == k &&
		      holds(skel, k, ip, KERNEL_STACK_MAX),
	      "a path of KERNEL_STACK_MAX frames keeps its hash and frames");
	check(path_hash(other, KERNEL_STACK_MAX) == h && ko && ko != ~0U &&
		      ko != k && holds(skel, ko, other, KERNEL_STACK_MAX),
	      "a path of KERNEL_STACK_MAX frames differing in the last has a key of its own");
}

/* The map of two paths: a third is refused, the first two stay. */
static void full(struct stacks_bpf *skel)
{
	unsigned long long a = 0xffffffff81100000ULL;

	put1(skel, a, true);
	put1(skel, 0xffffffff81200000ULL, true);
	check(put1(skel, 0xffffffff81300000ULL, true) == 0,
	      "a full map gives 0 for a new path");
	check(put1(skel, a, true) == path_hash(&a, 1),
	      "a full map still gives a kept path its key");
}

int main(void)
{
	struct stacks_bpf *skel;

	skel = stacks_bpf__open_and_load();
	if (!skel) {
		check(false, "the test program loads (root? a sleepable program with a BPF_F_NO_PREALLOC map needs 6.1)");
		return 1;
	}
	collisions(skel);
	prefix(skel);
	wrap(skel);
	deepest(skel);
	full(skel);
	stacks_bpf__destroy(skel);
	return failed ? 1 : 0;
}
