/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Re-judging flows at a reload. A flow's verdict is taken when it starts
 * and kept in its entry; a reload that changes a rule (its addresses,
 * protocols, ports or names) asks again for the flows that rule admitted,
 * with the matcher a new flow meets (pc_allow_match) and the policy in
 * force: a flow still allowed stays, counted from then on to the rule that
 * allows it now; a flow no rule allows any more ends, as it would if it
 * started now. Flows of rules the reload did not change are not looked at.
 * An address learned for a host name counts while it is in dyn_allow,
 * whatever its DNS lifetime: the lifetime stops new flows, not running
 * ones (see docs/policy.md).
 *
 * `reload` runs pc_rejudge once (BPF_PROG_TEST_RUN) after the switch and
 * the host names' update. It is a tc program so that the walk, which reads
 * every flow, runs preemptible (an XDP test run keeps preemption off).
 */
#ifndef PC_REJUDGE_H
#define PC_REJUDGE_H

#include "maps.h"
#include "flow.h"
#include "policy.h"

struct pc_rejudge_ctx {
	struct pc_policy pol;
	__u64 changed[PC_MAX_RULES / 64];
	__u64 now;
	__u32 ended;
	__u32 moved;
};

/* Is v a live flow of a rule the reload changed? */
static __always_inline int pc_rejudge_wanted(const struct pc_rejudge_ctx *c,
					     const struct pc_flow_val *v)
{
	__u32 id = v->rule_id;

	if (!id || id >= PC_MAX_RULES || pc_flow_expired(v, c->now))
		return 0;
	return (c->changed[id / 64] >> (id % 64)) & 1;
}

/* Judge the flow to p's destination again: keep, move or end it. */
static __always_inline void pc_rejudge_flow(struct pc_rejudge_ctx *c,
					    struct bpf_map *map, void *k,
					    struct pc_flow_val *v,
					    const struct pc_pkt *p)
{
	/* now 0: a learned address counts while it is there */
	__u32 rule = pc_allow_match(&c->pol, p, 0);

	if (!rule) {
		if (!bpf_map_delete_elem(map, k))
			c->ended++;
	} else if (rule != v->rule_id) {
		v->rule_id = rule;
		c->moved++;
	}
}

/* One callback per table: the verifier checks a callback's key against
 * its map's key size (16 bytes for flows4, 40 for flows6). */
static long pc_rejudge4(struct bpf_map *map, struct pc_flow4_key *k,
			struct pc_flow_val *v, struct pc_rejudge_ctx *c)
{
	struct pc_pkt p = {};

	if (!pc_rejudge_wanted(c, v))
		return 0;
	p.family = AF_INET;
	p.l4proto = k->proto;
	p.dport = k->rport;
	p.daddr[0] = k->raddr;
	pc_rejudge_flow(c, map, k, v, &p);
	return 0;
}

static long pc_rejudge6(struct bpf_map *map, struct pc_flow_key *k,
			struct pc_flow_val *v, struct pc_rejudge_ctx *c)
{
	struct pc_pkt p = {};

	if (!pc_rejudge_wanted(c, v))
		return 0;
	p.family = AF_INET6;
	p.l4proto = k->proto;
	p.dport = k->rport;
	__builtin_memcpy(p.daddr, k->raddr, sizeof(p.daddr));
	pc_rejudge_flow(c, map, k, v, &p);
	return 0;
}

/* In: struct pc_rejudge_msg with the changed rules; out: the same with
 * what was done. TC_ACT_SHOT: no policy, or a short frame. */
SEC("tc")
int pc_rejudge(struct __sk_buff *skb)
{
	struct pc_rejudge_ctx c = { .now = pc_now() };
	struct pc_rejudge_msg *msg;
	void *data_end;

	msg = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if ((void *)(msg + 1) > data_end || pc_policy_get(&c.pol))
		return TC_ACT_SHOT;
	__builtin_memcpy(c.changed, msg->changed, sizeof(c.changed));
	bpf_for_each_map_elem(&flows4, pc_rejudge4, &c, 0);
	bpf_for_each_map_elem(&flows6, pc_rejudge6, &c, 0);
	msg = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if ((void *)(msg + 1) > data_end)
		return TC_ACT_SHOT;
	msg->ended = c.ended;
	msg->moved = c.moved;
	return TC_ACT_OK;
}

#endif /* PC_REJUDGE_H */
