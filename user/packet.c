// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <assert.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include "packet.h"

#define NEXTHDR_FRAGMENT 44

static uint8_t *put(uint8_t **p, const void *src, size_t len)
{
	uint8_t *at = *p;

	memcpy(at, src, len);
	*p += len;
	return at;
}

static size_t ip4_build(const struct pkt_spec *s, uint8_t *p);
static size_t ip6_build(const struct pkt_spec *s, uint8_t *p);

/* Internet checksum (RFC 1071) helpers. */
static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;

	for (; len > 1; len -= 2, b += 2)
		sum += (b[0] << 8) | b[1];
	if (len)
		sum += b[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Fill the L4 checksum of a whole (unfragmented) datagram. */
static void l4_csum(const struct pkt_spec *s, const void *saddr,
		    const void *daddr, uint8_t *l4, size_t len)
{
	size_t alen = s->family == AF_INET ? 4 : 16;
	uint32_t sum = 0;
	int off;

	switch (s->proto) {
	case IPPROTO_TCP:
		off = 16;
		break;
	case IPPROTO_UDP:
		off = 6;
		break;
	case IPPROTO_ICMP:
		off = 2;
		break;
	case 58: /* ICMPv6 */
		off = 2;
		break;
	default:
		return;
	}
	if (len < (size_t)off + 2)
		return;
	l4[off] = l4[off + 1] = 0;
	if (s->proto != IPPROTO_ICMP) { /* pseudo header */
		sum = sum16(saddr, alen, sum);
		sum = sum16(daddr, alen, sum);
		sum += s->proto + (uint32_t)len;
	}
	sum = sum16(l4, len, sum);
	memcpy(l4 + off, &(uint16_t){ fold(sum) }, 2);
}

static size_t l4_build(const struct pkt_spec *s, uint8_t *p)
{
	uint8_t *start = p;

	if (s->proto == IPPROTO_TCP) {
		struct tcphdr th = {
			.source = htons(s->sport),
			.dest = htons(s->dport),
			.seq = htonl(s->seq ? s->seq : 1000),
			.ack_seq = htonl(s->ack		       ? s->ack :
					 (s->tcp_flags & 0x10) ? 2000 :
								 0),
			.doff = 5,
			.window = htons(65535),
		};
		((uint8_t *)&th)[13] = s->tcp_flags;
		put(&p, &th, sizeof(th));
	} else if (s->proto == IPPROTO_UDP) {
		struct udphdr uh = {
			.source = htons(s->sport),
			.dest = htons(s->dport),
			.len = htons(sizeof(uh) + s->payload),
		};
		put(&p, &uh, sizeof(uh));
	} else if (s->proto == IPPROTO_ICMP || s->proto == 58) {
		struct icmphdr ih = {
			.type = s->icmp_type,
			.code = s->icmp_code,
		};
		ih.un.echo.id = htons(s->icmp_id);
		put(&p, &ih, sizeof(ih));
		if (s->inner) {
			uint8_t in[PKT_MAX];
			size_t hl = s->inner->family == AF_INET ? 20 : 40;
			size_t n = s->inner->family == AF_INET ?
					   ip4_build(s->inner, in) :
					   ip6_build(s->inner, in);

			put(&p, in, n < hl + 8 ? n : hl + 8);
		}
	}
	if (s->data)
		memcpy(p, s->data, s->payload);
	else
		memset(p, 0xab, s->payload);
	p += s->payload;
	return p - start;
}

static size_t ip4_build(const struct pkt_spec *s, uint8_t *p)
{
	struct iphdr *ip = (struct iphdr *)p;
	size_t l4;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = s->ttl ? s->ttl : 64;
	ip->protocol = s->proto;
	ip->id = htons(0x1234);
	ip->frag_off = htons((s->more_frags ? 0x2000 : 0) | s->frag_offset);
	inet_pton(AF_INET, s->src, &ip->saddr);
	inet_pton(AF_INET, s->dst, &ip->daddr);
	l4 = s->frag_offset ? (memset(ip + 1, 0xcd, 64), 64) :
			      l4_build(s, (uint8_t *)(ip + 1));
	ip->tot_len = htons(sizeof(*ip) + l4);
	if (!s->frag_offset && !s->more_frags)
		l4_csum(s, &ip->saddr, &ip->daddr, (uint8_t *)(ip + 1), l4);
	ip->check = fold(sum16(ip, sizeof(*ip), 0));
	return sizeof(*ip) + l4;
}

static size_t ip6_build(const struct pkt_spec *s, uint8_t *p)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)p;
	uint8_t *q = (uint8_t *)(ip6 + 1);
	uint8_t *nh = &ip6->nexthdr;
	size_t l4;

	memset(ip6, 0, sizeof(*ip6));
	ip6->version = 6;
	ip6->hop_limit = s->ttl ? s->ttl : 64;
	inet_pton(AF_INET6, s->src, &ip6->saddr);
	inet_pton(AF_INET6, s->dst, &ip6->daddr);
	for (int i = 0; i < s->n_ext; i++) {
		*nh = s->ext[i];
		nh = q; /* every extension header starts with nexthdr */
		memset(q, 0, 8);
		if (s->ext[i] == NEXTHDR_FRAGMENT) {
			uint16_t off = (s->frag_offset << 3) |
				       (s->more_frags ? 1 : 0);
			q[2] = off >> 8;
			q[3] = off & 0xff;
		}
		q += 8; /* hdrlen 0: 8 bytes */
	}
	*nh = s->proto;
	if (s->frag_offset) {
		memset(q, 0xcd, 64);
		l4 = 64;
	} else {
		l4 = l4_build(s, q);
		if (!s->more_frags)
			l4_csum(s, &ip6->saddr, &ip6->daddr, q, l4);
	}
	q += l4;
	ip6->payload_len = htons(q - (uint8_t *)(ip6 + 1));
	return q - p;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 2 };
	uint8_t *p = buf;
	uint16_t type;
	size_t len;

	assert(cap >= PKT_MAX);
	put(&p, dmac, 6);
	put(&p, smac, 6);
	for (int i = 0; i < s->vlans; i++) {
		uint16_t tpid = htons(i == 0 && s->vlans > 1 ? 0x88A8 : 0x8100);
		uint16_t tci = htons(100 + i);

		put(&p, &tpid, 2);
		put(&p, &tci, 2);
	}
	if (s->arp)
		type = ETH_P_ARP;
	else
		type = s->family == AF_INET ? ETH_P_IP : ETH_P_IPV6;
	if (s->ethertype)
		type = s->ethertype;
	type = htons(type);
	put(&p, &type, 2);

	if (s->arp) {
		/* Ethernet/IPv4 ARP request, 28 bytes. */
		static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		put(&p, arp, sizeof(arp));
		len = p - buf;
	} else if (s->family == AF_INET) {
		len = (p - buf) + ip4_build(s, p);
	} else {
		len = (p - buf) + ip6_build(s, p);
	}
	return len > s->cut ? len - s->cut : 0;
}
