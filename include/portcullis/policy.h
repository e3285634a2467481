/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: The policy in the kernel: allowlist keys, the host hashes and port
 * bitmaps, the per-slot config, the active slot, rule metadata, the SSH
 * rate limit and confirm-or-rollback.
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_POLICY_H
#define PORTCULLIS_POLICY_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

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
/* Some listed-address entry of this slot has port 0 (any port) for
 * TCP/UDP: egress looks that up after the exact port misses, and only
 * then (allow_ports holds the exact ports only). */
#define PC_CFG_ANYPORT_TCP 0x20
#define PC_CFG_ANYPORT_UDP 0x40
/* The slot's egress allowlist has IPv4 (IPv6) entries wider than one
 * address: only then does a lookup miss in allow_hosts4 (6) go on to the
 * LPM trie. */
#define PC_CFG_PREFIXES4 0x80
#define PC_CFG_PREFIXES6 0x100
/* The same as PC_CFG_ANYPORT_* for host-name rules: the addresses learned
 * for them (dyn_allow) are looked up at port 0 too. */
#define PC_CFG_NAMES_ANYPORT_TCP 0x200
#define PC_CFG_NAMES_ANYPORT_UDP 0x400

/* The slot flag of an any-port rule: TCP or UDP, listed addresses or
 * host names. Written by the loader, tested by egress. */
static inline __u32 pc_anyport_flag(int udp, int names)
{
	if (names)
		return udp ? PC_CFG_NAMES_ANYPORT_UDP :
			     PC_CFG_NAMES_ANYPORT_TCP;
	return udp ? PC_CFG_ANYPORT_UDP : PC_CFG_ANYPORT_TCP;
}

/* Policy scalars, one per slot in the "policy_cfg" array map. */
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
};
_Static_assert(sizeof(struct pc_config) == 88, "pc_config size");

/* The IP protocol numbers the timeouts depend on (IPPROTO_TCP, _UDP). */
#define PC_IPPROTO_TCP 6
#define PC_IPPROTO_UDP 17

/*
 * How long a flow of protocol proto in state (enum pc_flow_state) lives
 * without a packet under config c: the one definition for the programs
 * and the loader (adoption).
 */
static inline __u64 pc_flow_timeout_ns(const struct pc_config *c, __u8 proto,
				       __u8 state)
{
	if (proto == PC_IPPROTO_UDP)
		return c->timeout_udp_ns;
	if (proto != PC_IPPROTO_TCP)
		return c->timeout_icmp_ns;
	switch (state) {
	case PC_FS_NEW:
		return c->timeout_tcp_syn_ns;
	case PC_FS_ESTABLISHED:
		return c->timeout_tcp_est_ns;
	case PC_FS_FIN_WAIT:
		return c->timeout_tcp_fin_ns;
	}
	return c->timeout_tcp_close_ns;
}

/* SSH rate limit state per source (IPv6 by /64). GCRA: one timestamp. */
struct pc_ssh_rl_key {
	__u32 family;
	__be32 addr[4];
};
_Static_assert(sizeof(struct pc_ssh_rl_key) == 20, "pc_ssh_rl_key size");
#define PC_MAX_SSH_RL 16384

/*
 * Confirm-or-rollback: `reload --confirm` (or `up --confirm`) arms a kernel
 * timer that switches to rollback_slot at the deadline unless `confirm`
 * keeps the policy first. Whichever of the two comes first takes pending
 * from 1 to 0 with one compare-and-swap (pc_confirm_keep, the timer
 * callback), so a confirm at the deadline is either kept or too late,
 * never both. Written by: the loader (arm), the keep program and the
 * timer callback. 64-bit pending: the compare-and-swap of BPF's base
 * instruction set is 64-bit only.
 */
struct pc_confirm {
	__u64 deadline_ns; /* CLOCK_MONOTONIC */
	__u64 pending; /* 1: waiting for `portcullis confirm` */
	__u64 rolled_back_ns;
	__u32 rollback_slot;
	__u32 rolled_back; /* 1: the timer switched back */
	__u32 of_up; /* 1: armed by up: rollback_slot audits every drop */
	__u32 pad;
};
_Static_assert(sizeof(struct pc_confirm) == 40, "pc_confirm size");

struct pc_confirm_state {
	struct bpf_timer timer; /* kernel-owned; user space never writes it */
	struct pc_confirm c;
};
_Static_assert(sizeof(struct pc_confirm_state) == 56, "pc_confirm_state size");

/* The slot in use, single entry in the "active" array map. */
struct pc_active {
	__u32 slot; /* 0 or 1 */
	__u32 generation; /* counts reloads */
};
_Static_assert(sizeof(struct pc_active) == 8, "pc_active size");

/*
 * allow_ports: per policy slot and protocol (TCP, UDP), a bit for every
 * destination port some egress rule of the slot names, so a new flow to any
 * other port is refused without an allowlist lookup. Exact ports only: a
 * rule for any port sets PC_CFG_ANYPORT_* or PC_CFG_NAMES_ANYPORT_* in
 * the slot's flags instead. Two bitmaps: ports of listed addresses
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
	/* per slot: a fingerprint of the rule's definition (addresses,
	 * protocols, ports, names), so a reload knows which rules it changed */
	__u64 digest[2];
};
_Static_assert(sizeof(struct pc_rule_meta) == 72, "pc_rule_meta size");

/*
 * The frame `reload` runs pc_rejudge with (BPF_PROG_TEST_RUN on tc): in,
 * a bit per rule id whose definition the reload changed; out, what the
 * walk did to their flows. The head stands for an Ethernet header.
 */
struct pc_rejudge_msg {
	__u8 head[16];
	__u64 changed[PC_MAX_RULES / 64];
	__u32 ended; /* flows no rule of the policy in force allows */
	__u32 moved; /* flows now counted to another rule that allows them */
};
_Static_assert(sizeof(struct pc_rejudge_msg) == 56, "pc_rejudge_msg size");

#endif /* PORTCULLIS_POLICY_H */
