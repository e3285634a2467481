/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Inbound SSH: which sources may start a connection (ssh.from), the
 * per-source rate limit of new connections, and the socket-table check
 * that lets the packets of existing connections in without flow entries.
 */
#ifndef PC_SSH_H
#define PC_SSH_H

#include "config.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"
#include "related.h"

/* Is p's source in ssh.from (when the policy sets it)? */
static __always_inline int pc_ssh_source_allowed(const struct pc_policy *pol,
						 const struct pc_pkt *p)
{
	if (!(pol->cfg->flags & PC_CFG_SSH_FROM))
		return 1;
	if (p->family == AF_INET) {
		struct pc_allow4_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + 32,
			.slot = pol->slot | PC_SLOT_SSH_FROM,
			.proto = IPPROTO_TCP,
			.addr = p->saddr[0],
		};
		return bpf_map_lookup_elem(&allow4, &k) != NULL;
	} else {
		struct pc_allow6_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + 128,
			.slot = pol->slot | PC_SLOT_SSH_FROM,
			.proto = IPPROTO_TCP,
		};
		__builtin_memcpy(k.addr, p->saddr, 16);
		return bpf_map_lookup_elem(&allow6, &k) != NULL;
	}
}

/*
 * GCRA: a source may open ssh_burst connections at once and then one per
 * 60 s / ssh_rate_per_min. Returns 1 when this SYN is within the limit.
 */
static __always_inline int pc_ssh_rate_ok(const struct pc_policy *pol,
					  const struct pc_pkt *p, __u64 now)
{
	__u32 rate = pol->cfg->ssh_rate_per_min;
	struct pc_ssh_rl_key k = { .family = p->family };
	__u64 interval, tau, tat, *v;

	if (!rate)
		return 1;
	interval = 60000000000ULL / rate;
	tau = (pol->cfg->ssh_burst ? pol->cfg->ssh_burst - 1 : 0) * interval;
	k.addr[0] = p->saddr[0];
	if (p->family == AF_INET6)
		k.addr[1] = p->saddr[1]; /* the /64 */
	v = bpf_map_lookup_elem(&ssh_rl, &k);
	if (!v) {
		tat = now + interval;
		if (!dry_run)
			bpf_map_update_elem(&ssh_rl, &k, &tat, BPF_ANY);
		return 1;
	}
	tat = *v > now ? *v : now;
	if (tat > now + tau)
		return 0;
	if (!dry_run)
		*v = tat + interval;
	return 1;
}

/*
 * A non-SYN packet to an SSH port passes only when the kernel has a
 * connection (or request socket) for it, or it is a valid SYN cookie ACK.
 * Inbound SSH needs no flow entries: the socket table is the state.
 */
static __always_inline int pc_ssh_socket_exists(void *ctx, struct pc_pkt *p,
						void *data_end)
{
	struct bpf_sock *sk;
	int ok = 0;

	sk = pc_sk_lookup(ctx, p->family, p->saddr, p->daddr, p->sport,
			  p->dport);
	if (!sk)
		return 0;
	if (sk->state != BPF_TCP_LISTEN) {
		ok = 1;
	} else if ((p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
		   TCP_FLAG_ACK) {
		struct tcphdr *th = p->l4;
		__u32 iplen = p->family == AF_INET ? sizeof(struct iphdr) :
						     sizeof(struct ipv6hdr);

		if ((void *)(th + 1) <= data_end && p->l3 + iplen <= data_end)
			ok = bpf_tcp_check_syncookie(sk, p->l3, iplen, th,
						     sizeof(*th)) == 0;
	}
	bpf_sk_release(sk);
	return ok;
}

#endif /* PC_SSH_H */
