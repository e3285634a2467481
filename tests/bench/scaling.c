// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Scaling: the cost per packet as the flow table grows (one frame, and
 * random flows beside the same lookup in a table of the same size) and as
 * the allowlist grows. `pc-bench --scaling CSV`. Each flow-table size has
 * its own programs and tables, all loaded at once, so the sizes are
 * measured in turn: a slow spell of the VM cannot fall on one size only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "portcullis/bench.h"

/* Flow i of fill_flows: its remote address and local port. */
static __be32 flow_raddr(long i)
{
	return htonl(PC_BENCH_FLOW_RADDR(i));
}

static __u16 flow_lport(long i)
{
	return PC_BENCH_FLOW_LPORT(i);
}

/*
 * Write flow entries from..n-1 into fd (the IPv4 flow table, or the
 * reference's table of the same shape): UDP flows from SRV4 to
 * 198.51.0.0/16, remote port 7844.
 */
static int fill_flows(int fd, long from, long n)
{
	struct timespec ts;
	__u64 now;

	/* live entries: seen now on the programs' clock, so no lookup finds
	 * them expired and the collector leaves them */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (long i = from; i < n; i++) {
		struct pc_flow4_key k = { .family = AF_INET,
					  .proto = IPPROTO_UDP,
					  .lport = htons(flow_lport(i)),
					  .rport = htons(7844),
					  .raddr = flow_raddr(i) };
		struct pc_flow_val v = { .state = PC_FS_ESTABLISHED,
					 .rule_id = 1,
					 .seen_ns = now,
					 .expires_ns = now + 3600000000000ULL };

		inet_pton(AF_INET, SRV4, &k.laddr);
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -1;
	}
	return 0;
}

/*
 * One flow-table size: portcullis and the reference, each loaded with
 * tables of the same capacity (FLOW_CAP) holding the same `size` flows.
 * Every size is loaded at once, so the rows of all sizes are measured in
 * turn and a slow spell of the VM hits them alike.
 */
#define FLOW_SIZES 4
#define FLOW_CAP (1 << 21)
struct flow_set {
	long size;
	struct harness h;
	struct bench_ref *ref;
};

/*
 * The frame of flow i (fill_flows' flows 1..size-1): the established
 * frame est with flow i's remote address and local port.
 */
static struct pkt_spec flow_frame(const struct pkt_spec *est, long i, char *src)
{
	struct in_addr a = { flow_raddr(i) };
	struct pkt_spec s = *est;

	inet_ntop(AF_INET, &a, src, INET_ADDRSTRLEN);
	s.src = src;
	s.dport = flow_lport(i);
	return s;
}

/*
 * Frames of set f through its reference and portcullis, one run each:
 * flows 1..n in order, or with at_random n random flows. Adds the
 * runs' durations to sum[2]. Returns 0, or -1 when a frame missed its flow.
 */
static int flow_frames(const struct flow_set *f, const struct pkt_spec *est,
		       long n, bool at_random, double sum[2])
{
	const int want[2] = { XDP_PASS, XDP_PASS };
	const int fds[2] = { bpf_program__fd(f->ref->progs.ref_lookup),
			     f->h.xdp_fd };

	for (long j = 1; j <= n; j++) {
		char src[INET_ADDRSTRLEN];
		long i = at_random ? 1 + rand() % (f->size - 1) : j;
		struct pkt_spec s = flow_frame(est, i, src);

		if (pair_once(fds, &s, want, sum))
			return -1;
	}
	return 0;
}

/*
 * The cost of the reference (ns[i][0]) and of portcullis (ns[i][1]) over
 * random flows of each set's table: one frame per run, each for another
 * flow, so a large table's entries come from memory, not cache, and the
 * two programs in turn on each frame. The sets take turns in blocks of
 * BLOCK frames, so a slow spell of the VM hits every size alike; before
 * its block, a set's first WARM flows are sent once, untimed, so a small
 * table is back in cache after the others' blocks (what 1k flows are
 * alone), and a large one is not (WARM of 1M are 0.1%). Includes the
 * kernel's per-run clock reads, the same for every size and program.
 * Fills the mean ns per packet; -1 when a frame did not find its flow.
 */
static int random_flows_ns(const struct flow_set *sets,
			   const struct pkt_spec *est, double ns[][2])
{
	enum { BLOCKS = 10, BLOCK = 2000, WARM = 1000 };
	double warm[2] = { 0, 0 }; /* the untimed runs' sum, unused */

	srand(1);
	for (int i = 0; i < FLOW_SIZES; i++)
		ns[i][0] = ns[i][1] = 0;
	for (int b = 0; b < BLOCKS; b++) {
		for (int i = 0; i < FLOW_SIZES; i++) {
			long n = sets[i].size - 1 < WARM ? sets[i].size - 1 :
							   WARM;

			if (flow_frames(&sets[i], est, n, false, warm) ||
			    flow_frames(&sets[i], est, BLOCK, true, ns[i]))
				return -1;
		}
	}
	for (int i = 0; i < FLOW_SIZES; i++) {
		ns[i][0] /= BLOCKS * BLOCK;
		ns[i][1] /= BLOCKS * BLOCK;
	}
	return 0;
}

/*
 * Add allowlist entries from..n-1 for TCP 443 as the loader would (never
 * the test traffic): /32s 10.x.y.z in the trie and the host hash, or /24s
 * from 10.0.0.0 up in the trie, with the slot's PC_CFG_PREFIXES4 set so
 * lookups that miss the hash walk it.
 */
static int fill_allow(struct harness *h, long from, long n, bool prefixes)
{
	struct pc_allow_val v = { .rule_id = 1 };
	struct pc_port_bits bits;
	struct pc_config cfg;
	__u32 slot, word;

	if (cfg_read(h, &slot, &cfg))
		return -1;
	for (long i = from; i < n; i++) {
		struct pc_allow4_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + (prefixes ? 24 : 32),
			.slot = slot,
			.proto = IPPROTO_TCP,
			.port = htons(443),
			.addr = htonl(prefixes ? 0x0a000000 + (i << 8) :
						 0x0a000000 | i),
		};
		if (bpf_map_update_elem(h->m.allow4, &k, &v, BPF_ANY) ||
		    (!prefixes &&
		     bpf_map_update_elem(h->m.allow_hosts4, &k, &v, BPF_ANY)))
			return -1;
	}
	if (prefixes)
		cfg.flags |= PC_CFG_PREFIXES4;
	/* a listed address names TCP 443 now: the denied path looks it up */
	word = pc_port_word(slot, 0, 443);
	if (bpf_map_lookup_elem(h->m.allow_ports, &word, &bits))
		return -1;
	bits.listed |= 1ULL << (443 % 64);
	if (bpf_map_update_elem(h->m.allow_ports, &word, &bits, BPF_ANY))
		return -1;
	return cfg_write(h, slot, &cfg);
}

/* One row: on the terminal, and in the CSV (ratio < 0: none). */
static void row_out(FILE *csv, const char *dim, long size, const char *path,
		    double ns, double ratio)
{
	if (ratio < 0) {
		printf("%-10s %8ld  %-22s %7.1f %8s\n", dim, size, path, ns,
		       "-");
		fprintf(csv, "%s,%ld,%s,%.1f,\n", dim, size, path, ns);
		return;
	}
	printf("%-10s %8ld  %-22s %7.1f %8.2f\n", dim, size, path, ns, ratio);
	fprintf(csv, "%s,%ld,%s,%.1f,%.3f\n", dim, size, path, ns, ratio);
}

/* One scaling measurement and the reference taken in turn with it. */
struct scale_row {
	FILE *csv;
	const char *dim;
	long size;
	int ref_fd, ref_tc_fd;
	const struct pkt_spec *ref_spec;
};

/*
 * Measure path beside "parse + one lookup (hit)" on the same hook, runs of
 * the two in turn, each keeping its best: a slow spell of the VM moves
 * both, so the ratio is what the table's size changed.
 */
static double scale_measure(const struct scale_row *r, const char *path, int fd,
			    bool egress, const struct pkt_spec *s)
{
	int rv, ref_fd = egress ? r->ref_tc_fd : r->ref_fd;
	double ref = 0, ns = 0;

	for (int round = 0; round < ROUNDS; round++) {
		keep_best(&ref, ns_once(ref_fd, r->ref_spec, &rv));
		keep_best(&ns, ns_once(fd, s, &rv));
	}
	row_out(r->csv, r->dim, r->size, path, ns, ns / ref);
	return ns;
}

/* The random-flow driver of set f: its table's size, the programs. */
static int rnd_setup(const struct flow_set *f)
{
	const int progs[PC_BENCH_RND_SLOTS] = {
		[PC_BENCH_RND_REF] = bpf_program__fd(f->ref->progs.ref_lookup),
		[PC_BENCH_RND_PORTCULLIS] = f->h.xdp_fd,
		[PC_BENCH_RND_EMPTY] = bpf_program__fd(f->ref->progs.ref_drop),
	};
	int jmp = bpf_map__fd(f->ref->maps.ref_rnd_jmp);

	for (__u32 k = 0; k < PC_BENCH_RND_SLOTS; k++)
		if (bpf_map_update_elem(jmp, &k, &progs[k], BPF_ANY))
			return -1;
	return 0;
}

/*
 * One run of set f's driver (ref_random): REPEAT packets of random flows
 * made out of the established frame est, each handed to slot: ns per
 * packet, -1 on error or when a packet did not take the path (the
 * reference's verdict, portcullis's established row).
 */
static double rnd_once(struct flow_set *f, const struct pkt_spec *est,
		       __u32 slot)
{
	struct pc_bench_rnd cfg = { .flows = f->size, .slot = slot };
	__u64 before = h_row_packets(&f->h, PC_R_IN_ESTABLISHED);
	int want = slot == PC_BENCH_RND_EMPTY ? XDP_DROP : XDP_PASS;
	__u32 zero = 0;
	double ns;
	int rv;

	if (bpf_map_update_elem(bpf_map__fd(f->ref->maps.ref_rnd_cfg), &zero,
				&cfg, BPF_ANY))
		return -1;
	ns = ns_once(bpf_program__fd(f->ref->progs.ref_random), est, &rv);
	if (ns < 0 || rv != want)
		return -1;
	if (slot == PC_BENCH_RND_PORTCULLIS &&
	    h_row_packets(&f->h, PC_R_IN_ESTABLISHED) - before != REPEAT)
		return -1;
	return ns;
}

/*
 * Back to back: the reference (ns[i][0]) and portcullis (ns[i][1]) over
 * packets of random flows of each set's table, REPEAT a run with no
 * syscall between them, the driver's own cost (its empty slot) taken out.
 * Best of ROUNDS, every size and slot in turn in each round. 0 or -1.
 */
static int back_to_back_ns(struct flow_set *sets, const struct pkt_spec *est,
			   double ns[][2])
{
	double best[FLOW_SIZES][PC_BENCH_RND_SLOTS] = { { 0 } };

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < FLOW_SIZES; i++) {
			for (__u32 k = 0; k < PC_BENCH_RND_SLOTS; k++) {
				double t = rnd_once(&sets[i], est, k);

				if (t < 0)
					return -1;
				keep_best(&best[i][k], t);
			}
		}
	}
	for (int i = 0; i < FLOW_SIZES; i++) {
		double empty = best[i][PC_BENCH_RND_EMPTY];

		ns[i][0] = best[i][PC_BENCH_RND_REF] - empty;
		ns[i][1] = best[i][PC_BENCH_RND_PORTCULLIS] - empty;
	}
	return 0;
}

/*
 * Load set f: both programs, with tables of FLOW_CAP holding f->size flows
 * (the established frame's among them, a hit for both). Returns 0 or -1.
 */
static int flow_set_load(struct flow_set *f, const struct pkt_spec *est,
			 const struct pkt_spec *est_out)
{
	/* the collector at its production period (5 s), as an operator
	 * runs it */
	f->h = (struct harness){ .group = "scaling",
				 .gc_interval_ns = 5000000000ULL };
	f->ref = bench_ref__open();
	if (!f->ref ||
	    bpf_map__set_max_entries(f->ref->maps.ref_flows, FLOW_CAP) ||
	    bench_ref__load(f->ref) || ref_set(f->ref, est, true) ||
	    h_setup(&f->h, NULL, FLOW_CAP) || h_run(&f->h, true, est_out))
		return -1;
	if (fill_flows(f->h.m.flows4, 1, f->size) ||
	    fill_flows(bpf_map__fd(f->ref->maps.ref_flows), 1, f->size))
		return -1;
	/* every program of the random-flow rows stays in the dispatcher */
	if (xdp_keep(bpf_program__fd(f->ref->progs.ref_lookup)) ||
	    xdp_keep(f->h.xdp_fd))
		return -1;
	return rnd_setup(f);
}

static void flow_set_free(struct flow_set *f)
{
	bench_ref__destroy(f->ref);
	if (f->h.skel)
		h_teardown(&f->h);
}

/*
 * The established path as the flow table grows: one frame (its entry stays
 * in cache) beside the hit reference, best of ROUNDS, every size and both
 * programs in turn in each round; then random flows (random_flows_ns).
 * Returns 0, or -1 when a run failed or missed its flow.
 */
static int flow_rows(struct flow_set *sets, const struct pkt_spec *est,
		     FILE *csv)
{
	double one[FLOW_SIZES] = { 0 }, ref[FLOW_SIZES] = { 0 };
	double rnd[FLOW_SIZES][2], b2b[FLOW_SIZES][2];
	int rv[2];

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < FLOW_SIZES; i++) {
			int ref_fd =
				bpf_program__fd(sets[i].ref->progs.ref_lookup);
			double r = ns_once(ref_fd, est, &rv[0]);
			double p = ns_once(sets[i].h.xdp_fd, est, &rv[1]);

			if (r < 0 || p < 0 || rv[0] != XDP_PASS ||
			    rv[1] != XDP_PASS)
				return -1;
			keep_best(&ref[i], r);
			keep_best(&one[i], p);
		}
	}
	if (random_flows_ns(sets, est, rnd) || back_to_back_ns(sets, est, b2b))
		return -1;
	for (int i = 0; i < FLOW_SIZES; i++) {
		row_out(csv, "flows", sets[i].size, "in: established", one[i],
			one[i] / ref[i]);
		row_out(csv, "flows", sets[i].size, "ref: random flow",
			rnd[i][0], -1);
		row_out(csv, "flows", sets[i].size, "in: est. random flow",
			rnd[i][1], rnd[i][1] / rnd[i][0]);
		row_out(csv, "flows", sets[i].size, "ref: b2b random",
			b2b[i][0], -1);
		row_out(csv, "flows", sets[i].size, "in: est. b2b random",
			b2b[i][1], b2b[i][1] / b2b[i][0]);
	}
	printf("established path at 1M flows: %.2fx of 1k (one frame), %.2fx "
	       "(random flows, a call each), %.2fx (random flows, back to "
	       "back)\n",
	       one[FLOW_SIZES - 1] / one[0], rnd[FLOW_SIZES - 1][1] / rnd[0][1],
	       b2b[FLOW_SIZES - 1][1] / b2b[0][1]);
	return 0;
}

/*
 * Scaling: the established path as the flow table grows, and the
 * established and new-flow-denied paths as the allowlist grows (host
 * addresses, then /24 prefixes, in the table of 1M flows).
 * CSV: dimension,size,path,ns_per_packet,ratio_to_parse_lookup
 */
int scaling(const char *csv_path)
{
	static const long flow_sizes[FLOW_SIZES] = { 1000, 10000, 100000,
						     1000000 };
	static const long allow_sizes[] = { 10, 1000, 10000, 100000 };
	struct pkt_spec est = { .family = AF_INET,
				.src = EDGE4,
				.dst = SRV4,
				.proto = IPPROTO_UDP,
				.sport = 7844,
				.dport = 40000 };
	struct pkt_spec est_out = { .family = AF_INET,
				    .src = SRV4,
				    .dst = EDGE4,
				    .proto = IPPROTO_UDP,
				    .sport = 40000,
				    .dport = 7844 };
	struct pkt_spec denied = { .family = AF_INET,
				   .src = SRV4,
				   .dst = OUT4,
				   .proto = IPPROTO_TCP,
				   .sport = 40001,
				   .dport = 443,
				   .tcp_flags = 0x02 };
	struct flow_set sets[FLOW_SIZES] = {};
	struct flow_set *big = &sets[FLOW_SIZES - 1];
	FILE *csv = fopen(csv_path, "w");
	struct scale_row r = { .csv = csv, .ref_spec = &est };
	int err = 1;

	if (!csv)
		return 1;
	for (int i = 0; i < FLOW_SIZES; i++) {
		sets[i].size = flow_sizes[i];
		if (flow_set_load(&sets[i], &est, &est_out)) {
			fprintf(stderr,
				"scaling: loading the programs with "
				"%ld flows failed\n",
				flow_sizes[i]);
			goto cleanup;
		}
	}
	fprintf(csv,
		"dimension,size,path,ns_per_packet,ratio_to_parse_lookup\n");
	/* RATIO: to parse + one lookup (hit) measured in turn with it (for the
	 * random-flow rows: over the same random flows of a same-size table) */
	printf("%-10s %8s  %-22s %7s %8s\n", "DIMENSION", "SIZE", "PATH",
	       "NS/PKT", "RATIO");
	if (flow_rows(sets, &est, csv)) {
		fprintf(stderr, "scaling: a flow-table run failed or missed "
				"its flow\n");
		goto cleanup;
	}
	r.ref_fd = bpf_program__fd(big->ref->progs.ref_lookup);
	r.ref_tc_fd = bpf_program__fd(big->ref->progs.ref_lookup_tc);
	/* host addresses (hash and trie), then /24 prefixes (the trie) */
	for (int pfx = 0; pfx < 2; pfx++) {
		r.dim = pfx ? "allow/24" : "allow/32";
		for (size_t i = 0; i < 4; i++) {
			if (fill_allow(&big->h, i ? allow_sizes[i - 1] : 0,
				       allow_sizes[i], pfx))
				goto cleanup;
			r.size = allow_sizes[i];
			scale_measure(&r, "out: established", big->h.tc_fd,
				      true, &est_out);
			scale_measure(&r, "out: new flow denied", big->h.tc_fd,
				      true, &denied);
		}
	}
	err = 0;
cleanup:
	for (int i = 0; i < FLOW_SIZES; i++)
		flow_set_free(&sets[i]);
	fclose(csv);
	return err;
}
