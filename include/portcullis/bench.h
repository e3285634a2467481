/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The bench's reference programs and the bench (tests/bench/scaling.c):
 * what both sides of bpf/bench_ref.bpf.c's random-flow driver share. Not
 * part of portcullis.h: the verdict programs never see it.
 */
#ifndef PC_ABI_BENCH_H
#define PC_ABI_BENCH_H

#ifndef PORTCULLIS_H
#error "include portcullis.h first: its types"
#endif

/*
 * Flow i (1..flows-1) of a scaling table: remote address (host order; only
 * in frames fed to BPF_PROG_TEST_RUN and in map entries, never sent) and
 * local port. The remote port is 7844, the local address the server's.
 */
#define PC_BENCH_FLOW_RADDR(i) \
	(0xc6330000u | ((__u32)(i) / 60000) << 8 | ((__u32)(i) % 60000) % 251)
#define PC_BENCH_FLOW_LPORT(i) (1024 + (__u32)(i) % 60000)

/*
 * ref_rnd_cfg's one element: written by the bench, read by ref_random.
 * flows: the table's flows (frames go to flow 1..flows-1 at random); slot:
 * the ref_rnd_jmp entry each frame is handed to.
 */
struct pc_bench_rnd {
	__u32 flows;
	__u32 slot;
};
_Static_assert(sizeof(struct pc_bench_rnd) == 8, "pc_bench_rnd size");

/* ref_rnd_jmp's entries: the reference, portcullis, an empty XDP_DROP. */
enum pc_bench_rnd_slot {
	PC_BENCH_RND_REF,
	PC_BENCH_RND_PORTCULLIS,
	PC_BENCH_RND_EMPTY,
	PC_BENCH_RND_SLOTS,
};

#endif /* PC_ABI_BENCH_H */
