// SPDX-License-Identifier: GPL-2.0
/*
 * gupwork - GUP-fast calls whose outcome is known.
 *
 * get_user_pages_fast() and pin_user_pages_fast() first walk the page
 * tables without mmap_lock; pages whose PTEs are present and allow the
 * access are taken there ("fast"). The rest of the range goes to the slow
 * path, which faults pages in under mmap_lock. Each case below drives one
 * kernel path that uses GUP-fast and prints, as one JSON line on stdout,
 * what it asked for and what the kernel gave back, measured:
 *
 *   vmsplice  vmsplice() of N touched pages into a pipe: FOLL_GET, every
 *             PTE present, so the lockless walk gets all N. The pipe is
 *             read back and compared with the buffer.
 *   iouring   io_uring buffer registration of N touched pages: FOLL_PIN |
 *             FOLL_LONGTERM | FOLL_WRITE (pin_user_pages_fast() from 6.x
 *             io_uring; 5.10 and 6.1 pin under mmap_lock instead and never
 *             reach GUP-fast).
 *   odirect   an O_DIRECT read of N pages from a block device (--dev,
 *             default /dev/ram0, e.g. brd) into the buffer: FOLL_WRITE,
 *             plus FOLL_GET (5.10, 6.1) or FOLL_PIN (6.x iov_iter_extract).
 *             The device is first filled through the page cache with a
 *             pattern, which the read must bring back.
 *
 * --hole M maps M more pages after the N and unmaps them before the call:
 * the walk gets N, the slow path finds nothing mapped, and the call comes
 * back short (vmsplice splices N pages) or fails (io_uring: EFAULT).
 *
 * --again (iouring) unregisters the buffer and registers it once more through
 * IORING_REGISTER_BUFFERS2 (5.13+): a second GUP-fast call from the same
 * function (io_pin_pages on 6.x), reached by another path.
 * "registrations" counts the ones that succeeded.
 *
 * --untouched leaves the N pages unfaulted: the walk finds no PTE, and the
 * slow path faults every page in. "present_before" is measured through
 * /proc/self/pagemap just before the call: the pages the walk can find.
 *
 * Raw syscalls only (no liburing): linked statically, run in a busybox VM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/io_uring.h>

#define MAX_PAGES 4096
/* /proc/PID/pagemap: one 64-bit entry per page; bit 63 is "present". */
#define PM_PRESENT (UINT64_C(1) << 63)

struct options {
	const char *work;
	unsigned long pages;
	unsigned long hole;
	bool untouched;
	bool again;
	const char *dev;
};

/* What the case measured, printed as the truth. */
struct outcome {
	long ret;		/* the syscall's return, or -errno */
	unsigned long pages_done;	/* pages spliced or registered */
	unsigned long registrations;	/* iouring: successful ones */
	bool verified;		/* the data came back intact */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gupwork vmsplice|iouring|odirect [--pages N] [--hole M]\n"
		"               [--untouched] [--again] [--dev BLOCKDEV]\n"
		"  --pages N    touched pages the call covers (default 16, max %d)\n"
		"  --hole M     M unmapped pages after them (default 0)\n"
		"  --untouched  leave the N pages unfaulted\n"
		"  --again      iouring: register again through BUFFERS2\n"
		"  --dev PATH   odirect: the block device (default /dev/ram0)\n",
		MAX_PAGES);
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "hole", required_argument, NULL, 'H' },
		{ "untouched", no_argument, NULL, 'u' },
		{ "again", no_argument, NULL, 'a' },
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	int c;

	o->pages = 16;
	o->dev = "/dev/ram0";
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		unsigned long *v = c == 'n' ? &o->pages : &o->hole;

		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'u' || c == 'd' || c == 'a') {
			o->untouched |= c == 'u';
			o->again |= c == 'a';
			o->dev = c == 'd' ? optarg : o->dev;
			continue;
		}
		if (c != 'n' && c != 'H')
			return -1;
		errno = 0;
		*v = strtoul(optarg, &end, 10);
		if (errno || *end || !*optarg)
			return -1;
	}
	if (optind != argc - 1 || !o->pages || o->pages + o->hole > MAX_PAGES)
		return -1;
	o->work = argv[optind];
	if (strcmp(o->work, "vmsplice") && strcmp(o->work, "iouring") &&
	    strcmp(o->work, "odirect"))
		return -1;
	/* O_DIRECT past the end of a mapping is an error, not a test. */
	if (!strcmp(o->work, "odirect") && o->hole)
		return -1;
	return 0;
}

/* N touched pages, followed by @hole pages that are mapped no more. */
static char *map_buffer(unsigned long pages, unsigned long hole,
			bool untouched, long psz)
{
	size_t len = (pages + hole) * psz;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("gupwork: mmap");
		return NULL;
	}
	/* Base pages only: the counts are in base pages either way, but a
	 * THP would change which walk finds them. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	for (unsigned long i = 0; i < pages && !untouched; i++)
		memset(buf + i * psz, (int)(i % 251) + 1, psz);
	if (hole && munmap(buf + pages * psz, hole * psz)) {
		perror("gupwork: munmap");
		return NULL;
	}
	return buf;
}

/* Pages of [@buf, +@pages) with a present PTE, or -1 if unknown. */
static long present_pages(const char *buf, unsigned long pages, long psz)
{
	uint64_t entry;
	long n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0) {
		perror("gupwork: /proc/self/pagemap");
		return -1;
	}
	for (unsigned long i = 0; i < pages; i++) {
		off_t off = ((uintptr_t)buf / psz + i) * sizeof(entry);

		if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry)) {
			perror("gupwork: pagemap read");
			n = -1;
			break;
		}
		n += !!(entry & PM_PRESENT);
	}
	close(fd);
	return n;
}

/* Reads what vmsplice put in the pipe and compares it with @buf. */
static bool pipe_matches(int fd, const char *buf, size_t len)
{
	char chunk[4096];
	size_t off = 0;

	while (off < len) {
		size_t want = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);

		if (n <= 0 || memcmp(chunk, buf + off, n))
			return false;
		off += n;
	}
	return true;
}

static int run_vmsplice(const struct options *o, char *buf, long psz,
			struct outcome *out)
{
	struct iovec iov = { buf, (o->pages + o->hole) * psz };
	int p[2];

	if (pipe(p)) {
		perror("gupwork: pipe");
		return -1;
	}
	/* One pipe buffer per page: a full pipe would get pages it drops. */
	if (fcntl(p[1], F_SETPIPE_SZ, (int)((o->pages + o->hole) * psz)) < 0) {
		perror("gupwork: F_SETPIPE_SZ");
		return -1;
	}
	out->ret = vmsplice(p[1], &iov, 1, SPLICE_F_NONBLOCK);
	if (out->ret < 0)
		out->ret = -errno;
	if (out->ret > 0) {
		out->pages_done = out->ret / psz;
		out->verified = pipe_matches(p[0], buf, out->ret);
	}
	close(p[0]);
	close(p[1]);
	return 0;
}

static int run_iouring(const struct options *o, char *buf, long psz,
		       struct outcome *out)
{
	struct iovec iov = { buf, (o->pages + o->hole) * psz };
	struct io_uring_params params = {};
	int fd;

	fd = syscall(__NR_io_uring_setup, 1, &params);
	if (fd < 0) {
		fprintf(stderr, "gupwork: io_uring_setup: %s\n", strerror(errno));
		return -1;
	}
	out->ret = syscall(__NR_io_uring_register, fd,
			   IORING_REGISTER_BUFFERS, &iov, 1);
	if (out->ret < 0)
		out->ret = -errno;
	else
		out->pages_done = o->pages + o->hole;
	out->registrations = out->ret == 0;
	if (o->again && out->ret == 0 &&
	    !syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS,
		     NULL, 0)) {
		struct io_uring_rsrc_register reg = {
			.nr = 1,
			.data = (uintptr_t)&iov,
		};

		if (!syscall(__NR_io_uring_register, fd,
			     IORING_REGISTER_BUFFERS2, &reg, sizeof(reg)))
			out->registrations++;
	}
	/* No data moves: whatever the kernel answered is the truth. */
	out->verified = true;
	close(fd);
	return 0;
}

static void pattern(char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + i / 4096);
}

/* Fills the device through the page cache, so no GUP call is made. */
static int fill_device(const char *dev, size_t len)
{
	char *want = malloc(len);
	int fd = open(dev, O_WRONLY);
	int err = -1;

	if (fd < 0 || !want) {
		fprintf(stderr, "gupwork: %s: %s\n", dev, strerror(errno));
		goto out;
	}
	pattern(want, len);
	if (pwrite(fd, want, len, 0) != (ssize_t)len || fsync(fd)) {
		fprintf(stderr, "gupwork: write %s: %s\n", dev, strerror(errno));
		goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(want);
	return err;
}

static int run_odirect(const struct options *o, char *buf, long psz,
		       struct outcome *out)
{
	size_t len = o->pages * psz;
	char *want;
	int fd;

	fd = open(o->dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "gupwork: %s: %s\n", o->dev, strerror(errno));
		return -1;
	}
	out->ret = pread(fd, buf, len, 0);
	if (out->ret < 0)
		out->ret = -errno;
	close(fd);
	want = malloc(len);
	if (!want)
		return -1;
	pattern(want, len);
	if (out->ret > 0) {
		out->pages_done = out->ret / psz;
		out->verified = !memcmp(buf, want, out->ret);
	}
	free(want);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {};
	struct outcome out = {};
	long psz = sysconf(_SC_PAGESIZE), present;
	char *buf;
	int err;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(o.work, "odirect") && fill_device(o.dev, o.pages * psz))
		return 1;
	buf = map_buffer(o.pages, o.hole, o.untouched, psz);
	if (!buf)
		return 1;
	present = present_pages(buf, o.pages, psz);
	if (present < 0)
		return 1;
	if (!strcmp(o.work, "vmsplice"))
		err = run_vmsplice(&o, buf, psz, &out);
	else if (!strcmp(o.work, "iouring"))
		err = run_iouring(&o, buf, psz, &out);
	else
		err = run_odirect(&o, buf, psz, &out);
	if (err)
		return 1;
	printf("{\"pid\":%d,\"work\":\"%s\",\"pages\":%lu,\"hole\":%lu,"
	       "\"range_pages\":%lu,\"ret\":%ld,\"errno\":%ld,"
	       "\"present_before\":%ld,\"pages_done\":%lu,"
	       "\"registrations\":%lu,\"verified\":%s}\n",
	       getpid(), o.work, o.pages, o.hole, o.pages + o.hole,
	       out.ret, out.ret < 0 ? -out.ret : 0L, present, out.pages_done,
	       out.registrations, out.verified ? "true" : "false");
	return out.verified ? 0 : 1;
}
