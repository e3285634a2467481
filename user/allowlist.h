/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A policy's allowlist as map entries: each enabled rule's addresses
 * (and `to: resolvers`) times its protocols and ports, written into one
 * slot of the tries (allow4/6), the host hashes (allow_hosts4/6, entries
 * of one address) and the port bitmap (allow_ports), and ssh.from into
 * the slot's SSH-source half of the tries. Host-name rules' single
 * addresses are seeds (names.c), not entries.
 */
#ifndef PC_ALLOWLIST_H
#define PC_ALLOWLIST_H

#include <stdbool.h>
#include "pins.h"
#include "policy.h"

/*
 * Clear slot in every allowlist map, then write pol's entries into it.
 * *flags: the slot's PC_CFG_ANYPORT_*, PC_CFG_NAMES_ANYPORT_* and
 * PC_CFG_PREFIXES4/6 bits. Returns 0, or -1 (the slot is half written; it
 * is not the one in force).
 */
int pc_allow_write(const struct pc_maps *m, const struct pc_policy *pol,
		   __u8 slot, __u32 *flags);
/* Is p one of rule r's seed addresses (see allowlist.c)? */
bool pc_rule_seed(const struct pc_rule *r, const struct pc_prefix *p);
/* Number of allowlist entries the policy expands to (per family). */
int pc_policy_count_entries(const struct pc_policy *pol, size_t *n4,
			    size_t *n6);

#endif /* PC_ALLOWLIST_H */
