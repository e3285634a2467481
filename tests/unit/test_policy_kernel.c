// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Policy features as the kernel enforces them: ssh.from, the SSH rate
 * limit, audit mode, ICMP echo in, DHCP client, and an atomic swap that
 * keeps counters and flows (but ends the flows audit mode let out).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "harness.h"
#include "policy.h"
#include "portcullis.h"

static const char features[] = "version: 1\n"
			       "ssh:\n"
			       "  ports: [22]\n"
			       "  from: [203.0.113.0/24, 2001:db8:ff::/48]\n"
			       "  rate_limit: {per_minute: 10, burst: 10}\n"
			       "icmp_echo_in: true\n"
			       "dhcp_client: true\n"
			       "audit: [out_default_drop]\n"
			       "egress:\n"
			       "  - name: web\n"
			       "    to: [198.51.100.0/24]\n"
			       "    proto: tcp\n"
			       "    ports: [443]\n";

static struct pkt_spec syn22(const char *src, int af, uint16_t sport)
{
	struct pkt_spec s = { .family = af,
			      .src = src,
			      .dst = af == AF_INET ? SRV4 : SRV6,
			      .proto = IPPROTO_TCP,
			      .sport = sport,
			      .dport = 22,
			      .tcp_flags = 0x02 };
	return s;
}

static void ssh_limits(struct harness *h)
{
	struct pkt_spec s;
	char n[96];

	s = syn22("198.51.100.7", AF_INET, 40000);
	expect(h, "SYN to 22 from outside ssh.from drops", false, &s, false,
	       PC_R_IN_SSH_SOURCE, NULL);
	s = syn22("2001:db8:1::7", AF_INET6, 40000);
	expect(h, "v6 SYN to 22 from outside ssh.from drops", false, &s, false,
	       PC_R_IN_SSH_SOURCE, NULL);
	for (int i = 0; i < 10; i++) {
		s = syn22(OUT4, AF_INET, 41000 + i);
		snprintf(n, sizeof(n),
			 "new SSH %d of 10 from one source passes", i + 1);
		expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);
	}
	s = syn22(OUT4, AF_INET, 41010);
	expect(h, "11th new SSH from that source within a minute drops", false,
	       &s, false, PC_R_IN_SSH_RATELIMIT, NULL);
	s = syn22("203.0.113.10", AF_INET, 41010);
	expect(h, "another source still gets in", false, &s, true,
	       PC_R_IN_SSH_NEW, NULL);
	for (int i = 0; i < 10; i++) {
		s = syn22("2001:db8:ff::1:1", AF_INET6, 42000 + i);
		h_run(h, false, &s);
	}
	s = syn22("2001:db8:ff::2:2", AF_INET6, 42010);
	expect(h, "v6 sources of one /64 share a limit", false, &s, false,
	       PC_R_IN_SSH_RATELIMIT, NULL);
}

/* The flow audit mode lets out in toggles() (server 40000 -> OUT4:8443):
 * its ACK out, a segment in, an ICMP error that quotes the ACK. */
static const struct pkt_spec audited_ack = { .family = AF_INET,
					     .src = SRV4,
					     .dst = OUT4,
					     .proto = IPPROTO_TCP,
					     .sport = 40000,
					     .dport = 8443,
					     .tcp_flags = 0x10 };

static struct pkt_spec audited_in(uint8_t flags)
{
	struct pkt_spec s = audited_ack;

	s.src = OUT4;
	s.dst = SRV4;
	s.sport = 8443;
	s.dport = 40000;
	s.tcp_flags = flags;
	s.ack = 1001;
	return s;
}

static struct pkt_spec audited_unreachable(void)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = OUT4,
			      .dst = SRV4,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = 3,
			      .inner = &audited_ack };
	return s;
}

static void toggles(struct harness *h)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = OUT4,
			      .dst = SRV4,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = 8,
			      .icmp_id = 3 };

	expect(h, "icmp_echo_in: echo request passes", false, &s, true,
	       PC_R_IN_ICMP_ECHO, NULL);
	s = (struct pkt_spec){ .family = AF_INET,
			       .src = SRV4,
			       .dst = OUT4,
			       .proto = IPPROTO_ICMP,
			       .icmp_type = 0,
			       .icmp_id = 3 };
	expect(h, "icmp_echo_in: echo reply goes out", true, &s, true,
	       PC_R_OUT_ICMP_ECHO_REPLY, NULL);
	s = (struct pkt_spec){ .family = AF_INET,
			       .src = "0.0.0.0",
			       .dst = "255.255.255.255",
			       .proto = IPPROTO_UDP,
			       .sport = 68,
			       .dport = 67 };
	expect(h, "dhcp_client: discover goes out", true, &s, true,
	       PC_R_OUT_DHCP, NULL);
	s = (struct pkt_spec){ .family = AF_INET,
			       .src = "192.0.2.254",
			       .dst = "255.255.255.255",
			       .proto = IPPROTO_UDP,
			       .sport = 67,
			       .dport = 68 };
	expect(h, "dhcp_client: offer comes in", false, &s, true, PC_R_IN_DHCP,
	       NULL);
	s = audited_ack;
	s.tcp_flags = 0x02;
	expect(h, "audit: a default-drop egress packet passes and counts", true,
	       &s, true, PC_R_OUT_DEFAULT_DROP, NULL);
	s = audited_in(0x12);
	expect(h, "audit: its SYN-ACK comes in (the audited flow)", false, &s,
	       true, PC_R_IN_ESTABLISHED, NULL);
	s = audited_unreachable();
	expect(h, "audit: an ICMP error about it is related", false, &s, true,
	       PC_R_IN_ICMP_RELATED, NULL);
	s = (struct pkt_spec){ .family = AF_INET,
			       .src = OUT4,
			       .dst = SRV4,
			       .proto = IPPROTO_TCP,
			       .sport = 40000,
			       .dport = 80,
			       .tcp_flags = 0x02 };
	expect(h, "audit only for the named rule: in_default_drop drops", false,
	       &s, false, PC_R_IN_DEFAULT_DROP, NULL);
}

/* The swap: a second policy replaces the first, flows and counters stay. */
static void swap(struct harness *h)
{
	static const char second[] = "version: 1\n"
				     "egress:\n"
				     "  - name: web\n"
				     "    to: [198.51.100.0/24]\n"
				     "    proto: tcp\n"
				     "    ports: [443, 8443]\n"
				     "  - name: extra\n"
				     "    to: [192.0.2.99]\n"
				     "    proto: udp\n";
	struct pkt_spec s = { .family = AF_INET,
			      .src = SRV4,
			      .dst = "198.51.100.5",
			      .proto = IPPROTO_TCP,
			      .sport = 45000,
			      .dport = 443,
			      .tcp_flags = 0x02 };
	int web = h_rule_id(h, "web");
	uint64_t before;

	expect(h, "before swap: SYN to web:443", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "web");
	before = h_row_packets(h, PC_RULE_BASE + web);
	if (h_apply(h, "second", second) < 0) {
		check(h, "swap applied", false, "apply failed");
		return;
	}
	check(h, "swap keeps the rule id of 'web'", h_rule_id(h, "web") == web,
	      "id %d -> %d", web, h_rule_id(h, "web"));
	check(h, "swap keeps the counter of 'web'",
	      h_row_packets(h, PC_RULE_BASE + web) == before, "counter moved");
	s.tcp_flags = 0x10;
	expect(h, "after swap: the flow created before still passes", true, &s,
	       true, PC_R_OUT_ESTABLISHED, "web");
	s.tcp_flags = 0x02;
	s.sport = 45001;
	s.dport = 8443;
	expect(h, "after swap: the new policy's port passes", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "web");
	s = syn22("198.51.100.7", AF_INET, 40000);
	expect(h, "after swap: ssh.from is gone with the old policy", false, &s,
	       true, PC_R_IN_SSH_NEW, NULL);
	/* The new policy enforces out_default_drop: the flow audit mode let
	 * out ends with it, both ways. */
	expect(h, "after swap: the audited flow's packets out drop", true,
	       &audited_ack, false, PC_R_OUT_DEFAULT_DROP, NULL);
	s = audited_in(0x10);
	expect(h, "after swap: the audited flow's packets in drop", false, &s,
	       false, PC_R_IN_NO_FLOW, NULL);
	s = audited_unreachable();
	expect(h, "after swap: an ICMP error about it is unrelated", false, &s,
	       false, PC_R_IN_ICMP_UNRELATED, NULL);
	check(h, "after swap: 'extra' has a counter row",
	      h_rule_id(h, "extra") > 0, "missing");
}

/*
 * The egress matcher looks up any-port entries and learned host-name
 * addresses only for the (protocol, port) pairs the slot has: check that
 * every kind of rule still matches, and the lookups it skips would not.
 */
static const char matching[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: exact, to: [198.51.100.0/24], proto: tcp, ports: [443]}\n"
	"  - {name: anyudp, to: [192.0.2.99], proto: udp}\n"
	"  - {name: named, hosts: [a.example], to: [192.0.2.10], proto: tcp, ports: [8443]}\n"
	"  - {name: named_any, hosts: [b.example], to: [192.0.2.11], proto: udp}\n"
	"  - {name: named_ping, hosts: [c.example], to: [192.0.2.12, \"2001:db8::12\"], proto: icmp}\n";

static void out(struct harness *h, const char *name, const char *dst, int proto,
		int dport, bool pass, const char *rule)
{
	struct pkt_spec s = { .family = strchr(dst, ':') ? AF_INET6 : AF_INET,
			      .src = strchr(dst, ':') ? SRV6 : SRV4,
			      .dst = dst,
			      .proto = proto,
			      .sport = 46000 + dport % 1000,
			      .dport = dport,
			      .tcp_flags = 0x02,
			      .icmp_type = proto == IPPROTO_ICMPV6 ? 128 : 8 };

	expect(h, name, true, &s, pass,
	       pass ? PC_R_OUT_NEW_FLOW : PC_R_OUT_DEFAULT_DROP, rule);
}

/* The running slot's config flags, or 0. */
static __u32 slot_flags(struct harness *h)
{
	struct pc_active act;
	struct pc_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act) ||
	    bpf_map_lookup_elem(h->m.policy_cfg, &act.slot, &cfg))
		return 0;
	return cfg.flags;
}

/* The running slot's allow_ports marks of a TCP or UDP port: bit 0 listed
 * addresses, bit 1 host names. */
#define MARK_LISTED 1
#define MARK_LEARNED 2
static int port_marks(struct harness *h, int udp, __u16 port)
{
	struct pc_port_bits b;
	struct pc_active act;
	__u32 zero = 0, word;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act))
		return -1;
	word = pc_port_word(act.slot, udp, port);
	if (bpf_map_lookup_elem(h->m.allow_ports, &word, &b))
		return -1;
	return ((b.listed >> (port % 64)) & 1 ? MARK_LISTED : 0) |
	       ((b.learned >> (port % 64)) & 1 ? MARK_LEARNED : 0);
}

/*
 * Exact ports are bits of allow_ports; rules for any port are slot flags
 * per protocol and kind, so an any-port rule sets no bit of other ports.
 */
static void match_marks(struct harness *p)
{
	__u32 f = slot_flags(p);
	__u32 want = PC_CFG_ANYPORT_UDP | PC_CFG_NAMES_ANYPORT_UDP;
	__u32 any = want | PC_CFG_ANYPORT_TCP | PC_CFG_NAMES_ANYPORT_TCP;
	int tcp443 = port_marks(p, 0, 443), tcp8443 = port_marks(p, 0, 8443);
	int udp5353 = port_marks(p, 1, 5353);

	check(p, "any-port flags: UDP listed and UDP names only",
	      (f & any) == want, "flags %#x", f);
	check(p, "exact listed port has its listed bit", tcp443 == MARK_LISTED,
	      "TCP 443 marks %d", tcp443);
	check(p, "exact host-name port has its learned bit",
	      tcp8443 == MARK_LEARNED, "TCP 8443 marks %d", tcp8443);
	check(p, "an any-port rule marks no port bit", udp5353 == 0,
	      "UDP 5353 marks %d", udp5353);
}

static void match_kinds(struct harness *p)
{
	match_marks(p);
	out(p, "exact port passes", "198.51.100.5", IPPROTO_TCP, 443, true,
	    "exact");
	out(p, "other port of an exact rule drops", "198.51.100.5", IPPROTO_TCP,
	    444, false, NULL);
	out(p, "any-port UDP rule: port 9", "192.0.2.99", IPPROTO_UDP, 9, true,
	    "anyudp");
	out(p, "any-port UDP rule: port 65000", "192.0.2.99", IPPROTO_UDP,
	    65000, true, "anyudp");
	out(p, "any-port UDP rule does not open TCP", "192.0.2.99", IPPROTO_TCP,
	    9, false, NULL);
	out(p, "host-name seed, its port", "192.0.2.10", IPPROTO_TCP, 8443,
	    true, "named");
	out(p, "host-name seed, another port drops", "192.0.2.10", IPPROTO_TCP,
	    443, false, NULL);
	out(p, "host-name seed, any-port UDP rule", "192.0.2.11", IPPROTO_UDP,
	    5353, true, "named_any");
	out(p, "host-name seed, any-port UDP rule is not TCP", "192.0.2.11",
	    IPPROTO_TCP, 5353, false, NULL);
	out(p, "host-name seed, ping", "192.0.2.12", IPPROTO_ICMP, 0, true,
	    "named_ping");
	out(p, "host-name seed, ping over IPv6", "2001:db8::12", IPPROTO_ICMPV6,
	    0, true, "named_ping");
}

/* Many host-name ports: each has its own bit, the first as the last. */
static const char many_pairs[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: n1, hosts: [a.example], to: [192.0.2.20], ports: [1, 2, 3, 4]}\n"
	"  - {name: n2, hosts: [b.example], to: [192.0.2.21], ports: [5, 6, 7, 8]}\n"
	"  - {name: n3, hosts: [c.example], to: [192.0.2.22], ports: [9, 10]}\n";

static void match_many(struct harness *p)
{
	out(p, "10 host-name pairs: the last one passes", "192.0.2.22",
	    IPPROTO_TCP, 10, true, "n3");
	out(p, "10 host-name pairs: the first one passes", "192.0.2.20",
	    IPPROTO_TCP, 1, true, "n1");
	out(p, "10 host-name pairs: an unlisted port drops", "192.0.2.22",
	    IPPROTO_TCP, 11, false, NULL);
}

/*
 * One-address entries are answered by the host hash (allow_hosts4/6), wider
 * ones by the trie, with the trie's meaning: the longest prefix wins, an
 * exact port wins over any port.
 */
static const char hosts_and_prefixes[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: host, to: [198.51.100.7, \"2001:db8:5::7\"], proto: tcp, ports: [443]}\n"
	"  - {name: net, to: [198.51.100.0/24, \"2001:db8:5::/64\"], proto: tcp, ports: [443]}\n"
	"  - {name: hostany, to: [198.51.100.8], proto: tcp}\n";

static const char hosts_only[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: hostany, to: [198.51.100.8], proto: tcp}\n";

/* Check that the host hashes hold n4 IPv4 and n6 IPv6 entries. */
static void expect_hosts(struct harness *h, const char *name, int n4, int n6)
{
	long got4 = h_allow_keys(h->m.allow_hosts4,
				 sizeof(struct pc_allow4_key), -1);
	long got6 = h_allow_keys(h->m.allow_hosts6,
				 sizeof(struct pc_allow6_key), -1);

	check(h, name, got4 == n4 && got6 == n6,
	      "%ld / %ld entries, want %d / %d", got4, got6, n4, n6);
}

static void apply_yaml(struct harness *h, const char *yaml)
{
	check(h, "policy applied", h_apply(h, "reload", yaml) >= 0,
	      "apply failed");
}

static void match_hosts(struct harness *p)
{
	__u32 both = PC_CFG_PREFIXES4 | PC_CFG_PREFIXES6;

	check(p, "wider prefixes flagged for both families",
	      (slot_flags(p) & both) == both, "flags %#x", slot_flags(p));
	expect_hosts(p, "host hashes hold the one-address entries", 2, 1);
	out(p, "a host entry wins over its covering prefix", "198.51.100.7",
	    IPPROTO_TCP, 443, true, "host");
	out(p, "another address of the prefix: the trie", "198.51.100.9",
	    IPPROTO_TCP, 443, true, "net");
	out(p, "IPv6 host entry wins over its /64", "2001:db8:5::7",
	    IPPROTO_TCP, 443, true, "host");
	out(p, "another IPv6 address of the /64", "2001:db8:5::9", IPPROTO_TCP,
	    443, true, "net");
	out(p, "an exact-port prefix wins over an any-port host",
	    "198.51.100.8", IPPROTO_TCP, 443, true, "net");
	out(p, "the any-port host, another port", "198.51.100.8", IPPROTO_TCP,
	    80, true, "hostany");
	out(p, "outside every entry drops", "198.51.101.7", IPPROTO_TCP, 443,
	    false, NULL);
	/* two reloads: each slot is cleared before it is written again */
	apply_yaml(p, hosts_only);
	apply_yaml(p, hosts_only);
	check(p, "no prefixes: the trie is not asked",
	      (slot_flags(p) & both) == 0, "flags %#x", slot_flags(p));
	/* one host in each slot, the IPv6 ones cleared with their slots */
	expect_hosts(p, "reloads leave only the slots' own host entries", 2, 0);
	out(p, "after the reloads: the host passes", "198.51.100.8",
	    IPPROTO_TCP, 81, true, "hostany");
	out(p, "after the reloads: the old prefix is gone", "198.51.100.10",
	    IPPROTO_TCP, 443, false, NULL);
}

/* The shipped policy lists addresses only: hashes answer, never the trie. */
static void default_hosts(struct harness *p)
{
	check(p, "no wider prefixes: the trie is not asked",
	      !(slot_flags(p) & (PC_CFG_PREFIXES4 | PC_CFG_PREFIXES6)),
	      "flags %#x", slot_flags(p));
	/* the resolvers (UDP and TCP 53); the edge seeds of the named rules
	 * are learned addresses (dyn_allow), a hash as well */
	expect_hosts(p, "the resolvers are in the host hashes", 2, 2);
	out(p, "the resolver on UDP 53 passes", DNS4, IPPROTO_UDP, 53, true,
	    "dns");
	out(p, "an edge address on 7844 passes", EDGE4, IPPROTO_UDP, 7844, true,
	    "tunnel-region1");
	out(p, "an IPv6 edge address on 7844 passes", EDGE6, IPPROTO_TCP, 7844,
	    true, "tunnel-region1");
}

static void kernel_cases(struct harness *p)
{
	ssh_limits(p);
	toggles(p);
	swap(p);
}

void test_policy_kernel(struct harness *h)
{
	h_group(h, "policy-kernel", features, 0, kernel_cases);
	h_group(h, "policy-match", matching, 0, match_kinds);
	h_group(h, "policy-match-many", many_pairs, 0, match_many);
	h_group(h, "policy-match-hosts", hosts_and_prefixes, 0, match_hosts);
	h_group(h, "policy-default-hosts", NULL, 0, default_hosts);
}
