// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <json-c/json.h>
#include "hist.h"
#include "output.h"
#include "view.h"

#define STARS 40

static void print_stars(FILE *out, unsigned long long val,
			unsigned long long max)
{
	int n = max ? (int)(val * STARS / max) : 0;

	for (int i = 0; i < STARS; i++)
		fputc(i < n ? '*' : ' ', out);
}

void print_log2_hist(FILE *out, const unsigned long long *slots, int n,
		     const char *unit)
{
	unsigned long long max = 0;
	int first = -1, last = -1;

	for (int i = 0; i < n; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (first < 0) {
		fprintf(out, "     (none)\n");
		return;
	}
	fprintf(out, "%24s : count    distribution\n", unit);
	for (int i = first; i <= last; i++) {
		fprintf(out, "%10llu -> %-10llu : %-8llu |", hist_slot_min(i),
			hist_slot_max(i), slots[i]);
		print_stars(out, slots[i], max);
		fprintf(out, "|\n");
	}
}

struct json_object *hist_json_ns(const unsigned long long *slots, int n,
				 unsigned long long per_slot_unit)
{
	struct json_object *arr = json_object_new_array();
	unsigned long long u = per_slot_unit;

	for (int i = 0; i < n; i++) {
		struct json_object *b;

		if (!slots[i])
			continue;
		b = json_object_new_object();
		json_object_object_add(b, "low",
				       json_object_new_uint64(hist_slot_min(i) * u));
		json_object_object_add(b, "high",
				       json_object_new_uint64((hist_slot_max(i) + 1) * u - 1));
		json_object_object_add(b, "count",
				       json_object_new_uint64(slots[i]));
		json_object_array_add(arr, b);
	}
	return arr;
}

void json_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

void json_add_u64(struct json_object *o, const char *key,
		  unsigned long long v)
{
	json_add(o, key, json_object_new_uint64(v));
}

void json_add_u64_known(struct json_object *o, const char *key, bool known,
			unsigned long long v)
{
	json_add(o, key, known ? json_object_new_uint64(v) : NULL);
}

void json_add_int(struct json_object *o, const char *key, long long v)
{
	json_add(o, key, json_object_new_int64(v));
}

void json_add_bool(struct json_object *o, const char *key, bool v)
{
	json_add(o, key, json_object_new_boolean(v));
}

void json_add_str(struct json_object *o, const char *key, const char *s)
{
	json_add(o, key, json_object_new_string(s));
}

void json_add_hist_known(struct json_object *o, const char *key, bool known,
			 const unsigned long long *slots)
{
	json_add(o, key, known ? hist_json(slots, HIST_SLOTS) : NULL);
}

void print_count(FILE *out, const char *label, bool known,
		 unsigned long long v)
{
	if (known)
		fprintf(out, "  %s %llu", label, v);
	else
		fprintf(out, "  %s n/a", label);
}

struct json_object *hist_json(const unsigned long long *slots, int n)
{
	return hist_json_ns(slots, n, 1);
}

/* Length of the valid UTF-8 sequence at @s, or 0 if it is not valid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > left)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong 3/4-byte forms, surrogates and code points > U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

void utf8_sanitize(const char *in, size_t in_len, char *out, size_t out_len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, len;

	if (!out_len)
		return;
	while (i < in_len && s[i]) {
		len = utf8_seq_len(s + i, in_len - i);
		if (!len) {
			if (o + 3 >= out_len)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + len >= out_len)
			break;
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
}

/* Bytes with a C escape of their own; the rest are written \xNN. */
static const char *const c_escapes[] = {
	['\a'] = "\\a", ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
	['\v'] = "\\v", ['\f'] = "\\f", ['\r'] = "\\r", ['\\'] = "\\\\",
};

/*
 * Printable as it is: valid UTF-8 that is neither a C0 control, DEL nor a
 * C1 control (U+0080..U+009F, which terminals obey as 8-bit CSI and co).
 */
static size_t plain_len(const unsigned char *s, size_t left)
{
	size_t len = utf8_seq_len(s, left);

	if (len == 1 && (s[0] < 0x20 || s[0] == 0x7f || s[0] == '\\'))
		return 0;
	if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return len;
}

/* The escape of byte @c into @esc (at least 5 bytes); its length. */
static size_t escape_byte(unsigned char c, char *esc)
{
	if (c < sizeof(c_escapes) / sizeof(*c_escapes) && c_escapes[c])
		return (size_t)snprintf(esc, 5, "%s", c_escapes[c]);
	return (size_t)snprintf(esc, 5, "\\x%02x", c);
}

size_t text_escape(const char *in, size_t in_len, char *out, size_t out_len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, len, n;
	char esc[5];

	if (!out_len)
		return 0;
	while (i < in_len && s[i]) {
		len = plain_len(s + i, in_len - i);
		if (len) {
			n = len;
			memcpy(esc, s + i, len);
		} else {
			len = 1;
			n = escape_byte(s[i], esc);
		}
		if (o + n >= out_len)
			break;
		memcpy(out + o, esc, n);
		o += n;
		i += len;
	}
	out[o] = '\0';
	return o;
}

const char *text_comm(const char *comm, size_t len, char buf[COMM_TEXT_LEN])
{
	text_escape(comm, len < 16 ? len : 16, buf, COMM_TEXT_LEN);
	return buf;
}

struct json_object *json_comm(const char *comm, size_t len)
{
	char buf[COMM_UTF8_LEN];

	utf8_sanitize(comm, len < 16 ? len : 16, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* Any path or argument: each byte may take 4 once escaped. */
#define TEXT_ARG_LEN (4 * 4096 + 1)

const char *text_arg(const char *s)
{
	static char bufs[4][TEXT_ARG_LEN];
	static unsigned int next;
	char *buf = bufs[next++ % 4];

	text_escape(s ? s : "", s ? strlen(s) : 0, buf, TEXT_ARG_LEN);
	return buf;
}

static struct json_object *probes_summary(const struct report_ctx *ctx,
					  size_t n)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, ctx->obs[i].name,
				       json_object_new_string(probe_tier_name(
					       probe_result_tier(&ctx->obs[i],
								 &ctx->res[i]))));
	return o;
}

struct json_object *report_json_header(const char *view,
				       const struct report_ctx *ctx)
{
	struct json_object *o = json_object_new_object();
	struct timespec ts;
	struct utsname u;
	char when[64];
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	uname(&u);
	json_object_object_add(o, "view", json_object_new_string(view));
	json_object_object_add(o, "time", json_object_new_string(when));
	/* Every duration of a report is in ns, this one too. */
	json_object_object_add(o, "interval_ns",
			       json_object_new_uint64(ctx->seconds * 1e9));
	json_object_object_add(o, "final", json_object_new_boolean(ctx->final));
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	json_object_object_add(o, "probes", probes_summary(ctx, ctx->n_obs));
	if (ctx->findings)
		json_object_object_add(o, "findings",
				       json_object_get(ctx->findings));
	return o;
}

const char *report_time(const struct report_ctx *ctx, char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	buf[0] = '\0';
	if (ctx->opts->timestamps) {
		localtime_r(&now, &tm);
		strftime(buf, len, "%H:%M:%S ", &tm);
	}
	return buf;
}

void json_emit(FILE *out, struct json_object *obj)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(obj);
}
