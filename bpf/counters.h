/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Counting: the one place a verdict is recorded. Each program ends in
 * pc_finish(), which adds the packet to its reason row and, when a policy
 * rule decided, to that rule's row, and returns the action the reason
 * table (PC_REASONS in portcullis.h) gives, or pass for audited drops.
 */
#ifndef PC_COUNTERS_H
#define PC_COUNTERS_H

#include "config.h"
#include "maps.h"

static __always_inline void pc_count_row(__u32 row, __u64 bytes)
{
	struct pc_counter *c;

	if (dry_run)
		return;
	c = bpf_map_lookup_elem(&counters, &row);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/*
 * Count the verdict and return PC_ACT_PASS or PC_ACT_DROP. A drop whose
 * reason is in audit_mask (policy audit mode) is counted as what it is and
 * let pass.
 */
static __always_inline int pc_finish(__u32 reason, __u32 rule_id, __u64 bytes,
				     __u64 audit_mask)
{
	int act;

	if (reason >= PC_R_MAX)
		reason = PC_R_NONE;
	pc_count_row(reason, bytes);
	if (rule_id && rule_id < PC_MAX_RULES)
		pc_count_row(PC_RULE_BASE + rule_id, bytes);
	/* drop when the reason drops and audit mode does not let it pass */
	act = (PC_DROP_MASK & ~audit_mask) >> reason & 1 ? PC_ACT_DROP :
							   PC_ACT_PASS;
	if (dry_run) {
		__u32 zero = 0;
		struct pc_trace *t = bpf_map_lookup_elem(&trace, &zero);

		if (t) {
			t->reason = reason;
			t->rule_id = rule_id;
			t->action = act;
		}
	}
	return act;
}

#endif /* PC_COUNTERS_H */
