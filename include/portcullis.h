/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI: the one header shared by the kernel programs (bpf/) and
 * the loader/CLI (user/). Map keys and values, verdict reasons, limits.
 *
 * Rules for this file: fixed-width __u8/__u16/__u32/__u64 and __be16/__be32
 * types only, explicit padding in every key, a _Static_assert on every size.
 * A change here changes the pinned-map layout: bump PC_ABI_VERSION.
 */
#ifndef PORTCULLIS_H
#define PORTCULLIS_H

#ifndef __bpf__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_timer */
#endif

#define PC_ABI_VERSION 2

/* Limits. */
#define PC_MAX_VLAN_DEPTH 2 /* 802.1Q + one 802.1ad (QinQ) tag */
#define PC_MAX_IPV6_EXT_HDRS 6 /* extension headers walked before L4 */
#define PC_MAX_SSH_PORTS 4
#define PC_MAX_RULES 256 /* named policy rules, ids 1..PC_MAX_RULES-1 */
#define PC_MAX_ALLOW_ENTRIES 262144 /* per family, both slots together */
#define PC_DEFAULT_FLOWS 65536
#define PC_MAX_LOCAL_ADDRS 64
#define PC_NAME_LEN 48
#define PC_PATH_LEN 256
#define PC_DIGEST_LEN 65 /* sha256 hex + NUL */

/*
 * Verdict reasons. One counter row each, in the order listed. The X-macro
 * gives the enum, the printed name, the direction and the action from one
 * line, so kernel and user space cannot disagree.
 *   X(enum, "name", direction, action, description)
 */
#define PC_DIR_INGRESS 0
#define PC_DIR_EGRESS 1
#define PC_ACT_PASS 0
#define PC_ACT_DROP 1

#define PC_REASONS(X)                                                          \
	X(PC_R_NONE, "none", PC_DIR_INGRESS, PC_ACT_DROP,                      \
	  "unused (never counted)")                                            \
	X(PC_R_IN_ARP, "in_arp", PC_DIR_INGRESS, PC_ACT_PASS,                  \
	  "ARP request or reply")                                              \
	X(PC_R_IN_NDP, "in_ndp", PC_DIR_INGRESS, PC_ACT_PASS,                  \
	  "IPv6 neighbour discovery (hop limit 255) and link-local MLD")       \
	X(PC_R_IN_ESTABLISHED, "in_established", PC_DIR_INGRESS, PC_ACT_PASS,  \
	  "reply of a flow the server started")                                \
	X(PC_R_IN_SSH_NEW, "in_ssh_new", PC_DIR_INGRESS, PC_ACT_PASS,          \
	  "new TCP connection (SYN) to an SSH port")                           \
	X(PC_R_IN_SSH_ESTABLISHED, "in_ssh_established", PC_DIR_INGRESS,       \
	  PC_ACT_PASS, "packet of an SSH connection the kernel knows")         \
	X(PC_R_IN_ICMP_ECHO, "in_icmp_echo", PC_DIR_INGRESS, PC_ACT_PASS,      \
	  "echo request to the server (policy icmp_echo_in)")                  \
	X(PC_R_IN_DHCP, "in_dhcp", PC_DIR_INGRESS, PC_ACT_PASS,                \
	  "DHCP server to client (policy dhcp_client)")                        \
	X(PC_R_IN_ICMP_RELATED, "in_icmp_related", PC_DIR_INGRESS,             \
	  PC_ACT_PASS, "ICMP error quoting one of the server's own flows")     \
	X(PC_R_IN_FRAGMENT, "in_fragment", PC_DIR_INGRESS, PC_ACT_PASS,        \
	  "later fragment of a datagram whose first fragment passed")          \
	X(PC_R_IN_MARTIAN, "in_martian", PC_DIR_INGRESS, PC_ACT_DROP,          \
	  "loopback, multicast, broadcast or own address as source")           \
	X(PC_R_IN_MALFORMED, "in_malformed", PC_DIR_INGRESS, PC_ACT_DROP,      \
	  "truncated or invalid header")                                       \
	X(PC_R_IN_BAD_FRAGMENT, "in_bad_fragment", PC_DIR_INGRESS,             \
	  PC_ACT_DROP, "orphan or overlapping fragment")                       \
	X(PC_R_IN_ICMP_UNRELATED, "in_icmp_unrelated", PC_DIR_INGRESS,         \
	  PC_ACT_DROP, "ICMP error quoting no flow of the server")             \
	X(PC_R_IN_TCP_INVALID, "in_tcp_invalid", PC_DIR_INGRESS, PC_ACT_DROP,  \
	  "TCP out of state for its flow (bad SYN-ACK, RST/FIN off window)")   \
	X(PC_R_IN_BAD_L2, "in_bad_l2", PC_DIR_INGRESS, PC_ACT_DROP,            \
	  "unknown ethertype or VLAN stack too deep")                          \
	X(PC_R_IN_BAD_EXTHDR, "in_bad_exthdr", PC_DIR_INGRESS, PC_ACT_DROP,    \
	  "IPv6 extension header unknown or chain too long")                   \
	X(PC_R_IN_SSH_RATELIMIT, "in_ssh_ratelimit", PC_DIR_INGRESS,           \
	  PC_ACT_DROP, "new SSH over the per-source rate limit")               \
	X(PC_R_IN_SSH_SOURCE, "in_ssh_source", PC_DIR_INGRESS, PC_ACT_DROP,    \
	  "new SSH from a source not in ssh.from")                             \
	X(PC_R_IN_NO_FLOW, "in_no_flow", PC_DIR_INGRESS, PC_ACT_DROP,          \
	  "non-SYN TCP that matches no flow (ACK/FIN/NULL/Xmas scan)")         \
	X(PC_R_IN_DEFAULT_DROP, "in_default_drop", PC_DIR_INGRESS,             \
	  PC_ACT_DROP, "anything else arriving")                               \
	X(PC_R_OUT_ARP, "out_arp", PC_DIR_EGRESS, PC_ACT_PASS,                 \
	  "ARP request or reply")                                              \
	X(PC_R_OUT_NDP, "out_ndp", PC_DIR_EGRESS, PC_ACT_PASS,                 \
	  "IPv6 neighbour discovery and MLD")                                  \
	X(PC_R_OUT_ESTABLISHED, "out_established", PC_DIR_EGRESS, PC_ACT_PASS, \
	  "packet of a tracked flow")                                          \
	X(PC_R_OUT_SSH_REPLY, "out_ssh_reply", PC_DIR_EGRESS, PC_ACT_PASS,     \
	  "reply of an inbound SSH connection")                                \
	X(PC_R_OUT_NEW_FLOW, "out_new_flow", PC_DIR_EGRESS, PC_ACT_PASS,       \
	  "new flow to an allowlisted destination")                            \
	X(PC_R_OUT_ICMP_ECHO_REPLY, "out_icmp_echo_reply", PC_DIR_EGRESS,      \
	  PC_ACT_PASS, "echo reply of the server (policy icmp_echo_in)")       \
	X(PC_R_OUT_DHCP, "out_dhcp", PC_DIR_EGRESS, PC_ACT_PASS,               \
	  "DHCP client to server (policy dhcp_client)")                        \
	X(PC_R_OUT_ADOPTED, "out_adopted", PC_DIR_EGRESS, PC_ACT_PASS,         \
	  "connection open before up, to an allowlisted destination")          \
	X(PC_R_OUT_FRAGMENT, "out_fragment", PC_DIR_EGRESS, PC_ACT_PASS,       \
	  "later fragment of a datagram whose first fragment passed")          \
	X(PC_R_OUT_MALFORMED, "out_malformed", PC_DIR_EGRESS, PC_ACT_DROP,     \
	  "truncated or invalid header")                                       \
	X(PC_R_OUT_BAD_L2, "out_bad_l2", PC_DIR_EGRESS, PC_ACT_DROP,           \
	  "unknown ethertype or VLAN stack too deep")                          \
	X(PC_R_OUT_BAD_FRAGMENT, "out_bad_fragment", PC_DIR_EGRESS,            \
	  PC_ACT_DROP, "orphan or overlapping fragment")                       \
	X(PC_R_OUT_NO_FLOW, "out_no_flow", PC_DIR_EGRESS, PC_ACT_DROP,         \
	  "allowlisted destination but not a flow start (non-SYN TCP)")        \
	X(PC_R_OUT_TABLE_FULL, "out_table_full", PC_DIR_EGRESS, PC_ACT_DROP,   \
	  "flow table full: new flow refused")                                 \
	X(PC_R_OUT_DEFAULT_DROP, "out_default_drop", PC_DIR_EGRESS,            \
	  PC_ACT_DROP, "destination not in the allowlist")

#define PC_REASON_ENUM(e, name, dir, act, desc) e,
enum pc_reason { PC_REASONS(PC_REASON_ENUM) PC_R_MAX };
#undef PC_REASON_ENUM

/* Bit per reason whose action is drop: a compile-time constant. */
#define PC_REASON_DROP_BIT(e, name, dir, act, desc) | ((__u64)(act) << (e))
#define PC_DROP_MASK (0ULL PC_REASONS(PC_REASON_DROP_BIT))

/*
 * Counter rows in the "counters" map: [0, PC_R_MAX) are the reasons,
 * [PC_RULE_BASE, PC_RULE_BASE + PC_MAX_RULES) the named policy rules.
 */
#define PC_RULE_BASE 64
#define PC_MAX_COUNTERS (PC_RULE_BASE + PC_MAX_RULES)
_Static_assert(PC_R_MAX <= PC_RULE_BASE, "too many reasons");
_Static_assert(PC_R_MAX <= 64, "audit_mask holds one bit per reason");

struct pc_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct pc_counter) == 16, "pc_counter size");

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

struct pc_flow_val {
	__u64 created_ns; /* CLOCK_MONOTONIC_COARSE */
	__u64 seen_ns; /* last packet either way */
	__u32 rule_id; /* policy rule that admitted the flow */
	__u8 state; /* enum pc_flow_state */
	__u8 flags; /* PC_FF_* */
	__u16 pad;
	__u32 local_next; /* TCP: the server's SYN seq + 1 (host order) */
	__u32 peer_next; /* TCP: last ACK the server sent (host order) */
};
_Static_assert(sizeof(struct pc_flow_val) == 32, "pc_flow_val size");

/*
 * An inbound RST or FIN changes a flow only when its sequence number is
 * within this distance of the last ACK the server sent (see docs/design.md).
 */
#define PC_TCP_SEQ_WINDOW (1u << 20)

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

/*
 * Allowlist: LPM tries keyed by (slot, proto, port, address). The data
 * before the address is matched exactly (prefixlen counts it), so a
 * prefix rule is "PC_ALLOW_HDR_BITS + address prefix". Port 0 means any
 * port. The slot selects one of the two policy generations (see pc_active);
 * slot | PC_SLOT_SSH_FROM holds the sources allowed to reach SSH. Egress
 * entries of one address (/32, /128) are also in the allow_hosts4/6 hashes
 * under the same key (prefixlen PC_ALLOW_HDR_BITS + 32 or + 128), where a
 * lookup costs a third of the trie's.
 */
#define PC_ALLOW_HDR_BITS 32
#define PC_SLOT_SSH_FROM 2
struct pc_allow4_key {
	__u32 prefixlen;
	__u8 slot;
	__u8 proto;
	__be16 port;
	__be32 addr;
};
_Static_assert(sizeof(struct pc_allow4_key) == 12, "pc_allow4_key size");

struct pc_allow6_key {
	__u32 prefixlen;
	__u8 slot;
	__u8 proto;
	__be16 port;
	__be32 addr[4];
};
_Static_assert(sizeof(struct pc_allow6_key) == 24, "pc_allow6_key size");

struct pc_allow_val {
	__u32 rule_id;
	__u32 flags; /* reserved */
};
_Static_assert(sizeof(struct pc_allow_val) == 8, "pc_allow_val size");

/* pc_config.flags */
#define PC_CFG_SSH_FROM 0x1 /* new SSH only from the ssh.from prefixes */
#define PC_CFG_ICMP_ECHO_IN 0x2 /* answer pings */
#define PC_CFG_DHCP_CLIENT 0x4 /* UDP 68 <-> 67 */
#define PC_CFG_LOG_DROPS 0x8 /* report drops through the ring buffer */
#define PC_CFG_LOG_FLOWS 0x10 /* report new egress flows too */
/* Some allowlist entry of this slot has port 0 (any port) for TCP/UDP:
 * egress looks that up after the exact port misses, and only then. */
#define PC_CFG_ANYPORT_TCP 0x20
#define PC_CFG_ANYPORT_UDP 0x40
/* The slot's egress allowlist has IPv4 (IPv6) entries wider than one
 * address: only then does a lookup miss in allow_hosts4 (6) go on to the
 * LPM trie. */
#define PC_CFG_PREFIXES4 0x80
#define PC_CFG_PREFIXES6 0x100

/* Policy scalars, one per slot in the "policy_cfg" array map. */
/*
 * A (protocol, port) pair some host-name rule opens (port 0: any port;
 * IPPROTO_ICMP stands for ICMPv6 too). Egress looks up the learned
 * addresses (dyn_allow) only for a packet whose pair is listed, so a
 * packet to any other port costs no hash lookup there.
 */
#define PC_MAX_DYN_PAIRS 8
#define PC_DYN_PAIRS_ALL 0xffffffffu /* too many to list: always look */
struct pc_dyn_pair {
	__u8 proto;
	__u8 pad;
	__be16 port;
};

struct pc_config {
	__be16 ssh_ports[PC_MAX_SSH_PORTS]; /* 0 = unused */
	__u32 flags; /* PC_CFG_* */
	__u32 ssh_rate_per_min; /* new SSH per source; 0 = no limit */
	__u64 ssh_burst; /* connections allowed at once */
	__u64 audit_mask; /* bit per reason: count the drop, let it pass */
	__u32 log_rate; /* events per second per CPU (token bucket) */
	__u32 log_burst; /* bucket size */
	__u64 timeout_tcp_syn_ns;
	__u64 timeout_tcp_est_ns;
	__u64 timeout_tcp_fin_ns;
	__u64 timeout_tcp_close_ns;
	__u64 timeout_udp_ns;
	__u64 timeout_icmp_ns;
	__u32 n_dyn_pairs; /* entries in dyn_pairs, or PC_DYN_PAIRS_ALL */
	__u32 pad;
	struct pc_dyn_pair dyn_pairs[PC_MAX_DYN_PAIRS];
};
_Static_assert(sizeof(struct pc_config) == 128, "pc_config size");

/*
 * Log events (drops, and new flows when asked) through the "events" ring
 * buffer, at most log_rate a second per CPU; what the bucket or a full
 * buffer refuses is counted in log_stats, never silently lost.
 */
#define PC_EV_DROP 1
#define PC_EV_NEW_FLOW 2
#define PC_SNAPLEN 128 /* packet bytes kept per event (pcap) */
#define PC_EVENTS_BYTES (1 << 20)

struct pc_event {
	__u64 ts_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 ifindex;
	__u32 rule_id;
	__u32 pkt_len; /* length on the wire */
	__u16 cap_len; /* bytes in data */
	__u8 kind; /* PC_EV_* */
	__u8 dir; /* PC_DIR_* */
	__u8 reason; /* enum pc_reason */
	__u8 action; /* PC_ACT_* after audit */
	__u8 family;
	__u8 l4proto;
	__be16 sport;
	__be16 dport;
	__be32 saddr[4];
	__be32 daddr[4];
	__u8 data[PC_SNAPLEN];
};
_Static_assert(sizeof(struct pc_event) == 64 + PC_SNAPLEN, "pc_event size");

/* Per CPU: the token bucket and what happened to each event. */
struct pc_log_stats {
	__u64 tokens; /* in 1e-9 tokens */
	__u64 last_ns;
	__u64 logged; /* written to the ring buffer */
	__u64 suppressed; /* refused by the rate limit */
	__u64 lost; /* ring buffer full (no reader keeping up) */
};
_Static_assert(sizeof(struct pc_log_stats) == 40, "pc_log_stats size");

/* SSH rate limit state per source (IPv6 by /64). GCRA: one timestamp. */
struct pc_ssh_rl_key {
	__u32 family;
	__be32 addr[4];
};
_Static_assert(sizeof(struct pc_ssh_rl_key) == 20, "pc_ssh_rl_key size");
#define PC_MAX_SSH_RL 16384

/*
 * Confirm-or-rollback: a reload with --confirm arms a kernel timer that
 * switches back to rollback_slot at the deadline unless `confirm` clears
 * pending first. Written by: the loader (arm, confirm) and the timer.
 */
struct pc_confirm {
	__u64 deadline_ns; /* CLOCK_MONOTONIC */
	__u32 pending; /* 1: waiting for `portcullis confirm` */
	__u32 rollback_slot;
	__u32 rolled_back; /* 1: the timer switched back */
	__u32 generation; /* active.generation the confirm is for */
	__u64 rolled_back_ns;
};
_Static_assert(sizeof(struct pc_confirm) == 32, "pc_confirm size");

struct pc_confirm_state {
	struct bpf_timer timer; /* kernel-owned; user space never writes it */
	struct pc_confirm c;
};
_Static_assert(sizeof(struct pc_confirm_state) == 48, "pc_confirm_state size");

/* The slot in use, single entry in the "active" array map. */
struct pc_active {
	__u32 slot; /* 0 or 1 */
	__u32 generation; /* counts reloads */
};
_Static_assert(sizeof(struct pc_active) == 8, "pc_active size");

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

/*
 * allow_ports: per policy slot and protocol (TCP, UDP), a bit for every
 * destination port some egress rule of the slot names, so a new flow to any
 * other port is refused without an allowlist lookup; a rule for any port
 * sets all bits of its protocol. Two bitmaps: ports of listed addresses
 * (the static allowlist) and ports of host names (their learned addresses,
 * dyn_allow), so a port only names use skips the static lookups, and the
 * other way round. A set bit only means "look it up": every port a rule
 * names must have its bit. One struct pc_port_bits per array entry.
 */
struct pc_port_bits {
	__u64 listed; /* allow4/6, allow_hosts4/6 */
	__u64 learned; /* dyn_allow */
};
_Static_assert(sizeof(struct pc_port_bits) == 16, "pc_port_bits size");

#define PC_PORT_WORDS (65536 / 64)
#define PC_PORT_ENTRIES (2 * 2 * PC_PORT_WORDS) /* slots x {TCP, UDP} */

/* The allow_ports entry of (slot, TCP or UDP, port in host order). */
static inline __u32 pc_port_word(__u32 slot, int udp, __u32 port)
{
	return (((slot & 1) * 2 + !!udp) * PC_PORT_WORDS) +
	       (port & 0xffff) / 64;
}

/* Rule metadata for people, written by the loader, read by the CLI. */
struct pc_rule_meta {
	char name[PC_NAME_LEN];
	__u8 slots; /* bit per policy slot that uses this rule; 0: free */
	__u8 direction; /* PC_DIR_* */
	__u8 action; /* PC_ACT_* */
	__u8 pad[5];
};
_Static_assert(sizeof(struct pc_rule_meta) == 56, "pc_rule_meta size");

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
};
_Static_assert(sizeof(struct pc_dns_stats) == 32, "pc_dns_stats size");

/* What the dry-run instance decided (`portcullis trace`). */
struct pc_trace {
	__u32 reason; /* enum pc_reason */
	__u32 rule_id; /* egress: the rule that allowed the flow */
	__u32 action; /* PC_ACT_* after audit mode */
	__u32 flow_state; /* state of the flow found, or PC_FS_MAX: none */
};
_Static_assert(sizeof(struct pc_trace) == 16, "pc_trace size");

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

#endif /* PORTCULLIS_H */
