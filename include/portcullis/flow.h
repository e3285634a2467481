/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: Flow tracking: flow keys (both families), states, values, fragments.
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_FLOW_H
#define PORTCULLIS_FLOW_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

/*
 * Flow key, always from the server's side: local = this host, remote = the
 * peer. For ICMP echo, lport is the echo id and rport is 0. IPv4 addresses
 * live in addr[0]; the rest is zero. The key of flows6, and the form both
 * the programs and the CLI handle a flow in; an IPv4 flow is stored in
 * flows4 under the 16-byte pc_flow4_key (pc_flow4_key_of), so its hash
 * reads 16 bytes, not 40.
 */
struct pc_flow_key {
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 proto; /* IPPROTO_* */
	__u16 pad;
	__be16 lport;
	__be16 rport;
	__be32 laddr[4];
	__be32 raddr[4];
};
_Static_assert(sizeof(struct pc_flow_key) == 40, "pc_flow_key size");

/* The key of flows4: pc_flow_key with 4-byte addresses. */
struct pc_flow4_key {
	__u8 family; /* AF_INET */
	__u8 proto;
	__u16 pad;
	__be16 lport;
	__be16 rport;
	__be32 laddr;
	__be32 raddr;
};
_Static_assert(sizeof(struct pc_flow4_key) == 16, "pc_flow4_key size");
/* The two keys share their head: family, proto and ports, and the local
 * address at the same offset (the BPF programs' union pc_fkey reads the
 * head through either). */
_Static_assert(__builtin_offsetof(struct pc_flow4_key, proto) ==
			       __builtin_offsetof(struct pc_flow_key, proto) &&
		       __builtin_offsetof(struct pc_flow4_key, lport) ==
			       __builtin_offsetof(struct pc_flow_key, lport) &&
		       __builtin_offsetof(struct pc_flow4_key, rport) ==
			       __builtin_offsetof(struct pc_flow_key, rport) &&
		       __builtin_offsetof(struct pc_flow4_key, laddr) ==
			       __builtin_offsetof(struct pc_flow_key, laddr),
	       "pc_flow4_key and pc_flow_key share their head");

static inline void pc_flow4_key_of(const struct pc_flow_key *k,
				   struct pc_flow4_key *k4)
{
	k4->family = k->family;
	k4->proto = k->proto;
	k4->pad = 0;
	k4->lport = k->lport;
	k4->rport = k->rport;
	k4->laddr = k->laddr[0];
	k4->raddr = k->raddr[0];
}

static inline void pc_flow_key_of4(const struct pc_flow4_key *k4,
				   struct pc_flow_key *k)
{
	*k = (struct pc_flow_key){
		.family = k4->family,
		.proto = k4->proto,
		.lport = k4->lport,
		.rport = k4->rport,
		.laddr = { k4->laddr },
		.raddr = { k4->raddr },
	};
}

/* Flow states; for TCP, NEW is SYN-SENT. Names: PC_FLOW_STATES. */
#define PC_FLOW_STATES(X)                   \
	X(PC_FS_NEW, "new")                 \
	X(PC_FS_ESTABLISHED, "established") \
	X(PC_FS_FIN_WAIT, "fin-wait")       \
	X(PC_FS_CLOSED, "closed")
#define PC_FLOW_STATE_ENUM(e, name) e,
enum pc_flow_state { PC_FLOW_STATES(PC_FLOW_STATE_ENUM) PC_FS_MAX };
#undef PC_FLOW_STATE_ENUM

#define PC_FF_FIN_LOCAL 0x01 /* the server sent a FIN */
#define PC_FF_FIN_REMOTE 0x02 /* the peer sent a FIN (in window) */
#define PC_FF_ADOPTED 0x04 /* connection predates up */
#define PC_FF_AUDIT 0x08 /* would have been dropped: audit mode let it out */

/* A flow's seen_ns and expires_ns are rewritten at most this often while
 * packets flow, to keep the entry's cache line calm. */
#define PC_FLOW_REFRESH_NS 100000000ULL

/*
 * A flow's entry. Times are CLOCK_MONOTONIC_COARSE ns. expires_ns is an
 * absolute deadline, as in the kernel's conntrack: the packet path and the
 * collector ask only "now < expires_ns", with no policy read. Whoever
 * stamps seen_ns (the first packet, then at most every PC_FLOW_REFRESH_NS,
 * and every state change) sets expires_ns = seen_ns + pc_flow_timeout_ns()
 * of the policy in force; so a reload's timeouts reach a flow at its next
 * stamp, and an idle flow keeps the deadline it had.
 */
struct pc_flow_val {
	__u64 created_ns;
	__u64 seen_ns; /* last refresh: a packet either way, up to
			* PC_FLOW_REFRESH_NS before the last one */
	__u64 expires_ns; /* dead from this time on */
	__u32 rule_id; /* policy rule that admitted the flow */
	__u8 state; /* enum pc_flow_state */
	__u8 flags; /* PC_FF_* */
	__u16 pad;
	__u32 local_next; /* TCP: the server's SYN seq + 1 (host order) */
	__u32 peer_next; /* TCP: the server's ACK, to PC_TCP_ACK_SLACK
			  * (host order; 0: none yet) */
};
_Static_assert(sizeof(struct pc_flow_val) == 40, "pc_flow_val size");

/*
 * An inbound RST or FIN changes a flow only when its sequence number is
 * within this distance of the server's ACK as recorded in peer_next (see
 * docs/design.md).
 */
#define PC_TCP_SEQ_WINDOW (1u << 20)
/*
 * peer_next follows the server's ACKs loosely: an outbound ACK rewrites it
 * only when it is more than this from the recorded one, so a flow's entry
 * is written about once per 128 KiB received, not by every ACK (a write
 * per ACK moves the entry's cache line between the CPUs that run the two
 * directions). An RST or FIN from the peer still fits with up to
 * PC_TCP_SEQ_WINDOW - PC_TCP_ACK_SLACK of data in flight.
 */
#define PC_TCP_ACK_SLACK (PC_TCP_SEQ_WINDOW / 8)

/* Fragments: the first fragment that passed lets the later ones in. */
#define PC_MAX_FRAGS 8192
#define PC_FRAG_TIMEOUT_NS (5ULL * 1000000000ULL)
struct pc_frag_key {
	__u8 family;
	__u8 proto;
	__u8 dir; /* PC_DIR_* */
	__u8 pad;
	__be32 id; /* IPv4 ID in the low 16 bits, or the IPv6 fragment ID */
	__be32 saddr[4];
	__be32 daddr[4];
};
_Static_assert(sizeof(struct pc_frag_key) == 40, "pc_frag_key size");

#endif /* PORTCULLIS_FLOW_H */
