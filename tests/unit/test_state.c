// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Stateful tracking under hostile traffic: TCP states and sequence checks,
 * ICMP errors related to exact flows, fragments, IPv6 extension headers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "portcullis.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define SEC 1000000000ULL

struct fam {
	int af;
	const char *tag, *srv, *edge, *out, *dns;
	uint8_t icmp;
	uint8_t unreach,
		ptb; /* dest unreachable, packet too big / frag needed */
};

static const struct fam fams[] = {
	{ AF_INET, "v4", SRV4, EDGE4, OUT4, DNS4, IPPROTO_ICMP, 3, 3 },
	{ AF_INET6, "v6", SRV6, EDGE6, OUT6, DNS6, IPPROTO_ICMPV6, 1, 2 },
};

static struct pkt_spec seg(const struct fam *f, bool egress, uint8_t proto,
			   const char *remote, uint16_t lport, uint16_t rport,
			   uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct pkt_spec s = {
		.family = f->af,
		.proto = proto,
		.tcp_flags = flags,
		.seq = seq,
		.ack = ack,
		.src = egress ? f->srv : remote,
		.dst = egress ? remote : f->srv,
		.sport = egress ? lport : rport,
		.dport = egress ? rport : lport,
	};
	return s;
}

static void t(struct harness *h, const struct fam *f, const char *what,
	      bool egress, struct pkt_spec s, bool pass, int reason,
	      const char *rule)
{
	char n[160];

	snprintf(n, sizeof(n), "%s %s", f->tag, what);
	expect(h, n, egress, &s, pass, reason, rule);
}

/* The key of the flow server side lport -> remote:rport. */
static struct pc_flow_key fkey(const struct fam *f, uint8_t proto,
			       const char *remote, uint16_t lport,
			       uint16_t rport)
{
	struct pc_flow_key k = { .family = f->af, .proto = proto };

	k.lport = htons(lport);
	k.rport = htons(rport);
	inet_pton(f->af, f->srv, k.laddr);
	inet_pton(f->af, remote, k.raddr);
	return k;
}

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

static __u64 mono_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Check that flow k's deadline is its stamp plus timeout_s. */
static void deadline_is(struct harness *h, const struct fam *f,
			const char *what, const struct pc_flow_key *k,
			__u64 timeout_s, struct pc_flow_val *v)
{
	char n[160];
	bool found = pc_flows_get(&h->m, k, v) == 0;

	snprintf(n, sizeof(n), "%s deadline: %s", f->tag, what);
	check(h, n, found && v->expires_ns == v->seen_ns + timeout_s * SEC,
	      "%s: expires - seen = %lld ns, want %llu s",
	      found ? "found" : "no flow",
	      found ? (long long)(v->expires_ns - v->seen_ns) : 0LL,
	      (unsigned long long)timeout_s);
}

/*
 * A flow's deadline (expires_ns) is set with each stamp from the timeout
 * of its state (the default policy: SYN 30 s, established 7440, FIN 120,
 * close 10, UDP 180), at once when the state changes; a packet within
 * PC_FLOW_REFRESH_NS of the last stamp writes nothing; the packet path
 * decides by the deadline alone; trace tells the time left, or how long
 * ago an entry expired.
 */
static void deadlines(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP, U = IPPROTO_UDP;
	const char *e = f->edge;
	struct pc_flow_key k = fkey(f, T, e, 53000, 7844);
	struct pc_flow_key ku = fkey(f, U, e, 53001, 7844);
	struct pkt_spec reply = seg(f, false, U, e, 53001, 7844, 0, 0, 0);
	struct pc_flow_val v, before;
	struct pc_trace tr;
	__u64 t0, t1;
	int dry, ret;
	char n[160];

	t0 = mono_coarse_ns();
	t(h, f, "deadline: SYN out", true,
	  seg(f, true, T, e, 53000, 7844, TH_SYN, 100, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t1 = mono_coarse_ns();
	deadline_is(h, f, "SYN-SENT lives tcp_syn", &k, 30, &v);
	snprintf(n, sizeof(n), "%s deadline: stamped with the packet's clock",
		 f->tag);
	check(h, n,
	      v.seen_ns + 20000000 >= t0 && v.seen_ns <= t1 + 20000000 &&
		      v.created_ns == v.seen_ns,
	      "seen %llu, user clock %llu..%llu", (unsigned long long)v.seen_ns,
	      (unsigned long long)t0, (unsigned long long)t1);
	t(h, f, "deadline: SYN-ACK in", false,
	  seg(f, false, T, e, 53000, 7844, TH_SYN | TH_ACK, 900, 101), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "established at once lives tcp_established", &k, 7440,
		    &before);
	t(h, f, "deadline: ACK out", true,
	  seg(f, true, T, e, 53000, 7844, TH_ACK, 101, 901), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	t1 = mono_coarse_ns();
	deadline_is(h, f, "still tcp_established after a packet", &k, 7440, &v);
	snprintf(n, sizeof(n),
		 "%s deadline: a packet within the refresh interval writes "
		 "nothing",
		 f->tag);
	check(h, n,
	      v.seen_ns == before.seen_ns ||
		      t1 - before.seen_ns >= PC_FLOW_REFRESH_NS - 20000000,
	      "restamped %llu ns after the last stamp",
	      (unsigned long long)(v.seen_ns - before.seen_ns));
	t(h, f, "deadline: FIN in", false,
	  seg(f, false, T, e, 53000, 7844, TH_FIN | TH_ACK, 901, 101), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "fin-wait lives tcp_fin", &k, 120, &v);
	t(h, f, "deadline: RST in", false,
	  seg(f, false, T, e, 53000, 7844, TH_RST, 902, 0), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "closed lives tcp_close", &k, 10, &v);

	t(h, f, "deadline: UDP out", true,
	  seg(f, true, U, e, 53001, 7844, 0, 0, 0), true, PC_R_OUT_NEW_FLOW,
	  "tunnel-region1");
	t(h, f, "deadline: UDP reply", false, reply, true, PC_R_IN_ESTABLISHED,
	  NULL);
	deadline_is(h, f, "UDP lives udp", &ku, 180, &v);

	/* trace tells the time left */
	dry = h_dry_run(h, false, &reply, &tr, &ret);
	snprintf(n, sizeof(n),
		 "%s deadline: trace says the UDP flow's time left", f->tag);
	check(h, n,
	      !dry && tr.flow_state == PC_FS_ESTABLISHED && !tr.flow_expired &&
		      tr.flow_left_ns > 170 * (__s64)SEC &&
		      tr.flow_left_ns <= 180 * (__s64)SEC,
	      "run %d, state %u, expired %u, left %lld ns", dry, tr.flow_state,
	      tr.flow_expired, (long long)tr.flow_left_ns);

	/* The deadline alone decides: not the stamp plus a timeout. */
	v.expires_ns = mono_coarse_ns() - 2 * SEC;
	pc_flows_put(&h->m, &ku, &v, BPF_EXIST);
	t(h, f, "deadline: a reply after the deadline has no flow", false,
	  reply, false, PC_R_IN_DEFAULT_DROP, NULL);
	dry = h_dry_run(h, false, &reply, &tr, &ret);
	snprintf(n, sizeof(n),
		 "%s deadline: trace says an entry expired, and how long ago",
		 f->tag);
	check(h, n,
	      !dry && tr.flow_state == PC_FS_ESTABLISHED && tr.flow_expired &&
		      tr.flow_left_ns < -(__s64)SEC &&
		      tr.flow_left_ns > -10 * (__s64)SEC,
	      "run %d, state %u, expired %u, left %lld ns", dry, tr.flow_state,
	      tr.flow_expired, (long long)tr.flow_left_ns);
	/* 5 s back: past the refresh interval, within any uptime */
	v.seen_ns = mono_coarse_ns() - 5 * SEC;
	v.created_ns = v.seen_ns;
	v.expires_ns = mono_coarse_ns() + 2 * SEC; /* not seen + 180 s */
	pc_flows_put(&h->m, &ku, &v, BPF_EXIST);
	t(h, f,
	  "deadline: a reply before the deadline passes, the stamp "
	  "notwithstanding",
	  false, reply, true, PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "the late reply restamped it", &ku, 180, &v);
	pc_flows_delete(&h->m, &k);
	pc_flows_delete(&h->m, &ku);
}

/*
 * The server's own packets: its FIN and RST set the deadline of the new
 * state at once; a UDP packet out after the refresh interval restamps.
 */
static void deadlines_out(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP, U = IPPROTO_UDP;
	const char *e = f->edge;
	struct pc_flow_key k = fkey(f, T, e, 53002, 7844);
	struct pc_flow_key ku = fkey(f, U, e, 53003, 7844);
	struct pkt_spec out = seg(f, true, U, e, 53003, 7844, 0, 0, 0);
	struct pc_flow_val v;

	t(h, f, "deadline: SYN out, a flow the server ends", true,
	  seg(f, true, T, e, 53002, 7844, TH_SYN, 300, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t(h, f, "deadline: its SYN-ACK in", false,
	  seg(f, false, T, e, 53002, 7844, TH_SYN | TH_ACK, 700, 301), true,
	  PC_R_IN_ESTABLISHED, NULL);
	t(h, f, "deadline: FIN out", true,
	  seg(f, true, T, e, 53002, 7844, TH_FIN | TH_ACK, 301, 701), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's FIN: fin-wait lives tcp_fin", &k, 120,
		    &v);
	t(h, f, "deadline: RST out", true,
	  seg(f, true, T, e, 53002, 7844, TH_RST, 302, 0), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's RST: closed lives tcp_close", &k, 10,
		    &v);

	t(h, f, "deadline: UDP out, a new flow", true, out, true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	pc_flows_get(&h->m, &ku, &v);
	v.seen_ns = mono_coarse_ns() - 5 * SEC; /* past the interval */
	v.expires_ns = mono_coarse_ns() + 2 * SEC;
	pc_flows_put(&h->m, &ku, &v, BPF_EXIST);
	t(h, f, "deadline: UDP out after the refresh interval", true, out, true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's packet restamped it", &ku, 180, &v);
	pc_flows_delete(&h->m, &k);
	pc_flows_delete(&h->m, &ku);
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

/*
 * The deadline cases leave an expired entry for the packet path and trace
 * to find. On a load of their own, whose collector runs once an hour: the
 * shared load's runs every 100 ms and could remove that entry between two
 * of their packets (it did, in about one run of six).
 */
static void deadline_cases(struct harness *g)
{
	for (size_t i = 0; i < 2; i++) {
		deadlines(g, &fams[i]);
		deadlines_out(g, &fams[i]);
	}
}

#define DEADLINE_GC_INTERVAL_NS 3600000000000ULL

void test_state(struct harness *h)
{
	h->group = "state";
	h_group_gc(h, "state", NULL, 0, DEADLINE_GC_INTERVAL_NS,
		   deadline_cases);
	for (size_t i = 0; i < 2; i++) {
		tcp_states(h, &fams[i]);
		ack_slack(h, &fams[i]);
		icmp_errors(h, &fams[i]);
		fragments(h, &fams[i]);
	}
	ipv6_exthdrs(h);
}
