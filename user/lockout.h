/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Anti-lockout: would this policy cut the SSH session the command runs in?
 * The session is read from SSH_CONNECTION; it matters only when its server
 * address belongs to the interface being locked (in the current netns).
 */
#ifndef PC_LOCKOUT_H
#define PC_LOCKOUT_H

#include "policy.h"

/* 0: safe (or no SSH session here); -1: it would cut it (printed). */
int pc_lockout_check(const char *ifname, const struct pc_policy *pol);

#endif /* PC_LOCKOUT_H */
