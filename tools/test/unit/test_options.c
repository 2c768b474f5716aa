// SPDX-License-Identifier: GPL-2.0
/* Number parsing and argument validation: exit status 2, never a crash. */
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "options.h"

/* Views whose options differ: defined in views/<name>/<name>.c. */
extern const struct view fork_view, hugetlb_view, locks_view;

static const char hybrid_mounts[] =
	"tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
	"cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"
	"cgroup /sys/fs/cgroup/pids2 cgroup rw,pids 0 0\n"
	"cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
static const char v1_mounts[] =
	"cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n";

/* The hint names what exists, never the path the user already gave. */
static void check_hint(const char *mounts, const char *path,
		       const char *expect)
{
	FILE *f = fmemopen((void *)mounts, strlen(mounts), "r");
	char hint[512] = "";

	if (f) {
		cgroup2_hint(f, path, hint, sizeof(hint));
		fclose(f);
	}
	CHECK(strstr(hint, expect), "hint for %s: '%s' lacks '%s'",
	      path ? path : "(null)", hint, expect);
}

static void check_cgroup_hints(void)
{
	check_hint(hybrid_mounts, "/sys/fs/cgroup/pids/X",
		   "in the cgroup v1 hierarchy at /sys/fs/cgroup/pids; cgroup v2 is mounted at /sys/fs/cgroup/unified");
	/* A mount's name that only starts like another's is not in it. */
	check_hint(hybrid_mounts, "/sys/fs/cgroup/pids2/X",
		   "hierarchy at /sys/fs/cgroup/pids2;");
	check_hint(hybrid_mounts, "/tmp", "cgroup v2 is mounted at /sys/fs/cgroup/unified");
	check_hint(hybrid_mounts, NULL, "cgroup v2 is mounted at /sys/fs/cgroup/unified");
	check_hint(v1_mounts, "/sys/fs/cgroup/memory/X",
		   "no cgroup v2 is mounted here: mount one with 'mount -t cgroup2");
}

static int parse(int argc, char **argv, struct view_opts *o)
{
	return view_parse_args(&fork_view, argc, argv, o);
}

/* A ring of a power-of-two number of pages, at least @kb KB. */
static int ring_ok(unsigned long bytes, unsigned long kb)
{
	unsigned long page = sysconf(_SC_PAGESIZE);

	return bytes >= kb * 1024 && bytes % page == 0 &&
	       !((bytes / page) & (bytes / page - 1)) &&
	       (bytes == page || bytes < 2 * kb * 1024);
}

static void check_events(void)
{
	struct view_opts o;

	{
		char *a[] = { "fork", "--events", "--min-latency", "500",
			      "--min-copies", "64", "--events-buffer", "5", NULL };

		CHECK(!parse(8, a, &o) && o.events && o.min_latency_us == 500 &&
		      o.min_copies == 64 &&
		      o.event_thresholds == (EVENT_OPT_MIN_LATENCY |
					     EVENT_OPT_MIN_COPIES),
		      "event thresholds kept");
		CHECK(ring_ok(o.events_buffer, 5), "5 KB rounded up: %lu",
		      o.events_buffer);
	}
	{
		char *a[] = { "fork", "--events", NULL };

		CHECK(!parse(2, a, &o) && o.events && !o.event_thresholds &&
		      o.events_buffer == 1024 * 1024,
		      "--events alone: every event, 1 MB");
	}
	{
		char *a[] = { "fork", "--min-latency", "5", NULL };

		CHECK(parse(3, a, &o) == EXIT_USAGE, "threshold without --events");
	}
	{
		char *a[] = { "fork", "--events", "--events-buffer", "3", NULL };

		CHECK(parse(4, a, &o) == EXIT_USAGE, "ring below a page");
	}
	{
		char *a[] = { "locks", "--events", "--min-copies", "1", NULL };

		CHECK(view_parse_args(&locks_view, 4, a, &o) == EXIT_USAGE,
		      "a threshold the view does not take");
	}
	{
		char *a[] = { "hugetlb", "--events", NULL };

		CHECK(view_parse_args(&hugetlb_view, 2, a, &o) == EXIT_USAGE,
		      "a view without events");
	}
}

/* -- COMMAND follows its descendants unless --no-children; alone it is wrong. */
static void check_children(void)
{
	struct view_opts o;

	{
		char *a[] = { "fork", "--", "sh", "-c", "true", NULL };

		CHECK(!parse(5, a, &o) && o.command && !o.no_children,
		      "COMMAND: descendants followed by default");
	}
	{
		char *a[] = { "fork", "--no-children", "--", "true", NULL };

		CHECK(!parse(4, a, &o) && o.command && o.no_children,
		      "--no-children kept");
	}
	{
		char *a[] = { "fork", "--no-children", NULL };

		CHECK(parse(2, a, &o) == EXIT_USAGE,
		      "--no-children without COMMAND");
	}
}

int main(void)
{
	check_cgroup_hints();
	struct view_opts o;
	unsigned long v = 0;

	CHECK(!parse_ulong("42", 1, 100, "n", &v) && v == 42, "v=%lu", v);
	CHECK(parse_ulong("", 1, 100, "n", &v), "empty rejected");
	CHECK(parse_ulong("-1", 0, 100, "n", &v), "negative rejected");
	CHECK(parse_ulong("12abc", 0, 100, "n", &v), "junk rejected");
	CHECK(parse_ulong("0x10", 0, 100, "n", &v), "hex rejected");
	CHECK(parse_ulong("0", 1, 100, "n", &v), "below min rejected");
	CHECK(parse_ulong("101", 1, 100, "n", &v), "above max rejected");
	CHECK(parse_ulong("99999999999999999999999", 0, ~0UL, "n", &v),
	      "overflow rejected");

	{
		char *a[] = { "fork", "-i", "2", "-d", "10", "-T", "--json",
			      "--comm", "bash", NULL };

		CHECK(!parse(9, a, &o), "valid options accepted");
		CHECK(o.interval_s == 2 && o.duration_s == 10 && o.timestamps &&
		      o.json && o.filter.comm_set &&
		      !strcmp(o.filter.comm, "bash"), "values kept");
	}
	{
		char *a[] = { "fork", "-i", "0", NULL };

		CHECK(parse(3, a, &o) == EXIT_USAGE, "zero interval");
	}
	{
		char *a[] = { "fork", "--comm", "a-name-longer-than-15", NULL };

		CHECK(parse(3, a, &o) == EXIT_USAGE, "long comm");
	}
	{
		char *a[] = { "fork", "-p", "1", "--", "true", NULL };

		CHECK(parse(5, a, &o) == EXIT_USAGE, "-p with COMMAND");
	}
	{
		char *a[] = { "fork", "--cgroup", "/nonexistent/cg", NULL };

		CHECK(parse(3, a, &o) == EXIT_USAGE, "missing cgroup");
	}
	{
		char *a[] = { "fork", "-i", "1", "--", "sleep", "-i", "1", NULL };

		CHECK(!parse(7, a, &o) && o.command &&
		      !strcmp(o.command[0], "sleep") &&
		      !strcmp(o.command[1], "-i"), "COMMAND keeps its options");
	}
	{
		char *a[] = { "fork", "sleep", "--pages", "1", NULL };

		CHECK(!parse(4, a, &o) && o.command &&
		      !strcmp(o.command[1], "--pages"),
		      "options after COMMAND belong to it");
	}
	check_events();
	check_children();
	CHECK_DONE();
}
