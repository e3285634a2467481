/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load-time knobs (.rodata), set by the loader before load and fixed for
 * the life of the programs, so the verifier prunes what they turn off.
 */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include "vmlinux.h"

/* How often the flow collector runs (bpf/gc.h); tests use less. */
const volatile __u64 gc_interval_ns = 5ULL * 1000000000ULL;

/*
 * `portcullis trace`: a second instance of the programs, sharing the live
 * maps, that judges a packet and records the verdict in the trace map but
 * changes nothing: no counters, no flows, no fragments, no rate-limit
 * state, no log events.
 */
const volatile bool dry_run = false;

#endif /* PC_CONFIG_H */
