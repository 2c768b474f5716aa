// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "command.h"
#include "output.h"

#define STOP_GRACE_MS 2000

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static void __attribute__((noreturn)) run_child(char **argv, int go, int st)
{
	char c;
	int err;

	if (read(go, &c, 1) != 1)
		_exit(127);
	execvp(argv[0], argv);
	err = errno;
	if (write(st, &err, sizeof(err)) != sizeof(err))
		_exit(127);
	_exit(127);
}

int command_spawn(struct command *c, char **argv)
{
	int go[2], st[2];

	memset(c, 0, sizeof(*c));
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(st, O_CLOEXEC)) {
		close_pair(go);
		return -errno;
	}
	c->pid = fork();
	if (c->pid < 0) {
		close_pair(go);
		close_pair(st);
		return -errno;
	}
	if (c->pid == 0) {
		close(go[1]);
		close(st[0]);
		run_child(argv, go[0], st[1]);
	}
	close(go[0]);
	close(st[1]);
	c->go_fd = go[1];
	c->status_fd = st[0];
	return 0;
}

static void reap(struct command *c)
{
	if (!c->reaped && waitpid(c->pid, &c->status, 0) == c->pid)
		c->reaped = true;
}

/* Ctrl-C during the handshake must not pass for a failed exec. */
static ssize_t write_retry(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

int command_release(struct command *c, const char *name)
{
	ssize_t n;
	int err;

	n = write_retry(c->go_fd, "g", 1);
	close(c->go_fd);
	c->go_fd = -1;
	/* EOF: exec succeeded and closed the CLOEXEC end. */
	if (n == 1)
		n = read_retry(c->status_fd, &err, sizeof(err));
	close(c->status_fd);
	c->status_fd = -1;
	if (n == 0)
		return 0;
	fprintf(stderr, "mmtrace: cannot run %s: %s\n", text_arg(name),
		n == sizeof(err) ? strerror(err) : "the child died");
	reap(c);
	return 127;
}

/*
 * Orphans re-parent to mmtrace when it is a pid namespace's init
 * (unshare --pid --fork mmtrace ...): they are reaped too, or their
 * zombies would stay followed for ever.
 */
bool command_poll(struct command *c)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == c->pid) {
			c->status = status;
			c->reaped = true;
		}
	return c->reaped;
}

void command_stop(struct command *c)
{
	const struct timespec tick = { .tv_nsec = 50 * 1000000L };

	if (command_poll(c))
		return;
	c->stopped = true;
	kill(c->pid, SIGTERM);
	for (int ms = 0; ms < STOP_GRACE_MS; ms += 50) {
		if (command_poll(c))
			return;
		nanosleep(&tick, NULL);
	}
	kill(c->pid, SIGKILL);
	reap(c);
}

void command_abort(struct command *c)
{
	close(c->go_fd);
	close(c->status_fd);
	reap(c);
}

int command_exit_code(const struct command *c, const char *name)
{
	if (c->stopped || !c->reaped)
		return 0;
	if (WIFSIGNALED(c->status)) {
		fprintf(stderr, "mmtrace: %s was killed by signal %d\n",
			text_arg(name), WTERMSIG(c->status));
		return 128 + WTERMSIG(c->status);
	}
	if (WEXITSTATUS(c->status)) {
		fprintf(stderr, "mmtrace: %s exited with status %d\n",
			text_arg(name), WEXITSTATUS(c->status));
		return 1;
	}
	return 0;
}
