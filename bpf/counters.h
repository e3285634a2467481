/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Counting: the one place a verdict is recorded. Each program ends in
 * pc_finish(), which adds the packet to its reason row and, when a policy
 * rule decided, to that rule's row, and returns the action the reason
 * table (PC_REASONS in portcullis.h) gives.
 */
#ifndef PC_COUNTERS_H
#define PC_COUNTERS_H

#include "maps.h"

#define PC_REASON_ACTION(e, name, dir, act, desc) [e] = act,
static const __u8 pc_reason_action[PC_R_MAX] = { PC_REASONS(PC_REASON_ACTION) };
#undef PC_REASON_ACTION

static __always_inline void pc_count_row(__u32 row, __u64 bytes)
{
	struct pc_counter *c = bpf_map_lookup_elem(&counters, &row);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Returns PC_ACT_PASS or PC_ACT_DROP. */
static __always_inline int pc_finish(__u32 reason, __u32 rule_id, __u64 bytes)
{
	if (reason >= PC_R_MAX)
		reason = PC_R_NONE;
	pc_count_row(reason, bytes);
	if (rule_id && rule_id < PC_MAX_RULES)
		pc_count_row(PC_RULE_BASE + rule_id, bytes);
	return pc_reason_action[reason];
}

#endif /* PC_COUNTERS_H */
