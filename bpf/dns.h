/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DNS snooping for hostname rules. Egress: a query to port 53 (UDP, or
 * TCP after a truncated answer) for a name in dns_names is remembered
 * (resolver, client port, ID, name).
 * Ingress: a reply from that resolver to that port with that ID and the
 * same question may add addresses to dyn_allow: the A/AAAA records owned
 * by the question name, or by a CNAME target that follows from it, each
 * for the rule's protocols and ports, with the TTL clamped to the policy's
 * floor and ceiling. Loopback, link-local, multicast, unspecified and the
 * server's own addresses are refused. The message is copied into a per-CPU
 * buffer and read with masked offsets, so every access is bounded.
 * Owners must be compression pointers (as every resolver sends them);
 * anything else ends the walk. Over TCP (RFC 7766: a 2-byte length, then
 * the message) a message is read when one segment holds all of it, as
 * resolvers send answers that fit one; one split across segments is
 * counted (split) and left to the resolver loop.
 */
#ifndef PC_DNS_H
#define PC_DNS_H

#include "clock.h"
#include "config.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"

#define PC_DNS_PORT 53
#define PC_DNS_MASK (PC_DNS_BUF - 1)
#define PC_DNS_T_A 1
#define PC_DNS_T_CNAME 5
#define PC_DNS_T_AAAA 28
#define PC_DNS_MAX_ACCEPTED 4 /* question + CNAME targets */
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static __always_inline struct pc_dns_stats *pc_dns_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dns_stats, &zero);
}

static __always_inline __u16 rd16(const __u8 *b, __u32 o)
{
	return (b[o & PC_DNS_MASK] << 8) | b[(o + 1) & PC_DNS_MASK];
}

/*
 * Hash the question name at offset 12: FNV-1a over its lower-case wire
 * bytes, up to the root label. Returns its length, or 0 when it is not a
 * plain name within PC_DNS_MAX_WIRE bytes.
 */
static __always_inline int pc_dns_qname(struct pc_dns_buf *buf, __u32 len,
					__u32 *hash)
{
	__u32 h = FNV_OFFSET;
	int i;

	if (!buf || !hash)
		return 0;
	/*
	 * Length octets (1-63) never fall in 'A'-'Z', and no label of a real
	 * name holds a zero byte, so the first zero is the root label.
	 */
	for (i = 0; i < PC_DNS_MAX_WIRE; i++) {
		__u8 c;

		if (12 + i >= len)
			return 0;
		c = buf->b[(12 + i) & PC_DNS_MASK];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * FNV_PRIME;
		if (!c) {
			*hash = h;
			return i + 1;
		}
	}
	return 0;
}

/* An answer that must not open anything: loopback, link-local, ... */
static __always_inline int pc_dns_bad_addr(__u8 family, const __be32 *a)
{
	__u32 h = bpf_ntohl(a[0]);

	if (family == AF_INET) {
		if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 16) == 0xA9FE ||
		    (h >> 28) == 0xE || h == 0xFFFFFFFF)
			return 1;
	} else {
		if ((h >> 24) == 0xFF || (h & 0xFFC00000) == 0xFE800000)
			return 1;
		if (!a[0] && !a[1] && !a[2] && (!a[3] || a[3] == bpf_htonl(1)))
			return 1;
	}
	return pc_is_own_addr(family, a);
}

static __always_inline void pc_dns_learn(const struct pc_dns_name *n,
					 __u8 family, const __be32 *addr,
					 __u32 ttl, __u64 now)
{
	struct pc_dyn_val v = {
		.rule_id = n->rule_id,
		.name_id = n->name_id,
		.source = PC_SRC_SNOOPED,
	};
	struct pc_dyn_key k = { .family = family };
	int i;

	if (ttl < n->ttl_floor)
		ttl = n->ttl_floor;
	if (ttl > n->ttl_ceiling)
		ttl = n->ttl_ceiling;
	v.expires_ns = now + ttl * 1000000000ULL;
	__builtin_memcpy(k.addr, addr, 16);
#pragma unroll
	for (i = 0; i < PC_MAX_RULE_PORTS; i++) {
		if (i >= n->n_ports)
			break;
		k.proto = n->proto[i];
		if (k.proto == IPPROTO_ICMP && family == AF_INET6)
			k.proto = IPPROTO_ICMPV6;
		k.port = n->port[i];
		bpf_map_update_elem(&dyn_allow, &k, &v, BPF_ANY);
	}
}

/* Where a DNS message is in the frame, and how many of its bytes to read. */
struct pc_dns_at {
	__u32 off; /* its first byte, the ID */
	__u64 len; /* 12 to PC_DNS_BUF, or 0: nothing to read */
};

/* n message bytes to read: 12 to PC_DNS_BUF, or 0 (too short). */
static __always_inline __u64 pc_dns_clamp(__u64 n)
{
	if (n > PC_DNS_BUF)
		n = PC_DNS_BUF;
	barrier_var(n); /* the verifier must see the bound on this register */
	n &= 0x3ff;
	return n < 12 || n > PC_DNS_BUF ? 0 : n;
}

/* UDP: the message is the datagram after its header. */
static __always_inline struct pc_dns_at pc_dns_at_udp(const struct pc_pkt *p)
{
	struct pc_dns_at at = {
		.off = (p->l4_off + sizeof(struct udphdr)) & 0xffff,
		.len = pc_dns_clamp(p->udp_len - sizeof(struct udphdr)),
	};
	return at;
}

/*
 * TCP: where the segment's data (the message's length prefix) starts in a
 * frame of frame_len bytes, or 0 when the segment carries none. The parser
 * checked 20 bytes of the header; doff says how long it is.
 */
static __always_inline __u32 pc_dns_tcp_data(const struct pc_pkt *p,
					     void *data_end, __u32 frame_len)
{
	struct tcphdr *tcp = p->l4;
	__u32 off;

	if (!tcp || (void *)(tcp + 1) > data_end)
		return 0;
	off = p->l4_off + tcp->doff * 4;
	return off + 2 <= frame_len ? off : 0;
}

/*
 * TCP: the segment's data (frame_len - data_off bytes from data_off)
 * starts with the message's length (msg_len, read by the caller), then
 * the message. Read only when all of it is in this segment.
 */
static __always_inline struct pc_dns_at
pc_dns_at_tcp(__u32 data_off, __u32 frame_len, __u32 msg_len)
{
	struct pc_dns_at at = { .off = (data_off + 2) & 0xffff };
	struct pc_dns_stats *st;

	if (data_off + 2 + msg_len > frame_len) {
		st = pc_dns_stats();
		if (st)
			st->split++;
		return at;
	}
	at.len = pc_dns_clamp(msg_len);
	return at;
}

/* The per-CPU buffer a DNS message is copied into. */
static __always_inline struct pc_dns_buf *pc_dns_buffer(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dns_buf, &zero);
}

/*
 * Egress: remember a query for an allowlisted name; at: where the DNS
 * message is in the packet.
 */
static __always_inline int pc_dns_query(struct __sk_buff *skb,
					const struct pc_pkt *p,
					const struct pc_dns_at *at, __u64 now)
{
	struct pc_dns_query_key k = {};
	struct pc_dns_query_val v = { .sent_ns = now };
	struct pc_dns_stats *st;
	struct pc_dns_buf *buf;
	__u32 hash = 0;
	__u8 *b;

	__u64 n = at->len;

	k.family = p->family;
	buf = pc_dns_buffer();
	if (!n || !buf)
		return 0;
	b = buf->b;
	if (bpf_skb_load_bytes(skb, at->off, b, n))
		return 0;
	if ((b[2] & 0x80) || rd16(b, 4) != 1) /* a query, one question */
		return 0;
	if (!pc_dns_qname(buf, n, &hash) ||
	    !bpf_map_lookup_elem(&dns_names, &hash))
		return 0;
	__builtin_memcpy(k.resolver, p->daddr, 16);
	k.client_port = p->sport;
	k.txid = bpf_htons(rd16(b, 0));
	v.name_hash = hash;
	bpf_map_update_elem(&dns_pending, &k, &v, BPF_ANY);
	st = pc_dns_stats();
	if (st)
		st->queries++;
	return 0;
}

static __always_inline int pc_dns_accepted(const __u32 *acc, __u32 n, __u32 off)
{
	int i;

#pragma unroll
	for (i = 0; i < PC_DNS_MAX_ACCEPTED; i++)
		if (i < n && acc[i] == off)
			return 1;
	return 0;
}

/* State of the answer walk, shared by the bpf_loop iterations. */
struct pc_dns_walk {
	struct pc_dns_buf *buf;
	struct pc_dns_name *n;
	struct pc_dns_stats *st;
	__u64 now;
	__u32 len;
	__u32 o; /* offset of the next record */
	__u32 ancount;
	__u32 n_acc;
	__u32 acc[PC_DNS_MAX_ACCEPTED]; /* offsets of accepted owner names */
};

/*
 * One answer record: CNAMEs owned by an accepted name add their target;
 * A/AAAA owned by one are learned. A bpf_loop callback, so the verifier
 * checks one iteration, not PC_DNS_MAX_ANSWERS of them. 1 stops the walk.
 */
static long pc_dns_answer(__u32 i, struct pc_dns_walk *w)
{
	__u32 owner, type, ttl, rdlen, o = w->o;
	__be32 addr[4] = {};
	__u8 *b;
	int j;

	if (!w->buf || !w->n || !w->st)
		return 1;
	b = w->buf->b;
	if (i >= w->ancount || o + 12 > w->len)
		return 1;
	if ((b[o & PC_DNS_MASK] & 0xC0) != 0xC0)
		return 1; /* owners are compression pointers */
	owner = rd16(b, o) & 0x3FFF;
	type = rd16(b, o + 2);
	ttl = (rd16(b, o + 6) << 16) | rd16(b, o + 8);
	rdlen = rd16(b, o + 10);
	o += 12;
	if (o + rdlen > w->len)
		return 1;
	w->o = o + rdlen;
	if (!pc_dns_accepted(w->acc, w->n_acc, owner))
		return 0;
	if (type == PC_DNS_T_CNAME) {
		if (w->n_acc >= PC_DNS_MAX_ACCEPTED)
			return 0;
		/* the target: here, or where its pointer goes */
		if ((b[o & PC_DNS_MASK] & 0xC0) == 0xC0)
			w->acc[w->n_acc & 3] = rd16(b, o) & 0x3FFF;
		else
			w->acc[w->n_acc & 3] = o;
		w->n_acc++;
		return 0;
	}
	if (!(type == PC_DNS_T_A && rdlen == 4) &&
	    !(type == PC_DNS_T_AAAA && rdlen == 16))
		return 0;
	for (j = 0; j < 16; j++)
		((__u8 *)addr)[j] = b[(o + j) & PC_DNS_MASK];
	if (rdlen == 4)
		addr[1] = addr[2] = addr[3] = 0;
	if (pc_dns_bad_addr(rdlen == 4 ? AF_INET : AF_INET6, addr)) {
		w->st->refused++;
	} else {
		pc_dns_learn(w->n, rdlen == 4 ? AF_INET : AF_INET6, addr, ttl,
			     w->now);
		w->st->learned++;
	}
	return 0;
}

/*
 * Ingress: a reply to a remembered query may teach addresses. The caller
 * has copied the message's first len bytes (struct pc_dns_at) into buf
 * with its hook's load helper.
 */
static __always_inline int pc_dns_reply(const struct pc_pkt *p,
					struct pc_dns_buf *buf, __u64 len,
					__u64 now)
{
	struct pc_dns_query_key k = {};
	struct pc_dns_walk w = {};
	struct pc_dns_query_val *q;
	struct pc_dns_stats *st = pc_dns_stats();
	struct pc_dns_name *n;
	__u32 hash = 0, qlen;
	__u8 *b = buf->b;

	k.family = p->family;
	if (!st)
		return 0;
	__builtin_memcpy(k.resolver, p->saddr, 16);
	k.client_port = p->dport;
	k.txid = bpf_htons(rd16(b, 0));
	q = bpf_map_lookup_elem(&dns_pending, &k);
	qlen = pc_dns_qname(buf, len, &hash);
	if (!q || !(b[2] & 0x80) || rd16(b, 4) != 1 || !qlen ||
	    hash != q->name_hash) {
		st->unmatched++;
		return 0;
	}
	bpf_map_delete_elem(&dns_pending, &k);
	n = bpf_map_lookup_elem(&dns_names, &hash);
	if (!n || (b[3] & 0x0F)) /* unknown name, or an error rcode */
		return 0;
	w.buf = buf;
	w.n = n;
	w.st = st;
	w.now = now;
	w.len = len;
	w.o = 12 + qlen + 4;
	w.ancount = rd16(b, 6);
	w.n_acc = 1;
	w.acc[0] = 12;
	bpf_loop(PC_DNS_MAX_ANSWERS, pc_dns_answer, &w, 0);
	return 0;
}

/*
 * Might p carry a DNS message the snooping programs should read? Any TCP
 * segment of port 53 (its program looks for the data), a UDP datagram
 * long enough for a header.
 */
static __always_inline int pc_dns_snoopable(const struct pc_pkt *p, int egress)
{
	__be16 port = egress ? p->dport : p->sport;

	if (dry_run || port != bpf_htons(PC_DNS_PORT) || p->frag)
		return 0;
	if (p->l4proto == IPPROTO_TCP)
		return 1;
	return p->l4proto == IPPROTO_UDP &&
	       p->udp_len >= sizeof(struct udphdr) + 12;
}

/* Where p's DNS message is, in an XDP frame. */
static __always_inline struct pc_dns_at pc_dns_at_xdp(struct xdp_md *ctx,
						      const struct pc_pkt *p)
{
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - (void *)(long)ctx->data, off;
	struct pc_dns_at none = {};
	__be16 n;

	if (p->l4proto != IPPROTO_TCP)
		return pc_dns_at_udp(p);
	off = pc_dns_tcp_data(p, data_end, len);
	if (!off || bpf_xdp_load_bytes(ctx, off, &n, 2))
		return none; /* no data in this segment */
	return pc_dns_at_tcp(off, len, bpf_ntohs(n));
}

/* The same in an skb (its data may be paged: skb->len counts it). */
static __always_inline struct pc_dns_at pc_dns_at_skb(struct __sk_buff *skb,
						      const struct pc_pkt *p)
{
	void *data_end = (void *)(long)skb->data_end;
	struct pc_dns_at none = {};
	__u32 off;
	__be16 n;

	if (p->l4proto != IPPROTO_TCP)
		return pc_dns_at_udp(p);
	off = pc_dns_tcp_data(p, data_end, skb->len);
	if (!off || bpf_skb_load_bytes(skb, off, &n, 2))
		return none;
	return pc_dns_at_tcp(off, skb->len, bpf_ntohs(n));
}

/*
 * The snooping programs, reached by tail call from the verdict programs
 * once a DNS packet has passed and been counted: their own stack and their
 * own verifier budget, and no cost at all on every other packet.
 */
SEC("xdp")
int pc_dns_snoop_reply(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pc_dns_buf *buf = pc_dns_buffer();
	struct pc_pkt pkt = {};
	struct pc_dns_at at;

	if (!buf || parse_packet(data, data_end, &pkt) != PC_PARSE_OK ||
	    !pc_dns_snoopable(&pkt, 0))
		return XDP_PASS;
	at = pc_dns_at_xdp(ctx, &pkt);
	if (at.len && !bpf_xdp_load_bytes(ctx, at.off, buf->b, at.len))
		pc_dns_reply(&pkt, buf, at.len, pc_now());
	return XDP_PASS;
}

/* The same for an interface whose ingress is judged at tc (up --tc). */
SEC("tc")
int pc_dns_snoop_reply_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct pc_dns_buf *buf = pc_dns_buffer();
	struct pc_pkt pkt = {};
	struct pc_dns_at at;

	if (!buf || parse_packet(data, data_end, &pkt) != PC_PARSE_OK ||
	    !pc_dns_snoopable(&pkt, 0))
		return 0; /* TC_ACT_OK */
	at = pc_dns_at_skb(skb, &pkt);
	if (at.len && !bpf_skb_load_bytes(skb, at.off, buf->b, at.len))
		pc_dns_reply(&pkt, buf, at.len, pc_now());
	return 0; /* TC_ACT_OK */
}

SEC("tc")
int pc_dns_snoop_query(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct pc_pkt pkt = {};
	struct pc_dns_at at;

	if (parse_packet(data, data_end, &pkt) != PC_PARSE_OK ||
	    !pc_dns_snoopable(&pkt, 1))
		return 0; /* TC_ACT_OK */
	at = pc_dns_at_skb(skb, &pkt);
	if (at.len)
		pc_dns_query(skb, &pkt, &at, pc_now());
	return 0; /* TC_ACT_OK */
}

#endif /* PC_DNS_H */
