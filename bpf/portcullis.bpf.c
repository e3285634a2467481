// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * portcullis: XDP ingress and tc egress programs of one protected
 * interface. Ingress lets in ARP, neighbour discovery, replies of flows the
 * server started, ICMP errors about them, and new SSH; egress lets out SSH
 * replies, tracked flows and new flows to the allowlist (creating the flow
 * entry ingress looks up). Each program has one exit that counts the
 * verdict by reason. docs/design.md explains the order of the checks.
 */
#include "vmlinux.h"

/* tc actions (linux/pkt_cls.h; vmlinux.h has no macros) */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "portcullis.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"
#include "flow.h"
#include "frag.h"
#include "related.h"
#include "ssh.h"
#include "gc.h"
#include "confirm.h"
#include "rejudge.h"
#include "counters.h"
#include "log.h"
#include "dns.h"

/* Bytes of headers made linear when a packet's headers are paged. */
#define PC_PULL_LEN 128

#define ICMPV6_MLD_QUERY 130
#define ICMPV6_MLD_REPORT 131
#define ICMPV6_MLD_DONE 132
#define ICMPV6_ROUTER_SOLICIT 133
#define ICMPV6_NEIGH_ADVERT 136
#define ICMPV6_MLD2_REPORT 143

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Neighbour discovery: RS, RA, NS, NA, only with hop limit 255. */
static __always_inline int pc_is_ndp(const struct pc_pkt *p)
{
	return p->family == AF_INET6 && p->l4proto == IPPROTO_ICMPV6 &&
	       p->icmp_type >= ICMPV6_ROUTER_SOLICIT &&
	       p->icmp_type <= ICMPV6_NEIGH_ADVERT && p->ttl == 255;
}

/* MLD (RFC 4890: must not drop on the link): hop limit 1, link-local. */
static __always_inline int pc_is_mld(const struct pc_pkt *p)
{
	__u32 a0 = bpf_ntohl(p->saddr[0]);

	if (p->family != AF_INET6 || p->l4proto != IPPROTO_ICMPV6 ||
	    p->ttl != 1)
		return 0;
	if (p->icmp_type != ICMPV6_MLD_QUERY &&
	    p->icmp_type != ICMPV6_MLD_REPORT &&
	    p->icmp_type != ICMPV6_MLD_DONE &&
	    p->icmp_type != ICMPV6_MLD2_REPORT)
		return 0;
	return (a0 & 0xffc00000) == 0xfe800000 ||
	       (!a0 && !p->saddr[1] && !p->saddr[2] && !p->saddr[3]);
}

/* IPv6 extension headers portcullis does not walk (RFC 7045 list). */
static __always_inline int pc_is_unknown_exthdr(const struct pc_pkt *p)
{
	return p->family == AF_INET6 &&
	       (p->l4proto == 135 || p->l4proto == 139 || p->l4proto == 140 ||
		p->l4proto == 253 || p->l4proto == 254);
}

/* Sources that cannot be a peer: loopback, multicast, broadcast, own. */
static __always_inline int pc_is_martian(const struct pc_pkt *p)
{
	__u32 a;

	if (p->family == AF_INET) {
		a = bpf_ntohl(p->saddr[0]);
		if ((a >> 24) == 127 || (a >> 24) == 0 || (a >> 28) == 0xE ||
		    a == 0xFFFFFFFF)
			return 1;
	} else {
		if ((bpf_ntohl(p->saddr[0]) >> 24) == 0xFF)
			return 1;
		if (!p->saddr[0] && !p->saddr[1] && !p->saddr[2] &&
		    (!p->saddr[3] || p->saddr[3] == bpf_htonl(1)))
			return 1;
	}
	return pc_is_own_addr(p->family, p->saddr);
}

/* DHCP client traffic: server 67 -> client 68 (ingress) or back. */
static __always_inline int pc_is_dhcp(const struct pc_pkt *p, int egress)
{
	__be16 client = bpf_htons(68), server = bpf_htons(67);

	return p->family == AF_INET && p->l4proto == IPPROTO_UDP &&
	       p->sport == (egress ? client : server) &&
	       p->dport == (egress ? server : client);
}

static __always_inline int pc_tcp_is_syn(const struct pc_pkt *p)
{
	return (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST |
				TCP_FLAG_FIN)) == TCP_FLAG_SYN;
}

/*
 * An inbound packet of one of the server's flows: the established path.
 * Returns PC_R_IN_ESTABLISHED or PC_R_IN_TCP_INVALID, or PC_R_NONE when p
 * belongs to no live flow. Reads the policy only when the flow changes
 * state or is due a refresh (pc_flow_touch).
 */
static __always_inline __u32 pc_ingress_flow(struct pc_policy *pol,
					     const struct pc_pkt *p, __u64 now)
{
	struct pc_flow_val *flow, scratch;
	union pc_fkey key;
	__u8 state;

	/* An inbound pure SYN never belongs to a flow of the server (no
	 * simultaneous open): it skips the table, which a SYN flood from
	 * random sources would otherwise walk on every packet. So does a
	 * packet from a remote port no flow has. */
	if (p->l4proto == IPPROTO_TCP && pc_tcp_is_syn(p))
		return PC_R_NONE;
	if (pc_flow_key(p, 0, &key) || !pc_rport_maybe(key.k4.rport))
		return PC_R_NONE;
	flow = pc_flow_lookup(&key, now, &scratch);
	if (!flow || pc_flow_audit_ended(flow))
		return PC_R_NONE;
	state = flow->state;
	if (p->l4proto == IPPROTO_TCP) {
		if (pc_tcp_ingress(flow, p))
			return PC_R_IN_TCP_INVALID;
	} else if (state != PC_FS_ESTABLISHED) {
		flow->state = PC_FS_ESTABLISHED;
	}
	pc_flow_touch(flow, pol, key.k4.proto, flow->state != state, now);
	return PC_R_IN_ESTABLISHED;
}

/*
 * The inbound verdict, the same at XDP and at tc ingress: ctx is the
 * program's context (socket lookups take either), data/data_end the frame.
 * A packet of a live flow passes first; every other verdict reads the
 * policy (into pol, for the exit's audit mode and log).
 */
static __always_inline __u32 pc_ingress_decide(void *ctx, void *data,
					       void *data_end,
					       struct pc_policy *pol,
					       struct pc_pkt *p, __u64 now)
{
	__u32 reason = PC_R_NONE;
	int ret;

	/* Only TCP, UDP and ICMP echo have flows (pc_flow_key): ARP, NDP,
	 * MLD and unknown extension headers never take this path. A flow's
	 * remote address is never a martian (the server does not reach its
	 * own or loopback addresses through this interface), so the
	 * established path needs one hash lookup only. */
	ret = parse_packet(data, data_end, p);
	if (ret == PC_PARSE_OK) {
		reason = pc_ingress_flow(pol, p, now);
		if (reason == PC_R_IN_ESTABLISHED)
			return reason;
	}
	pc_policy_get(pol);
	if (reason != PC_R_NONE)
		return reason;
	if (ret == PC_PARSE_BAD_L2)
		return PC_R_IN_BAD_L2;
	if (ret == PC_PARSE_BAD_EXTHDR)
		return PC_R_IN_BAD_EXTHDR;
	if (ret == PC_PARSE_FRAGMENT)
		return pc_frag_allowed(p, PC_DIR_INGRESS, now) ?
			       PC_R_IN_FRAGMENT :
			       PC_R_IN_BAD_FRAGMENT;
	if (ret < 0)
		return PC_R_IN_MALFORMED;
	if (p->ethertype == ETH_P_ARP)
		return PC_R_IN_ARP;
	if (!p->family)
		return PC_R_IN_BAD_L2;
	if (pc_is_ndp(p) || pc_is_mld(p))
		return PC_R_IN_NDP;
	if (pc_is_unknown_exthdr(p))
		return PC_R_IN_BAD_EXTHDR;
	if (!pol->cfg)
		return PC_R_IN_DEFAULT_DROP; /* no policy: fail closed */
	if (pc_is_martian(p))
		return PC_R_IN_MARTIAN;
	if ((pol->cfg->flags & PC_CFG_ICMP_ECHO_IN) && pc_is_echo(p, 1))
		return PC_R_IN_ICMP_ECHO;
	if ((pol->cfg->flags & PC_CFG_DHCP_CLIENT) && pc_is_dhcp(p, 0))
		return PC_R_IN_DHCP;
	if (pc_is_icmp_error(p))
		return pc_icmp_related(ctx, pol, p, data_end, now) ?
			       PC_R_IN_ICMP_RELATED :
			       PC_R_IN_ICMP_UNRELATED;
	if (p->l4proto != IPPROTO_TCP)
		return PC_R_IN_DEFAULT_DROP;
	if (pc_is_ssh_port(pol, p->dport)) {
		if (pc_tcp_is_syn(p)) {
			if (!pc_ssh_source_allowed(pol, p))
				return PC_R_IN_SSH_SOURCE;
			if (!pc_ssh_rate_ok(pol, p, now))
				return PC_R_IN_SSH_RATELIMIT;
			return PC_R_IN_SSH_NEW;
		}
		if (pc_ssh_socket_exists(ctx, p, data_end))
			return PC_R_IN_SSH_ESTABLISHED;
		return PC_R_IN_NO_FLOW;
	}
	if (!pc_tcp_is_syn(p))
		return PC_R_IN_NO_FLOW;
	return PC_R_IN_DEFAULT_DROP;
}

/*
 * The one exit of pc_ingress: count the verdict, note a first fragment,
 * log, hand a passed DNS reply to its snooping program. Returns the
 * XDP action.
 */
static __always_inline int pc_xdp_exit(struct xdp_md *ctx,
				       const struct pc_policy *pol,
				       const struct pc_pkt *pkt, __u32 reason,
				       __u64 bytes, __u64 now)
{
	int act;

	/* Rule rows count egress only; ingress replies count by reason. */
	act = pc_finish(reason, 0, bytes, pol->cfg ? pol->cfg->audit_mask : 0);
	if (act == PC_ACT_PASS && pkt->frag == PC_FRAG_FIRST)
		pc_frag_note(pkt, PC_DIR_INGRESS, now);
	pc_log_xdp(ctx, pol, pkt, PC_DIR_INGRESS, reason, 0, bytes, now);
	/* A DNS reply that passed: snooping runs in its own program. */
	if (reason == PC_R_IN_ESTABLISHED && pc_dns_snoopable(pkt, 0))
		bpf_tail_call(ctx, &dns_reply_prog, 0);
	return act == PC_ACT_PASS ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pc_ingress(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	__u64 now = pc_now();
	struct pc_policy pol = {}; /* read by the decision when it needs it */
	struct pc_pkt pkt = {};
	__u32 reason;

	reason = pc_ingress_decide(ctx, (void *)(long)ctx->data,
				   (void *)(long)ctx->data_end, &pol, &pkt,
				   now);
	/* The same exit, given the established path's reason as a constant:
	 * the compiler folds the checks that cannot apply to it. */
	if (reason == PC_R_IN_ESTABLISHED)
		return pc_xdp_exit(ctx, &pol, &pkt, PC_R_IN_ESTABLISHED, bytes,
				   now);
	return pc_xdp_exit(ctx, &pol, &pkt, reason, bytes, now);
}

/*
 * An allowlisted TCP packet with no flow that is not a SYN: adopt it when
 * the kernel says it belongs to an established connection (one that was
 * open before up). Returns the reason.
 */
static __always_inline __u32 pc_egress_adopt(struct __sk_buff *skb,
					     const struct pc_policy *pol,
					     const union pc_fkey *k,
					     const struct pc_pkt *p, __u32 rule,
					     __u64 now)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return PC_R_OUT_NO_FLOW;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->state != BPF_TCP_ESTABLISHED)
		return PC_R_OUT_NO_FLOW;
	if (pc_flow_create(k, p, pol->cfg, rule, PC_FS_ESTABLISHED,
			   PC_FF_ADOPTED, now))
		return PC_R_OUT_TABLE_FULL;
	return PC_R_OUT_ADOPTED;
}

/*
 * An outbound packet of one of the server's flows: the established path.
 * Returns PC_R_OUT_ESTABLISHED with the flow's rule, or PC_R_NONE when k
 * has no live flow or p is a SYN that starts a new one over a finished
 * flow (port reuse). Reads the policy only when the flow changes state or
 * is due a refresh (pc_flow_touch).
 */
static __always_inline __u32 pc_egress_flow(struct pc_policy *pol,
					    const struct pc_pkt *p,
					    const union pc_fkey *k, __u32 *rule,
					    __u64 now)
{
	struct pc_flow_val *flow, scratch;
	int tcp = p->l4proto == IPPROTO_TCP, changed;

	flow = pc_flow_lookup(k, now, &scratch);
	if (!flow || (tcp && pc_tcp_is_syn(p) && flow->state != PC_FS_NEW) ||
	    pc_flow_audit_ended(flow))
		return PC_R_NONE;
	*rule = flow->rule_id;
	/* only a TCP packet changes a flow's state on the way out */
	changed = tcp && pc_tcp_egress(flow, p);
	pc_flow_touch(flow, pol, k->k4.proto, changed, now);
	return PC_R_OUT_ESTABLISHED;
}

/*
 * The outbound verdict. A packet of a live flow passes first; every other
 * verdict reads the policy (into pol, for the exit's audit mode and log).
 */
static __always_inline __u32 pc_egress_decide(struct __sk_buff *skb,
					      struct pc_policy *pol,
					      struct pc_pkt *p, __u32 *rule,
					      __u64 now)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	union pc_fkey key;
	int ret, tcp, keyed;

	/* Only TCP, UDP and ICMP echo are keyed (pc_flow_key): ARP, NDP and
	 * MLD never have a flow. pc_keep(p): the parsed packet stays one
	 * struct on the stack; split into scalars (clang's choice when it sees
	 * every use), its fields are spilled one by one and the established
	 * path costs 60 ns instead of 35. */
	pc_keep(p);
	ret = parse_packet(data, data_end, p);
	keyed = ret == PC_PARSE_OK && pc_flow_key(p, 1, &key) == 0;
	if (keyed &&
	    pc_egress_flow(pol, p, &key, rule, now) == PC_R_OUT_ESTABLISHED)
		return PC_R_OUT_ESTABLISHED;
	pc_policy_get(pol);
	if (ret == PC_PARSE_BAD_L2)
		return PC_R_OUT_BAD_L2;
	if (ret == PC_PARSE_FRAGMENT)
		return pc_frag_allowed(p, PC_DIR_EGRESS, now) ?
			       PC_R_OUT_FRAGMENT :
			       PC_R_OUT_BAD_FRAGMENT;
	if (ret < 0)
		return PC_R_OUT_MALFORMED;
	if (p->ethertype == ETH_P_ARP)
		return PC_R_OUT_ARP;
	if (!p->family)
		return PC_R_OUT_BAD_L2;
	if (pc_is_ndp(p) || pc_is_mld(p))
		return PC_R_OUT_NDP;
	if (!pol->cfg)
		return PC_R_OUT_DEFAULT_DROP; /* no policy: fail closed */

	tcp = p->l4proto == IPPROTO_TCP;
	if (tcp && !pc_tcp_is_syn(p) && pc_is_ssh_port(pol, p->sport))
		return PC_R_OUT_SSH_REPLY;
	if ((pol->cfg->flags & PC_CFG_ICMP_ECHO_IN) && pc_is_echo(p, 0))
		return PC_R_OUT_ICMP_ECHO_REPLY;
	if ((pol->cfg->flags & PC_CFG_DHCP_CLIENT) && pc_is_dhcp(p, 1))
		return PC_R_OUT_DHCP;

	*rule = pc_allow_match(pol, p, now);
	if (!*rule) {
		/* Audit mode lets it pass: track it so the replies do too. */
		if (((pol->cfg->audit_mask >> PC_R_OUT_DEFAULT_DROP) & 1) &&
		    keyed && (!tcp || pc_tcp_is_syn(p)))
			pc_flow_create(&key, p, pol->cfg, 0, PC_FS_NEW,
				       PC_FF_AUDIT, now);
		return PC_R_OUT_DEFAULT_DROP;
	}
	if (!keyed) {
		*rule = 0;
		return PC_R_OUT_NO_FLOW; /* e.g. an ICMP type that is no flow */
	}
	if (tcp && !pc_tcp_is_syn(p)) {
		ret = pc_egress_adopt(skb, pol, &key, p, *rule, now);
		if (ret != PC_R_OUT_ADOPTED)
			*rule = 0;
		return ret;
	}
	if (pc_flow_create(&key, p, pol->cfg, *rule, PC_FS_NEW, 0, now)) {
		*rule = 0;
		return PC_R_OUT_TABLE_FULL;
	}
	return PC_R_OUT_NEW_FLOW;
}

/* One judgement of an skb in the given direction. */
static __always_inline __u32 pc_skb_decide(struct __sk_buff *skb,
					   struct pc_policy *pol,
					   struct pc_pkt *p, __u32 *rule,
					   __u64 now, int egress)
{
	if (egress)
		return pc_egress_decide(skb, pol, p, rule, now);
	return pc_ingress_decide(skb, (void *)(long)skb->data,
				 (void *)(long)skb->data_end, pol, p, now);
}

/*
 * Headers may sit in paged data (the linear part is what the driver or the
 * stack put there). When a packet looked truncated and its linear part is
 * shorter than both the packet and PC_PULL_LEN, make that much linear and
 * judge it again from the start (tc_again_prog). Once pulled, the linear
 * part is long enough, so a packet is judged again at most once. Returns
 * only when there was nothing to pull, or the pull or the call failed: the
 * packet stays malformed.
 */
static __always_inline void pc_skb_again(struct __sk_buff *skb, int egress)
{
	__u32 want = skb->len < PC_PULL_LEN ? skb->len : PC_PULL_LEN;

	if (skb->data_end - skb->data >= want)
		return;
	if (bpf_skb_pull_data(skb, want))
		return;
	bpf_tail_call(skb, &tc_again_prog, egress ? 1 : 0);
}

/*
 * The one exit of both tc programs: count, note a first fragment, log,
 * and hand a passed DNS packet to its snooping program. Returns the tc
 * action.
 */
static __always_inline int pc_tc_exit(struct __sk_buff *skb,
				      const struct pc_policy *pol,
				      const struct pc_pkt *pkt, __u32 reason,
				      __u32 rule, int egress, __u64 now)
{
	__u8 dir = egress ? PC_DIR_EGRESS : PC_DIR_INGRESS;
	int act;

	act = pc_finish(reason, rule, skb->len,
			pol->cfg ? pol->cfg->audit_mask : 0);
	if (act == PC_ACT_PASS && pkt->frag == PC_FRAG_FIRST)
		pc_frag_note(pkt, dir, now);
	pc_log_skb(skb, pol, pkt, dir, reason, rule, skb->len, now);
	if (egress && act == PC_ACT_PASS && pc_dns_snoopable(pkt, 1))
		bpf_tail_call(skb, &dns_query_prog, 0);
	if (!egress && reason == PC_R_IN_ESTABLISHED &&
	    pc_dns_snoopable(pkt, 0))
		bpf_tail_call(skb, &dns_reply_tc_prog, 0);
	return act == PC_ACT_PASS ? TC_ACT_OK : TC_ACT_SHOT;
}

/*
 * Both tc programs: judge (again, with its headers pulled, when they were
 * paged), then the exit.
 */
static __always_inline int pc_tc_judge(struct __sk_buff *skb, int egress)
{
	__u32 established = egress ? PC_R_OUT_ESTABLISHED : PC_R_IN_ESTABLISHED;
	__u64 now = pc_now();
	struct pc_policy pol = {}; /* read by the decision when it needs it */
	struct pc_pkt pkt = {};
	__u32 reason, rule = 0; /* rule rows count egress only */

	reason = pc_skb_decide(skb, &pol, &pkt, &rule, now, egress);
	/* The same exit, given the established path's reason as a constant:
	 * the compiler folds the checks that cannot apply to it. */
	if (reason == established)
		return pc_tc_exit(skb, &pol, &pkt, established, rule, egress,
				  now);
	if (reason == (egress ? PC_R_OUT_MALFORMED : PC_R_IN_MALFORMED))
		pc_skb_again(skb, egress);
	return pc_tc_exit(skb, &pol, &pkt, reason, rule, egress, now);
}

/*
 * Ingress at tc instead of XDP (up --tc): for a container's veth, where
 * XDP makes the kernel copy every skb the peer sends, and stops its
 * segmentation offload. Judges the skb in place with the same verdict as
 * pc_ingress.
 */
SEC("tc")
int pc_ingress_tc(struct __sk_buff *skb)
{
	return pc_tc_judge(skb, 0);
}

SEC("tc")
int pc_egress(struct __sk_buff *skb)
{
	return pc_tc_judge(skb, 1);
}
