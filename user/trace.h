/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `portcullis trace`: why is this packet dropped? A second instance of the
 * programs, loaded with dry_run set and sharing the live maps, judges a
 * packet built from the command line with BPF_PROG_TEST_RUN and reports
 * the verdict, the reason and the rule, changing no counter or flow.
 */
#ifndef PC_TRACE_H
#define PC_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include "portcullis.h"

struct portcullis;

/* The fd of the live map called name, or -1. */
typedef int (*pc_map_fd_fn)(const char *name, void *arg);

struct portcullis *pc_trace_load(pc_map_fd_fn fd_of, void *arg);
/* Returns 0 and fills out and *retval, or -1. */
int pc_trace_run(struct portcullis *t, bool egress, const void *frame,
		 size_t len, struct pc_trace *out, int *retval);
void pc_trace_close(struct portcullis *t);

/* The CLI command: argc/argv are the packet's description. */
struct pc_trace_opts {
	const char *ifname, *netns;
	bool json;
	int argc;
	char **argv;
};
int pc_cmd_trace(const struct pc_trace_opts *o);

#endif /* PC_TRACE_H */
