/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One command at a time changes an interface's maps: up, reload and down
 * hold an exclusive lock on the interface for their whole run, the
 * resolver (refresh, run) while it writes an answer. Two reloads at once
 * would otherwise both build the same inactive slot, and switch to a mix
 * of the two policies.
 */
#ifndef PC_LOCK_H
#define PC_LOCK_H

#define PC_LOCK_DIR "/run/portcullis"
#define PC_LOCK_WAIT_MS 10000 /* then give up: another command is stuck */

/*
 * Lock the interface (netns NULL: the host's), waiting up to
 * PC_LOCK_WAIT_MS. Returns a descriptor for pc_iface_unlock (-1 when no
 * lock file can be made: warned, and the command goes on unlocked), or
 * -2 when another command held the lock all that time (reported).
 */
int pc_iface_lock(const char *netns, const char *ifname);
/* The same for an interface that is up (pinned); -1 when it is not (the
 * command then says so itself, and no lock file is made for a typo). */
int pc_iface_lock_pinned(const char *netns, const char *ifname);
void pc_iface_unlock(int fd);

#endif /* PC_LOCK_H */
