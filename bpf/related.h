/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors related to the server's own traffic. An error (destination
 * unreachable, packet too big / fragmentation needed, time exceeded,
 * parameter problem) passes only when the packet it quotes was sent by
 * this server and belongs to one of its tracked flows or SSH connections.
 * The exact inner flow is looked up; errors never create or refresh flows.
 */
#ifndef PC_RELATED_H
#define PC_RELATED_H

#include "flow.h"
#include "parse.h"
#include "policy.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4

static __always_inline int pc_is_icmp_error(const struct pc_pkt *p)
{
	if (p->l4proto == IPPROTO_ICMP)
		return p->icmp_type == ICMP_DEST_UNREACH ||
		       p->icmp_type == ICMP_TIME_EXCEEDED ||
		       p->icmp_type == ICMP_PARAMETERPROB;
	if (p->l4proto == IPPROTO_ICMPV6)
		return p->icmp_type >= ICMPV6_DEST_UNREACH &&
		       p->icmp_type <= ICMPV6_PARAMPROB;
	return 0;
}

static __always_inline int pc_addr_eq(const __be32 *a, const __be32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* The kernel's TCP socket for a 4-tuple (packet's view), or NULL. */
static __always_inline struct bpf_sock *pc_sk_lookup(void *ctx, __u8 family,
						     const __be32 *saddr,
						     const __be32 *daddr,
						     __be16 sport, __be16 dport)
{
	struct bpf_sock_tuple t = {};
	__u32 tlen;

	if (family == AF_INET) {
		t.ipv4.saddr = saddr[0];
		t.ipv4.daddr = daddr[0];
		t.ipv4.sport = sport;
		t.ipv4.dport = dport;
		tlen = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, daddr, 16);
		t.ipv6.sport = sport;
		t.ipv6.dport = dport;
		tlen = sizeof(t.ipv6);
	}
	return bpf_skc_lookup_tcp(ctx, &t, tlen, BPF_F_CURRENT_NETNS, 0);
}

/* Is there a non-listening TCP socket for this 4-tuple? */
static __always_inline int pc_tcp_socket_exists(void *ctx, __u8 family,
						const __be32 *saddr,
						const __be32 *daddr,
						__be16 sport, __be16 dport)
{
	struct bpf_sock *sk =
		pc_sk_lookup(ctx, family, saddr, daddr, sport, dport);
	int ok;

	if (!sk)
		return 0;
	ok = sk->state != BPF_TCP_LISTEN;
	bpf_sk_release(sk);
	return ok;
}

/* 1 when the ICMP error p quotes one of the server's flows. */
static __always_inline int pc_icmp_related(void *ctx,
					   const struct pc_policy *pol,
					   const struct pc_pkt *p,
					   void *data_end, __u64 now)
{
	struct pc_inner in = {};
	struct pc_flow_val scratch, *v;
	union pc_fkey k;

	if (parse_icmp_inner(p->l4, data_end, p->family, &in) != PC_PARSE_OK)
		return 0;
	/* The quoted packet must be one the server sent. */
	if (!pc_addr_eq(in.saddr, p->daddr))
		return 0;
	pc_fkey_set(&k, p->family, in.l4proto, in.sport, in.dport, in.saddr,
		    in.daddr);
	v = pc_flow_lookup(&k, now, &scratch);
	if (v && !pc_flow_audit_ended(v))
		return 1;
	/* The server's SSH replies have no flow: ask the socket table. */
	if (in.l4proto == IPPROTO_TCP && pc_is_ssh_port(pol, in.sport))
		return pc_tcp_socket_exists(ctx, p->family, in.daddr, in.saddr,
					    in.dport, in.sport);
	return 0;
}

#endif /* PC_RELATED_H */
