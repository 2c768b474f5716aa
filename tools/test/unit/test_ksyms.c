// SPDX-License-Identifier: GPL-2.0
/* kallsyms parsing: text symbols only, exact names, clones kept apart. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "ksyms.h"

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81234560 t copy_page_range\n"
	"ffffffff81234990 t __huge_pmd_unshare.isra.0\n"
	"ffffffff82000000 D some_data\n"
	"ffffffffc0001000 t brd_submit_bio\t[brd]\n"
	"garbage line\n"
	"0000000000000000 T zero_address_when_unprivileged\n";

int main(void)
{
	FILE *f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");
	struct ksyms *ks = ksyms_parse(f);

	fclose(f);
	CHECK(ks != NULL, "parsed");
	CHECK(ksyms_count(ks) == 5, "5 text symbols, got %zu",
	      ksyms_count(ks));
	CHECK(ksyms_has(ks, "copy_page_range"), "static function found");
	CHECK(!ksyms_has(ks, "copy_page"), "no prefix match");
	CHECK(!ksyms_has(ks, "__huge_pmd_unshare"), "clone is not the name");
	CHECK(ksyms_has(ks, "__huge_pmd_unshare.isra.0"), "clone by full name");
	CHECK(!ksyms_has(ks, "some_data"), "data symbols skipped");
	CHECK(ksyms_has(ks, "brd_submit_bio"), "module symbol found");
	CHECK(ksyms_has(ks, "zero_address_when_unprivileged"),
	      "names kept without addresses");
	ksyms_free(ks);
	CHECK(!ksyms_has(NULL, "x"), "NULL table is empty");
	CHECK_DONE();
}
