/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The resolver loop: resolves the policy's host names (A, AAAA, following
 * CNAMEs) and SRV names (their targets) with c-ares through the resolvers
 * the namespace uses, and keeps dyn_allow current with the answers' TTLs
 * (clamped to the policy's floor and ceiling). A failure keeps the last
 * good addresses. `refresh` is one round, `run` loops until stopped.
 */
#ifndef PC_RESOLVE_H
#define PC_RESOLVE_H

#include <stdbool.h>

struct pc_resolve_opts {
	const char *ifname, *netns;
	bool loop; /* run: until SIGTERM/SIGINT */
};

int pc_cmd_resolve(const struct pc_resolve_opts *o);

#endif /* PC_RESOLVE_H */
