/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Confirm-or-rollback from user space (the kernel side: bpf/confirm.h):
 * `reload --confirm` and `up --confirm` arm the timer, `confirm` keeps the
 * policy, a later reload supersedes a pending rollback.
 */
#ifndef PC_CONFIRM_CMD_H
#define PC_CONFIRM_CMD_H

#include <stdbool.h>
#include "portcullis.h"

struct pc_maps;

/* The confirm map and the two programs that change it. */
struct pc_confirm_fds {
	int map; /* confirm */
	int arm; /* pc_confirm_arm: starts the timer */
	int keep; /* pc_confirm_keep: takes pending before the timer does */
};

/* Open the pinned ones of an interface's pin dir; -1 if one is missing. */
int pc_confirm_open(const char *dir, struct pc_confirm_fds *f);
void pc_confirm_close(struct pc_confirm_fds *f);

/*
 * Arm the rollback: unless kept within secs, the kernel switches the
 * active slot to rollback_slot. Returns 0, or -1 with errno.
 */
int pc_confirm_arm(const struct pc_confirm_fds *f, __u32 rollback_slot,
		   unsigned int secs);

/*
 * Arm the rollback of `up --confirm`: write the running slot's config with
 * every drop reason audited (counted, passed) into the slot not in force,
 * and switch to it unless kept within secs, so a lockdown nobody confirmed
 * stops dropping (status tells it: of_up). Returns 0, or -1 with errno.
 */
int pc_confirm_arm_audit(const struct pc_confirm_fds *f,
			 const struct pc_maps *m, unsigned int secs);

/*
 * Take a pending rollback (it will not happen): 1 taken, 0 nothing was
 * pending, -1 error. clear: also forget an earlier rollback (a reload
 * supersedes it).
 */
int pc_confirm_take(const struct pc_confirm_fds *f, bool clear);

/* Seconds (rounded up) left of a pending `up --confirm`; 0: none. */
unsigned int pc_confirm_up_left(const struct pc_confirm_fds *f);

/* `portcullis confirm`: PC_EXIT_* codes. */
int pc_confirm(const char *ifname, const char *netns);

#endif /* PC_CONFIRM_CMD_H */
