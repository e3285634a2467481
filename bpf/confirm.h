/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Confirm-or-rollback in the kernel: `reload --confirm N` (or `up
 * --confirm N`) writes the deadline and the slot to return to into the
 * confirm map and runs pc_confirm_arm once; the timer callback switches
 * the active slot back unless `portcullis confirm` (pc_confirm_keep) took
 * pending first. It needs no process, so a killed CLI (or a cut SSH
 * session) still rolls back. Both take pending with one compare-and-swap:
 * exactly one of them wins.
 */
#ifndef PC_CONFIRM_H
#define PC_CONFIRM_H

#include "maps.h"

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

static int pc_confirm_fire(void *map, __u32 *key, struct pc_confirm_state *st)
{
	__u32 zero = 0;
	struct pc_active *a;

	if (__sync_val_compare_and_swap(&st->c.pending, 1, 0) != 1)
		return 0; /* confirmed, or superseded by a reload */
	a = bpf_map_lookup_elem(&active, &zero);
	if (a) {
		a->slot = st->c.rollback_slot & 1;
		a->generation++;
	}
	st->c.rolled_back = 1;
	st->c.rolled_back_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("xdp")
int pc_confirm_arm(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pc_confirm_state *st = bpf_map_lookup_elem(&confirm, &zero);
	__u64 now = bpf_ktime_get_ns(), delay;

	if (!st)
		return XDP_ABORTED;
	delay = st->c.deadline_ns > now ? st->c.deadline_ns - now : 0;
	/* -EBUSY after the first arm: the timer is already initialised. */
	bpf_timer_init(&st->timer, &confirm, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&st->timer, pc_confirm_fire);
	if (bpf_timer_start(&st->timer, delay, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

/*
 * `portcullis confirm` and a reload that supersedes a pending one: take
 * pending if the timer has not. XDP_PASS: taken (the policy stays),
 * XDP_DROP: nothing was pending (the timer may have rolled back).
 */
SEC("xdp")
int pc_confirm_keep(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pc_confirm_state *st = bpf_map_lookup_elem(&confirm, &zero);

	if (!st)
		return XDP_ABORTED;
	if (__sync_val_compare_and_swap(&st->c.pending, 1, 0) != 1)
		return XDP_DROP;
	return XDP_PASS;
}

#endif /* PC_CONFIRM_H */
