/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Writing a parsed policy into an interface's maps. The new policy goes to
 * the inactive slot (config, allowlist entries), then one write to the
 * "active" map switches every program to it: no packet sees a mix, and
 * there is no moment without a policy. Rule ids (and so counters) are kept
 * for rule names that stay; the flows of rules that go end with the switch.
 */
#ifndef PC_APPLY_H
#define PC_APPLY_H

#include "pins.h"
#include <stdbool.h>
#include "policy.h"

/*
 * Returns 0, or -1 with the running policy untouched. After the switch,
 * the flows of rules pol does not have (removed, renamed, turned off) are
 * ended: *ended (when not NULL) says how many.
 */
int pc_policy_apply(const struct pc_maps *m, const struct pc_policy *pol,
		    long *ended);
/*
 * The rules the applied pol changed (pc_rule.changed) as changed[id], for
 * pc_flows_rejudge. Returns how many.
 */
size_t pc_policy_changed(const struct pc_policy *pol,
			 bool changed[PC_MAX_RULES]);
/*
 * Record the policy now in force in the info map: the previous one moves to
 * prev_policy_*. path NULL means the built-in default.
 */
int pc_info_record_policy(const struct pc_maps *m, const char *path,
			  const char *digest, size_t n_rules);

#endif /* PC_APPLY_H */
