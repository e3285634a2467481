// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Stateful tracking under hostile traffic: TCP states and sequence checks,
 * ICMP errors related to exact flows, fragments, IPv6 extension headers.
 */
#include <string.h>
#include <bpf/bpf.h>
#include "state.h"

/* The state of the flow (server side lport -> remote:rport), or -1. */
static int flow_state(struct harness *h, const struct fam *f, uint8_t proto,
		      const char *remote, uint16_t lport, uint16_t rport)
{
	struct pc_flow_key k = fkey(f, proto, remote, lport, rport);
	struct pc_flow_val v;

	if (pc_flows_get(&h->m, &k, &v))
		return -1;
	return v.state;
}

static void tcp_states(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP;
	const char *e = f->edge;
	char n[128];

	/* Server SYN seq 5000; edge answers with seq 9000. */
	t(h, f, "SYN out (seq 5000)", true,
	  seg(f, true, T, e, 51000, 7844, TH_SYN, 5000, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t(h, f, "SYN-ACK acking the wrong seq drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_SYN | TH_ACK, 9000, 4242), false,
	  PC_R_IN_TCP_INVALID, NULL);
	t(h, f, "RST not acking our SYN in SYN-SENT drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_RST | TH_ACK, 0, 77), false,
	  PC_R_IN_TCP_INVALID, NULL);
	t(h, f, "bare ACK in SYN-SENT drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_ACK, 9001, 5001), false,
	  PC_R_IN_TCP_INVALID, NULL);
	snprintf(n, sizeof(n), "%s flow still SYN-SENT after forged replies",
		 f->tag);
	check(h, n, flow_state(h, f, T, e, 51000, 7844) == PC_FS_NEW,
	      "state %d", flow_state(h, f, T, e, 51000, 7844));
	t(h, f, "SYN-ACK acking seq 5001 establishes", false,
	  seg(f, false, T, e, 51000, 7844, TH_SYN | TH_ACK, 9000, 5001), true,
	  PC_R_IN_ESTABLISHED, NULL);
	t(h, f, "ACK out (acks 9001)", true,
	  seg(f, true, T, e, 51000, 7844, TH_ACK, 5001, 9001), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	t(h, f, "data in", false,
	  seg(f, false, T, e, 51000, 7844, TH_ACK, 9001, 5001), true,
	  PC_R_IN_ESTABLISHED, NULL);
	/* An inbound pure SYN never consults the flow table. */
	t(h, f, "SYN from the peer on an established flow drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_SYN, 123, 0), false,
	  PC_R_IN_DEFAULT_DROP, NULL);
	t(h, f, "RST far off the window drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_RST, 9001 + (1u << 30), 0), false,
	  PC_R_IN_TCP_INVALID, NULL);
	t(h, f, "FIN far off the window drops", false,
	  seg(f, false, T, e, 51000, 7844, TH_FIN | TH_ACK, 9001 - (1u << 30),
	      5001),
	  false, PC_R_IN_TCP_INVALID, NULL);
	snprintf(n, sizeof(n), "%s flow still established after forged RST/FIN",
		 f->tag);
	check(h, n, flow_state(h, f, T, e, 51000, 7844) == PC_FS_ESTABLISHED,
	      "state %d", flow_state(h, f, T, e, 51000, 7844));
	t(h, f, "FIN in window moves the flow to fin-wait", false,
	  seg(f, false, T, e, 51000, 7844, TH_FIN | TH_ACK, 9001, 5001), true,
	  PC_R_IN_ESTABLISHED, NULL);
	snprintf(n, sizeof(n), "%s state is fin-wait", f->tag);
	check(h, n, flow_state(h, f, T, e, 51000, 7844) == PC_FS_FIN_WAIT,
	      "state %d", flow_state(h, f, T, e, 51000, 7844));
	t(h, f, "RST in window closes the flow", false,
	  seg(f, false, T, e, 51000, 7844, TH_RST, 9002, 0), true,
	  PC_R_IN_ESTABLISHED, NULL);
	snprintf(n, sizeof(n), "%s state is closed", f->tag);
	check(h, n, flow_state(h, f, T, e, 51000, 7844) == PC_FS_CLOSED,
	      "state %d", flow_state(h, f, T, e, 51000, 7844));
	t(h, f, "new SYN on the closed flow starts it again", true,
	  seg(f, true, T, e, 51000, 7844, TH_SYN, 7000, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	snprintf(n, sizeof(n), "%s state is SYN-SENT again", f->tag);
	check(h, n, flow_state(h, f, T, e, 51000, 7844) == PC_FS_NEW,
	      "state %d", flow_state(h, f, T, e, 51000, 7844));
}

/* The flow's recorded ACK (peer_next), or 0 when there is no flow. */
static __u32 flow_peer_next(struct harness *h, const struct fam *f,
			    uint16_t lport)
{
	struct pc_flow_key k = fkey(f, IPPROTO_TCP, f->edge, lport, 7844);
	struct pc_flow_val v;

	return pc_flows_get(&h->m, &k, &v) ? 0 : v.peer_next;
}

/*
 * The server's ACKs are recorded to PC_TCP_ACK_SLACK: an ACK within the
 * slack of the recorded one writes nothing, one beyond it is recorded; an
 * RST at the server's latest ACK still fits the window of the recorded
 * one, an RST a window beyond it does not.
 */
static void ack_slack(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP;
	const char *e = f->edge;
	const __u32 peer = 20001, far = peer + 2 * PC_TCP_ACK_SLACK;
	char n[160];

	t(h, f, "slack: SYN out", true,
	  seg(f, true, T, e, 54000, 7844, TH_SYN, 1000, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t(h, f, "slack: SYN-ACK in", false,
	  seg(f, false, T, e, 54000, 7844, TH_SYN | TH_ACK, peer - 1, 1001),
	  true, PC_R_IN_ESTABLISHED, NULL);
	t(h, f, "slack: ACK out, within the slack", true,
	  seg(f, true, T, e, 54000, 7844, TH_ACK, 1001,
	      peer + PC_TCP_ACK_SLACK / 2),
	  true, PC_R_OUT_ESTABLISHED, "tunnel-region1");
	snprintf(n, sizeof(n), "%s slack: an ACK within it writes nothing",
		 f->tag);
	check(h, n, flow_peer_next(h, f, 54000) == peer,
	      "peer_next %u, want %u", flow_peer_next(h, f, 54000), peer);
	t(h, f, "slack: ACK out, beyond the slack", true,
	  seg(f, true, T, e, 54000, 7844, TH_ACK, 1001, far), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	snprintf(n, sizeof(n), "%s slack: an ACK beyond it is recorded",
		 f->tag);
	check(h, n, flow_peer_next(h, f, 54000) == far, "peer_next %u, want %u",
	      flow_peer_next(h, f, 54000), far);
	t(h, f, "slack: ACK out, within the slack again", true,
	  seg(f, true, T, e, 54000, 7844, TH_ACK, 1001,
	      far + PC_TCP_ACK_SLACK - 1),
	  true, PC_R_OUT_ESTABLISHED, "tunnel-region1");
	t(h, f, "slack: RST a window beyond the recorded ACK drops", false,
	  seg(f, false, T, e, 54000, 7844, TH_RST, far + PC_TCP_SEQ_WINDOW + 1,
	      0),
	  false, PC_R_IN_TCP_INVALID, NULL);
	t(h, f, "slack: RST at the server's last ACK closes", false,
	  seg(f, false, T, e, 54000, 7844, TH_RST, far + PC_TCP_ACK_SLACK - 1,
	      0),
	  true, PC_R_IN_ESTABLISHED, NULL);
	snprintf(n, sizeof(n), "%s slack: state is closed", f->tag);
	check(h, n, flow_state(h, f, T, e, 54000, 7844) == PC_FS_CLOSED,
	      "state %d", flow_state(h, f, T, e, 54000, 7844));
}

static struct pkt_spec icmp_err(const struct fam *f, const char *from,
				uint8_t type, const struct pkt_spec *inner)
{
	struct pkt_spec s = { .family = f->af,
			      .src = from,
			      .dst = f->srv,
			      .proto = f->icmp,
			      .icmp_type = type,
			      .inner = inner };
	return s;
}

static void icmp_errors(struct harness *h, const struct fam *f)
{
	const int U = IPPROTO_UDP, T = IPPROTO_TCP;
	struct pkt_spec quic = seg(f, true, U, f->edge, 42000, 7844, 0, 0, 0);
	struct pkt_spec rev = seg(f, false, U, f->edge, 42000, 7844, 0, 0, 0);
	struct pkt_spec other = seg(f, true, U, f->edge, 42001, 7844, 0, 0, 0);
	struct pkt_spec syn =
		seg(f, true, T, f->edge, 52000, 7844, TH_SYN, 100, 0);
	struct pkt_spec ssh = seg(f, true, T, f->out, 22, 40000, TH_ACK, 1, 1);
	const char *router = f->af == AF_INET ? "198.51.100.77" :
						"2001:db8:77::1";

	t(h, f, "UDP flow to edge:7844", true, quic, true, PC_R_OUT_NEW_FLOW,
	  "tunnel-region1");
	t(h, f, "TCP SYN to edge:7844", true, syn, true, PC_R_OUT_NEW_FLOW,
	  "tunnel-region1");
	t(h, f, "port unreachable quoting our UDP flow passes", false,
	  icmp_err(f, f->edge, f->unreach, &quic), true, PC_R_IN_ICMP_RELATED,
	  NULL);
	t(h, f, "packet too big from a router quoting our TCP flow passes",
	  false, icmp_err(f, router, f->ptb, &syn), true, PC_R_IN_ICMP_RELATED,
	  NULL);
	t(h, f, "error quoting the flow reversed drops", false,
	  icmp_err(f, f->edge, f->unreach, &rev), false, PC_R_IN_ICMP_UNRELATED,
	  NULL);
	t(h, f, "error quoting a flow that does not exist drops", false,
	  icmp_err(f, f->edge, f->unreach, &other), false,
	  PC_R_IN_ICMP_UNRELATED, NULL);
	t(h, f, "error quoting an SSH reply with no connection drops", false,
	  icmp_err(f, f->out, f->unreach, &ssh), false, PC_R_IN_ICMP_UNRELATED,
	  NULL);
	struct pkt_spec bare = icmp_err(f, f->edge, f->unreach, NULL);

	t(h, f, "error with no quoted packet drops", false, bare, false,
	  PC_R_IN_ICMP_UNRELATED, NULL);

	char n[128];
	int before = flow_state(h, f, U, f->edge, 42001, 7844);

	snprintf(n, sizeof(n), "%s errors never create flows", f->tag);
	check(h, n, before == -1, "a flow appeared");
}

static void fragments(struct harness *h, const struct fam *f)
{
	const int U = IPPROTO_UDP;
	struct pkt_spec s;

	t(h, f, "DNS query out", true,
	  seg(f, true, U, f->dns, 43000, 53, 0, 0, 0), true, PC_R_OUT_NEW_FLOW,
	  "dns");
	s = seg(f, false, U, f->dns, 43000, 53, 0, 0, 0);
	s.more_frags = true;
	if (f->af == AF_INET6) {
		s.ext[0] = 44;
		s.n_ext = 1;
	}
	s.payload = 64;
	t(h, f, "first fragment of the reply passes", false, s, true,
	  PC_R_IN_ESTABLISHED, NULL);
	s.frag_offset = 9;
	t(h, f, "later fragment of that reply passes", false, s, true,
	  PC_R_IN_FRAGMENT, NULL);
	s.more_frags = false;
	s.frag_offset = 18;
	t(h, f, "last fragment of that reply passes", false, s, true,
	  PC_R_IN_FRAGMENT, NULL);
	s.src = f->out;
	t(h, f, "same fragment from another source drops", false, s, false,
	  PC_R_IN_BAD_FRAGMENT, NULL);

	/* A TCP first fragment that passes (SSH SYN) and an overlap. */
	s = seg(f, false, IPPROTO_TCP, f->out, 22, 40000, TH_SYN, 1, 0);
	s.more_frags = true;
	s.payload = 32;
	if (f->af == AF_INET6) {
		s.ext[0] = 44;
		s.n_ext = 1;
	}
	t(h, f, "first fragment of an SSH SYN passes", false, s, true,
	  PC_R_IN_SSH_NEW, NULL);
	s.frag_offset = 1;
	t(h, f, "fragment at offset 8 overlapping the TCP header drops", false,
	  s, false, PC_R_IN_BAD_FRAGMENT, NULL);
	s.frag_offset = 0;
	s.payload = 0;
	s.cut = 12;
	t(h, f, "tiny first fragment without the whole TCP header drops", false,
	  s, false, PC_R_IN_MALFORMED, NULL);

	/* The server's own fragmented datagram out. */
	s = seg(f, true, U, f->dns, 43001, 53, 0, 0, 0);
	s.more_frags = true;
	s.payload = 64;
	if (f->af == AF_INET6) {
		s.ext[0] = 44;
		s.n_ext = 1;
	}
	t(h, f, "first fragment out creates the flow", true, s, true,
	  PC_R_OUT_NEW_FLOW, "dns");
	s.frag_offset = 9;
	t(h, f, "later fragment out passes", true, s, true, PC_R_OUT_FRAGMENT,
	  NULL);
	s.dst = f->out;
	t(h, f, "orphan fragment out drops", true, s, false,
	  PC_R_OUT_BAD_FRAGMENT, NULL);
}

static void ipv6_exthdrs(struct harness *h)
{
	static const struct {
		const char *what;
		uint8_t hdr;
	} kinds[] = {
		{ "hop-by-hop", 0 },
		{ "routing", 43 },
		{ "destination options", 60 },
		{ "fragment (atomic)", 44 },
	};
	const struct fam *f = &fams[1];
	char n[128];

	for (size_t i = 0; i < 4; i++) {
		struct pkt_spec s = seg(f, false, IPPROTO_TCP, f->out, 22,
					40000, TH_SYN, 1, 0);

		s.ext[0] = kinds[i].hdr;
		s.n_ext = 1;
		snprintf(n, sizeof(n), "v6 SYN to 22 behind %s passes",
			 kinds[i].what);
		expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);
	}
	struct pkt_spec s =
		seg(f, false, IPPROTO_TCP, f->out, 22, 40000, TH_SYN, 1, 0);

	s.proto = 135; /* mobility header: not walked */
	expect(h, "v6 unknown next header (mobility) drops", false, &s, false,
	       PC_R_IN_BAD_EXTHDR, NULL);
	s = seg(f, false, IPPROTO_TCP, f->out, 22, 40000, TH_SYN, 1, 0);
	s.n_ext = 6;
	for (int i = 0; i < 6; i++)
		s.ext[i] = 60;
	expect(h, "v6 chain of exactly the limit (6) passes", false, &s, true,
	       PC_R_IN_SSH_NEW, NULL);
	struct pkt_spec mld = { .family = AF_INET6,
				.src = "fe80::9",
				.dst = "ff02::16",
				.proto = 58,
				.icmp_type = 143,
				.ttl = 1 };

	mld.ext[0] = 0; /* MLD comes with a router-alert hop-by-hop */
	mld.n_ext = 1;
	expect(h, "v6 MLDv2 report from a neighbour passes", false, &mld, true,
	       PC_R_IN_NDP, NULL);
	mld.src = OUT6;
	expect(h, "v6 MLD from a global address drops", false, &mld, false,
	       PC_R_IN_DEFAULT_DROP, NULL);
}

#define DEADLINE_GC_INTERVAL_NS 3600000000000ULL

void test_state(struct harness *h)
{
	h->group = "state";
	h_group_gc(h, "state", NULL, 0, DEADLINE_GC_INTERVAL_NS,
		   state_deadlines);
	for (size_t i = 0; i < 2; i++) {
		tcp_states(h, &fams[i]);
		ack_slack(h, &fams[i]);
		icmp_errors(h, &fams[i]);
		fragments(h, &fams[i]);
	}
	ipv6_exthdrs(h);
}
