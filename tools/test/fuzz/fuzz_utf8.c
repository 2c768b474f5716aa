// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any process name must become valid JSON. Whatever bytes a
 * comm holds, the string json_comm() builds must parse back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *s = json_comm((const char *)data, size), *back;

	back = json_tokener_parse(json_object_to_json_string(s));
	if (!back)
		abort();
	json_object_put(back);
	json_object_put(s);
	return 0;
}
