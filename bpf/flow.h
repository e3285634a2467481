/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow tracking: the key of a packet from the server's side, timeouts,
 * creation by egress and lookup by both directions.
 */
#ifndef PC_FLOW_H
#define PC_FLOW_H

#include "maps.h"
#include "parse.h"
#include "policy.h"

/* Refresh seen_ns at most this often, to keep the entry's cache line calm. */
#define PC_FLOW_REFRESH_NS 100000000ULL

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* Is p an ICMP echo request (egress=1) or echo reply (egress=0)? */
static __always_inline int pc_is_echo(const struct pc_pkt *p, int egress)
{
	if (p->l4proto == IPPROTO_ICMP)
		return p->icmp_type ==
		       (egress ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY);
	if (p->l4proto == IPPROTO_ICMPV6)
		return p->icmp_type ==
		       (egress ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY);
	return 0;
}

/*
 * Build the flow key for p. Returns 0, or -1 when p cannot belong to a
 * flow (a protocol or ICMP type that is not tracked).
 */
static __always_inline int pc_flow_key(const struct pc_pkt *p, int egress,
				       struct pc_flow_key *k)
{
	k->family = p->family;
	k->proto = p->l4proto;
	k->pad = 0;
	if (egress) {
		__builtin_memcpy(k->laddr, p->saddr, 16);
		__builtin_memcpy(k->raddr, p->daddr, 16);
		k->lport = p->sport;
		k->rport = p->dport;
	} else {
		__builtin_memcpy(k->laddr, p->daddr, 16);
		__builtin_memcpy(k->raddr, p->saddr, 16);
		k->lport = p->dport;
		k->rport = p->sport;
	}
	switch (p->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!pc_is_echo(p, egress))
			return -1;
		k->lport = p->sport; /* echo identifier */
		k->rport = 0;
		return 0;
	}
	return -1;
}

static __always_inline __u64 pc_flow_timeout(const struct pc_config *cfg,
					     const struct pc_flow_val *v,
					     __u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return v->state == PC_FS_ESTABLISHED ? cfg->timeout_tcp_est_ns :
						       cfg->timeout_tcp_syn_ns;
	case IPPROTO_UDP:
		return cfg->timeout_udp_ns;
	}
	return cfg->timeout_icmp_ns;
}

/*
 * The live entry for k, or NULL. An expired entry counts as no entry; the
 * egress side overwrites it and the collector removes it.
 */
static __always_inline struct pc_flow_val *
pc_flow_lookup(const struct pc_policy *pol, const struct pc_flow_key *k,
	       __u64 now)
{
	struct pc_flow_val *v = bpf_map_lookup_elem(&flows, k);

	if (!v)
		return NULL;
	if (now - v->seen_ns > pc_flow_timeout(pol->cfg, v, k->proto))
		return NULL;
	return v;
}

static __always_inline void pc_flow_touch(struct pc_flow_val *v, __u64 now)
{
	if (now - v->seen_ns > PC_FLOW_REFRESH_NS)
		v->seen_ns = now;
}

/* Returns 0, or -1 when the table is full (the flow is refused). */
static __always_inline int pc_flow_create(const struct pc_flow_key *k,
					  __u32 rule_id, __u64 now)
{
	struct pc_flow_val v = {
		.created_ns = now,
		.seen_ns = now,
		.rule_id = rule_id,
		.state = PC_FS_NEW,
	};
	long err;

	/* BPF_ANY also replaces an expired entry for the same key. */
	err = bpf_map_update_elem(&flows, k, &v, BPF_ANY);
	return err ? -1 : 0;
}

#endif /* PC_FLOW_H */
