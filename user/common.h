/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Exit codes, messages and small helpers shared by the CLI's files. */
#ifndef PC_COMMON_H
#define PC_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* Exit codes: documented in `portcullis --help` and README.md. */
enum pc_exit {
	PC_EXIT_OK = 0,
	PC_EXIT_ERROR = 1, /* environment: not root, no such netns/interface */
	PC_EXIT_USAGE = 2, /* bad command line */
	PC_EXIT_POLICY = 3, /* policy file invalid */
	PC_EXIT_KERNEL = 4, /* BPF load, attach or pin failed */
	PC_EXIT_STATE = 5, /* already up / not up */
	PC_EXIT_LOCKOUT = 6, /* refused: would cut the caller's SSH session */
};

extern bool pc_verbose;

/* "portcullis: <what failed>: <why>\n  hint: <what to do>" on stderr. */
void pc_err(const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Now on the programs' packet clock as user space reads it:
 * CLOCK_MONOTONIC_COARSE, in ns (bpf/clock.h). Flow stamps and deadlines,
 * learned-address expiry.
 */
__u64 pc_clock_now_ns(void);

#define PC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* PC_COMMON_H */
