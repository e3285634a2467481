/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Time. The programs read the clock once, at their start, with pc_now():
 * CLOCK_MONOTONIC at tick granularity, the clock user space reads as
 * CLOCK_MONOTONIC_COARSE (flow ages, learned-address expiry). It is made
 * from jiffies, one load the verifier inlines, where
 * bpf_ktime_get_coarse_ns() is a helper call (about 4 ns a packet on the
 * test VM): jiffies times the tick length plus the offset between the two
 * clocks, measured once when the collector is armed (pc_clock_calibrate).
 * The kernel advances jiffies by whole ticks of CLOCK_MONOTONIC, so the
 * offset does not drift. Without the kernel's HZ (no kernel config for
 * libbpf to read) or before calibration, the helper is used.
 *
 * Another CPU may stamp an entry with a later reading before this packet
 * looks at it, so an age is never computed as a plain difference: that
 * would wrap to a huge age and make a live entry look expired.
 */
#ifndef PC_CLOCK_H
#define PC_CLOCK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.h"

#define PC_NSEC_PER_SEC 1000000000ULL

extern const int CONFIG_HZ __kconfig __weak;

/* Nanoseconds from t to now; 0 when t is later than now. */
static __always_inline __u64 pc_since(__u64 now, __u64 t)
{
	return now > t ? now - t : 0;
}

static __always_inline __u64 pc_now(void)
{
	__u32 zero = 0;
	struct pc_gc_state *st = bpf_map_lookup_elem(&gc, &zero);

	if (!st || !st->tick_ns)
		return bpf_ktime_get_coarse_ns();
	/* modulo 2^64: the offset is "negative" (jiffies start high) */
	return bpf_jiffies64() * st->tick_ns + st->clock_offset_ns;
}

/* Measure the offset of jiffies to CLOCK_MONOTONIC (to within a tick). */
static __always_inline void pc_clock_calibrate(struct pc_gc_state *st)
{
	__u64 tick;

	if (CONFIG_HZ <= 0)
		return;
	tick = (PC_NSEC_PER_SEC + CONFIG_HZ / 2) / CONFIG_HZ; /* TICK_NSEC */
	st->clock_offset_ns =
		bpf_ktime_get_coarse_ns() - bpf_jiffies64() * tick;
	st->tick_ns = tick;
}

#endif /* PC_CLOCK_H */
