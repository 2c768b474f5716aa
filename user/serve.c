// SPDX-License-Identifier: GPL-2.0
/*
 * mmtrace serve: loads every view the kernel supports and serves their
 * metrics over HTTP (libmicrohttpd). The HTTP server runs a thread per
 * connection, at most HTTP_MAX_CONNECTIONS, and renders at most
 * --max-requests pages at once; the main thread only waits for signals
 * and, every few seconds, folds per-process rows into labels so that
 * exited processes' rows are recycled even when nobody scrapes.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <microhttpd.h>
#include "export.h"
#include "multiview.h"
#include "options.h"
#include "output.h"
#include "serve.h"
#include "tasks.h"

/* Bounds on what a client may cost: see README "Operating safely". */
#define HTTP_TIMEOUT_S 10
/* Between requests on a kept-alive connection: longer than a scrape interval. */
#define HTTP_IDLE_TIMEOUT_S 90
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_REQUEST_MEMORY (16 * 1024)	/* request line + headers */
#define COLLECT_EVERY_S 5
/* node_exporter's textfile collector reads *.prom files only. */
#define TEXTFILE_NAME "mmtrace.prom"
#define TEXTFILE_TMP ".mmtrace.prom.tmp"

enum {
	OPT_LISTEN = 0x200,
	OPT_VIEWS,
	OPT_BY,
	OPT_TOP,
	OPT_MAX_REQUESTS,
	OPT_TEXTFILE,
	OPT_TEXTFILE_INTERVAL,
	OPT_DETAIL,
	OPT_BPF_STATS,
};

struct serve_opts {
	struct view_opts t;
	const char *listen;
	const char *views;
	bool detail;		/* --detail: every observation */
	enum export_by by;
	unsigned long top;
	unsigned long max_requests;
	const char *textfile;
	unsigned long textfile_every_s;
	bool bpf_stats;		/* --bpf-stats: keep BPF run time and counts */
	int err;
};

/* --textfile: the exposition as a file, for node_exporter to read. */
struct textfile {
	const char *dir;
	int dir_fd;		/* -1: no --textfile */
	unsigned int every_s;
	time_t next;		/* when the next write is due */
	int failing;		/* errno of the last failed write, 0 if none */
	bool wrote;		/* the file is ours to remove at the stop */
};

/* What the HTTP threads share. */
struct http_ctx {
	struct exporter *x;
	unsigned int max_requests;
	atomic_uint rendering;	/* pages being rendered or sent */
};

static const struct argp_option serve_options[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Serve on ADDR:PORT (default 127.0.0.1:9479; IPv6 as [::1]:9479; [::] is IPv4 and IPv6)",
	  1 },
	{ "max-requests", OPT_MAX_REQUESTS, "N", 0,
	  "At most N pages rendered or sent at once (default 8); more get 503", 1 },
	{ "textfile", OPT_TEXTFILE, "DIR", 0,
	  "Write DIR/" TEXTFILE_NAME " for node_exporter's textfile collector; no port is opened unless --listen is given too",
	  1 },
	{ "textfile-interval", OPT_TEXTFILE_INTERVAL, "SECONDS", 0,
	  "Rewrite it every SECONDS (default 15): at least the scrape interval of node_exporter",
	  1 },
	{ "views", OPT_VIEWS, "LIST", 0,
	  "Comma-separated views to load, whole, detail included (default: every view this kernel supports, always-on numbers only)",
	  1 },
	{ "detail", OPT_DETAIL, NULL, 0,
	  "Also load the opt-in detail: the observations whose hooks cost more than always-on allows (mmap_lock wait and hold times, per-VMA-lock fault outcomes, fork latency and pinned copies); --views loads its views whole",
	  1 },
	{ "bpf-stats", OPT_BPF_STATS, NULL, 0,
	  "Keep BPF run time and run counts (mmtrace_bpf_program_run_seconds_total, _runs_total): costs two clock reads per program run; off by default",
	  1 },
	{ "by", OPT_BY, "LABEL", 0,
	  "Per-process counters summed by comm (default), cgroup, container (labels container_id and pod_uid), or none",
	  2 },
	{ "top", OPT_TOP, "N", 0,
	  "At most N label values per view (default 20); more fold into \"other\"",
	  2 },
	{},
};

/* -p, -c, --cgroup, -d, --max-procs, --tier, --btf, -v: after serve's own. */
static const struct argp_child serve_children[] = {
	{ .argp = &common_argp, .group = 3 },
	{},
};

static int parse_num(struct serve_opts *so, const char *arg,
		     unsigned long min, unsigned long max, const char *what,
		     unsigned long *out)
{
	if (!parse_ulong(arg, min, max, what, out))
		return 0;
	so->err = EXIT_USAGE;
	return EINVAL;
}

static error_t parse_serve(int key, char *arg, struct argp_state *state)
{
	static const char *const by[] = { "none", "comm", "cgroup", "container" };
	struct serve_opts *so = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &so->t;
		return 0;
	case OPT_LISTEN:
		so->listen = arg;
		return 0;
	case OPT_VIEWS:
		so->views = arg;
		return 0;
	case OPT_DETAIL:
		so->detail = true;
		return 0;
	case OPT_BPF_STATS:
		so->bpf_stats = true;
		return 0;
	case OPT_BY:
		for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
			if (!strcmp(arg, by[i])) {
				so->by = i;
				return 0;
			}
		fprintf(stderr,
			"mmtrace serve: invalid --by '%s': comm, cgroup, container or none\n",
			text_arg(arg));
		so->err = EXIT_USAGE;
		return EINVAL;
	case OPT_TOP:
		return parse_num(so, arg, 1, 10000, "--top", &so->top);
	case OPT_MAX_REQUESTS:
		return parse_num(so, arg, 1, HTTP_MAX_CONNECTIONS,
				 "--max-requests", &so->max_requests);
	case OPT_TEXTFILE:
		so->textfile = arg;
		return 0;
	case OPT_TEXTFILE_INTERVAL:
		return parse_num(so, arg, 1, 86400, "--textfile-interval",
				 &so->textfile_every_s);
	case ARGP_KEY_ARG:
		fprintf(stderr,
			"mmtrace serve: unexpected argument '%s' (serve traces the whole system; filter with -p, -c or --cgroup)\n",
			text_arg(arg));
		so->err = EXIT_USAGE;
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

void serve_load_opts(struct view_opts *o, bool whole)
{
	o->skip_detail = !whole;
	o->numbers_only = true;
}

static int parse_serve_args(int argc, char **argv, struct serve_opts *so)
{
	char doc[] =
		"Serve every view's metrics for Prometheus: histograms, counters, "
		"per-comm or per-cgroup counters, and mmtrace's own health (probe "
		"tiers, BPF run time, losses).\v"
		"Endpoints: /metrics (Prometheus text, or OpenMetrics when asked), / (index).\n"
		"Examples:\n"
		"  mmtrace serve                         # 127.0.0.1:9479, every view's always-on numbers\n"
		"  mmtrace serve --detail --bpf-stats    # every number, and what each BPF program costs\n"
		"  mmtrace serve --listen [::]:9479      # every address, IPv4 and IPv6 (mind the firewall)\n"
		"  mmtrace serve --views fork --by cgroup\n"
		"  mmtrace serve --textfile /var/lib/prometheus/node-exporter   # no port\n"
		"  curl -s localhost:9479/metrics | grep pinned_copies\n"
		"Prometheus: scrape_configs: [{job_name: mmtrace, static_configs: [{targets: ['127.0.0.1:9479']}]}]\n"
		"Always on by default: hooks whose cost is too high for every host (mmap_lock wait "
		"and hold times, per-VMA-lock fault outcomes, the fork view's clone syscall "
		"tracepoints) are opt-in detail, loaded by --detail or by naming their view in "
		"--views; 'mmtrace probes' marks them. BPF run time is exported only with --bpf-stats.\n"
		"SIGHUP is ignored, with a log line; SIGINT and SIGTERM stop.\n"
		"A systemd unit ships in tools/packaging (make install).";
	struct argp argp = {
		.options = serve_options,
		.parser = parse_serve,
		.doc = doc,
		.children = serve_children,
	};
	int err;

	memset(so, 0, sizeof(*so));
	so->by = EXPORT_BY_COMM;
	so->top = 20;
	so->max_requests = 8;
	so->textfile_every_s = 15;
	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, options_argp_flags, NULL, so);
	if (so->err)
		return so->err;
	if (err)
		return EXIT_USAGE;
	/* Views named by --views are wanted whole. */
	serve_load_opts(&so->t, so->detail || so->views);
	return common_check(&so->t);
}

/* "127.0.0.1:9479", "[::1]:9479", "localhost:9479" (not static) */
static int parse_listen(const char *spec, struct addrinfo **out)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	unsigned long p;
	size_t hlen;
	int err;

	if (!colon || colon == spec)
		goto bad;
	hlen = colon - spec;
	if (spec[0] == '[') {
		if (hlen < 3 || spec[hlen - 1] != ']')
			goto bad;
		spec++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		goto bad;
	if (parse_ulong(colon + 1, 1, 65535, "--listen port", &p))
		return EXIT_USAGE;
	snprintf(host, sizeof(host), "%.*s", (int)hlen, spec);
	snprintf(port, sizeof(port), "%lu", p);
#ifdef MMTRACE_STATIC
	/*
	 * A static glibc resolves names by loading the host's NSS modules,
	 * which must be of the glibc it was linked with: on another host, or
	 * in an image holding nothing else, that fails or worse.
	 */
	hints.ai_flags |= AI_NUMERICHOST;
#endif
	err = getaddrinfo(host, port, &hints, out);
	if (!err)
		return 0;
	fprintf(stderr, "mmtrace serve: cannot listen on '%s': %s%s\n",
		text_arg(host), gai_strerror(err),
		hints.ai_flags & AI_NUMERICHOST ?
		" (the static build takes addresses only: 127.0.0.1, [::1], [::])" : "");
	return EXIT_USAGE;
bad:
	fprintf(stderr,
		"mmtrace serve: invalid --listen '%s': ADDR:PORT, e.g. 127.0.0.1:9479 or [::1]:9479\n",
		text_arg(spec));
	return EXIT_USAGE;
}

/* Loads the views; those this kernel cannot run are kept for probe health. */
static int open_views(struct exporter *x, const struct serve_opts *so,
		      const struct view *const *all_views, size_t n)
{
	size_t loaded = 0;
	int err;

	x->views = calloc(n, sizeof(*x->views));
	if (!x->views)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct export_view *v = &x->views[x->n_views];

		if (so->views && !multiview_wanted(so->views, all_views[i]->name))
			continue;
		v->t = all_views[i];
		if (session_skips_required(v->t, &so->t)) {
			if (session_skip(&v->s, v->t, SKIPPED_DETAIL))
				return -ENOMEM;
			x->n_views++;
			fprintf(stderr, "mmtrace serve: view %s is opt-in detail: --detail or --views %s loads it\n",
				v->t->name, v->t->name);
			continue;
		}
		err = multiview_open(&v->s, v->t, &so->t, so->views,
				     "mmtrace serve", &v->loaded);
		if (v->s.res)
			x->n_views++;
		if (err)
			return err;
		loaded += v->loaded;
	}
	if (!loaded) {
		fprintf(stderr, "mmtrace serve: no view can run on this kernel ('mmtrace probes' says why)\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void close_views(struct exporter *x)
{
	for (size_t i = 0; i < x->n_views; i++)
		session_close(&x->views[i].s);
	free(x->views);
}

/*
 * BPF_ENABLE_STATS keeps run time only while its fd is open: nothing is
 * left switched on after mmtrace exits, unlike the sysctl.
 */
static int enable_bpf_stats(struct exporter *x)
{
	char buf[4] = "";
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	FILE *f;

	if (fd >= 0) {
		x->bpf_stats = true;
		return fd;
	}
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (f) {
		x->bpf_stats = fgets(buf, sizeof(buf), f) && buf[0] == '1';
		fclose(f);
	}
	if (!x->bpf_stats)
		fprintf(stderr,
			"mmtrace serve: warning: BPF run-time stats unavailable (%s); mmtrace_bpf_program_run_seconds is not exported\n",
			strerror(errno));
	return -1;
}

/* "loaded", "unavailable", or "detail" (opt-in, not asked for). */
static const char *view_state(const struct export_view *v)
{
	if (v->loaded)
		return "loaded";
	if (v->t->n_obs && !strcmp(v->s.res[0].why[0], SKIPPED_DETAIL))
		return "detail";
	return "unavailable";
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c,
				  unsigned int status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (char *)text,
		     strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result reply_index(struct MHD_Connection *c,
				   const struct exporter *x)
{
	char page[2048];
	int n;

	n = snprintf(page, sizeof(page),
		     "<html><head><title>mmtrace</title></head><body>\n"
		     "<h1>mmtrace %s</h1>\n<p><a href=\"/metrics\">/metrics</a></p>\n<ul>\n",
		     x->version);
	for (size_t i = 0; i < x->n_views && n < (int)sizeof(page) - 128; i++)
		n += snprintf(page + n, sizeof(page) - n, "<li>%s: %s</li>\n",
			      x->views[i].t->name, view_state(&x->views[i]));
	n += snprintf(page + n, sizeof(page) - n, "</ul></body></html>\n");
	return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, n,
		     MHD_RESPMEM_MUST_COPY);
}

/* What *req_cls holds: where a request is. */
static char req_headers, req_rendering;

static enum MHD_Result reply_metrics(struct MHD_Connection *c,
				     struct http_ctx *h, bool head,
				     void **req_cls)
{
	enum metrics_format format;
	char *text;
	size_t len;

	/* Beyond the bound, fail fast: a queue would only time scrapes out. */
	if (atomic_fetch_add(&h->rendering, 1) >= h->max_requests) {
		atomic_fetch_sub(&h->rendering, 1);
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many scrapes at once (--max-requests)\n");
	}
	/* Released when the reply is sent or abandoned: on_completed(). */
	*req_cls = &req_rendering;
	format = metrics_negotiate(MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	text = export_render(h->x, format, head, &len);
	if (!text)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n");
	return reply(c, MHD_HTTP_OK, metrics_content_type(format), text, len,
		     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct http_ctx *h = cls;
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);

	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	/*
	 * The first call has the headers only. A reply queued then closes
	 * the connection (libmicrohttpd cannot know the request is whole);
	 * replying on the second call keeps it alive for the next scrape.
	 */
	if (!*req_cls) {
		*req_cls = &req_headers;
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned int)HTTP_TIMEOUT_S);
		return MHD_YES;
	}
	if (*upload_size)
		return reply_text(c, MHD_HTTP_BAD_REQUEST,
				  "GET and HEAD take no body\n");
	if (!strcmp(url, "/"))
		return reply_index(c, h->x);
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND,
				  "not found: metrics are at /metrics\n");
	return reply_metrics(c, h, head, req_cls);
}

/* A request is over: its render slot is free; the connection may idle. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct http_ctx *h = cls;

	if (*req_cls == &req_rendering)
		atomic_fetch_sub(&h->rendering, 1);
	*req_cls = NULL;
	if (why == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned int)HTTP_IDLE_TIMEOUT_S);
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	fprintf(stderr, "mmtrace serve: http: ");
	vfprintf(stderr, fmt, ap);
}

static struct MHD_Daemon *start_http(struct http_ctx *h,
				     const struct addrinfo *ai, bool verbose)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;

	/*
	 * IPv6 sockets take IPv4 too (mapped), as Go exporters do: [::] is
	 * every address, and an IPv4 port taken by another server fails
	 * here instead of splitting the scrapes between the two.
	 */
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	if (verbose)
		flags |= MHD_USE_ERROR_LOG;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)HTTP_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)HTTP_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)HTTP_REQUEST_MEMORY,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				MHD_OPTION_END);
}

/*
 * Blocks SIGINT, SIGTERM and SIGHUP for every thread; the main one waits
 * for them. SIGHUP does not stop the exporter: a closed terminal or a
 * broad `pkill -HUP` must not take it down, and it has nothing to reload.
 */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigprocmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int textfile_open(struct textfile *tf, const struct serve_opts *so)
{
	tf->dir_fd = -1;
	if (!so->textfile)
		return 0;
	tf->dir = so->textfile;
	tf->every_s = so->textfile_every_s;
	tf->dir_fd = open(tf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tf->dir_fd >= 0)
		return 0;
	fprintf(stderr, "mmtrace serve: invalid --textfile '%s': %s\n",
		text_arg(tf->dir), strerror(errno));
	return EXIT_USAGE;
}

/* Says when writes start failing, and when they work again. */
static int textfile_result(struct textfile *tf, int err)
{
	if (err && err != tf->failing)
		fprintf(stderr, "mmtrace serve: %scannot write %s/%s: %s%s\n",
			tf->next ? "warning: " : "", text_arg(tf->dir),
			TEXTFILE_NAME, strerror(err),
			tf->next ? "; trying again at every write" : "");
	else if (!err && tf->failing)
		fprintf(stderr, "mmtrace serve: %s/%s written again\n",
			text_arg(tf->dir), TEXTFILE_NAME);
	tf->failing = err;
	tf->wrote |= !err;
	tf->next = time(NULL) + tf->every_s;
	return err;
}

/*
 * Written beside the file and renamed over it: node_exporter reads the
 * whole old exposition or the whole new one, never a part. The name of
 * the temporary file does not end in .prom, so it is never read.
 */
static int textfile_write(struct textfile *tf, struct exporter *x)
{
	size_t len, done = 0;
	char *text;
	ssize_t n;
	int fd, err = 0;

	text = export_render(x, METRICS_PROMETHEUS, false, &len);
	if (!text)
		return textfile_result(tf, ENOMEM);
	fd = openat(tf->dir_fd, TEXTFILE_TMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	/* Readable by node_exporter's own user, whatever our umask. */
	if (fchmod(fd, 0644))
		err = errno;
	while (!err && done < len) {
		n = write(fd, text + done, len - done);
		if (n >= 0)
			done += n;
		else if (errno != EINTR)
			err = errno;
	}
	if (close(fd) && !err)
		err = errno;
	if (!err && renameat(tf->dir_fd, TEXTFILE_TMP, tf->dir_fd,
			     TEXTFILE_NAME))
		err = errno;
	if (err)
		unlinkat(tf->dir_fd, TEXTFILE_TMP, 0);
out:
	free(text);
	return textfile_result(tf, err);
}

/*
 * A stopped exporter's counters must not look alive: the file goes, and
 * its series end (node_exporter's node_textfile_mtime_seconds goes too).
 */
static void textfile_close(struct textfile *tf)
{
	if (tf->dir_fd < 0)
		return;
	if (tf->wrote)
		unlinkat(tf->dir_fd, TEXTFILE_NAME, 0);
	close(tf->dir_fd);
}

/*
 * Collects every COLLECT_EVERY_S, and writes the textfile when it is due
 * (its render collects too), until a stop signal or the duration's end.
 */
static void wait_for_stop(struct exporter *x, struct textfile *tf,
			  const sigset_t *set, unsigned int duration_s)
{
	time_t end = duration_s ? time(NULL) + duration_s : 0;
	struct timespec tick = {};
	time_t now, due;
	int sig;

	for (;;) {
		now = time(NULL);
		due = now + COLLECT_EVERY_S;
		if (tf->dir_fd >= 0 && tf->next < due)
			due = tf->next;
		if (end && end < due)
			due = end;
		tick.tv_sec = due > now ? due - now : 0;
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGHUP)
			fprintf(stderr,
				"mmtrace serve: SIGHUP ignored: nothing to reload (SIGTERM or SIGINT stops)\n");
		else if (sig > 0 || (end && time(NULL) >= end))
			return;
		if (tf->dir_fd >= 0 && time(NULL) >= tf->next)
			textfile_write(tf, x);
		else
			export_collect(x);
	}
}

/*
 * Tests shorten the idle time after which a label's slot may be recycled
 * (10 minutes) with MMTRACE_LABEL_IDLE_S, rather than wait for it.
 */
static double label_idle_s(void)
{
	const char *env = getenv("MMTRACE_LABEL_IDLE_S");
	char *end;
	double v;

	if (!env)
		return 0;
	v = strtod(env, &end);
	return *end || v <= 0 ? 0 : v;
}

static void print_started(const struct exporter *x, const char *listen,
			  const struct textfile *tf)
{
	fprintf(stderr, "mmtrace serve: ");
	if (listen)
		fprintf(stderr, "serving http://%s/metrics, ", text_arg(listen));
	if (tf->dir_fd >= 0)
		fprintf(stderr, "writing %s/%s every %u s, ", text_arg(tf->dir),
			TEXTFILE_NAME, tf->every_s);
	fprintf(stderr, "labels by %s;", export_by_name(x->by));
	for (size_t i = 0; i < x->n_views; i++)
		fprintf(stderr, " %s=%s", x->views[i].t->name,
			view_state(&x->views[i]));
	fprintf(stderr, ". Ctrl-C to stop.\n");
}

int serve_main(const struct view *const *all_views, size_t n_views,
	       int argc, char **argv)
{
	struct exporter x = { .version = MMTRACE_VERSION };
	struct http_ctx h = { .x = &x };
	struct textfile tf = { .dir_fd = -1 };
	char default_listen[32];
	struct MHD_Daemon *http = NULL;
	struct addrinfo *ai = NULL;
	struct serve_opts so;
	int err, stats_fd = -1, rc = 1;
	sigset_t stop;

	err = parse_serve_args(argc, argv, &so);
	if (err)
		return err;
	snprintf(default_listen, sizeof(default_listen), "127.0.0.1:%d",
		 SERVE_DEFAULT_PORT);
	/* --textfile alone is for hosts where no port may be opened. */
	if (!so.listen && !so.textfile)
		so.listen = default_listen;
	if (multiview_check(all_views, n_views, so.views, "mmtrace serve") ||
	    (so.listen && parse_listen(so.listen, &ai)))
		return EXIT_USAGE;
	if (textfile_open(&tf, &so)) {
		freeaddrinfo(ai);
		return EXIT_USAGE;
	}
	/*
	 * One malloc arena: pages render one at a time (under x.lock), and
	 * an arena per connection thread would keep each one's pages, which
	 * looks like a leak and is not returned.
	 */
	mallopt(M_ARENA_MAX, 1);
	x.by = so.by;
	x.top = so.top;
	x.label_idle_s = label_idle_s();
	h.max_requests = so.max_requests;
	block_stop_signals(&stop);
	if (session_preflight())
		goto out;
	err = open_views(&x, &so, all_views, n_views);
	if (err)
		goto out;
	for (size_t i = 0; i < x.n_views; i++)
		if (x.views[i].loaded) {
			tasks_banner(&x.views[i].s.filter);
			break;
		}
	if (so.bpf_stats)
		stats_fd = enable_bpf_stats(&x);
	if (export_init(&x))
		goto out_export;
	/* At once: a directory we cannot write to fails the start. */
	if (tf.dir_fd >= 0 && textfile_write(&tf, &x))
		goto out_export;
	if (ai) {
		http = start_http(&h, ai, so.t.verbose);
		if (!http) {
			fprintf(stderr,
				"mmtrace serve: cannot listen on %s: %s (another exporter on that port? use --listen)\n",
				text_arg(so.listen), strerror(errno));
			goto out_export;
		}
	}
	print_started(&x, so.listen, &tf);
	wait_for_stop(&x, &tf, &stop, so.t.duration_s);
	if (http)
		MHD_stop_daemon(http);
	rc = 0;
out_export:
	export_free(&x);
out:
	textfile_close(&tf);
	if (stats_fd >= 0)
		close(stats_fd);
	close_views(&x);
	freeaddrinfo(ai);
	kernel_env_live_cleanup();
	return rc;
}
