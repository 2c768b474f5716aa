// SPDX-License-Identifier: GPL-2.0
/*
 * Any process name gives valid JSON and one line of inert text; histogram
 * buckets keep their bounds.
 */
#include <string.h>
#include <json-c/json.h>
#include "check.h"
#include "hist.h"
#include "output.h"

static void check_comm(const char *comm, size_t len, const char *expect)
{
	struct json_object *s = json_comm(comm, len), *back;
	const char *text = json_object_to_json_string(s);

	back = json_tokener_parse(text);
	CHECK(back && !strcmp(json_object_get_string(back), expect),
	      "comm %s round-trips as %s", text, expect);
	json_object_put(back);
	json_object_put(s);
}

static void check_text(const char *in, size_t len, size_t room,
		       const char *expect)
{
	char out[COMM_TEXT_LEN];

	text_escape(in, len, out, room);
	CHECK(!strcmp(out, expect), "text of %zu bytes is '%s', expected '%s'",
	      len, out, expect);
}

static void text_checks(void)
{
	char buf[COMM_TEXT_LEN];

	/* The name of issue 11, as a process can set it (15 bytes). */
	check_text("a\"b\\c\nd\te\x1b[31mR", 15, sizeof(buf),
		   "a\"b\\\\c\\nd\\te\\x1b[31mR");
	check_text("\a\b\v\f\r\x7f\x01", 7, sizeof(buf),
		   "\\a\\b\\v\\f\\r\\x7f\\x01");
	check_text("\xc3\xa9t\xe2\x82\xac", 6, sizeof(buf), "\xc3\xa9t\xe2\x82\xac");
	check_text("\xff\xc3", 2, sizeof(buf), "\\xff\\xc3");
	/* C1 controls: U+009B is CSI to a terminal, as ESC [ is. */
	check_text("\xc2\x9b" "31m\xc2\xa0", 7, sizeof(buf),
		   "\\xc2\\x9b31m\xc2\xa0");
	/* An escape is never cut in two; NUL ends the input. */
	check_text("ab\n", 3, 4, "ab");
	check_text("ab\0cd", 5, sizeof(buf), "ab");
	CHECK(!strcmp(text_comm("\xff\xff\xff\xff\xff\xff\xff\xff"
				"\xff\xff\xff\xff\xff\xff\xff\xffXX", 18, buf),
		      "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"
		      "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"),
	      "a full comm of invalid bytes fits, and no byte past 16");
	CHECK(!strcmp(text_arg("-o\tx"), "-o\\tx"), "messages quote escaped");
}

int main(void)
{
	unsigned long long slots[HIST_SLOTS] = {};
	struct json_object *h;
	char out[64];

	utf8_sanitize("abc", 3, out, sizeof(out));
	CHECK(!strcmp(out, "abc"), "ascii kept");
	utf8_sanitize("a\xffz", 3, out, sizeof(out));
	CHECK(!strcmp(out, "a\xef\xbf\xbdz"), "invalid byte replaced");
	utf8_sanitize("\xc3\xa9t\xc3", 4, out, sizeof(out));
	CHECK(!strcmp(out, "\xc3\xa9t\xef\xbf\xbd"), "truncated sequence");
	utf8_sanitize("\xed\xa0\x80", 3, out, sizeof(out));
	CHECK(!strcmp(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
	      "surrogates replaced");
	utf8_sanitize("abcdef", 6, out, 4);
	CHECK(!strcmp(out, "abc"), "bounded by the output size");

	check_comm("quote\"back\\", 11, "quote\"back\\");
	check_comm("tab\tnl\n", 7, "tab\tnl\n");
	check_comm("\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	/* A full 16-byte comm has no NUL: never read past it. */
	check_comm("0123456789abcdefXXXX", 16, "0123456789abcdef");

	text_checks();

	slots[0] = 3;
	slots[hist_slot(100)] = 7;
	h = hist_json(slots, HIST_SLOTS);
	CHECK(json_object_array_length(h) == 2, "only non-empty buckets");
	CHECK(json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 1), "low")) == 64 &&
	      json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 1), "high")) == 127,
	      "100 is reported in [64, 127]");
	json_object_put(h);
	/* us slots of ns values: bounds in ns, exact for what each holds. */
	h = hist_json_ns(slots, HIST_SLOTS, 1000);
	CHECK(json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 0), "low")) == 0 &&
	      json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 0), "high")) == 999,
	      "0 us holds [0, 999] ns");
	CHECK(json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 1), "low")) == 64000 &&
	      json_object_get_uint64(json_object_object_get(
		      json_object_array_get_idx(h, 1), "high")) == 127999,
	      "100 us is reported in [64000, 127999] ns");
	json_object_put(h);
	CHECK_DONE();
}
