/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI, part: The drop log: ring buffer events and the per-CPU accounting.
 * Include portcullis.h, not this file: it holds the rules, the types and
 * the limits every part uses.
 */
#ifndef PORTCULLIS_LOG_H
#define PORTCULLIS_LOG_H

#ifndef PORTCULLIS_H
#error "include portcullis.h"
#endif

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

#endif /* PORTCULLIS_LOG_H */
