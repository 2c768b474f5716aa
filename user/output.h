/* SPDX-License-Identifier: GPL-2.0 */
/* Report output shared by every view: histograms, tables, JSON. */
#ifndef MMTRACE_OUTPUT_H
#define MMTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;
struct report_ctx;

/* bcc-style log2 histogram; prints "(none)" when empty. */
void print_log2_hist(FILE *out, const unsigned long long *slots, int n,
		     const char *unit);

/* Non-empty log2 slots as [{"low": a, "high": b, "count": c}, ...]. */
struct json_object *hist_json(const unsigned long long *slots, int n);

/*
 * The same for a histogram of ns whose slots hold ns / @per_slot_unit (us
 * slots: 1000): the bounds in ns, exact for the values each slot holds
 * (us slot k: [2^(k-1) * 1000, 2^k * 1000 - 1] ns; slot 0: [0, 999]), so
 * that every duration of the JSON reports is in ns.
 */
struct json_object *hist_json_ns(const unsigned long long *slots, int n,
				 unsigned long long per_slot_unit);

/* A 16-byte comm in which every byte became a 3-byte U+FFFD, plus NUL. */
#define COMM_UTF8_LEN (16 * 3 + 1)

/* Copies @in to @out as valid UTF-8: invalid bytes become U+FFFD. */
void utf8_sanitize(const char *in, size_t in_len, char *out, size_t out_len);

/* A 16-byte comm in which every byte became a 4-byte \xNN, plus NUL. */
#define COMM_TEXT_LEN (16 * 4 + 1)

/*
 * Copies @in to @out for text output (tables, event lines, messages):
 * control characters, DEL, C1 controls, backslash and invalid UTF-8 bytes
 * become C escapes (\n, \t, \x1b, \\), so a line stays one record and no
 * name can drive the reader's terminal. An escape is never cut in two.
 * Returns the length written.
 */
size_t text_escape(const char *in, size_t in_len, char *out, size_t out_len);
/* A kernel comm (not NUL-terminated past 16 bytes), escaped into @buf. */
const char *text_comm(const char *comm, size_t len, char buf[COMM_TEXT_LEN]);

/*
 * @s escaped, for a message that quotes user input; valid until the
 * fourth call after it. Messages come from the main thread only.
 */
const char *text_arg(const char *s);

/* A json string from a kernel comm (not NUL-terminated past 16 bytes). */
struct json_object *json_comm(const char *comm, size_t len);

/* The fields every report carries: view, time, interval, final, probes. */
struct json_object *report_json_header(const char *view,
				       const struct report_ctx *ctx);

/* "HH:MM:SS " when -T was given, "" otherwise, into @buf. */
const char *report_time(const struct report_ctx *ctx, char *buf, size_t len);

/*
 * Per-field JSON writers, in the manner of bpftool's json_writer: each
 * adds @key to the object @o. The _known forms write null when the value
 * is not known (its probe is missing): unknown is never 0.
 */
void json_add(struct json_object *o, const char *key, struct json_object *v);
void json_add_u64(struct json_object *o, const char *key,
		  unsigned long long v);
void json_add_u64_known(struct json_object *o, const char *key, bool known,
			unsigned long long v);
void json_add_int(struct json_object *o, const char *key, long long v);
void json_add_bool(struct json_object *o, const char *key, bool v);
void json_add_str(struct json_object *o, const char *key, const char *s);
/* A HIST_SLOTS log2 histogram (hist_json), or null when not known. */
void json_add_hist_known(struct json_object *o, const char *key, bool known,
			 const unsigned long long *slots);

/* Text: "  <label> <v>", or "  <label> n/a" when not known. */
void print_count(FILE *out, const char *label, bool known,
		 unsigned long long v);

/* Prints @obj as one line and frees it. */
void json_emit(FILE *out, struct json_object *obj);

#endif /* MMTRACE_OUTPUT_H */
