/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: Host names: DNS snooping, learned destinations (dyn_allow), the names
 * the resolver keeps.
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_NAMES_H
#define PORTCULLIS_NAMES_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

/*
 * Names (hostnames in egress rules). Addresses learned for a name live in
 * the dyn_allow hash beside the static allowlist, each with its rule, its
 * name, where it came from and when it expires. They are learned by the
 * resolver loop (c-ares) and by snooping the DNS replies the server gets
 * for queries it sent, so an application that connects at once to a fresh
 * answer is not dropped.
 */
#define PC_MAX_NAMES 128
#define PC_HOSTNAME_LEN 128 /* text, with NUL */
#define PC_DNS_MAX_WIRE 128 /* wire-format name bytes the kernel hashes */
#define PC_DNS_MAX_ANSWERS 8 /* answer records the kernel reads */
#define PC_DNS_BUF 512 /* DNS message bytes the kernel reads */
#define PC_MAX_DYN 65536 /* learned (address, proto, port) entries */
#define PC_MAX_RULE_PORTS 4 /* (proto, port) pairs a name's rule allows */

enum pc_addr_source {
	PC_SRC_NONE = 0,
	PC_SRC_RESOLVER = 1, /* the resolver loop (c-ares) */
	PC_SRC_SNOOPED = 2, /* a DNS reply to the server's own query */
	PC_SRC_SEEDED = 3, /* from the policy file, until the first answer */
};

/* dns_names: FNV-1a hash of the lower-case wire name -> what it allows. */
struct pc_dns_name {
	__u32 name_id; /* index in the names map */
	__u32 rule_id;
	__u32 ttl_floor; /* seconds */
	__u32 ttl_ceiling;
	__u8 n_ports;
	__u8 proto[PC_MAX_RULE_PORTS];
	__u8 pad[3];
	__be16 port[PC_MAX_RULE_PORTS]; /* 0: any port */
};
_Static_assert(sizeof(struct pc_dns_name) == 32, "pc_dns_name size");

/* dns_pending: queries the server sent for allowlisted names. */
struct pc_dns_query_key {
	__be32 resolver[4];
	__u8 family;
	__u8 pad;
	__be16 client_port;
	__be16 txid;
	__u16 pad2;
};
_Static_assert(sizeof(struct pc_dns_query_key) == 24, "pc_dns_query_key size");

struct pc_dns_query_val {
	__u32 name_hash;
	__u32 pad;
	__u64 sent_ns;
};
_Static_assert(sizeof(struct pc_dns_query_val) == 16, "pc_dns_query_val size");

/* dyn_allow: one learned destination. */
struct pc_dyn_key {
	__u8 family;
	__u8 proto;
	__be16 port; /* 0: any port */
	__be32 addr[4];
};
_Static_assert(sizeof(struct pc_dyn_key) == 20, "pc_dyn_key size");

struct pc_dyn_val {
	__u64 expires_ns; /* CLOCK_MONOTONIC(_COARSE); ~0: never */
	__u32 rule_id;
	__u16 name_id;
	__u8 source; /* enum pc_addr_source */
	__u8 pad;
};
_Static_assert(sizeof(struct pc_dyn_val) == 16, "pc_dyn_val size");

/* names: one per hostname, for people (written by the loader/resolver). */
struct pc_name_info {
	char name[PC_HOSTNAME_LEN];
	__u32 rule_id;
	__u32 used; /* slot in use */
	__u64 last_ok; /* unix seconds of the last good answer, 0: never */
	__u64 last_try;
	__u64 next_refresh; /* unix seconds */
	__u32 failures; /* resolver failures since the last good answer */
	__u32 is_srv; /* an SRV name: its targets are names too */
	char last_error[64];
};
_Static_assert(sizeof(struct pc_name_info) == PC_HOSTNAME_LEN + 104,
	       "pc_name_info size");

/* dns_stats: per CPU, what snooping saw. */
struct pc_dns_stats {
	__u64 queries; /* queries for allowlisted names */
	__u64 learned; /* addresses added from replies */
	__u64 refused; /* answers refused (loopback, own address, ...) */
	__u64 unmatched; /* replies that matched no query sent */
	__u64 split; /* TCP messages not read: split across segments */
};
_Static_assert(sizeof(struct pc_dns_stats) == 40, "pc_dns_stats size");

#endif /* PORTCULLIS_NAMES_H */
