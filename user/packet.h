/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Building frames for BPF_PROG_TEST_RUN (trace, tests, bench): Ethernet, VLAN, IPv4/IPv6
 * (with fragments and extension headers), TCP/UDP/ICMP, ARP. */
#ifndef PC_PACKET_H
#define PC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 1600
#define PKT_MAX_EXT 10

struct pkt_spec {
	int family; /* AF_INET, AF_INET6; 0 with arp=true */
	bool arp;
	const char *src, *dst;
	uint8_t proto; /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, other */
	uint16_t sport, dport; /* host order */
	uint8_t tcp_flags;
	uint32_t seq, ack; /* 0: 1000, and 2000 when ACK is set */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	uint8_t ttl; /* 0: 64 */
	int vlans; /* number of 802.1Q/802.1ad tags */
	uint16_t ethertype; /* override (unknown ethertype tests) */
	uint16_t frag_offset; /* in 8-byte units */
	bool more_frags;
	uint8_t ext[PKT_MAX_EXT]; /* IPv6 extension header chain */
	int n_ext;
	size_t payload; /* bytes after the L4 header */
	const uint8_t *data; /* their content (NULL: filler) */
	/* ICMP errors: the packet quoted (its IP header + 8 bytes of L4). */
	const struct pkt_spec *inner;
	size_t cut; /* bytes to cut off the end (truncation tests) */
};

/* Returns the frame length written into buf. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap);

#endif /* PC_PACKET_H */
