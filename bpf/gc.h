/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow collection in the kernel: a bpf_timer fires every gc_interval_ns
 * and deletes the flow entries whose timeout has passed, so a full table
 * frees itself without any process running. The data path already treats
 * expired entries as misses; this only returns their slots.
 */
#ifndef PC_GC_H
#define PC_GC_H

#include "clock.h"
#include "config.h"
#include "maps.h"
#include "flow.h"
#include "policy.h"

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

struct pc_gc_ctx {
	struct pc_policy pol;
	__u64 now;
	__u64 collected;
};

static long pc_gc_one(struct bpf_map *map, struct pc_flow_key *k,
		      struct pc_flow_val *v, struct pc_gc_ctx *c)
{
	if (pc_since(c->now, v->seen_ns) >
		    pc_flow_timeout(c->pol.cfg, v, k->proto) &&
	    bpf_map_delete_elem(map, k) == 0)
		c->collected++;
	return 0;
}

static int pc_gc_run(void *map, __u32 *key, struct pc_gc_state *st)
{
	struct pc_gc_ctx c = { .now = pc_now() };

	if (pc_policy_get(&c.pol) == 0) {
		bpf_for_each_map_elem(&flows, pc_gc_one, &c, 0);
		st->collected += c.collected;
	}
	st->runs++;
	bpf_timer_start(&st->timer, gc_interval_ns, 0);
	return 0;
}

/* Run once by the loader (BPF_PROG_TEST_RUN) to arm the timer (and
 * calibrate the packet clock). */
SEC("xdp")
int pc_gc_arm(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pc_gc_state *st = bpf_map_lookup_elem(&gc, &zero);

	if (!st)
		return XDP_ABORTED;
	pc_clock_calibrate(st);
	bpf_timer_init(&st->timer, &gc, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&st->timer, pc_gc_run);
	bpf_timer_start(&st->timer, gc_interval_ns, 0);
	return XDP_PASS;
}

#endif /* PC_GC_H */
