/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading and attaching: one skeleton per interface, inbound judged by XDP
 * (native when the driver has it, generic otherwise) or at tc clsact
 * ingress (a veth's default, or --tc), tc clsact on egress, all of it
 * pinned so enforcement outlives the process.
 */
#ifndef PC_LOADER_H
#define PC_LOADER_H

#include <stdbool.h>
#include "pins.h"
#include "portcullis.h"

/* Where up judges inbound packets. */
enum pc_inbound {
	PC_INBOUND_AUTO, /* tc ingress on a veth, XDP elsewhere */
	PC_INBOUND_XDP, /* XDP: native, generic when the driver has none */
	PC_INBOUND_GENERIC, /* generic XDP only */
	PC_INBOUND_TC, /* tc ingress */
};

struct pc_up_opts {
	const char *ifname;
	const char *netns; /* NULL: the current (host) namespace */
	const char *policy; /* NULL: the built-in default */
	enum pc_inbound inbound;
	bool force; /* skip the anti-lockout check */
	unsigned int confirm_secs; /* 0: no rollback (confirm.h) */
};

struct portcullis;
/* Arm the in-kernel flow collector of a loaded skeleton. */
int pc_gc_arm(struct portcullis *skel);
/* Fill the program arrays the verdict programs tail-call. */
int pc_tail_install(struct portcullis *skel);

/* Add an own address (martian source): its local_bloom bit, then the
 * local_addrs entry. 0 or -1 (errno). */
int pc_local_addr_add(const struct pc_maps *m, const struct pc_addr_key *k);

/* Return PC_EXIT_* codes. */
int pc_up(const struct pc_up_opts *o);
int pc_down(const char *ifname, const char *netns);

#endif /* PC_LOADER_H */
