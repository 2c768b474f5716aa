// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any process name must become valid JSON, and one line of
 * text with no control character. Whatever bytes a comm holds, the string
 * json_comm() builds must parse back, and text_comm() must leave no byte
 * below 0x20, no DEL and no C1 control (UTF-8 0xc2 0x80..0x9f).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "output.h"

static void check_text(const uint8_t *data, size_t size)
{
	char buf[COMM_TEXT_LEN];
	const unsigned char *t;

	text_comm((const char *)data, size, buf);
	t = (const unsigned char *)buf;
	for (size_t i = 0; t[i]; i++)
		if (t[i] < 0x20 || t[i] == 0x7f ||
		    (t[i] == 0xc2 && t[i + 1] >= 0x80 && t[i + 1] < 0xa0))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *s = json_comm((const char *)data, size), *back;

	back = json_tokener_parse(json_object_to_json_string(s));
	if (!back)
		abort();
	json_object_put(back);
	json_object_put(s);
	check_text(data, size);
	return 0;
}
