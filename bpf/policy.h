/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rule matching: which policy slot is in force, SSH ports, the egress
 * allowlist. A program reads the policy at most once per packet (a packet
 * of a live flow usually not at all: pc_policy_cfg fetches it on first use)
 * and passes the result on, so one packet is judged by one policy
 * generation only.
 */
#ifndef PC_POLICY_H
#define PC_POLICY_H

#include "maps.h"
#include "parse.h"

struct pc_policy {
	__u32 slot;
	struct pc_config *cfg;
};

/* Returns 0, or -1 (pol->cfg NULL) when no policy was ever written. */
static __always_inline int pc_policy_get(struct pc_policy *pol)
{
	__u32 zero = 0;
	struct pc_active *a = bpf_map_lookup_elem(&active, &zero);

	pol->cfg = NULL;
	if (!a || !a->generation)
		return -1;
	pol->slot = a->slot & 1;
	pol->cfg = bpf_map_lookup_elem(&policy_cfg, &pol->slot);
	return pol->cfg ? 0 : -1;
}

/*
 * The config in force, fetched on first use: a packet of a known flow is
 * judged without it. NULL when no policy was ever written.
 */
static __always_inline const struct pc_config *
pc_policy_cfg(struct pc_policy *pol)
{
	if (!pol->cfg)
		pc_policy_get(pol);
	return pol->cfg;
}

/* Is addr one of the interface's own addresses (local_addrs)? */
static __always_inline int pc_is_own_addr(__u32 family, const __be32 addr[4])
{
	struct pc_addr_key k = { .family = family };
	struct pc_addr_bloom *b;
	__u32 zero = 0, bit = pc_bloom_bit(addr);

	b = bpf_map_lookup_elem(&local_bloom, &zero);
	if (b &&
	    !((b->bits[(bit / 64) & (PC_BLOOM_BITS / 64 - 1)] >> (bit % 64)) &
	      1))
		return 0;
	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&local_addrs, &k) != NULL;
}

static __always_inline int pc_is_ssh_port(const struct pc_policy *pol,
					  __be16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < PC_MAX_SSH_PORTS; i++) {
		if (pol->cfg->ssh_ports[i] && pol->cfg->ssh_ports[i] == port)
			return 1;
	}
	return 0;
}

/*
 * The rule of the static allowlist entry for p's destination and port, or
 * 0: the host hash first, the trie only when the slot has wider prefixes.
 */
static __always_inline __u32 pc_allow_lookup4(const struct pc_policy *pol,
					      const struct pc_pkt *p,
					      __be16 port)
{
	struct pc_allow4_key k = {
		.prefixlen = PC_ALLOW_HDR_BITS + 32,
		.slot = pol->slot,
		.proto = p->l4proto,
		.port = port,
		.addr = p->daddr[0],
	};
	struct pc_allow_val *v = bpf_map_lookup_elem(&allow_hosts4, &k);

	if (!v && (pol->cfg->flags & PC_CFG_PREFIXES4))
		v = bpf_map_lookup_elem(&allow4, &k);
	return v ? v->rule_id : 0;
}

static __always_inline __u32 pc_allow_lookup6(const struct pc_policy *pol,
					      const struct pc_pkt *p,
					      __be16 port)
{
	struct pc_allow6_key k = {
		.prefixlen = PC_ALLOW_HDR_BITS + 128,
		.slot = pol->slot,
		.proto = p->l4proto,
		.port = port,
	};
	struct pc_allow_val *v;

	__builtin_memcpy(k.addr, p->daddr, 16);
	v = bpf_map_lookup_elem(&allow_hosts6, &k);
	if (!v && (pol->cfg->flags & PC_CFG_PREFIXES6))
		v = bpf_map_lookup_elem(&allow6, &k);
	return v ? v->rule_id : 0;
}

/*
 * The rule of a learned destination of a host name (dyn_allow) for p to
 * port (0: any port), or 0. dyn_allow has no slots: an entry counts only
 * when its rule belongs to the slot in force (rules[id].slots), so a rule
 * a reload took out allows nothing from the switch on, before user space
 * has removed its addresses.
 */
static __always_inline __u32 pc_dyn_lookup(const struct pc_policy *pol,
					   const struct pc_pkt *p, __be16 port,
					   __u64 now)
{
	struct pc_dyn_key k = {
		.family = p->family,
		.proto = p->l4proto,
		.port = port,
	};
	struct pc_rule_meta *r;
	struct pc_dyn_val *v;
	__u32 id;

	__builtin_memcpy(k.addr, p->daddr, 16);
	v = bpf_map_lookup_elem(&dyn_allow, &k);
	if (!v || now >= v->expires_ns)
		return 0;
	id = v->rule_id;
	r = bpf_map_lookup_elem(&rules, &id);
	return r && (r->slots >> pol->slot) & 1 ? id : 0;
}

/* Which kinds of rule of the slot may match p's destination port. */
#define PC_NAMED_LISTED 1 /* a rule with listed addresses names the port */
#define PC_NAMED_LEARNED 2 /* a host-name rule names it */
#define PC_NAMED_LISTED_ANY 4 /* a listed-address rule allows any port */
#define PC_NAMED_LEARNED_ANY 8 /* a host-name rule allows any port */

/*
 * PC_NAMED_* bits for p: the exact port from allow_ports, any port from
 * the slot's flags. ICMP rules carry no port: both kinds are looked up at
 * port 0.
 */
static __always_inline int pc_port_named(const struct pc_policy *pol,
					 const struct pc_pkt *p)
{
	__u32 port = bpf_ntohs(p->dport), f = pol->cfg->flags, word;
	int udp = p->l4proto == IPPROTO_UDP, named;
	struct pc_port_bits *b;

	if (!udp && p->l4proto != IPPROTO_TCP)
		return PC_NAMED_LISTED | PC_NAMED_LEARNED;
	named = (f & pc_anyport_flag(udp, 0) ? PC_NAMED_LISTED_ANY : 0) |
		(f & pc_anyport_flag(udp, 1) ? PC_NAMED_LEARNED_ANY : 0);
	word = pc_port_word(pol->slot, udp, port);
	b = bpf_map_lookup_elem(&allow_ports, &word);
	if (!b)
		return named;
	return named | ((b->listed >> (port % 64)) & 1 ? PC_NAMED_LISTED : 0) |
	       ((b->learned >> (port % 64)) & 1 ? PC_NAMED_LEARNED : 0);
}

/* The rule of the static allowlist for p to port (0: any port), or 0. */
static __always_inline __u32 pc_allow_listed(const struct pc_policy *pol,
					     const struct pc_pkt *p,
					     __be16 port)
{
	if (p->family == AF_INET)
		return pc_allow_lookup4(pol, p, port);
	return pc_allow_lookup6(pol, p, port);
}

/*
 * The rule that allows a new flow to p's destination, or 0: the static
 * allowlist first, then the addresses learned for host names, each only
 * when a rule of its kind names the port or allows any port (pc_port_named):
 * a port no rule names needs no lookup at all. A rule for the destination
 * port wins over an any-port rule of the same kind.
 */
static __always_inline __u32 pc_allow_match(const struct pc_policy *pol,
					    const struct pc_pkt *p, __u64 now)
{
	int named = pc_port_named(pol, p);
	__be16 port = p->dport;
	__u32 rule = 0;

	if (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6)
		port = 0;
	if (named & PC_NAMED_LISTED)
		rule = pc_allow_listed(pol, p, port);
	if (!rule && port && (named & PC_NAMED_LISTED_ANY))
		rule = pc_allow_listed(pol, p, 0);
	if (!rule && (named & PC_NAMED_LEARNED))
		rule = pc_dyn_lookup(pol, p, port, now);
	if (!rule && port && (named & PC_NAMED_LEARNED_ANY))
		rule = pc_dyn_lookup(pol, p, 0, now);
	return rule;
}

#endif /* PC_POLICY_H */
