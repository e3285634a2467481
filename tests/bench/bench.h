/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the bench programs share: one timed BPF_PROG_TEST_RUN, the best of
 * rounds, the reference programs' table, the running policy's config, and
 * the scaling run (scaling.c).
 */
#ifndef PC_BENCH_H
#define PC_BENCH_H

#include <stdbool.h>
#include "bench_ref.skel.h"
#include "harness.h"

#define REPEAT 2000000
#define ROUNDS 5 /* best of: the VM is noisy */

/*
 * One run of REPEAT frames: ns per frame by the call's own clock (an XDP
 * program is held attached for it, measure.c), -1 on error.
 */
double ns_once(int prog_fd, const struct pkt_spec *s, int *retval);
/*
 * Keep an XDP program in the kernel's XDP dispatcher for good: attached to
 * a veth of its own in the bench's namespace. Runs of several programs in
 * turn (pair_once) then change no dispatcher image between calls: a
 * program that is not held is added and taken out by every test run, a
 * synchronize_rcu() each that leaves the next run with cold caches. 0 or
 * -1.
 */
int xdp_keep(int prog_fd);
/*
 * How many of the timed calls ran 2 ns a frame or more over the kernel's
 * whole-ns figure: a few (preempted), never all (the hold failed).
 */
void clock_report(void);
/*
 * One frame through fds[0] then fds[1], one run each (repeat 1, so the
 * kernel's per-run clock reads are in both): adds the durations to sum[k].
 * -1 on error or when program k's verdict is not want[k].
 */
int pair_once(const int fds[2], const struct pkt_spec *s, const int want[2],
	      double sum[2]);
/* Keep the best of the runs in *best (starts at 0: none yet). */
void keep_best(double *best, double ns);
/* The flow key of frame s seen from the server's side. */
int spec_key(const struct pkt_spec *s, bool egress, struct pc_flow_key *k);
/*
 * Put the key the reference programs build for s into ref_flows
 * (present), or take it out: a hit or a miss for the references.
 */
int ref_set(struct bench_ref *ref, const struct pkt_spec *s, bool present);
/* The running policy slot and its config; write it back with cfg_write. */
int cfg_read(struct harness *h, __u32 *slot, struct pc_config *cfg);
int cfg_write(struct harness *h, __u32 slot, const struct pc_config *cfg);

/* The path table and its cold rows (paths.c). */
int bench_paths(const char *csv_path);
/* The scaling run (scaling.c): tables on the terminal, CSV at csv_path. */
int scaling(const char *csv_path);

#endif /* PC_BENCH_H */
