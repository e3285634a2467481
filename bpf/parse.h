/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing: a cursor walks the headers, each helper checks bounds
 * against data_end, advances the cursor and returns the next protocol (or a
 * negative PC_PARSE_* error). parse_packet() runs them in order and fills a
 * struct pc_pkt that the rest of the program reads; nothing else touches
 * packet bytes.
 */
#ifndef PC_PARSE_H
#define PC_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "portcullis.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define AF_INET 2
#define AF_INET6 10

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

#define IPPROTO_ICMPV6 58

#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60
#define NEXTHDR_NONE 59

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20

/* Parse results. */
enum pc_parse_result {
	PC_PARSE_OK = 0,
	PC_PARSE_MALFORMED = -1, /* truncated or invalid */
	PC_PARSE_BAD_L2 = -2, /* VLAN stack too deep */
	PC_PARSE_BAD_EXTHDR = -3, /* unknown or too many IPv6 ext headers */
	PC_PARSE_FRAGMENT =
		-4, /* non-first fragment: no L4 header (l4proto set) */
};

struct hdr_cursor {
	void *pos;
};

/* Fragment state of a packet. */
enum pc_frag {
	PC_FRAG_NONE = 0, /* not fragmented (or an IPv6 atomic fragment) */
	PC_FRAG_FIRST = 1, /* offset 0, more fragments follow */
	PC_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

/* The quoted packet inside an ICMP error, as the server sent it. */
struct pc_inner {
	__u8 l4proto;
	__u8 pad;
	__be16 sport; /* for a quoted echo request: the identifier */
	__be16 dport;
	__u16 pad2;
	__be32 saddr[4];
	__be32 daddr[4];
};

/* What the verdict code needs to know about one packet. */
struct pc_pkt {
	__u16 ethertype; /* host order, after VLAN tags */
	__u8 family; /* AF_INET, AF_INET6, or 0 for non-IP */
	__u8 l4proto;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ttl; /* IPv4 TTL or IPv6 hop limit */
	__u8 frag; /* enum pc_frag */
	__u8 pad;
	__u16 frag_offset; /* in 8-byte units */
	__be32 frag_id; /* IPv4 ID (16 bits) or IPv6 fragment ID */
	__be32 tcp_seq;
	__be32 tcp_ack;
	__be16 sport; /* for ICMP echo: the identifier */
	__be16 dport;
	__be32 saddr[4];
	__be32 daddr[4];
	void *l3; /* start of the IP header */
	void *l4; /* start of the L4 header */
	__u32 l4_off; /* offset of the L4 header in the frame */
	__u16 udp_len; /* UDP: the length field (host order) */
	__u16 pad2;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) ||
	       h_proto == bpf_htons(ETH_P_8021AD);
}

/* Ethernet plus up to PC_MAX_VLAN_DEPTH tags; returns the inner ethertype. */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return PC_PARSE_MALFORMED;
	nh->pos = eth + 1;
	h_proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < PC_MAX_VLAN_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return PC_PARSE_MALFORMED;
		h_proto = vlh->h_vlan_encapsulated_proto;
		nh->pos = vlh + 1;
	}
	if (proto_is_vlan(h_proto))
		return PC_PARSE_BAD_L2;
	return bpf_ntohs(h_proto);
}

/* IPv4 header with options; returns the L4 protocol. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end,
				       struct pc_pkt *p)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;
	__u16 frag;

	if ((void *)(iph + 1) > data_end)
		return PC_PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return PC_PARSE_MALFORMED;
	hdrsize = iph->ihl * 4;
	if (nh->pos + hdrsize > data_end)
		return PC_PARSE_MALFORMED;
	if (bpf_ntohs(iph->tot_len) < hdrsize)
		return PC_PARSE_MALFORMED;

	p->family = AF_INET;
	p->l3 = iph;
	p->ttl = iph->ttl;
	p->saddr[0] = iph->saddr;
	p->daddr[0] = iph->daddr;
	nh->pos += hdrsize;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & (IP_OFFSET | IP_MF)) {
		p->frag_id = iph->id;
		p->frag_offset = frag & IP_OFFSET;
		p->frag = p->frag_offset ? PC_FRAG_LATER : PC_FRAG_FIRST;
		if (p->frag == PC_FRAG_LATER) {
			p->l4proto = iph->protocol;
			return PC_PARSE_FRAGMENT;
		}
	}
	return iph->protocol;
}

/*
 * IPv6 header and the extension headers RFC 8200 defines before L4
 * (hop-by-hop, routing, destination options, fragment), at most
 * PC_MAX_IPV6_EXT_HDRS of them. Anything else is returned as the L4
 * protocol; the caller decides whether it knows it.
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct pc_pkt *p)
{
	struct ipv6hdr *ip6h = nh->pos;
	struct ipv6_opt_hdr *opt;
	struct frag_hdr *fh;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return PC_PARSE_MALFORMED;
	if (ip6h->version != 6)
		return PC_PARSE_MALFORMED;

	p->family = AF_INET6;
	p->l3 = ip6h;
	p->ttl = ip6h->hop_limit;
	__builtin_memcpy(p->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6h->daddr, 16);
	nh->pos = ip6h + 1;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < PC_MAX_IPV6_EXT_HDRS; i++) {
		switch (nexthdr) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			opt = nh->pos;
			if ((void *)(opt + 1) > data_end)
				return PC_PARSE_MALFORMED;
			nexthdr = opt->nexthdr;
			nh->pos += (opt->hdrlen + 1) * 8;
			break;
		case NEXTHDR_FRAGMENT:
			fh = nh->pos;
			if ((void *)(fh + 1) > data_end)
				return PC_PARSE_MALFORMED;
			nexthdr = fh->nexthdr;
			nh->pos = fh + 1;
			p->frag_offset = bpf_ntohs(fh->frag_off) >> 3;
			/* offset 0 and M clear: an atomic fragment (RFC 6946) */
			if (!p->frag_offset && !(bpf_ntohs(fh->frag_off) & 1))
				break;
			p->frag_id = fh->identification;
			p->frag = p->frag_offset ? PC_FRAG_LATER :
						   PC_FRAG_FIRST;
			if (p->frag == PC_FRAG_LATER) {
				p->l4proto = nexthdr;
				return PC_PARSE_FRAGMENT;
			}
			break;
		default:
			return nexthdr;
		}
	}
	/* Chain longer than the limit: fail closed. */
	switch (nexthdr) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_FRAGMENT:
		return PC_PARSE_BAD_EXTHDR;
	}
	return nexthdr;
}

/* L4 headers: the whole fixed header must be present. */
static __always_inline int parse_l4(struct hdr_cursor *nh, void *data_end,
				    struct pc_pkt *p)
{
	struct tcphdr *tcp;
	struct udphdr *udp;
	struct icmphdr *icmp;

	p->l4 = nh->pos;
	switch (p->l4proto) {
	case IPPROTO_TCP:
		tcp = nh->pos;
		if ((void *)(tcp + 1) > data_end)
			return PC_PARSE_MALFORMED;
		if (tcp->doff < 5)
			return PC_PARSE_MALFORMED;
		p->sport = tcp->source;
		p->dport = tcp->dest;
		p->tcp_seq = tcp->seq;
		p->tcp_ack = tcp->ack_seq;
		p->tcp_flags = ((__u8 *)tcp)[13];
		return PC_PARSE_OK;
	case IPPROTO_UDP:
		udp = nh->pos;
		if ((void *)(udp + 1) > data_end)
			return PC_PARSE_MALFORMED;
		p->sport = udp->source;
		p->dport = udp->dest;
		p->udp_len = bpf_ntohs(udp->len);
		return PC_PARSE_OK;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* icmphdr and icmp6hdr share the first 8 bytes' layout */
		icmp = nh->pos;
		if ((void *)(icmp + 1) > data_end)
			return PC_PARSE_MALFORMED;
		p->icmp_type = icmp->type;
		p->icmp_code = icmp->code;
		p->sport = icmp->un.echo.id;
		p->dport = 0;
		return PC_PARSE_OK;
	}
	return PC_PARSE_OK; /* other protocols: addresses only */
}

/*
 * The packet quoted by an ICMP or ICMPv6 error: its IP header (IPv4
 * options allowed, no IPv6 extension headers) and the first 8 bytes of its
 * L4 header, which hold the ports (or the echo identifier). l4 points at
 * the ICMP header of the outer packet.
 */
static __always_inline int parse_icmp_inner(void *l4, void *data_end,
					    __u8 family, struct pc_inner *in)
{
	void *pos = l4 + sizeof(struct icmphdr);
	struct icmphdr *icmp;
	struct udphdr *ports;

	if (family == AF_INET) {
		struct iphdr *iph = pos;

		if ((void *)(iph + 1) > data_end || iph->version != 4 ||
		    iph->ihl < 5)
			return PC_PARSE_MALFORMED;
		if (bpf_ntohs(iph->frag_off) & IP_OFFSET)
			return PC_PARSE_FRAGMENT;
		in->l4proto = iph->protocol;
		in->saddr[0] = iph->saddr;
		in->daddr[0] = iph->daddr;
		pos += iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6h = pos;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			return PC_PARSE_MALFORMED;
		in->l4proto = ip6h->nexthdr;
		__builtin_memcpy(in->saddr, &ip6h->saddr, 16);
		__builtin_memcpy(in->daddr, &ip6h->daddr, 16);
		pos = ip6h + 1;
	}
	/* 8 bytes of L4: ports for TCP/UDP, type/code/id for ICMP. */
	ports = pos;
	if ((void *)(ports + 1) > data_end)
		return PC_PARSE_MALFORMED;
	if (in->l4proto == IPPROTO_ICMP || in->l4proto == IPPROTO_ICMPV6) {
		icmp = pos;
		in->sport = icmp->un.echo.id;
		in->dport = 0;
		/* only a quoted echo request can belong to a flow */
		return icmp->type == (in->l4proto == IPPROTO_ICMP ? 8 : 128) ?
			       PC_PARSE_OK :
			       PC_PARSE_MALFORMED;
	}
	in->sport = ports->source;
	in->dport = ports->dest;
	return PC_PARSE_OK;
}

/*
 * Parse one frame from data to data_end into p. Returns PC_PARSE_OK or a
 * negative PC_PARSE_* error. Non-IP frames return OK with family 0 and
 * p->ethertype set.
 */
static __always_inline int parse_packet(void *data, void *data_end,
					struct pc_pkt *p)
{
	struct hdr_cursor nh = { .pos = data };
	int proto;

	proto = parse_ethhdr(&nh, data_end);
	if (proto < 0)
		return proto;
	p->ethertype = proto;

	if (proto == ETH_P_IP)
		proto = parse_iphdr(&nh, data_end, p);
	else if (proto == ETH_P_IPV6)
		proto = parse_ip6hdr(&nh, data_end, p);
	else
		return PC_PARSE_OK;
	if (proto < 0)
		return proto;

	p->l4proto = proto;
	p->l4_off = nh.pos - data;
	return parse_l4(&nh, data_end, p);
}

#endif /* PC_PARSE_H */
