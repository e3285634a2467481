/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow table from user space: one map per address family (flows4 with
 * 16-byte keys, flows6), handled here as struct pc_flow_key, the form the
 * rest of the CLI uses.
 */
#ifndef PC_FLOWTAB_H
#define PC_FLOWTAB_H

#include <stdbool.h>
#include "portcullis.h"
#include "pins.h"

/*
 * Entries in both tables, or in one family's (AF_INET, AF_INET6): expired
 * ones included until collected. Each table holds up to the policy's
 * flow_table.max_entries.
 */
__u64 pc_flows_count(const struct pc_maps *m);
__u64 pc_flows_count_family(const struct pc_maps *m, int family);
/* bpf_map_update_elem on k's table (flags: BPF_ANY, BPF_NOEXIST). */
int pc_flows_put(const struct pc_maps *m, const struct pc_flow_key *k,
		 const struct pc_flow_val *v, __u64 flags);
/* bpf_map_lookup_elem on k's table: 0, or -1 with errno. */
int pc_flows_get(const struct pc_maps *m, const struct pc_flow_key *k,
		 struct pc_flow_val *v);
int pc_flows_delete(const struct pc_maps *m, const struct pc_flow_key *k);

/* Calls fn for every entry of both tables; stops on a non-zero return. */
typedef int (*pc_flow_fn)(const struct pc_flow_key *k,
			  const struct pc_flow_val *v, void *arg);
int pc_flows_each(const struct pc_maps *m, pc_flow_fn fn, void *arg);

/*
 * Which rule ids the flows carry (used[id] true), expired entries
 * included: a rule id a flow carries is not given to another rule name.
 * Returns 0, or -1 with errno.
 */
int pc_flows_rule_ids(const struct pc_maps *m, bool used[PC_MAX_RULES]);
/*
 * End (delete) every flow for which match returns non-zero. Returns how
 * many were ended, or -1 with errno (some may have been).
 */
long pc_flows_end(const struct pc_maps *m, pc_flow_fn match, void *arg);
/*
 * End (delete) every live flow admitted by a rule not in keep[]. Flows no
 * rule admitted (rule 0: audit mode's) are the kernel's to judge, expired
 * ones the collector's. Returns how many were ended, or -1 with errno
 * (some may have been).
 */
long pc_flows_end_rules(const struct pc_maps *m, const bool keep[PC_MAX_RULES]);
/*
 * Judge the flows of the rules in changed[] again against the policy in
 * force, in the kernel (prog_fd: pc_rejudge, bpf/rejudge.h): a flow no
 * rule allows any more ends (*ended), one another rule allows is counted
 * to it from now on (*moved). Returns 0, or -1 with errno.
 */
int pc_flows_rejudge(int prog_fd, const bool changed[PC_MAX_RULES], long *ended,
		     long *moved);

#endif /* PC_FLOWTAB_H */
