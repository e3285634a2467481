/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Entering a named network namespace (the network namespace only, with
 * setns(): the mount namespace and so bpffs stay the host's).
 */
#ifndef PC_NETNS_H
#define PC_NETNS_H

#include <stddef.h>

/* NULL name: stay. Returns 0, or -1 after printing what to do. */
int pc_netns_enter(const char *name);
/* The resolv.conf that applies inside the namespace (ip-netns convention). */
void pc_netns_resolv_conf(const char *name, char *buf, size_t len);

#endif /* PC_NETNS_H */
