// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counters.h"

#define PC_REASON_NAME(e, name, dir, act, desc) [e] = name,
const char *const pc_reason_names[PC_R_MAX] = { PC_REASONS(PC_REASON_NAME) };
#undef PC_REASON_NAME
#define PC_REASON_DESC(e, name, dir, act, desc) [e] = desc,
const char *const pc_reason_descs[PC_R_MAX] = { PC_REASONS(PC_REASON_DESC) };
#undef PC_REASON_DESC
#define PC_REASON_DIR(e, name, dir, act, desc) [e] = dir,
static const __u8 reason_dir[PC_R_MAX] = { PC_REASONS(PC_REASON_DIR) };
#undef PC_REASON_DIR
#define PC_REASON_ACT(e, name, dir, act, desc) [e] = act,
static const __u8 reason_act[PC_R_MAX] = { PC_REASONS(PC_REASON_ACT) };
#undef PC_REASON_ACT

__u8 pc_reason_dir(__u32 reason)
{
	return reason < PC_R_MAX ? reason_dir[reason] : PC_DIR_INGRESS;
}

__u8 pc_reason_act(__u32 reason)
{
	return reason < PC_R_MAX ? reason_act[reason] : PC_ACT_DROP;
}

const char *pc_dir_str(int dir)
{
	return dir == PC_DIR_EGRESS ? "egress" : "ingress";
}

int pc_log_stats_read(int fd, struct pc_log_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pc_log_stats *v;
	__u32 zero = 0;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (ncpu < 1)
		return -1;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, v);
	for (int c = 0; !err && c < ncpu; c++) {
		sum->logged += v[c].logged;
		sum->suppressed += v[c].suppressed;
		sum->lost += v[c].lost;
	}
	free(v);
	return err;
}

const char *pc_act_str(int act)
{
	return act == PC_ACT_DROP ? "drop" : "pass";
}

static int read_row(int fd, __u32 row, struct pc_counter *percpu, int ncpu,
		    __u64 *packets, __u64 *bytes)
{
	if (bpf_map_lookup_elem(fd, &row, percpu))
		return -1;
	*packets = *bytes = 0;
	for (int c = 0; c < ncpu; c++) {
		*packets += percpu[c].packets;
		*bytes += percpu[c].bytes;
	}
	return 0;
}

__u32 pc_rule_id_by_name(const struct pc_maps *m, const char *name)
{
	struct pc_rule_meta meta;

	for (__u32 id = 1; id < PC_MAX_RULES; id++)
		if (!bpf_map_lookup_elem(m->rules, &id, &meta) && meta.slots &&
		    !strncmp(meta.name, name, PC_NAME_LEN))
			return id;
	return 0;
}

int pc_stats_read(const struct pc_maps *m, struct pc_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pc_counter *percpu;
	struct pc_active act;
	struct pc_config cfg;
	__u32 zero = 0;
	int err = -1;

	if (ncpu < 1 || bpf_map_lookup_elem(m->active, &zero, &act) ||
	    bpf_map_lookup_elem(m->policy_cfg, &act.slot, &cfg))
		return -1;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -1;
	st->n = 0;
	for (__u32 r = 1; r < PC_R_MAX; r++) {
		struct pc_stat_row *row = &st->rows[st->n++];

		row->name = pc_reason_names[r];
		row->description = pc_reason_descs[r];
		row->builtin = true;
		row->direction = reason_dir[r];
		row->action = reason_act[r];
		row->audit = (cfg.audit_mask >> r) & 1;
		row->row = r;
		if (read_row(m->counters, r, percpu, ncpu, &row->packets,
			     &row->bytes))
			goto out;
	}
	for (__u32 id = 1; id < PC_MAX_RULES; id++) {
		struct pc_rule_meta *meta = &st->meta[id];
		struct pc_stat_row *row;

		if (bpf_map_lookup_elem(m->rules, &id, meta))
			goto out;
		/* the rules of the policy in force */
		if (!((meta->slots >> act.slot) & 1))
			continue;
		meta->name[PC_NAME_LEN - 1] = '\0';
		row = &st->rows[st->n++];
		row->name = meta->name;
		row->description = NULL;
		row->builtin = false;
		row->direction = meta->direction;
		row->action = meta->action;
		row->audit = false;
		row->row = PC_RULE_BASE + id;
		if (read_row(m->counters, row->row, percpu, ncpu, &row->packets,
			     &row->bytes))
			goto out;
	}
	err = 0;
out:
	free(percpu);
	return err;
}
