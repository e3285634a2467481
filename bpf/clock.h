/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Time: each program reads CLOCK_MONOTONIC (coarse) once, at its start.
 * Another CPU may stamp an entry with a later reading before this packet
 * looks at it, so an age is never computed as a plain difference: that
 * would wrap to a huge age and make a live entry look expired.
 */
#ifndef PC_CLOCK_H
#define PC_CLOCK_H

#include "vmlinux.h"

/* Nanoseconds from t to now; 0 when t is later than now. */
static __always_inline __u64 pc_since(__u64 now, __u64 t)
{
	return now > t ? now - t : 0;
}

#endif /* PC_CLOCK_H */
