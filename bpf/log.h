/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The drop log: at the exit, a drop (or an audited drop, or a new flow when
 * the policy asks) becomes a struct pc_event in the events ring buffer with
 * the packet's first PC_SNAPLEN bytes. A per-CPU token bucket (log_rate a
 * second, log_burst at once) bounds what a flood can cost; what it refuses,
 * and what a full ring buffer refuses, is counted in log_stats.
 */
#ifndef PC_LOG_H
#define PC_LOG_H

#include "clock.h"
#include "config.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"
#include "counters.h"

/*
 * Reasons an event may be written for: the drops, and new flows. A
 * compile-time mask, tested first, so a passed packet of a flow leaves
 * the log after one test.
 */
#define PC_LOG_MASK (PC_DROP_MASK | (1ULL << PC_R_OUT_NEW_FLOW))

/* PC_EV_* for this verdict, or 0 when it is not logged. */
static __always_inline int pc_log_kind(const struct pc_policy *pol,
				       __u32 reason)
{
	if (reason >= PC_R_MAX || !((PC_LOG_MASK >> reason) & 1))
		return 0;
	if (dry_run || !pol->cfg)
		return 0;
	if ((pol->cfg->flags & PC_CFG_LOG_DROPS) &&
	    (PC_DROP_MASK >> reason) & 1)
		return PC_EV_DROP;
	if ((pol->cfg->flags & PC_CFG_LOG_FLOWS) && reason == PC_R_OUT_NEW_FLOW)
		return PC_EV_NEW_FLOW;
	return 0;
}

/* Take a token; 0 when the bucket is empty (the event is counted). */
static __always_inline int pc_log_take(const struct pc_policy *pol,
				       struct pc_log_stats *st, __u64 now)
{
	__u64 cap = (__u64)pol->cfg->log_burst * 1000000000ULL;
	__u64 t = st->tokens + pc_since(now, st->last_ns) * pol->cfg->log_rate;

	st->last_ns = now;
	st->tokens = t > cap ? cap : t;
	if (st->tokens < 1000000000ULL) {
		st->suppressed++;
		return 0;
	}
	st->tokens -= 1000000000ULL;
	return 1;
}

static __always_inline struct pc_event *
pc_log_reserve(const struct pc_policy *pol, const struct pc_pkt *p, __u8 dir,
	       __u32 reason, __u32 rule, __u64 bytes, __u64 now)
{
	int kind = pc_log_kind(pol, reason);
	struct pc_log_stats *st;
	struct pc_event *ev;
	__u32 zero = 0;

	if (!kind)
		return NULL;
	st = bpf_map_lookup_elem(&log_stats, &zero);
	if (!st || !pc_log_take(pol, st, now))
		return NULL;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		st->lost++;
		return NULL;
	}
	st->logged++;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->rule_id = rule;
	ev->pkt_len = bytes;
	ev->kind = kind;
	ev->dir = dir;
	ev->reason = reason;
	ev->action = (PC_DROP_MASK >> reason) & 1 &&
				     !((pol->cfg->audit_mask >> reason) & 1) ?
			     PC_ACT_DROP :
			     PC_ACT_PASS;
	ev->family = p->family;
	ev->l4proto = p->l4proto;
	ev->sport = p->sport;
	ev->dport = p->dport;
	__builtin_memcpy(ev->saddr, p->saddr, 16);
	__builtin_memcpy(ev->daddr, p->daddr, 16);
	ev->cap_len = 0;
	return ev;
}

static __always_inline void pc_log_xdp(struct xdp_md *ctx,
				       const struct pc_policy *pol,
				       const struct pc_pkt *p, __u8 dir,
				       __u32 reason, __u32 rule, __u64 bytes,
				       __u64 now)
{
	struct pc_event *ev =
		pc_log_reserve(pol, p, dir, reason, rule, bytes, now);
	__u32 n = bytes < PC_SNAPLEN ? bytes : PC_SNAPLEN;

	if (!ev)
		return;
	ev->ifindex = ctx->ingress_ifindex;
	if (n >= 1 && !bpf_xdp_load_bytes(ctx, 0, ev->data, n))
		ev->cap_len = n;
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void pc_log_skb(struct __sk_buff *skb,
				       const struct pc_policy *pol,
				       const struct pc_pkt *p, __u8 dir,
				       __u32 reason, __u32 rule, __u64 bytes,
				       __u64 now)
{
	struct pc_event *ev =
		pc_log_reserve(pol, p, dir, reason, rule, bytes, now);
	__u32 n = bytes < PC_SNAPLEN ? bytes : PC_SNAPLEN;

	if (!ev)
		return;
	ev->ifindex = skb->ifindex;
	if (n >= 1 && !bpf_skb_load_bytes(skb, 0, ev->data, n))
		ev->cap_len = n;
	bpf_ringbuf_submit(ev, 0);
}

#endif /* PC_LOG_H */
