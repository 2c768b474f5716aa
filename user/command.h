/* SPDX-License-Identifier: GPL-2.0 */
/* The COMMAND mmtrace runs and traces: held until attached, then released. */
#ifndef MMTRACE_COMMAND_H
#define MMTRACE_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

struct command {
	pid_t pid;
	int go_fd;		/* one byte written: the child may exec */
	int status_fd;		/* exec's errno if it failed, EOF if not */
	int status;		/* wait status, once reaped */
	bool reaped;
	bool stopped;		/* mmtrace ended it (duration, Ctrl-C) */
};

/* Forks a child that waits for command_release() before exec. */
int command_spawn(struct command *c, char **argv);

/* Lets the child exec. Returns 0, or 127 after saying why exec failed. */
int command_release(struct command *c, const char *name);

/* Reaps the child if it has exited; true once it has. */
bool command_poll(struct command *c);

/* Ends a child still running: SIGTERM, then SIGKILL after 2 s. */
void command_stop(struct command *c);

/* Setup failed before release: the child exits without running. */
void command_abort(struct command *c);

/* mmtrace's exit status for how the child ended. */
int command_exit_code(const struct command *c, const char *name);

#endif /* MMTRACE_COMMAND_H */
