/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Hostnames in egress rules: which names the kernel may learn addresses
 * for (dns_names, names), and `portcullis names`, which shows each name,
 * its addresses, where they came from and when they expire.
 */
#ifndef PC_NAMES_H
#define PC_NAMES_H

#include <stdint.h>
#include "pins.h"
#include "policy.h"
#include "show.h"

/* FNV-1a of the lower-case DNS wire form of name (as bpf/dns.h hashes). */
uint32_t pc_dns_name_hash(const char *name);
/*
 * Write the policy's names (after pc_policy_apply gave rules their ids):
 * names that stay keep their id and learned addresses; names and rules
 * that went away lose theirs.
 */
int pc_names_apply(const struct pc_maps *m, const struct pc_policy *pol);
int pc_cmd_names(const struct pc_show_opts *o);

#endif /* PC_NAMES_H */
