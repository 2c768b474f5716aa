// SPDX-License-Identifier: GPL-2.0
/*
 * The event stream (--events), user side. Records come from the view's
 * ring buffer (bpf/events.bpf.h); each is printed as one line, text or
 * JSON, after the view's own description of its kind (struct event_desc),
 * with its kernel stack named from /proc/kallsyms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "container.h"
#include "events.h"
#include "ksyms.h"
#include "output.h"

/*
 * Records printed per drain. Under a flood, the session gets control back
 * in between: Ctrl-C and interval reports are not held up for its end.
 */
#define DRAIN_BUDGET 1024

struct events {
	struct ring_buffer *rb;
	unsigned int drained;		/* records this drain */
	const struct view *t;
	const struct view_opts *opts;
	FILE *out;
	const struct ksyms *ksyms;	/* NULL: frames stay raw addresses */
	long long realtime_off_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

static unsigned long page_bytes(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? page : 4096;
}

int events_configure(struct bpf_map *map, struct events_config *cfg,
		     const struct view_opts *opts)
{
	bool on = opts->events && opts->events_buffer;

	memset(cfg, 0, sizeof(*cfg));
	cfg->on = on;
	cfg->stacks = on && opts->event_stacks;
	/*
	 * Records wake the reader only from a quarter full on; below that it
	 * reads them every EVENTS_POLL_MS, and a burst of three quarters
	 * of the ring still fits while it wakes up.
	 */
	cfg->wakeup_bytes = on ? opts->events_buffer / 4 : 0;
	/* Off: the smallest ring the kernel accepts, one page. */
	return bpf_map__set_max_entries(map, on ? opts->events_buffer :
						  page_bytes());
}

void events_threshold(struct events_config *cfg, int value,
		      unsigned long long min)
{
	if (value < 0 || value >= EVENT_VALUES)
		return;
	cfg->thresholds |= 1U << value;
	cfg->min[value] = min;
}

static long long timespec_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* Records carry CLOCK_MONOTONIC (bpf_ktime_get_ns); lines, wall time. */
static long long realtime_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return timespec_ns(&real) - timespec_ns(&mono);
}

static const struct event_desc *find_desc(const struct events *ev,
					  unsigned int kind)
{
	for (size_t i = 0; i < ev->t->n_event_kinds; i++)
		if (ev->t->event_kinds[i].kind == kind)
			return &ev->t->event_kinds[i];
	return NULL;
}

/*
 * A tp_btf program's stack starts in the tracing machinery: the program,
 * bpf_trace_run<N>, the tracepoint's iterator. Those frames are the same
 * in every event and say nothing of the kernel's path: they are skipped.
 */
static bool tracing_frame(const char *sym)
{
	static const char *const prefixes[] = {
		"bpf_prog_", "bpf_trace_run", "__traceiter_", "__bpf_trace_",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(sym, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static unsigned int first_frame(const struct events *ev, const struct event *e)
{
	unsigned long long off;
	const char *sym;
	unsigned int i;

	for (i = 0; i < e->stack_depth; i++) {
		sym = ksyms_symbolize(ev->ksyms, e->stack[i], &off);
		if (!sym || !tracing_frame(sym))
			break;
	}
	return i;
}

/* "latency+pinned_copies": the thresholds reached; "all" with none set. */
static void reason_of(const struct event_desc *d, const struct event *e,
		      char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < EVENT_VALUES && used < len; i++) {
		if (!(e->reasons & (1U << i)) || !d->fields[i].reason)
			continue;
		used += snprintf(buf + used, len - used, "%s%s",
				 used ? "+" : "", d->fields[i].reason);
	}
	if (!buf[0])
		snprintf(buf, len, "all");
}

static struct json_object *value_json(const struct event_field *f,
				      unsigned long long v)
{
	char hex[32];

	switch (f->fmt) {
	case EVF_BOOL:
		return json_object_new_boolean(v != 0);
	case EVF_HEX:
		snprintf(hex, sizeof(hex), "0x%llx", v);
		return json_object_new_string(hex);
	case EVF_NAME:
		return json_object_new_string(f->name(v));
	default:
		return json_object_new_uint64(v);
	}
}

static void print_value(FILE *out, const struct event_field *f,
			unsigned long long v)
{
	const char *label = f->label ? f->label : f->key;

	switch (f->fmt) {
	case EVF_NS_AS_US:
		fprintf(out, " %s %llu us", label, v / 1000);
		break;
	case EVF_NS:
		fprintf(out, " %s %llu.%03llu us", label, v / 1000, v % 1000);
		break;
	case EVF_BOOL:
		fprintf(out, " %s %s", label, v ? "yes" : "no");
		break;
	case EVF_HEX:
		fprintf(out, " %s 0x%llx", label, v);
		break;
	case EVF_NAME:
		fprintf(out, " %s %s", label, f->name(v));
		break;
	default:
		fprintf(out, " %s %llu", label, v);
	}
}

static void print_json(const struct events *ev, const struct event_desc *d,
		       const struct event *e, long long wall_ns)
{
	struct json_object *o = json_object_new_object();
	struct json_object *stack = json_object_new_array();
	time_t secs = wall_ns / 1000000000LL;
	char when[64], reason[128], frame[160];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06lldZ",
		 wall_ns % 1000000000LL / 1000);
	reason_of(d, e, reason, sizeof(reason));
#define ADD(k, v) json_object_object_add(o, k, v)
	ADD("time", json_object_new_string(when));
	ADD("ts_ns", json_object_new_uint64(e->ts_ns));
	ADD("view", json_object_new_string(ev->t->name));
	ADD("event", json_object_new_string(d->name));
	ADD("pid", json_object_new_int64(e->pid));
	ADD("tid", json_object_new_int64(e->tid));
	ADD("comm", json_comm(e->comm, sizeof(e->comm)));
	container_json_add(o, e->cgroup_id, e->pid);
	for (int i = 0; i < EVENT_VALUES; i++)
		if (d->fields[i].key)
			ADD(d->fields[i].key, value_json(&d->fields[i], e->v[i]));
	ADD("reason", json_object_new_string(reason));
	for (unsigned int i = first_frame(ev, e); i < e->stack_depth; i++) {
		ksyms_frame(ev->ksyms, e->stack[i], frame, sizeof(frame));
		json_object_array_add(stack, json_object_new_string(frame));
	}
	/* Not taken (--no-stacks): absent, not empty, which means failed. */
	if (ev->opts->event_stacks)
		ADD("stack", stack);
	else
		json_object_put(stack);
#undef ADD
	fprintf(ev->out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct events *ev, const struct event_desc *d,
		       const struct event *e, long long wall_ns)
{
	char when[32], reason[128], frame[160], comm[COMM_TEXT_LEN];
	time_t secs = wall_ns / 1000000000LL;
	struct container_ref c;
	FILE *out = ev->out;
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	text_comm(e->comm, sizeof(e->comm), comm);
	fprintf(out, "%s.%06lld %s pid %u", when,
		wall_ns % 1000000000LL / 1000, d->name, e->pid);
	if (e->tid != e->pid)
		fprintf(out, " tid %u", e->tid);
	fprintf(out, " comm %s", comm);
	/*
	 * Only inside one: a line outside containers stays as it was; one
	 * whose cgroup and process are gone unnamed says so, rather than
	 * look like the host's.
	 */
	if (!container_of(e->cgroup_id, e->pid, &c))
		fprintf(out, " container ?");
	else if (c.id[0])
		fprintf(out, " container %.12s", c.id);
	for (int i = 0; i < EVENT_VALUES; i++)
		if (d->fields[i].key)
			print_value(out, &d->fields[i], e->v[i]);
	/* With no threshold every event is printed: no reason to give. */
	if (e->reasons) {
		reason_of(d, e, reason, sizeof(reason));
		fprintf(out, " reason %s", reason);
	}
	fprintf(out, "\n");
	for (unsigned int i = first_frame(ev, e); i < e->stack_depth; i++) {
		ksyms_frame(ev->ksyms, e->stack[i], frame, sizeof(frame));
		fprintf(out, "    %s\n", frame);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct events *ev = ctx;
	struct event e = {};
	const struct event_desc *d;

	/* A record from another build of the BPF side: say nothing wrong. */
	if (size < offsetof(struct event, stack))
		return 0;
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	d = find_desc(ev, e.kind);
	if (!d)
		return 0;
	if (e.stack_depth > EVENT_STACK_DEPTH)
		e.stack_depth = EVENT_STACK_DEPTH;
	if (ev->opts->json)
		print_json(ev, d, &e, (long long)e.ts_ns + ev->realtime_off_ns);
	else
		print_text(ev, d, &e, (long long)e.ts_ns + ev->realtime_off_ns);
	/* libbpf stops after this record, which counts as consumed. */
	return ++ev->drained < DRAIN_BUDGET ? 0 : -ECANCELED;
}

struct events *events_open(const struct view *t, void *skel,
			   const struct view_opts *opts, FILE *out)
{
	struct events *ev;

	if (!opts->events || !t->events_map)
		return NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->t = t;
	ev->opts = opts;
	ev->out = out;
	ev->realtime_off_ns = realtime_offset();
	ev->rb = ring_buffer__new(bpf_map__fd(t->events_map(skel)), on_record,
				  ev, NULL);
	if (!ev->rb) {
		fprintf(stderr, "mmtrace: cannot read the event ring buffer: %s\n",
			strerror(errno));
		free(ev);
		return NULL;
	}
	/* Before the first event: a stack of raw addresses says why first. */
	ev->ksyms = ksyms_kernel();
	return ev;
}

int events_fd(const struct events *ev)
{
	return ev ? ring_buffer__epoll_fd(ev->rb) : -1;
}

int events_drain(struct events *ev)
{
	int err;

	if (!ev)
		return 0;
	ev->drained = 0;
	err = ring_buffer__consume(ev->rb);
	/* One flush per batch, not per line: bursts come thousands at once. */
	if (ev->drained)
		fflush(ev->out);
	return err < 0 && err != -ECANCELED ? err : (int)ev->drained;
}

void events_close(struct events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	free(ev);
}
