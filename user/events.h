/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream (--events), user side: sizing the ring buffer and the
 * thresholds before load, then reading records and printing each as a
 * line (and its stack), text or JSON. The session (session.c) owns the
 * consumer; a view only describes its kinds in a table (struct
 * event_desc) and fills its thresholds in configure().
 */
#ifndef MMTRACE_USER_EVENTS_H
#define MMTRACE_USER_EVENTS_H

#include <stdio.h>
/* The record's layout; "events.h" would name this file again. */
#include "../include/events.h"
#include "view.h"

struct bpf_map;
struct json_object;

/* How a value is printed; the JSON key says the unit (durations: _ns). */
enum event_format {
	EVF_COUNT,		/* a number */
	EVF_NS_AS_US,		/* ns; text shows whole us */
	EVF_NS,			/* ns; text shows us with 3 decimals */
	EVF_BOOL,		/* true/false; text yes/no */
	EVF_HEX,		/* an address: "0x..." */
	EVF_NAME,		/* a word from name() */
};

struct event_field {
	const char *key;	/* JSON key; NULL: the value is not shown */
	const char *label;	/* text label; NULL: the key */
	enum event_format fmt;
	const char *(*name)(unsigned long long v);	/* EVF_NAME */
	const char *reason;	/* its threshold, as named in "reason" */
};

/* One kind of event of a view: a row of its table. */
struct event_desc {
	unsigned int kind;		/* enum event_kind */
	const char *name;		/* "event" in JSON, first word in text */
	struct event_field fields[EVENT_VALUES];
};

/*
 * Before load: the ring buffer (one page when --events is off, else
 * --events-buffer) and whether events are on. The view then sets the
 * thresholds it takes with events_threshold().
 */
int events_configure(struct bpf_map *map, struct events_config *cfg,
		     const struct view_opts *opts);
void events_threshold(struct events_config *cfg, int value,
		      unsigned long long min);

struct events;

/* The consumer of @t's ring buffer in @skel, printing to @out. */
struct events *events_open(const struct view *t, void *skel,
			   const struct view_opts *opts, FILE *out);
/*
 * How long records may wait to be read: the BPF side does not wake the
 * reader for each one (bpf/events.bpf.h), so it polls at least this often.
 */
#define EVENTS_POLL_MS 100

/* An fd that polls readable when records wait; -1 for no consumer. */
int events_fd(const struct events *ev);
/*
 * Prints the records waiting, at most a batch of them; returns how many,
 * or a negative errno. The fd stays readable while more wait.
 */
int events_drain(struct events *ev);
void events_close(struct events *ev);

#endif /* MMTRACE_USER_EVENTS_H */
