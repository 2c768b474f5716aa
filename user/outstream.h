/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where reports and events go (stdout or -o FILE), written so that a
 * reader that stops reading (a paused pager, a full pipe, a slow terminal)
 * cannot hold mmtrace up after a stop request. Until one, a slow reader
 * slows the output down and the ring buffer counts what it drops. At a
 * stop, what waits for the reader is dropped; once the probes are
 * detached, the last events and the report get OUTSTREAM_GRACE_MS. What
 * the reader did not take is counted and said on stderr.
 */
#ifndef MMTRACE_OUTSTREAM_H
#define MMTRACE_OUTSTREAM_H

#include <signal.h>
#include <stdio.h>

#define OUTSTREAM_GRACE_MS 1000

/*
 * A stream on @path (created or truncated), or on stdout when @path is
 * NULL; NULL with errno set on failure.
 */
FILE *outstream_open(const char *path);

/*
 * stderr, made the same way: messages to a reader that stopped reading
 * (2>&1 into a paused pager) do not hold a stop up either.
 */
void outstream_stderr(void);

/*
 * While the stream waits for the reader, @wait_mask is the signal mask
 * (the stop signals unblocked), and *@stop says a stop was requested.
 */
void outstream_wakeups(const sigset_t *wait_mask,
		       const volatile sig_atomic_t *stop);

/*
 * The probes are detached: a stop gives the last lines OUTSTREAM_GRACE_MS
 * (before, a stop ends any wait for the reader at once).
 */
void outstream_final(void);

/*
 * Flushes within the grace, closes, and says on stderr what was dropped.
 * Returns 0, or -1 if the output failed for another reason than a stop
 * (a full disk, a reader gone).
 */
int outstream_close(FILE *f);

#endif /* MMTRACE_OUTSTREAM_H */
