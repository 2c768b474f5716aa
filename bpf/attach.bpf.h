/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The thin programs a view attaches at a kernel function: one statement
 * and return 0, written once for each attach type of the tier ladder.
 * The names are fixed (<name>_fentry, <name>_kprobe, ...): the views'
 * plans name the programs, and test_views checks each is in the skeleton.
 * A stub whose attach types need different bodies (a kprobe reading
 * registers, an fexit of a clone) stays written out in its view.
 * Included by common.bpf.h.
 */
#ifndef MMTRACE_ATTACH_BPF_H
#define MMTRACE_ATTACH_BPF_H

/* One program whose body is @call: @wrap is BPF_PROG, BPF_KPROBE, ... */
#define THIN_PROG(sec, wrap, name, call, args...)                            \
	SEC(sec)                                                             \
	int wrap(name, ##args)                                               \
	{                                                                    \
		call;                                                        \
		return 0;                                                    \
	}

/* A function's entry, by fentry or by kprobe: the same arguments. */
#define ENTRY_PROGS(name, call, args...)                                     \
	THIN_PROG("fentry", BPF_PROG, name##_fentry, call, ##args)          \
	THIN_PROG("kprobe", BPF_KPROBE, name##_kprobe, call, ##args)

/* A function's return whose value is not read: no arguments at all. */
#define EXIT_PROGS(name, call)                                               \
	THIN_PROG("fexit", BPF_PROG, name##_fexit, call)                     \
	THIN_PROG("kretprobe", BPF_KRETPROBE, name##_kretprobe, call)

/*
 * A function's return value @ret (e.g. "long ret"): fexit finds it after
 * all the function's arguments @args, a kretprobe in the return register.
 */
#define RETURN_PROGS(name, call, ret, args...)                               \
	THIN_PROG("fexit", BPF_PROG, name##_fexit, call, ##args, ret)       \
	THIN_PROG("kretprobe", BPF_KRETPROBE, name##_kretprobe, call, ret)

#endif /* MMTRACE_ATTACH_BPF_H */
