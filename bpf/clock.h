/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Time. The programs read the clock once, at their start, with pc_now():
 * CLOCK_MONOTONIC at tick granularity, the clock user space reads as
 * CLOCK_MONOTONIC_COARSE (flow ages, learned-address expiry). It is made
 * from jiffies, one load the verifier inlines, where
 * bpf_ktime_get_coarse_ns() is a helper call (about 4 ns a packet on the
 * test VM): jiffies times the tick length plus the offset between the two
 * clocks. The kernel advances jiffies by whole ticks of CLOCK_MONOTONIC, so
 * the offset does not drift. Both are measured (pc_clock_calibrate): a
 * first reading of both clocks when up arms the collector, a second 60 ms
 * later (pc_clock_cal, retried at each collection until it takes) gives
 * the tick length (the kernel's HZ, one of PC_HZ_CHOICES: no kernel config
 * file needed) and the offset. Until then, or on a kernel whose HZ is none
 * of those, the helper is used.
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
/* The kernel's possible HZ (x86 Kconfig), and the least time to tell. */
#define PC_HZ_CHOICES 4
#define PC_CLOCK_CAL_MIN_NS 50000000ULL

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
	return bpf_jiffies64() * st->tick_ns + st->clock_offset_ns;
}

/* The HZ of PC_HZ_CHOICES within 10% of hz, or 0. */
static __always_inline __u64 pc_hz_known(__u64 hz)
{
	static const __u64 choices[PC_HZ_CHOICES] = { 100, 250, 300, 1000 };
	int i;

	for (i = 0; i < PC_HZ_CHOICES; i++)
		if (hz * 10 >= choices[i] * 9 && hz * 10 <= choices[i] * 11)
			return choices[i];
	return 0;
}

/*
 * Called by the collector when armed and at each run until done: the
 * first call notes both clocks, a later one (both having moved for at
 * least PC_CLOCK_CAL_MIN_NS) sets the tick length and the offset.
 */
static __always_inline void pc_clock_calibrate(struct pc_gc_state *st)
{
	__u64 j = bpf_jiffies64(), t = bpf_ktime_get_coarse_ns(), hz, tick;

	if (st->tick_ns)
		return;
	if (!st->cal_ns) {
		st->cal_jiffies = j;
		st->cal_ns = t;
		return;
	}
	if (t - st->cal_ns < PC_CLOCK_CAL_MIN_NS || j == st->cal_jiffies)
		return;
	hz = pc_hz_known((j - st->cal_jiffies) * PC_NSEC_PER_SEC /
			 (t - st->cal_ns));
	if (!hz)
		return;
	tick = (PC_NSEC_PER_SEC + hz / 2) / hz; /* the kernel's TICK_NSEC */
	/* modulo 2^64: the offset is "negative" (jiffies start high) */
	st->clock_offset_ns = t - j * tick;
	st->tick_ns = tick;
}

#endif /* PC_CLOCK_H */
