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

/*
 * The one-frame path whose low half is @lo and whose hash is @h, as
 * stack_hash() computes it: FNV-1a over the low, then the high half.
 */
static unsigned long long colliding_frame(unsigned int lo, unsigned int h)
{
	unsigned int hi = (h * prime_inverse()) ^ ((FNV_BASIS ^ lo) * FNV_PRIME);

	return (unsigned long long)hi << 32 | lo;
}

static unsigned int one_frame_hash(unsigned long long ip)
{
	unsigned int h = FNV_BASIS;

	h = (h ^ (unsigned int)ip) * FNV_PRIME;
	return (h ^ (unsigned int)(ip >> 32)) * FNV_PRIME;
}

/* The key stack_put() gives @ip's one-frame path; ~0U if it did not run. */
static unsigned int put(struct stacks_bpf *skel, unsigned long long ip,
			bool small)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(&skel->bss->frames, 0, sizeof(skel->bss->frames));
	skel->bss->frames.ip[0] = ip;
	skel->bss->n_frames = 1;
	skel->bss->small_map = small;
	skel->bss->key = ~0U;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.stack_put_case),
				   &opts) || opts.retval)
		return ~0U;
	return skel->bss->key;
}

/* @key holds @ip's one-frame path and nothing after it. */
static bool holds(struct stacks_bpf *skel, unsigned int key,
		  unsigned long long ip)
{
	struct kernel_stack st;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.paths), &key, &st))
		return false;
	return st.ip[0] == ip && !st.ip[1];
}

int main(void)
{
	unsigned long long ip[6];
	unsigned int key[6], h;
	struct stacks_bpf *skel;
	char what[160];
	int i;

	skel = stacks_bpf__open_and_load();
	if (!skel) {
		check(false, "the test program loads (root? BPF_PROG_TYPE_SYSCALL needs 5.14)");
		return 1;
	}
	/* Six paths of one hash: the first keeps it, four probe past it. */
	ip[0] = 0xffffffff81000000ULL;
	h = one_frame_hash(ip[0]);
	for (i = 1; i < 6; i++)
		ip[i] = colliding_frame(0x81000000U + 0x40 * i, h);
	check(one_frame_hash(ip[1]) == h && ip[1] != ip[0],
	      "the paths made to collide share one hash");
	for (i = 0; i < 6; i++)
		key[i] = put(skel, ip[i], false);
	check(key[0] == (h ? h : 1), "the first path is kept under its hash");
	for (i = 1; i < 4; i++) {
		snprintf(what, sizeof(what),
			 "colliding path %d: a key of its own (%#x, first %#x)",
			 i, key[i], key[0]);
		check(key[i] && key[i] != ~0U && key[i] != key[0] &&
		      key[i] != key[i - 1], what);
		snprintf(what, sizeof(what), "colliding path %d: its key holds its frames", i);
		check(holds(skel, key[i], ip[i]), what);
	}
	check(holds(skel, key[0], ip[0]), "the first path's key still holds its frames");
	snprintf(what, sizeof(what),
		 "past STACK_PROBES colliding paths: not kept (0), not another's key (got %#x)",
		 key[4]);
	check(key[4] == 0 && key[5] == 0, what);
	check(put(skel, ip[0], false) == key[0] && put(skel, ip[2], false) == key[2],
	      "a path seen again gets its key again");
	/* The map of two paths: a third is refused, the first two stay. */
	put(skel, 0xffffffff81100000ULL, true);
	put(skel, 0xffffffff81200000ULL, true);
	check(put(skel, 0xffffffff81300000ULL, true) == 0,
	      "a full map gives 0 for a new path");
	check(put(skel, 0xffffffff81100000ULL, true) ==
		      one_frame_hash(0xffffffff81100000ULL),
	      "a full map still gives a kept path its key");
	stacks_bpf__destroy(skel);
	return failed ? 1 : 0;
}
