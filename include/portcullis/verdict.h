/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: Verdicts: directions, actions, the reasons (one X-macro), the counter
 * rows they and the policy rules count in, and what a dry run decided.
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_VERDICT_H
#define PORTCULLIS_VERDICT_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

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

/* What the dry-run instance decided (`portcullis trace`). */
struct pc_trace {
	__u32 reason; /* enum pc_reason */
	__u32 rule_id; /* egress: the rule that allowed the flow */
	__u32 action; /* PC_ACT_* after audit mode */
	__u32 flow_state; /* state of the flow entry found, or PC_FS_MAX: none */
	__u32 flow_expired; /* 1: that entry was past its deadline (no flow) */
	__u32 pad;
	__s64 flow_left_ns; /* its deadline minus the packet's clock */
};
_Static_assert(sizeof(struct pc_trace) == 32, "pc_trace size");

#endif /* PORTCULLIS_VERDICT_H */
