/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Adopting connections that are open when `up` runs: the kernel's socket
 * table (sock_diag) lists established TCP and connected UDP sockets; those
 * whose remote end the policy allows get a flow entry, so replies keep
 * arriving even before the server sends again. Inbound SSH needs none.
 */
#ifndef PC_ADOPT_H
#define PC_ADOPT_H

#include "pins.h"

/* Returns the number of flows adopted, or -1. Runs in the current netns. */
int pc_adopt_connections(const struct pc_maps *m);

#endif /* PC_ADOPT_H */
