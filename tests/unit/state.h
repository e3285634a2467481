/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the tests of flows share (test_state.c, test_deadline.c,
 * test_egress.c, and the policy-change, rejudge and allowlist groups): the
 * two address families, a segment of a flow, one case, a flow's key.
 */
#ifndef PC_TEST_STATE_H
#define PC_TEST_STATE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include "harness.h"
#include "portcullis.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define SEC 1000000000ULL

struct fam {
	int af;
	const char *tag, *srv, *edge, *api, *out, *dns;
	uint8_t icmp;
	uint8_t unreach,
		ptb; /* dest unreachable, packet too big / frag needed */
};

static const struct fam fams[] = {
	{ AF_INET, "v4", SRV4, EDGE4, API4, OUT4, DNS4, IPPROTO_ICMP, 3, 3 },
	{ AF_INET6, "v6", SRV6, EDGE6, API6, OUT6, DNS6, IPPROTO_ICMPV6, 1, 2 },
};

static inline struct pkt_spec seg(const struct fam *f, bool egress,
				  uint8_t proto, const char *remote,
				  uint16_t lport, uint16_t rport, uint8_t flags,
				  uint32_t seq, uint32_t ack)
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

/* A packet from the server (egress) or to it (ingress), seq and ack 0. */
static inline struct pkt_spec pkt(const struct fam *f, bool egress,
				  uint8_t proto, const char *remote,
				  uint16_t lport, uint16_t rport, uint8_t flags)
{
	return seg(f, egress, proto, remote, lport, rport, flags, 0, 0);
}

static inline void t(struct harness *h, const struct fam *f, const char *what,
		     bool egress, struct pkt_spec s, bool pass, int reason,
		     const char *rule)
{
	char n[160];

	snprintf(n, sizeof(n), "%s %s", f->tag, what);
	expect(h, n, egress, &s, pass, reason, rule);
}

/* The key of the flow server side lport -> remote:rport. */
static inline struct pc_flow_key fkey(const struct fam *f, uint8_t proto,
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

/* The deadline cases, on a load whose collector runs hourly. */
void state_deadlines(struct harness *g);

#endif /* PC_TEST_STATE_H */
