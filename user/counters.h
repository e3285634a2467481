/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the per-CPU counters and rule names back into one table. */
#ifndef PC_USER_COUNTERS_H
#define PC_USER_COUNTERS_H

#include <stdbool.h>
#include "pins.h"
#include "portcullis.h"

struct pc_stat_row {
	const char *name;
	const char *description; /* NULL for policy rules */
	bool builtin;
	__u8 direction; /* PC_DIR_* */
	__u8 action; /* PC_ACT_* */
	bool audit; /* a drop rule in audit mode: counts, lets pass */
	__u32 row; /* index in the counters map */
	__u64 packets;
	__u64 bytes;
};

struct pc_stats {
	struct pc_stat_row rows[PC_R_MAX + PC_MAX_RULES];
	struct pc_rule_meta meta[PC_MAX_RULES];
	int n;
};

extern const char *const pc_reason_names[PC_R_MAX];
extern const char *const pc_reason_descs[PC_R_MAX];
/* A reason's direction (PC_DIR_*) and action (PC_ACT_*), from PC_REASONS. */
__u8 pc_reason_dir(__u32 reason);
__u8 pc_reason_act(__u32 reason);

/* The id of the rule named name in a slot (rules[id].slots), or 0. */
__u32 pc_rule_id_by_name(const struct pc_maps *m, const char *name);
/* Every built-in reason, then every policy rule in use. */
int pc_stats_read(const struct pc_maps *m, struct pc_stats *st);
const char *pc_dir_str(int dir);
/* The drop log's accounting, summed over CPUs. */
int pc_log_stats_read(int fd, struct pc_log_stats *sum);
const char *pc_act_str(int act);

#endif /* PC_USER_COUNTERS_H */
