// SPDX-License-Identifier: GPL-2.0
/* Kprobe targets "NAME.*": the function or a compiler clone of it. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "ksyms.h"
#include "probe.h"

static const char kallsyms[] =
	"ffffffff81234980 t __huge_pmd_unshare.constprop.0.isra.0.cold\n"
	"ffffffff81234990 t __huge_pmd_unshare.constprop.0.isra.0\n"
	"ffffffff812349a0 t __huge_pmd_unshare_x\n"
	"ffffffff81234560 t huge_pmd_share\n"
	"ffffffff81234570 t huge_pmd_share.part.0\n"
	"ffffffff81234580 t only_cold.cold\n";

static struct ksyms *syms;

static int f_ok(char *why, size_t len)
{
	return 0;
}

static const char *f_clone(const char *base, char *why, size_t len)
{
	const char *name = ksyms_find_clone(syms, base);

	if (!name)
		snprintf(why, len, "no %s", base);
	return name;
}

static const struct kernel_env fake = {
	.kprobes = f_ok,
	.ksym_clone = f_clone,
};

static const struct observation obs = {
	.name = "t",
	.plans = { {
		.tier = TIER_KPROBE,
		.points = { { "p", PROBE_KRETPROBE,
			      { "absent" PROBE_CLONE_SUFFIX,
				"__huge_pmd_unshare" PROBE_CLONE_SUFFIX } } },
	} },
};

int main(void)
{
	FILE *f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");
	struct obs_result r;
	const char *n;

	static const char *const looked_through[] = { "bpf_", "rwsem_", NULL };

	syms = ksyms_parse(f);
	fclose(f);
	CHECK(syms != NULL, "parsed");
	CHECK(ksym_name_in("rwsem_down_write_slowpath", looked_through) &&
		      ksym_name_in("bpf_prog_1234_x", looked_through) &&
		      !ksym_name_in("do_mmap", looked_through) &&
		      !ksym_name_in("bp", looked_through),
	      "a frame is looked through by its prefix only");
	n = ksyms_find_clone(syms, "__huge_pmd_unshare");
	CHECK(n && !strcmp(n, "__huge_pmd_unshare.constprop.0.isra.0"),
	      "clone found, .cold part and longer names skipped: %s", n);
	n = ksyms_find_clone(syms, "huge_pmd_share");
	CHECK(n && !strcmp(n, "huge_pmd_share"), "exact name first: %s", n);
	CHECK(!ksyms_find_clone(syms, "only_cold"),
	      "a .cold part alone is no clone");
	CHECK(!ksyms_find_clone(syms, "absent"), "absent");
	CHECK(!ksyms_find_clone(NULL, "x"), "NULL table");
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 0, "pattern resolves");
	CHECK(r.target[0] &&
	      !strcmp(r.target[0], "__huge_pmd_unshare.constprop.0.isra.0"),
	      "attach target is the kallsyms name: %s", r.target[0]);
	ksyms_free(syms);
	syms = NULL;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == -1, "no clone: rejected");
	CHECK(strstr(r.why[0], "no absent"), "reason: %s", r.why[0]);
	CHECK_DONE();
}
