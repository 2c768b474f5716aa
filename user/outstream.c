// SPDX-License-Identifier: GPL-2.0
/*
 * The output stream. A blocking write to a pipe nobody reads never
 * returns, and the stop signals are blocked outside ppoll(): mmtrace
 * then ignored Ctrl-C with every link attached. Here no write blocks:
 * the fd is non-blocking where that is ours to set, and every wait for
 * the reader is a ppoll() that a stop signal ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "outstream.h"
#include "output.h"

/* Whole reports and batches of events per write(). */
#define OUTSTREAM_BUFFER (64 * 1024)

enum write_mode {
	WRITE_FILE,		/* a regular file: writes do not stall */
	WRITE_NONBLOCK,		/* our own O_NONBLOCK file description */
	WRITE_SOCKET,		/* send(MSG_DONTWAIT) */
	WRITE_POLL_FIRST,	/* shared and blocking: POLLOUT, then PIPE_BUF */
};

struct outstream {
	int fd;
	bool own_fd;
	enum write_mode mode;
	bool line_start;		/* the last byte written ended a line */
	bool torn;			/* a line was cut: end it before more */
	int error;			/* errno of a failed write, not a stop */
	unsigned long long dropped_bytes, dropped_lines;
};

/* Reports and events; and stderr, which may be the same stalled pipe. */
static struct outstream output = { .fd = -1 }, errors = { .fd = -1 };
static const sigset_t *wakeup_mask;
static const volatile sig_atomic_t *stop_flag;
static bool final;			/* detached: the last lines */
static double deadline;			/* after a stop: give up then */

void outstream_wakeups(const sigset_t *wait_mask,
		       const volatile sig_atomic_t *stop)
{
	wakeup_mask = wait_mask;
	stop_flag = stop;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Once a stop is requested: true, and the seconds left to write. While
 * probes are attached, none: the reader is not waited for; the last
 * lines, written once they are detached, get the grace.
 */
static bool stopping(double *left)
{
	if (!stop_flag || !*stop_flag)
		return false;
	if (!deadline)
		deadline = now_seconds() +
			   (final ? OUTSTREAM_GRACE_MS / 1000.0 : 0);
	*left = deadline - now_seconds();
	return true;
}

void outstream_final(void)
{
	final = true;
	/* A stop already seen: its grace starts now, probes detached. */
	if (deadline)
		deadline = now_seconds() + OUTSTREAM_GRACE_MS / 1000.0;
}

/*
 * Until the reader makes room. False once a stop's grace is over; a
 * stop signal ends the wait at once, and the grace starts then.
 */
static bool wait_writable(struct outstream *o)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };
	struct timespec ts, *timeout;
	double left;
	int n;

	for (;;) {
		timeout = NULL;
		if (stopping(&left)) {
			if (left < 0.001)
				return false;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			timeout = &ts;
		}
		n = ppoll(&p, 1, timeout, wakeup_mask);
		/* POLLERR and POLLHUP too: the write says what they are. */
		if (n > 0 || (n < 0 && errno != EINTR))
			return true;
	}
}

static ssize_t write_some(struct outstream *o, const char *buf, size_t len)
{
	switch (o->mode) {
	case WRITE_SOCKET:
		return send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case WRITE_POLL_FIRST:
		/* After POLLOUT, a pipe takes PIPE_BUF bytes without blocking. */
		return write(o->fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
	default:
		return write(o->fd, buf, len);
	}
}

static void drop(struct outstream *o, const char *buf, size_t len)
{
	o->torn |= !o->line_start;
	o->dropped_bytes += len;
	for (size_t i = 0; i < len; i++)
		o->dropped_lines += buf[i] == '\n';
}

/* What the reader takes of @buf before a stop's grace ends. */
static size_t write_all(struct outstream *o, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (o->mode == WRITE_POLL_FIRST && !wait_writable(o))
			break;
		n = write_some(o, buf + done, len - done);
		if (n > 0) {
			done += n;
			o->line_start = buf[done - 1] == '\n';
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_writable(o))
				break;
		} else {
			o->error = n < 0 ? errno : EIO;
			break;
		}
	}
	return done;
}

/*
 * stdio's write: all of @buf, or the part the reader took before the
 * stop's grace ended; the rest is dropped and counted, never retried,
 * so that stdio never waits on it again. After a cut line the next
 * starts on a line of its own: each line stays one record.
 */
static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	struct outstream *o = cookie;
	size_t done = 0;

	if (o->torn && write_all(o, "\n", 1) == 1)
		o->torn = false;
	if (!o->torn && !o->error)
		done = write_all(o, buf, len);
	if (done < len)
		drop(o, buf + done, len - done);
	return len;
}

static int out_close(void *cookie)
{
	struct outstream *o = cookie;

	if (o->own_fd && close(o->fd) && !o->error)
		o->error = errno;
	o->fd = -1;
	return 0;
}

/*
 * A file description of our own on @fd's pipe, FIFO or terminal, so
 * that O_NONBLOCK does not change the one the shell and the COMMAND
 * share. A regular file never stalls; anything else is waited on with
 * poll() first.
 */
static void use_fd(struct outstream *o, int fd)
{
	char path[32];
	struct stat st;
	int own;

	o->fd = fd;
	o->own_fd = false;
	o->mode = WRITE_POLL_FIRST;
	if (fstat(fd, &st))
		return;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		o->mode = WRITE_FILE;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		o->mode = WRITE_SOCKET;
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	own = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (own < 0)
		return;
	o->fd = own;
	o->own_fd = true;
	o->mode = WRITE_NONBLOCK;
}

/* -o FILE: the description is ours; a FIFO waits here for its reader. */
static int use_path(struct outstream *o, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	o->fd = fd;
	o->own_fd = true;
	o->mode = WRITE_NONBLOCK;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		o->mode = WRITE_FILE;
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		o->mode = WRITE_POLL_FIRST;
	return 0;
}

static FILE *open_cookie(struct outstream *o, int buffering)
{
	static const cookie_io_functions_t io = {
		.write = out_write,
		.close = out_close,
	};
	FILE *f = fopencookie(o, "w", io);
	int err;

	if (!f) {
		err = errno;
		out_close(o);
		errno = err;
		return NULL;
	}
	setvbuf(f, NULL, buffering, OUTSTREAM_BUFFER);
	return f;
}

FILE *outstream_open(const char *path)
{
	struct outstream *o = &output;

	memset(o, 0, sizeof(*o));
	o->line_start = true;
	if (path) {
		if (use_path(o, path))
			return NULL;
	} else {
		use_fd(o, STDOUT_FILENO);
	}
	return open_cookie(o, _IOFBF);
}

void outstream_stderr(void)
{
	struct outstream *o = &errors;
	FILE *f;

	memset(o, 0, sizeof(*o));
	o->line_start = true;
	use_fd(o, STDERR_FILENO);
	/* A line at a time, as a person reads it. */
	f = open_cookie(o, _IOLBF);
	if (f)
		stderr = f;
}

int outstream_close(FILE *f)
{
	struct outstream *o = &output;

	fclose(f);
	if (o->error)
		fprintf(stderr, "mmtrace: writing the output failed: %s (%llu bytes, %llu lines dropped)\n",
			strerror(o->error), o->dropped_bytes, o->dropped_lines);
	else if (o->dropped_bytes)
		fprintf(stderr, "mmtrace: output stalled: the reader did not take %llu bytes (%llu lines) by the stop, or %d ms after it: dropped\n",
			o->dropped_bytes, o->dropped_lines, OUTSTREAM_GRACE_MS);
	return o->error ? -1 : 0;
}
