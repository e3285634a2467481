/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow tracking: the key of a packet from the server's side, timeouts,
 * creation by egress and lookup by both directions.
 */
#ifndef PC_FLOW_H
#define PC_FLOW_H

#include "clock.h"
#include "compiler.h"
#include "config.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"

_Static_assert(PC_IPPROTO_TCP == IPPROTO_TCP && PC_IPPROTO_UDP == IPPROTO_UDP,
	       "the ABI's protocol numbers");

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

/* The remote port of p's flow key: TCP/UDP's port, 0 for ICMP echo. */
static __always_inline __be16 pc_flow_rport(const struct pc_pkt *p, int egress)
{
	if (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6)
		return 0;
	return egress ? p->dport : p->sport;
}

/*
 * A flow key in the form of its family's table: k4 (flows4) for IPv4, k6
 * (flows6) for IPv6, so an IPv4 packet writes and hashes 16 bytes only.
 * Both start with family, proto, lport and rport (asserted in the ABI
 * header): those read the same through k4 whatever the family.
 */
union pc_fkey {
	struct pc_flow4_key k4;
	struct pc_flow_key k6;
};

/* Fill k for one flow, from the server's side (local, remote). */
static __always_inline void pc_fkey_set(union pc_fkey *k, __u8 family,
					__u8 proto, __be16 lport, __be16 rport,
					const __be32 *laddr,
					const __be32 *raddr)
{
	k->k4.family = family; /* the shared head, for both forms */
	k->k4.proto = proto;
	k->k4.pad = 0;
	k->k4.lport = lport;
	k->k4.rport = rport;
	if (family == AF_INET6) {
		__builtin_memcpy(k->k6.laddr, laddr, 16);
		__builtin_memcpy(k->k6.raddr, raddr, 16);
		return;
	}
	k->k4.laddr = laddr[0];
	k->k4.raddr = raddr[0];
}

/*
 * Build the flow key for p. Returns 0, or -1 when p cannot belong to a
 * flow (a protocol or ICMP type that is not tracked). For ICMP echo the
 * local port is the echo identifier, the remote port 0.
 */
static __always_inline int pc_flow_key(const struct pc_pkt *p, int egress,
				       union pc_fkey *k)
{
	__be16 lport = egress ? p->sport : p->dport;

	switch (p->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!pc_is_echo(p, egress))
			return -1;
		lport = p->sport; /* echo identifier */
		break;
	default:
		return -1;
	}
	pc_fkey_set(k, p->family, p->l4proto, lport, pc_flow_rport(p, egress),
		    egress ? p->saddr : p->daddr, egress ? p->daddr : p->saddr);
	return 0;
}

/* The entry of k in its family's table (flows4 or flows6), or NULL. */
static __always_inline struct pc_flow_val *pc_flow_find(const union pc_fkey *k)
{
	struct pc_flow_val *v;

	if (k->k4.family == AF_INET6) {
		v = bpf_map_lookup_elem(&flows6, &k->k6);
		pc_keep(v);
		return v;
	}
	return bpf_map_lookup_elem(&flows4, &k->k4);
}

/* Write v as k's entry (BPF_ANY). Returns 0, or non-zero when full. */
static __always_inline long pc_flow_put(const union pc_fkey *k,
					const struct pc_flow_val *v)
{
	long err;

	if (k->k4.family == AF_INET6) {
		err = bpf_map_update_elem(&flows6, &k->k6, v, BPF_ANY);
		pc_keep(err);
		return err;
	}
	return bpf_map_update_elem(&flows4, &k->k4, v, BPF_ANY);
}

/*
 * Is v dead at now? One compare with its deadline: no policy is read. An
 * entry another CPU stamped after now was read is not.
 */
static __always_inline int pc_flow_expired(const struct pc_flow_val *v,
					   __u64 now)
{
	return now >= v->expires_ns;
}

/* The dry run (trace) notes the entry it found: its state, its deadline
 * against the packet's clock, whether that had passed. */
static __always_inline void pc_trace_flow(const struct pc_flow_val *v,
					  __u64 now)
{
	__u32 zero = 0;
	struct pc_trace *t = bpf_map_lookup_elem(&trace, &zero);

	if (!t)
		return;
	t->flow_state = v->state;
	t->flow_expired = pc_flow_expired(v, now);
	t->flow_left_ns = (__s64)(v->expires_ns - now);
}

/*
 * The live entry for k, or NULL. An expired entry counts as no entry; the
 * egress side overwrites it and the collector removes it. In a dry run the
 * caller gets a copy in scratch, so state changes go nowhere, and the
 * trace map learns of the entry, live or not.
 */
static __always_inline struct pc_flow_val *
pc_flow_lookup(const union pc_fkey *k, __u64 now, struct pc_flow_val *scratch)
{
	struct pc_flow_val *v = pc_flow_find(k);

	if (v && pc_flow_expired(v, now)) {
		if (dry_run)
			pc_trace_flow(v, now);
		v = NULL;
	}
	if (!dry_run || !v)
		return v;
	pc_trace_flow(v, now);
	*scratch = *v;
	return scratch;
}

/*
 * Does the policy in force enforce egress default drops (audit mode does
 * not let them pass)? A global function: the verifier checks it once, on
 * its own, and its callers' states do not fork on what it reads.
 */
__noinline int pc_audit_enforced(void)
{
	struct pc_policy pol = {};

	if (pc_policy_get(&pol))
		return 1;
	return !((pol.cfg->audit_mask >> PC_R_OUT_DEFAULT_DROP) & 1);
}

/*
 * Has flow v outlived the audit mode that let it out? A flow made while
 * audit mode passed what egress would drop (PC_FF_AUDIT: no rule allowed
 * it) lives only while the policy in force still audits out_default_drop;
 * once a reload or a confirm enforces it, the flow's packets are judged as
 * if it had none. Other flows pay one test of a byte they already read.
 */
static __always_inline int pc_flow_audit_ended(const struct pc_flow_val *v)
{
	return (v->flags & PC_FF_AUDIT) && pc_audit_enforced();
}

/*
 * Stamp v as seen at now, with the deadline of its protocol and state under
 * the policy in force (fetched here when the packet had not needed it yet).
 * Without a policy the deadline stays and the flow runs out.
 */
static __always_inline void pc_flow_stamp(struct pc_flow_val *v,
					  struct pc_policy *pol, __u8 proto,
					  __u64 now)
{
	const struct pc_config *cfg = pc_policy_cfg(pol);

	if (!cfg)
		return;
	v->seen_ns = now;
	v->expires_ns = now + pc_flow_timeout_ns(cfg, proto, v->state);
}

/*
 * A packet of flow v passed: stamp it when the packet changed its state
 * (changed; its timeout with it) or v was last stamped over
 * PC_FLOW_REFRESH_NS ago (a stamp by another CPU may be later than now:
 * then it is not). Otherwise the packet reads no policy and writes nothing.
 */
static __always_inline void pc_flow_touch(struct pc_flow_val *v,
					  struct pc_policy *pol, __u8 proto,
					  int changed, __u64 now)
{
	if (dry_run)
		return;
	if (changed || now > v->seen_ns + PC_FLOW_REFRESH_NS)
		pc_flow_stamp(v, pol, proto, now);
}

static __always_inline void pc_rport_mark(__be16 port)
{
	__u32 word = bpf_ntohs(port) / 64;
	__u64 bit = 1ULL << (bpf_ntohs(port) % 64);
	__u64 *bits = bpf_map_lookup_elem(&flow_rports, &word);

	if (bits && !(*bits & bit))
		__sync_fetch_and_or(bits, bit);
}

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;

/*
 * The dry run (trace) inserts nothing, so it asks what the insert would
 * do: refused when k has no entry and the table holds max_entries (an
 * existing entry, even an expired one, is replaced in place). Dry run
 * only (dry_run is read-only data: the verdict programs lose this code),
 * so looking k up again here costs no packet anything.
 */
static __always_inline int pc_flow_would_refuse(const union pc_fkey *k)
{
	struct bpf_map *m = (struct bpf_map *)&flows4;

	if (k->k4.family == AF_INET6)
		m = (struct bpf_map *)&flows6;
	if (pc_flow_find(k))
		return 0;
	return bpf_map_sum_elem_count(m) >= m->max_entries;
}

/*
 * Create (or, over an expired or closed entry, recreate) the flow for k.
 * Returns 0, or -1 when the table is full: the flow is refused, no live
 * entry is ever evicted.
 */
static __always_inline int pc_flow_create(const union pc_fkey *k,
					  const struct pc_pkt *p,
					  const struct pc_config *cfg,
					  __u32 rule_id, __u8 state, __u8 flags,
					  __u64 now)
{
	struct pc_flow_val v = {
		.created_ns = now,
		.seen_ns = now,
		.expires_ns = now + pc_flow_timeout_ns(cfg, k->k4.proto, state),
		.rule_id = rule_id,
		.state = state,
		.flags = flags,
	};

	if (dry_run)
		return pc_flow_would_refuse(k) ? -1 : 0;
	pc_rport_mark(k->k4.rport);
	if (p->l4proto == IPPROTO_TCP) {
		v.local_next = bpf_ntohl(p->tcp_seq) + 1;
		if (p->tcp_flags & TCP_FLAG_ACK)
			v.peer_next = bpf_ntohl(p->tcp_ack);
	}
	return pc_flow_put(k, &v) ? -1 : 0;
}

/* Could a flow have this remote port? (see flow_rports) */
static __always_inline int pc_rport_maybe(__be16 port)
{
	__u32 word = bpf_ntohs(port) / 64;
	__u64 *bits = bpf_map_lookup_elem(&flow_rports, &word);

	return bits && (*bits >> (bpf_ntohs(port) % 64)) & 1;
}

/* Is seq within PC_TCP_SEQ_WINDOW of what the server expects next (its
 * ACK as recorded, up to PC_TCP_ACK_SLACK behind the last one)? */
static __always_inline int pc_tcp_in_window(const struct pc_flow_val *v,
					    __be32 seq)
{
	__s32 d = (__s32)(bpf_ntohl(seq) - v->peer_next);

	if (!v->peer_next)
		return 1; /* adopted before the server sent an ACK */
	return d >= -(__s32)PC_TCP_SEQ_WINDOW && d <= (__s32)PC_TCP_SEQ_WINDOW;
}

/*
 * An inbound TCP packet on flow v. Returns 0 when it fits the flow (and
 * updates the state), -1 when it does not: then the flow is unchanged.
 *   SYN-SENT: only a SYN-ACK or RST that acknowledges the server's SYN.
 *   Later: no new SYN (an inbound pure SYN never gets here: the program
 *   skips the table for it); RST and FIN only within the sequence window.
 */
static __always_inline int pc_tcp_ingress(struct pc_flow_val *v,
					  const struct pc_pkt *p)
{
	__u8 f = p->tcp_flags;
	int acks_syn = (f & TCP_FLAG_ACK) &&
		       bpf_ntohl(p->tcp_ack) == v->local_next;

	if (v->state == PC_FS_NEW) {
		if ((f & (TCP_FLAG_SYN | TCP_FLAG_RST)) == TCP_FLAG_SYN &&
		    acks_syn) {
			v->state = PC_FS_ESTABLISHED;
			v->peer_next = bpf_ntohl(p->tcp_seq) + 1;
			return 0;
		}
		if ((f & TCP_FLAG_RST) && acks_syn) {
			v->state = PC_FS_CLOSED;
			return 0;
		}
		return -1;
	}
	if ((f & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return -1;
	if (f & (TCP_FLAG_RST | TCP_FLAG_FIN)) {
		if (!pc_tcp_in_window(v, p->tcp_seq))
			return -1;
		if (f & TCP_FLAG_RST) {
			v->state = PC_FS_CLOSED;
		} else if (v->state == PC_FS_ESTABLISHED ||
			   v->state == PC_FS_FIN_WAIT) {
			v->flags |= PC_FF_FIN_REMOTE;
			v->state = PC_FS_FIN_WAIT;
		}
	}
	return 0;
}

/*
 * Is ack more than PC_TCP_ACK_SLACK from v's peer_next, either way (or has
 * v none yet)? Sequence arithmetic: the difference is taken modulo 2^32.
 */
static __always_inline int pc_tcp_ack_moved(const struct pc_flow_val *v,
					    __u32 ack)
{
	return !v->peer_next ||
	       ack - v->peer_next + PC_TCP_ACK_SLACK > 2 * PC_TCP_ACK_SLACK;
}

/*
 * An outbound TCP packet on flow v: the server's own stack is trusted. Its
 * ACK is recorded when it moved by more than the slack: most ACKs write
 * nothing. Returns 1 when the packet changed v's state (an RST or a FIN).
 */
static __always_inline int pc_tcp_egress(struct pc_flow_val *v,
					 const struct pc_pkt *p)
{
	__u8 f = p->tcp_flags, before;

	if ((f & TCP_FLAG_ACK) && pc_tcp_ack_moved(v, bpf_ntohl(p->tcp_ack)))
		v->peer_next = bpf_ntohl(p->tcp_ack);
	if (!(f & (TCP_FLAG_RST | TCP_FLAG_FIN)))
		return 0;
	before = v->state;
	if (f & TCP_FLAG_RST) {
		v->state = PC_FS_CLOSED;
	} else if (v->state != PC_FS_CLOSED) {
		v->flags |= PC_FF_FIN_LOCAL;
		v->state = PC_FS_FIN_WAIT;
	}
	return v->state != before;
}

#endif /* PC_FLOW_H */
