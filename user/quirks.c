// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel quirks, user side (quirks.h). Each cites the kernel commit that
 * made it and its first release, or says it is build-dependent: a vendor
 * kernel is checked by the commit, not by the release it claims
 * (tools/test/quirks_check.py holds every quirk to that).
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include "probe.h"
#include "quirks.h"

static bool kernel_older_than(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

static unsigned int *foll_slot(struct kernel_foll *f, const char *name,
			       int *bit)
{
	static const char *const names[] = {
		"FOLL_WRITE", "FOLL_GET", "FOLL_PIN", "FOLL_LONGTERM",
	};
	unsigned int *slots[] = { &f->write, &f->get, &f->pin, &f->longterm };

	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*bit = 1 << i;
			return slots[i];
		}
	return NULL;
}

/*
 * FOLL_* are #defines up to 6.2 and enumerators, renumbered, from
 * 2c2241081f7d ("mm/gup: move private gup FOLL_ flags to internal.h",
 * 6.3): anonymous enums in BTF, some of them in mm/internal.h. Take them
 * from BTF when all four are there.
 */
static bool foll_from_btf(const struct btf *btf, struct kernel_foll *f)
{
	int found = 0;

	for (__u32 id = 1; id < btf__type_cnt(btf) && found != 0xf; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			int bit = 0;
			unsigned int *slot = foll_slot(
				f, btf__name_by_offset(btf, e->name_off), &bit);

			if (slot) {
				*slot = e->val;
				found |= bit;
			}
		}
	}
	return found == 0xf;
}

/*
 * Not in BTF: the #defines before 2c2241081f7d (6.3; 5.10 and 6.1 agree),
 * else 6.12's enumerators.
 */
static void foll_by_release(struct kernel_quirks *q)
{
	static const struct kernel_foll defines = {
		.write = 0x1, .get = 0x4, .longterm = 0x10000, .pin = 0x40000,
	};
	static const struct kernel_foll enums_6_12 = {
		.write = 0x1, .get = 0x2, .longterm = 0x100, .pin = 0x80000,
	};

	if (kernel_older_than(6, 3)) {
		q->foll = defines;
		return;
	}
	q->foll = enums_6_12;
	q->foll_assumed = true;
}

/*
 * __gup_longterm_locked() took the task first, (tsk, mm, start, nr_pages,
 * pages, vmas, flags), until 64019a2e467a ("mm/gup: remove task_struct
 * pointer for all gup code", 5.9): Debian's 5.10 has the 6 arguments
 * (mm, start, ...) too. Its arity in BTF tells.
 */
static bool longterm_has_task(const struct btf *btf)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, "__gup_longterm_locked",
					BTF_KIND_FUNC);

	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return btf_vlen(t) == 7;
}

const struct kernel_quirks *kernel_quirks(void)
{
	static struct kernel_quirks q;
	static bool resolved;
	struct btf *btf;

	if (resolved)
		return &q;
	resolved = true;
	/*
	 * The copy the probes parsed: one more parse would add 11 MB at once
	 * (libbpf 1.1 reads the file, then copies it) and 10 ms to start-up.
	 */
	btf = kernel_env_live_btf();
	if (!btf || !foll_from_btf(btf, &q.foll))
		foll_by_release(&q);
	q.gup_longterm_has_task = btf && longterm_has_task(btf);
	return &q;
}
