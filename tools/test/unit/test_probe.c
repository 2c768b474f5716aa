// SPDX-License-Identifier: GPL-2.0
/* Plan resolution against fake kernels: the choice and the stated reasons. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "probe.h"

/* A fake kernel: which functions exist and what the kernel allows. */
static const char *const *fake_funcs;
static bool fake_fentry_eperm, fake_kprobes, fake_tp_missing;

static bool has(const char *name)
{
	for (int i = 0; fake_funcs[i]; i++)
		if (!strcmp(fake_funcs[i], name))
			return true;
	return false;
}

static int f_btf(const char *name, int nargs, char *why, size_t len)
{
	if (!has(name)) {
		snprintf(why, len, "%s not in kernel BTF", name);
		return -ENOENT;
	}
	/* The fake copy_huge_pmd takes 7 arguments, like 6.1's. */
	if (nargs && strcmp(name, "copy_huge_pmd") == 0 && nargs != 7) {
		snprintf(why, len, "%s takes 7 arguments", name);
		return -EINVAL;
	}
	return 0;
}

static int f_ksym(const char *name, char *why, size_t len)
{
	return f_btf(name, 0, why, len);
}

static int f_fentry(const char *name, bool fexit, char *why, size_t len)
{
	if (!fake_fentry_eperm)
		return 0;
	snprintf(why, len, "EPERM");
	return -EPERM;
}

static int f_kprobes(char *why, size_t len)
{
	if (fake_kprobes)
		return 0;
	snprintf(why, len, "no kprobes");
	return -EOPNOTSUPP;
}

static int f_tp(const char *name, char *why, size_t len)
{
	if (!fake_tp_missing)
		return 0;
	snprintf(why, len, "tracepoint %s missing", name);
	return -ENOENT;
}

static const struct kernel_env fake = {
	.btf_func = f_btf,
	.ksym = f_ksym,
	.fentry_try = f_fentry,
	.kprobes = f_kprobes,
	.tracepoint = f_tp,
	.tp_btf = f_tp,
};

static const struct observation obs = {
	.name = "test.copies",
	.plans = {
		{ .tier = TIER_FENTRY, .points = {
			{ "a", PROBE_FENTRY, { "copy_page_range" } },
			{ "b", PROBE_FENTRY, { "folio_add_new_anon_rmap",
					       "page_add_new_anon_rmap" } },
			{ "c", PROBE_FEXIT, { "copy_huge_pmd" }, true },
		} },
		{ .tier = TIER_KPROBE, .points = {
			{ "d", PROBE_KPROBE, { "copy_page_range" } },
		} },
		{ .tier = TIER_TRACEPOINT, .points = {
			{ "e", PROBE_TRACEPOINT, { "kmem/mm_page_alloc" } },
		} },
	},
};

int main(void)
{
	static const char *const k61[] = { "copy_page_range",
					   "page_add_new_anon_rmap", NULL };
	static const char *const k612[] = { "copy_page_range",
					    "folio_add_new_anon_rmap",
					    "copy_huge_pmd", NULL };
	static const char *const inlined[] = { NULL };
	struct obs_result r = {};

	fake_funcs = k612;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 0, "fentry on 6.12");
	CHECK(r.target[1] && !strcmp(r.target[1], "folio_add_new_anon_rmap"),
	      "first candidate wins");
	CHECK(r.target[2] != NULL, "optional point present");

	fake_funcs = k61;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 0, "fentry on 6.1");
	CHECK(r.target[1] && !strcmp(r.target[1], "page_add_new_anon_rmap"),
	      "older name found as second candidate");
	CHECK(r.target[2] == NULL, "missing optional point does not reject");

	fake_fentry_eperm = true;
	fake_kprobes = true;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 1, "lockdown: kprobe");
	CHECK(strstr(r.why[0], "EPERM"), "reason kept: %s", r.why[0]);
	CHECK(probe_result_tier(&obs, &r) == TIER_KPROBE, "tier is kprobe");

	fake_kprobes = false;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 2, "this host: tracepoint");
	CHECK(strstr(r.why[1], "no kprobes"), "kprobe reason: %s", r.why[1]);

	fake_fentry_eperm = false;
	fake_funcs = inlined;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 2, "inlined: tracepoint");
	CHECK(strstr(r.why[0], "copy_page_range not in kernel BTF"),
	      "inlining named: %s", r.why[0]);

	fake_tp_missing = true;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == -1, "nothing attaches");
	CHECK(probe_result_tier(&obs, &r) == TIER_NONE, "tier none");
	CHECK(strstr(r.why[2], "missing"), "tracepoint reason: %s", r.why[2]);
	{
		char why[OBS_MAX_PLANS * (REASON_LEN + 16)];

		/* The warning's reason: this fake kernel's, each once. */
		probe_why_none(&obs, &r, why, sizeof(why));
		CHECK(!strcmp(why, "fentry: copy_page_range not in kernel BTF; "
			      "kprobe: no kprobes; tracepoint: tracepoint "
			      "kmem/mm_page_alloc missing"),
		      "why none, per tier: %s", why);
		fake_funcs = k612;
		fake_fentry_eperm = true;
		probe_resolve_tier(&fake, &obs, 0, TIER_TRACEPOINT, &r);
		fake_fentry_eperm = false;
		probe_why_none(&obs, &r, why, sizeof(why));
		CHECK(!strcmp(why, "fentry, kprobe: not tried: --tier tracepoint; "
			      "tracepoint: tracepoint kmem/mm_page_alloc missing"),
		      "one reason once, after its tiers: %s", why);
	}

	/* A load failure rejects the chosen plan; resolution moves on. */
	fake_tp_missing = false;
	fake_funcs = k612;
	CHECK(probe_resolve(&fake, &obs, 0, &r) == 0, "fentry again");
	probe_reject(&r, "program %s failed to load", "a");
	CHECK(probe_resolve(&fake, &obs, r.chosen + 1, &r) == 2,
	      "falls to the next plan that passes");
	CHECK(strstr(r.why[0], "failed to load"), "load failure kept: %s",
	      r.why[0]);
	CHECK(probe_owner(&obs, &r, 1, "e") == 0, "owner of chosen program");
	CHECK(probe_owner(&obs, &r, 1, "a") == -1, "rejected plan owns none");
	CHECK_DONE();
}
