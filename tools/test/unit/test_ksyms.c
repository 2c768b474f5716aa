// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms parsing: text symbols only, exact names, clones kept apart;
 * and naming stack frames by address, or saying that it cannot.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "ksyms.h"

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81234560 t copy_page_range\n"
	"ffffffff81234990 t __huge_pmd_unshare.isra.0\n"
	"ffffffff82000000 D some_data\n"
	"ffffffff84000000 d more_data\n"
	"ffffffff84000000 t after_data\n"
	"ffffffffc0001000 t brd_submit_bio\t[brd]\n"
	"garbage line\n"
	"0000000000000000 T zero_address_when_unprivileged\n";

static const char hidden[] =
	"0000000000000000 T _stext\n"
	"0000000000000000 t copy_page_range\n";

static struct ksyms *parse_addrs(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ksyms *ks = ksyms_parse_addrs(f);

	fclose(f);
	return ks;
}

static void check_symbolize(void)
{
	struct ksyms *ks = parse_addrs(kallsyms);
	unsigned long long off = 0;
	const char *sym;
	char frame[64];

	CHECK(ks && !ksyms_addrs_hidden(ks), "addresses kept");
	sym = ksyms_symbolize(ks, 0xffffffff812345a2ULL, &off);
	CHECK(sym && !strcmp(sym, "copy_page_range") && off == 0x42,
	      "inside a function: %s+0x%llx", sym ? sym : "(null)", off);
	sym = ksyms_symbolize(ks, 0xffffffff81000000ULL, &off);
	CHECK(sym && !strcmp(sym, "_stext") && off == 0, "at its start");
	sym = ksyms_symbolize(ks, 0xffffffffc0001010ULL, &off);
	CHECK(sym && !strcmp(sym, "brd_submit_bio") && off == 0x10,
	      "in a module");
	CHECK(!ksyms_symbolize(ks, 0xffffffff80000000ULL, &off),
	      "below the first symbol: no name");
	/* A BPF trampoline freed before kallsyms was read: not a function. */
	sym = ksyms_symbolize(ks, 0xffffffff82000100ULL, &off);
	CHECK(!sym, "past the last function, in data: no name (got %s)",
	      sym ? sym : "(null)");
	sym = ksyms_symbolize(ks, 0xffffffff81ffffffULL, &off);
	CHECK(sym && !strcmp(sym, "__huge_pmd_unshare.isra.0"),
	      "up to the next symbol: the function before it");
	sym = ksyms_symbolize(ks, 0xffffffff84000000ULL, &off);
	CHECK(sym && !strcmp(sym, "after_data"),
	      "data then text at one address: the text");
	CHECK(ksyms_has(ks, "copy_page_range"), "names still found by name");
	ksyms_free(ks);

	ks = parse_addrs(kallsyms);
	CHECK(!strcmp(ksyms_frame(ks, 0xffffffff812345a2ULL, frame,
				  sizeof(frame)), "copy_page_range+0x42"),
	      "a frame named: %s", frame);
	CHECK(!strcmp(ksyms_frame(ks, 0xffffffff80000000ULL, frame,
				  sizeof(frame)), "0xffffffff80000000"),
	      "a frame below every symbol stays raw: %s", frame);
	ksyms_free(ks);

	ks = parse_addrs(hidden);
	CHECK(ks && ksyms_addrs_hidden(ks), "kptr_restrict: hidden");
	CHECK(!ksyms_symbolize(ks, 0xffffffff81000000ULL, &off),
	      "hidden: no name");
	CHECK(!strcmp(ksyms_frame(ks, 0xffffffff812345a2ULL, frame,
				  sizeof(frame)), "0xffffffff812345a2"),
	      "hidden: a frame is its raw address: %s", frame);
	CHECK(!strcmp(ksyms_frame(NULL, 0x1234, frame, sizeof(frame)),
		      "0x1234"), "no table: raw");
	ksyms_free(ks);
	CHECK(ksyms_addrs_hidden(NULL), "no table: hidden");
}

/* Global locks are named after the data symbol they are, or are in. */
static void check_data_symbols(void)
{
	struct ksyms *ks = parse_addrs(kallsyms);
	unsigned long long off = 1;
	const char *sym;
	FILE *f;

	sym = ksyms_data_symbol(ks, 0xffffffff82000000ULL, &off);
	CHECK(sym && !strcmp(sym, "some_data") && off == 0,
	      "a global at its address: %s+0x%llx", sym ? sym : "(null)", off);
	sym = ksyms_data_symbol(ks, 0xffffffff82000010ULL, &off);
	CHECK(sym && !strcmp(sym, "some_data") && off == 0x10,
	      "a lock inside a global: +0x%llx", off);
	CHECK(!ksyms_data_symbol(ks, 0xffffffff81234570ULL, &off),
	      "an address in a function is no data symbol");
	CHECK(!ksyms_data_symbol(ks, 0xffff888100000000ULL, &off),
	      "a heap address, below the image, has no name");
	CHECK(!ksyms_symbolize(ks, 0xffffffff82000000ULL, &off),
	      "ksyms_symbolize still names text only");
	CHECK(!ksyms_has(ks, "some_data"), "ksyms_has still knows text only");
	CHECK(ksyms_addr_of(ks, "copy_page_range") == 0xffffffff81234560ULL,
	      "the address of a text symbol");
	CHECK(!ksyms_addr_of(ks, "no_such_function"), "an unknown name: 0");
	ksyms_free(ks);
	ks = parse_addrs(hidden);
	CHECK(!ksyms_data_symbol(ks, 0xffffffff82000000ULL, &off),
	      "hidden addresses: no name");
	ksyms_free(ks);
	f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");
	ks = ksyms_parse(f);
	fclose(f);
	CHECK(!ksyms_data_symbol(ks, 0xffffffff82000000ULL, &off),
	      "a table without addresses names no lock");
	ksyms_free(ks);
}

int main(void)
{
	FILE *f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");
	struct ksyms *ks = ksyms_parse(f);

	fclose(f);
	CHECK(ks != NULL, "parsed");
	CHECK(ksyms_count(ks) == 6, "6 text symbols, got %zu",
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
	check_symbolize();
	check_data_symbols();
	CHECK_DONE();
}
