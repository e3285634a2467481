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

#define PC_NSEC_PER_SEC 1000000000ULL
/* The kernel's possible HZ (x86 Kconfig), and the least time to tell. */
#define PC_HZ_CHOICES 4
#define PC_CLOCK_CAL_MIN_NS 50000000ULL

/* Nanoseconds from t to now; 0 when t is later than now. */
static __always_inline __u64 pc_since(__u64 now, __u64 t)
{
	return now > t ? now - t : 0;
}

/*
 * The calibration, a global in a section of its own (.data.clock, an array
 * map of one element; static, so not in the skeleton). Written by
 * pc_clock_calibrate (the collector's programs and timer), read by every
 * program's pc_now() with a direct load, no key through the stack and no
 * map lookup. up pins it as "clock" and trace's dry run reuses it, so both
 * read one clock (an object that never calibrates reads tick_ns 0 and uses
 * the helper, a clock up to a tick apart).
 */
static struct {
	__u64 tick_ns; /* 0: not calibrated, pc_now() uses the helper */
	__u64 offset_ns; /* CLOCK_MONOTONIC - jiffies * tick_ns */
	__u64 cal_jiffies, cal_ns; /* the first reading of both clocks */
} pc_clock SEC(".data.clock");

static __always_inline __u64 pc_now(void)
{
	if (!pc_clock.tick_ns)
		return bpf_ktime_get_coarse_ns();
	return bpf_jiffies64() * pc_clock.tick_ns + pc_clock.offset_ns;
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
static __always_inline void pc_clock_calibrate(void)
{
	__u64 j = bpf_jiffies64(), t = bpf_ktime_get_coarse_ns(), hz, tick;

	if (pc_clock.tick_ns)
		return;
	if (!pc_clock.cal_ns) {
		pc_clock.cal_jiffies = j;
		pc_clock.cal_ns = t;
		return;
	}
	if (t - pc_clock.cal_ns < PC_CLOCK_CAL_MIN_NS ||
	    j == pc_clock.cal_jiffies)
		return;
	hz = pc_hz_known((j - pc_clock.cal_jiffies) * PC_NSEC_PER_SEC /
			 (t - pc_clock.cal_ns));
	if (!hz)
		return;
	tick = (PC_NSEC_PER_SEC + hz / 2) / hz; /* the kernel's TICK_NSEC */
	/* modulo 2^64: the offset is "negative" (jiffies start high) */
	pc_clock.offset_ns = t - j * tick;
	/* the offset is stored before tick_ns says it may be used (x86 keeps
	 * stores in order; the compiler must too) */
	asm volatile("" ::: "memory");
	pc_clock.tick_ns = tick;
}

#endif /* PC_CLOCK_H */
