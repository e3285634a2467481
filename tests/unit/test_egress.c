// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Egress (tc) verdict paths and the flows they create for ingress. */
#include <bpf/bpf.h>
#include "state.h"

/* The SYN-ACK that answers pkt()'s SYN (seq 1000). */
static struct pkt_spec synack(const struct fam *f, const char *remote,
			      uint16_t lport, uint16_t rport)
{
	struct pkt_spec s = pkt(f, false, IPPROTO_TCP, remote, lport, rport,
				TH_SYN | TH_ACK);

	s.ack = 1001;
	return s;
}

static void tcp_flow(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP;

	t(h, f, "SYN to edge:7844 creates a flow", true,
	  pkt(f, true, T, f->edge, 50000, 7844, TH_SYN), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t(h, f, "SYN-ACK from edge:7844 is established", false,
	  synack(f, f->edge, 50000, 7844), true, PC_R_IN_ESTABLISHED, NULL);
	t(h, f, "ACK out on the flow is established", true,
	  pkt(f, true, T, f->edge, 50000, 7844, TH_ACK), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	t(h, f, "SYN-ACK from edge to a port never used drops", false,
	  pkt(f, false, T, f->edge, 50001, 7844, TH_SYN | TH_ACK), false,
	  PC_R_IN_NO_FLOW, NULL);
	t(h, f, "ACK from edge's other port drops", false,
	  pkt(f, false, T, f->edge, 50000, 7845, TH_ACK), false,
	  PC_R_IN_NO_FLOW, NULL);
	t(h, f, "ACK to edge:7844 without a flow is not a flow start", true,
	  pkt(f, true, T, f->edge, 50002, 7844, TH_ACK), false,
	  PC_R_OUT_NO_FLOW, NULL);
	t(h, f, "SYN to edge:443 drops (only 7844 allowed)", true,
	  pkt(f, true, T, f->edge, 50003, 443, TH_SYN), false,
	  PC_R_OUT_DEFAULT_DROP, NULL);
	t(h, f, "SYN to api:443 creates a flow", true,
	  pkt(f, true, T, f->api, 50004, 443, TH_SYN), true, PC_R_OUT_NEW_FLOW,
	  "api-cloudflare");
	t(h, f, "SYN to 203.0.113.9:443 drops", true,
	  pkt(f, true, T, f->out, 50005, 443, TH_SYN), false,
	  PC_R_OUT_DEFAULT_DROP, NULL);
	t(h, f, "SYN to resolver:53 creates a flow", true,
	  pkt(f, true, T, f->dns, 50006, 53, TH_SYN), true, PC_R_OUT_NEW_FLOW,
	  "dns");
}

static void udp_flow(struct harness *h, const struct fam *f)
{
	const int U = IPPROTO_UDP;

	t(h, f, "UDP to edge:7844 (QUIC) creates a flow", true,
	  pkt(f, true, U, f->edge, 40000, 7844, 0), true, PC_R_OUT_NEW_FLOW,
	  "tunnel-region1");
	t(h, f, "UDP reply from edge:7844 is established", false,
	  pkt(f, false, U, f->edge, 40000, 7844, 0), true, PC_R_IN_ESTABLISHED,
	  NULL);
	t(h, f, "UDP from edge:53 to the same port drops", false,
	  pkt(f, false, U, f->edge, 40000, 53, 0), false, PC_R_IN_DEFAULT_DROP,
	  NULL);
	t(h, f, "UDP from another host to the same port drops", false,
	  pkt(f, false, U, f->out, 40000, 7844, 0), false, PC_R_IN_DEFAULT_DROP,
	  NULL);
	t(h, f, "UDP to resolver:53 creates a flow", true,
	  pkt(f, true, U, f->dns, 40001, 53, 0), true, PC_R_OUT_NEW_FLOW,
	  "dns");
	t(h, f, "UDP to 203.0.113.9:53 drops", true,
	  pkt(f, true, U, f->out, 40002, 53, 0), false, PC_R_OUT_DEFAULT_DROP,
	  NULL);
	t(h, f, "UDP to api:443 drops (api is TCP only)", true,
	  pkt(f, true, U, f->api, 40003, 443, 0), false, PC_R_OUT_DEFAULT_DROP,
	  NULL);
}

static void builtins(struct harness *h, const struct fam *f)
{
	struct pkt_spec s;

	t(h, f, "SSH reply (SYN-ACK from 22) passes", true,
	  pkt(f, true, IPPROTO_TCP, f->out, 22, 40000, TH_SYN | TH_ACK), true,
	  PC_R_OUT_SSH_REPLY, NULL);
	t(h, f, "SSH reply (ACK from 22) passes", true,
	  pkt(f, true, IPPROTO_TCP, f->out, 22, 40000, TH_ACK), true,
	  PC_R_OUT_SSH_REPLY, NULL);
	t(h, f, "SYN from local port 22 to a stranger drops", true,
	  pkt(f, true, IPPROTO_TCP, f->out, 22, 80, TH_SYN), false,
	  PC_R_OUT_DEFAULT_DROP, NULL);

	s = pkt(f, true, f->icmp, f->edge, 0, 0, 0);
	s.icmp_type = f->af == AF_INET ? 8 : 128;
	t(h, f, "ping to edge drops (no ICMP rule)", true, s, false,
	  PC_R_OUT_DEFAULT_DROP, NULL);

	s = pkt(f, true, IPPROTO_TCP, f->edge, 50000, 7844, TH_SYN);
	s.cut = 8;
	t(h, f, "truncated TCP header drops", true, s, false,
	  PC_R_OUT_MALFORMED, NULL);

	if (f->af == AF_INET) {
		s = (struct pkt_spec){ .arp = true };
		t(h, f, "ARP passes", true, s, true, PC_R_OUT_ARP, NULL);
	} else {
		s = (struct pkt_spec){ .family = AF_INET6,
				       .src = "fe80::1",
				       .dst = "ff02::1:ff00:2",
				       .proto = 58,
				       .icmp_type = 135,
				       .ttl = 255 };
		t(h, f, "NDP solicitation passes", true, s, true, PC_R_OUT_NDP,
		  NULL);
		s.icmp_type = 143;
		s.ttl = 1;
		t(h, f, "MLDv2 report passes", true, s, true, PC_R_OUT_NDP,
		  NULL);
	}
}

/* Delete every entry of the allowlist maps: listed hosts and prefixes of
 * both families, and the learned addresses of host names. Returns how many. */
static int allowlist_clear(struct harness *h)
{
	const int fds[] = { h->m.allow_hosts4, h->m.allow4, h->m.allow_hosts6,
			    h->m.allow6, h->m.dyn_allow };
	union {
		struct pc_allow4_key a4;
		struct pc_allow6_key a6;
		struct pc_dyn_key d;
	} key;
	int n = 0;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		while (!bpf_map_get_next_key(fds[i], NULL, &key) &&
		       !bpf_map_delete_elem(fds[i], &key))
			n++;
	return n;
}

/*
 * The allowlist is read once, when a flow is created: its rule is kept in
 * the flow entry. With every allowlist entry deleted, the flows made before
 * still pass both ways, counted to their rule, and a new flow to the same
 * destination is refused (the entries really are gone).
 */
static void verdict_kept(struct harness *h)
{
	const int T = IPPROTO_TCP, U = IPPROTO_UDP;
	const struct fam *f;

	for (f = fams; f < fams + 2; f++) {
		t(h, f, "kept: SYN to edge:7844 creates a flow", true,
		  pkt(f, true, T, f->edge, 51000, 7844, TH_SYN), true,
		  PC_R_OUT_NEW_FLOW, "tunnel-region1");
		t(h, f, "kept: SYN-ACK is established", false,
		  synack(f, f->edge, 51000, 7844), true, PC_R_IN_ESTABLISHED,
		  NULL);
		t(h, f, "kept: UDP to edge:7844 creates a flow", true,
		  pkt(f, true, U, f->edge, 41000, 7844, 0), true,
		  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	}
	check(h, "kept: allowlist emptied", allowlist_clear(h) > 0, "nothing");
	for (f = fams; f < fams + 2; f++) {
		t(h, f, "kept: ACK out still established, same rule", true,
		  pkt(f, true, T, f->edge, 51000, 7844, TH_ACK), true,
		  PC_R_OUT_ESTABLISHED, "tunnel-region1");
		t(h, f, "kept: ACK in still established", false,
		  pkt(f, false, T, f->edge, 51000, 7844, TH_ACK), true,
		  PC_R_IN_ESTABLISHED, NULL);
		t(h, f, "kept: UDP out still established", true,
		  pkt(f, true, U, f->edge, 41000, 7844, 0), true,
		  PC_R_OUT_ESTABLISHED, "tunnel-region1");
		t(h, f, "kept: UDP reply still established", false,
		  pkt(f, false, U, f->edge, 41000, 7844, 0), true,
		  PC_R_IN_ESTABLISHED, NULL);
		t(h, f, "kept: a new flow to the same edge is refused", true,
		  pkt(f, true, T, f->edge, 51001, 7844, TH_SYN), false,
		  PC_R_OUT_DEFAULT_DROP, NULL);
	}
}

void test_egress(struct harness *h)
{
	h->group = "egress";
	for (size_t i = 0; i < 2; i++) {
		tcp_flow(h, &fams[i]);
		udp_flow(h, &fams[i]);
		builtins(h, &fams[i]);
	}
	/* its own load: it empties the allowlist */
	h_group(h, "egress-kept", NULL, 0, verdict_kept);
}
