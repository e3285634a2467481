/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: The protected interface: its own addresses (martian check), and what
 * is attached and from which policy (info).
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_IFACE_H
#define PORTCULLIS_IFACE_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

/* Interface addresses, for martian checks. Key: 16 bytes, IPv4 in [0]. */
struct pc_addr_key {
	__u32 family;
	__be32 addr[4];
};
_Static_assert(sizeof(struct pc_addr_key) == 20, "pc_addr_key size");

/*
 * local_bloom: one bit per own address (of PC_BLOOM_BITS, chosen by
 * pc_bloom_bit), so a packet from any other source is known not to be own
 * without a hash lookup in local_addrs. A set bit only means "look it up":
 * every own address must have its bit, a stale bit costs one lookup.
 */
#define PC_BLOOM_BITS 1024
struct pc_addr_bloom {
	__u64 bits[PC_BLOOM_BITS / 64];
};
_Static_assert(sizeof(struct pc_addr_bloom) == PC_BLOOM_BITS / 8,
	       "pc_addr_bloom size");

/* The bit of an address (both families; IPv4 in addr[0], rest zero). */
static inline __u32 pc_bloom_bit(const __be32 addr[4])
{
	__u32 x = addr[0] ^ addr[1] ^ addr[2] ^ addr[3];

	return (x * 0x9E3779B1u) >> 22; /* 10 bits: 0..PC_BLOOM_BITS-1 */
}

/* How inbound is judged (pc_info.xdp_mode): XDP native or generic, or
 * at tc clsact ingress (up --tc), with no XDP program. */
#define PC_XDP_MODE_NATIVE 1
#define PC_XDP_MODE_GENERIC 2
#define PC_XDP_MODE_TC 3

/* What is attached and from which policy: written by up/reload. */
struct pc_info {
	__u32 abi_version;
	__u32 ifindex;
	__u32 xdp_mode; /* PC_XDP_MODE_*: the ingress hook */
	__u32 n_rules;
	__u32 tc_handle;
	__u32 tc_priority;
	__u32 tc_created_hook; /* 1: up created clsact, down removes it */
	__u32 pad;
	__u64 loaded_at; /* unix seconds */
	__u64 flow_capacity;
	char policy_path[PC_PATH_LEN];
	char policy_digest[PC_DIGEST_LEN];
	__u8 pad2[7];
	/* The policy before the last reload, for rollback and status. */
	char prev_policy_path[PC_PATH_LEN];
	char prev_policy_digest[PC_DIGEST_LEN];
	__u8 pad3[7];
};
_Static_assert(sizeof(struct pc_info) == 48 + 2 * (PC_PATH_LEN + 72),
	       "pc_info size");

#endif /* PORTCULLIS_IFACE_H */
