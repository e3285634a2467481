/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow collection in the kernel: a bpf_timer fires every gc_interval_ns
 * and queues a bpf_wq work item that deletes the flow entries whose timeout
 * has passed, so a full table frees itself without any process running.
 * The walk runs in a kernel worker, not in the timer's softirq: it reads
 * every entry (about 85 ms for 1M flows on the test VM), and packets must
 * not wait behind it. The data path already treats expired entries as
 * misses; this only returns their slots.
 */
#ifndef PC_GC_H
#define PC_GC_H

#include "clock.h"
#include "config.h"
#include "maps.h"
#include "flow.h"

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

struct pc_gc_ctx {
	__u64 now;
	__u64 collected;
};

/* One entry of flows4 or flows6 (k is either key): gone once its deadline
 * has passed. */
static long pc_gc_one(struct bpf_map *map, void *k, struct pc_flow_val *v,
		      struct pc_gc_ctx *c)
{
	if (pc_flow_expired(v, c->now) && bpf_map_delete_elem(map, k) == 0)
		c->collected++;
	return 0;
}

extern int bpf_wq_init(struct bpf_wq *wq, void *p__map,
		       unsigned int flags) __ksym;
extern int bpf_wq_start(struct bpf_wq *wq, unsigned int flags) __ksym;
extern int bpf_wq_set_callback_impl(struct bpf_wq *wq,
				    int (*callback_fn)(void *map, int *key,
						       void *value),
				    unsigned int flags, void *aux) __ksym;

/* The walk, in a kernel worker (bpf_wq): packet softirqs preempt it. */
static int pc_gc_walk(void *map, int *key, void *value)
{
	struct pc_gc_state *st = value;
	struct pc_gc_ctx c = { .now = pc_now() };

	bpf_for_each_map_elem(&flows4, pc_gc_one, &c, 0);
	bpf_for_each_map_elem(&flows6, pc_gc_one, &c, 0);
	st->collected += c.collected;
	st->runs++;
	return 0;
}

/* The timer: queue the walk, re-arm. */
static int pc_gc_run(void *map, __u32 *key, struct pc_gc_state *st)
{
	pc_clock_calibrate();
	bpf_wq_start(&st->wq, 0);
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
	pc_clock_calibrate();
	if (bpf_wq_init(&st->wq, &gc, 0) ||
	    bpf_wq_set_callback_impl(&st->wq, pc_gc_walk, 0, NULL))
		return XDP_ABORTED;
	bpf_timer_init(&st->timer, &gc, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&st->timer, pc_gc_run);
	bpf_timer_start(&st->timer, gc_interval_ns, 0);
	return XDP_PASS;
}

/* Run by the loader a little after pc_gc_arm: the clock's second reading. */
SEC("xdp")
int pc_clock_cal(struct xdp_md *ctx)
{
	pc_clock_calibrate();
	return pc_clock.tick_ns ? XDP_PASS : XDP_DROP;
}

#endif /* PC_GC_H */
