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

/*
 * Write addr into dyn_allow for each (protocol, port) pair of name v
 * (ICMP becomes ICMPv6 for IPv6). flags: BPF_ANY, or BPF_NOEXIST to keep
 * what is there. 0, or -1 (errno).
 */
int pc_dyn_put(int fd, const struct pc_dns_name *v, __u8 family,
	       const void *addr, const struct pc_dyn_val *val, __u64 flags);
/* The (protocol, port) pairs a learned address of rule r opens. */
void pc_rule_pairs(const struct pc_rule *r, struct pc_dns_name *v);
/* FNV-1a of the lower-case DNS wire form of name (as bpf/dns.h hashes). */
uint32_t pc_dns_name_hash(const char *name);
/*
 * Write the policy's names (after pc_policy_apply gave rules their ids):
 * names that stay keep their id and learned addresses; names and rules
 * that went away lose theirs.
 */
int pc_names_apply(const struct pc_maps *m, const struct pc_policy *pol);
int pc_cmd_names(const struct pc_show_opts *o);
/* The DNS snooping counters of dns_stats, summed over the CPUs. */
void pc_dns_stats_sum(int fd, struct pc_dns_stats *sum);

/*
 * Visit every dyn_allow entry; fn returns what to do with it: keep, write
 * back its (changed) value, or delete it (after the walk).
 */
#define PC_DYN_KEEP 0
#define PC_DYN_UPDATE 1
#define PC_DYN_DELETE 2
typedef int (*pc_dyn_fn)(const struct pc_dyn_key *k, struct pc_dyn_val *v,
			 void *arg);
int pc_dyn_walk(int fd, pc_dyn_fn fn, void *arg);

/* One learned address of one name (its ports folded together). */
struct learned {
	__u32 name_id;
	__u8 family, source;
	__be32 addr[4];
	__u64 expires_ns;
};
/* Every learned address once per (name, address); the caller frees. */
size_t pc_read_learned(int fd, struct learned **out);

#endif /* PC_NAMES_H */
