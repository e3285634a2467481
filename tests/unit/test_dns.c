// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * DNS snooping: a reply to the server's own query for a policy name adds
 * the answer's addresses for that rule's ports, at once; forged, unasked,
 * off-policy and hostile answers add nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "names.h"
#include "portcullis.h"

/* A DNS message under construction. */
struct msg {
	uint8_t b[512];
	size_t n;
};

static void put8(struct msg *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put_name(struct msg *m, const char *name)
{
	const char *l = name;

	while (*l) {
		const char *dot = strchr(l, '.');
		size_t n = dot ? (size_t)(dot - l) : strlen(l);

		put8(m, n);
		memcpy(m->b + m->n, l, n);
		m->n += n;
		if (!dot)
			break;
		l = dot + 1;
	}
	put8(m, 0);
}

static void header(struct msg *m, uint16_t id, bool reply, uint16_t an)
{
	m->n = 0;
	put16(m, id);
	put16(m, reply ? 0x8180 : 0x0100);
	put16(m, 1); /* qdcount */
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void question(struct msg *m, const char *name, uint16_t type)
{
	put_name(m, name);
	put16(m, type);
	put16(m, 1);
}

/* An answer owned by the name at offset owner (a compression pointer). */
static void answer(struct msg *m, uint16_t owner, uint16_t type, uint32_t ttl,
		   const void *rdata, uint16_t rdlen)
{
	put16(m, 0xC000 | owner);
	put16(m, type);
	put16(m, 1);
	put16(m, ttl >> 16);
	put16(m, ttl & 0xffff);
	put16(m, rdlen);
	memcpy(m->b + m->n, rdata, rdlen);
	m->n += rdlen;
}

static void query_out(struct harness *h, const char *what, const char *name,
		      uint16_t id, uint16_t sport)
{
	struct msg q;
	struct pkt_spec s = { .family = AF_INET,
			      .src = SRV4,
			      .dst = DNS4,
			      .proto = IPPROTO_UDP,
			      .sport = sport,
			      .dport = 53 };

	header(&q, id, false, 0);
	question(&q, name, 1);
	s.data = q.b;
	s.payload = q.n;
	expect(h, what, true, &s, true, PC_R_OUT_NEW_FLOW, "dns");
}

static void reply_in(struct harness *h, const char *what, struct msg *r,
		     uint16_t dport, const char *from)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = from,
			      .dst = SRV4,
			      .proto = IPPROTO_UDP,
			      .sport = 53,
			      .dport = dport,
			      .data = r->b,
			      .payload = r->n };

	expect(h, what, false, &s, true, PC_R_IN_ESTABLISHED, NULL);
}

/* Does a SYN from the server to addr:port pass, and by which rule? */
static void syn_to(struct harness *h, const char *what, const char *addr,
		   uint16_t port, bool pass, const char *rule)
{
	static uint16_t sport = 30000;
	struct pkt_spec s = { .family = strchr(addr, ':') ? AF_INET6 : AF_INET,
			      .proto = IPPROTO_TCP,
			      .sport = sport++,
			      .dport = port,
			      .tcp_flags = 0x02 };

	s.src = s.family == AF_INET ? SRV4 : SRV6;
	s.dst = addr;
	expect(h, what, true, &s, pass,
	       pass ? PC_R_OUT_NEW_FLOW : PC_R_OUT_DEFAULT_DROP, rule);
}

/* One TCP connection from the server to a resolver's port 53. */
struct tcp_conn {
	int family;
	const char *srv, *dns;
	uint16_t sport;
};

/*
 * A DNS message on connection c (RFC 7766): its 2-byte length, then the
 * message. claim: the length the prefix says (more than the message: the
 * rest would come in a later segment).
 */
static void tcp_dns(struct harness *h, const char *what, bool egress,
		    const struct tcp_conn *c, const struct msg *m, size_t claim,
		    int reason)
{
	uint8_t seg[sizeof(m->b) + 2];
	struct pkt_spec s = { .family = c->family,
			      .src = egress ? c->srv : c->dns,
			      .dst = egress ? c->dns : c->srv,
			      .proto = IPPROTO_TCP,
			      .sport = egress ? c->sport : 53,
			      .dport = egress ? 53 : c->sport,
			      .tcp_flags = 0x18, /* PSH ACK */
			      .data = seg,
			      .payload = m->n + 2 };

	seg[0] = claim >> 8;
	seg[1] = claim & 0xff;
	memcpy(seg + 2, m->b, m->n);
	expect(h, what, egress, &s, true, reason, egress ? "dns" : NULL);
}

/* Connection c, established: the SYN out, the SYN-ACK in. */
static void tcp_dns_connect(struct harness *h, const struct tcp_conn *c)
{
	struct pkt_spec syn = { .family = c->family,
				.src = c->srv,
				.dst = c->dns,
				.proto = IPPROTO_TCP,
				.sport = c->sport,
				.dport = 53,
				.tcp_flags = 0x02 };
	struct pkt_spec synack = { .family = c->family,
				   .src = c->dns,
				   .dst = c->srv,
				   .proto = IPPROTO_TCP,
				   .sport = 53,
				   .dport = c->sport,
				   .tcp_flags = 0x12,
				   .ack = 1001 };

	const char *v = c->family == AF_INET6 ? "IPv6" : "IPv4";
	char n[80];

	snprintf(n, sizeof(n), "TCP to the resolver (%s): the SYN goes out", v);
	expect(h, n, true, &syn, true, PC_R_OUT_NEW_FLOW, "dns");
	snprintf(n, sizeof(n), "TCP to the resolver (%s): its SYN-ACK comes in",
		 v);
	expect(h, n, false, &synack, true, PC_R_IN_ESTABLISHED, NULL);
}

static uint64_t split_count(struct harness *h)
{
	struct pc_dns_stats sum;

	pc_dns_stats_sum(h->m.dns_stats, &sum);
	return sum.split;
}

static uint32_t a4(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

void test_dns(struct harness *h)
{
	const char *api = "api.cloudflare.com";
	uint32_t addr;
	struct msg r;

	h->group = "dns";
	check(h, "name hash of user space equals the kernel's (A and a)",
	      pc_dns_name_hash("API.Cloudflare.com") ==
		      pc_dns_name_hash("api.cloudflare.com"),
	      "case changes the hash");

	/* 1. the plain case: query, answer, connect at once */
	syn_to(h, "before the answer 203.0.113.77:443 is not allowed",
	       "203.0.113.77", 443, false, NULL);
	query_out(h, "query for api.cloudflare.com goes to the resolver", api,
		  0x1111, 46000);
	header(&r, 0x1111, true, 1);
	question(&r, api, 1);
	addr = a4("203.0.113.77");
	answer(&r, 12, 1, 60, &addr, 4);
	reply_in(h, "the reply comes in", &r, 46000, DNS4);
	syn_to(h, "the answer's address is allowed on 443 at once",
	       "203.0.113.77", 443, true, "api-cloudflare");
	syn_to(h, "... but not on another port", "203.0.113.77", 8443, false,
	       NULL);

	/* 2. a CNAME chain */
	query_out(h, "query 2", api, 0x2222, 46001);
	header(&r, 0x2222, true, 3);
	question(&r, api, 1);
	{
		size_t target = r.n + 12; /* the CNAME's rdata */
		struct msg t = { .n = 0 };

		put_name(&t, "edge.cdn.example");
		answer(&r, 12, 5, 60, t.b, t.n);
		addr = a4("203.0.113.78");
		answer(&r, target, 1, 60, &addr, 4);
		/* owned by "cloudflare.com" (offset 16, a suffix of the
		 * question): another name */
		addr = a4("203.0.113.79");
		answer(&r, 16, 1, 60, &addr, 4);
	}
	reply_in(h, "a reply with a CNAME chain", &r, 46001, DNS4);
	syn_to(h, "an A record of the CNAME target is learned", "203.0.113.78",
	       443, true, "api-cloudflare");
	syn_to(h, "an A record owned by another name is not", "203.0.113.79",
	       443, false, NULL);

	/* 3. hostile replies */
	header(&r, 0x3333, true, 1);
	question(&r, api, 1);
	addr = a4("203.0.113.80");
	answer(&r, 12, 1, 60, &addr, 4);
	{
		struct pkt_spec s = { .family = AF_INET,
				      .src = DNS4,
				      .dst = SRV4,
				      .proto = IPPROTO_UDP,
				      .sport = 53,
				      .dport = 46002,
				      .data = r.b,
				      .payload = r.n };

		expect(h, "a reply to no query does not even get in", false, &s,
		       false, PC_R_IN_DEFAULT_DROP, NULL);
	}
	syn_to(h, "teaches nothing", "203.0.113.80", 443, false, NULL);

	query_out(h, "query 4", api, 0x4444, 46003);
	header(&r, 0x4445, true, 1); /* wrong ID */
	question(&r, api, 1);
	addr = a4("203.0.113.81");
	answer(&r, 12, 1, 60, &addr, 4);
	reply_in(h, "a reply with the wrong ID", &r, 46003, DNS4);
	syn_to(h, "teaches nothing either", "203.0.113.81", 443, false, NULL);

	query_out(h, "query for a name not in the policy", "example.com",
		  0x5555, 46004);
	header(&r, 0x5555, true, 1);
	question(&r, "example.com", 1);
	addr = a4("203.0.113.82");
	answer(&r, 12, 1, 60, &addr, 4);
	reply_in(h, "its reply", &r, 46004, DNS4);
	syn_to(h, "opens nothing", "203.0.113.82", 443, false, NULL);

	query_out(h, "query 6", api, 0x6666, 46005);
	header(&r, 0x6666, true, 2);
	question(&r, api, 1);
	addr = a4("127.0.0.1");
	answer(&r, 12, 1, 60, &addr, 4);
	addr = a4(SRV4);
	answer(&r, 12, 1, 60, &addr, 4);
	reply_in(h, "a reply pointing at loopback and the server", &r, 46005,
		 DNS4);
	syn_to(h, "loopback was refused", "127.0.0.1", 443, false, NULL);

	/* 5. over TCP (after a truncated answer): one segment per message */
	{
		const struct tcp_conn c4 = { AF_INET, SRV4, DNS4, 47000 };
		const struct tcp_conn c6 = { AF_INET6, SRV6, DNS6, 47001 };
		uint64_t before;
		uint8_t addr6[16];

		tcp_dns_connect(h, &c4);
		header(&r, 0x7777, false, 0);
		question(&r, api, 1);
		tcp_dns(h, "a query over TCP goes out", true, &c4, &r, r.n,
			PC_R_OUT_ESTABLISHED);
		header(&r, 0x7777, true, 1);
		question(&r, api, 1);
		addr = a4("203.0.113.83");
		answer(&r, 12, 1, 60, &addr, 4);
		tcp_dns(h, "its reply comes in over TCP", false, &c4, &r, r.n,
			PC_R_IN_ESTABLISHED);
		syn_to(h, "an address answered over TCP is allowed on 443",
		       "203.0.113.83", 443, true, "api-cloudflare");

		before = split_count(h);
		header(&r, 0x7778, false, 0);
		question(&r, api, 1);
		tcp_dns(h, "another query over TCP", true, &c4, &r, r.n,
			PC_R_OUT_ESTABLISHED);
		header(&r, 0x7778, true, 1);
		question(&r, api, 1);
		addr = a4("203.0.113.84");
		answer(&r, 12, 1, 60, &addr, 4);
		tcp_dns(h, "a reply whose length says more segments follow",
			false, &c4, &r, r.n + 100, PC_R_IN_ESTABLISHED);
		syn_to(h, "a split message teaches nothing", "203.0.113.84",
		       443, false, NULL);
		check(h, "... and is counted as split",
		      split_count(h) == before + 1, "split %llu -> %llu",
		      (unsigned long long)before,
		      (unsigned long long)split_count(h));

		/* IPv6: an AAAA answer over TCP to the v6 resolver */
		tcp_dns_connect(h, &c6);
		header(&r, 0x7779, false, 0);
		question(&r, api, 28);
		tcp_dns(h, "an AAAA query over TCP/IPv6 goes out", true, &c6,
			&r, r.n, PC_R_OUT_ESTABLISHED);
		header(&r, 0x7779, true, 1);
		question(&r, api, 28);
		inet_pton(AF_INET6, "2001:db8:77::83", addr6);
		answer(&r, 12, 28, 60, addr6, 16);
		tcp_dns(h, "its reply comes in over TCP/IPv6", false, &c6, &r,
			r.n, PC_R_IN_ESTABLISHED);
		syn_to(h, "the AAAA answered over TCP/IPv6 is allowed on 443",
		       "2001:db8:77::83", 443, true, "api-cloudflare");
	}

	/* 4. the learned entry carries its rule, name and source */
	{
		struct pc_dyn_key k = { .family = AF_INET,
					.proto = IPPROTO_TCP,
					.port = htons(443) };
		struct pc_dyn_val v = {};

		k.addr[0] = a4("203.0.113.77");
		check(h, "dyn_allow entry: snooped, with a TTL-bound expiry",
		      !bpf_map_lookup_elem(h->m.dyn_allow, &k, &v) &&
			      v.source == PC_SRC_SNOOPED && v.expires_ns != 0 &&
			      v.rule_id ==
				      (__u32)h_rule_id(h, "api-cloudflare"),
		      "source %u rule %u", v.source, v.rule_id);
	}
}
