// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Scaling: the cost per packet as the flow table grows (one frame, and
 * random flows beside the same lookup in a table of the same size) and as
 * the allowlist grows. `pc-bench --scaling CSV`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

/* Flow i of fill_flows: its remote address and local port. */
static __be32 flow_raddr(long i)
{
	return htonl(0xc6330000 | (i / 60000) << 8 | (i % 60000) % 251);
}

static __u16 flow_lport(long i)
{
	return 1024 + i % 60000;
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
 * The cost of the reference (fds[0]) and of portcullis (fds[1]) over random
 * flows of tables of n (fill_flows): one frame per run, each for another
 * flow, so a large table's entries come from memory, not cache; the two
 * run in turn on each frame, so a slow spell of the VM hits both. Includes
 * the kernel's per-run clock reads, the same for every size and program.
 * Fills ns[2] (mean ns per packet); -1 when a frame did not find its flow.
 */
static int random_flows_ns(const int fds[2], long n, double ns[2])
{
	enum { FRAMES = 20000 };
	const int want[2] = { XDP_PASS, XDP_PASS };
	double sum[2] = { 0, 0 };

	srand(1);
	for (int j = 0; j < FRAMES; j++) {
		long i = 1 + rand() % (n - 1);
		struct in_addr a = { flow_raddr(i) };
		char src[INET_ADDRSTRLEN];
		struct pkt_spec s = { .family = AF_INET,
				      .src = src,
				      .dst = SRV4,
				      .proto = IPPROTO_UDP,
				      .sport = 7844,
				      .dport = flow_lport(i) };

		inet_ntop(AF_INET, &a, src, sizeof(src));
		if (pair_once(fds, &s, want, sum))
			return -1;
	}
	ns[0] = sum[0] / FRAMES;
	ns[1] = sum[1] / FRAMES;
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

	printf("%-10s %8ld  %-22s %7.1f %8.2f\n", r->dim, r->size, path, ns,
	       ns / ref);
	fprintf(r->csv, "%s,%ld,%s,%.1f,%.3f\n", r->dim, r->size, path, ns,
		ns / ref);
	return ns;
}

/*
 * Scaling: the established path as the flow table grows, and the
 * established and new-flow-denied paths as the allowlist grows (host
 * addresses, then /24 prefixes).
 * CSV: dimension,size,path,ns_per_packet
 */
int scaling(const char *csv_path)
{
	static const long flow_sizes[] = { 1000, 10000, 100000, 1000000 };
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
	/* the collector at its production period (5 s), as an operator runs it */
	struct harness h = { .group = "scaling",
			     .gc_interval_ns = 5000000000ULL };
	FILE *csv = fopen(csv_path, "w");
	struct bench_ref *ref = bench_ref__open();
	struct scale_row r = { .csv = csv };
	double rnd[4], one[4], rref, both[2];
	int rv, fds[2];

	/* the reference's table as large as the flow table: the random-flow
	 * rows compare a lookup in tables of the same size */
	if (!csv || !ref ||
	    bpf_map__set_max_entries(ref->maps.ref_flows, 1 << 21) ||
	    bench_ref__load(ref) || ref_set(ref, &est, true) ||
	    h_setup(&h, NULL, 1 << 21) || h_run(&h, true, &est_out))
		return 1;
	r.ref_fd = bpf_program__fd(ref->progs.ref_lookup);
	r.ref_tc_fd = bpf_program__fd(ref->progs.ref_lookup_tc);
	r.ref_spec = &est;
	fds[0] = r.ref_fd;
	fds[1] = h.xdp_fd;
	/* warm up: the first runs after loading are slow */
	ns_once(r.ref_fd, &est, &rv);
	ns_once(r.ref_tc_fd, &est, &rv);
	fprintf(csv,
		"dimension,size,path,ns_per_packet,ratio_to_parse_lookup\n");
	/* RATIO: to parse + one lookup (hit) measured in turn with it (for the
	 * random-flow rows: over the same random flows of a same-size table) */
	printf("%-10s %8s  %-22s %7s %8s\n", "DIMENSION", "SIZE", "PATH",
	       "NS/PKT", "RATIO");
	r.dim = "flows";
	for (size_t i = 0; i < 4; i++) {
		long from = i ? flow_sizes[i - 1] : 1;

		if (fill_flows(h.m.flows4, from, flow_sizes[i]) ||
		    fill_flows(bpf_map__fd(ref->maps.ref_flows), from,
			       flow_sizes[i]))
			return 1;
		r.size = flow_sizes[i];
		one[i] = scale_measure(&r, "in: established", h.xdp_fd, false,
				       &est);
		if (random_flows_ns(fds, flow_sizes[i], both))
			return 1;
		rref = both[0];
		rnd[i] = both[1];
		printf("%-10s %8ld  %-22s %7.1f %8s\n", "flows", flow_sizes[i],
		       "ref: random flow", rref, "-");
		printf("%-10s %8ld  %-22s %7.1f %8.2f\n", "flows",
		       flow_sizes[i], "in: est. random flow", rnd[i],
		       rnd[i] / rref);
		fprintf(csv, "flows,%ld,ref: random flow,%.1f,\n",
			flow_sizes[i], rref);
		fprintf(csv, "flows,%ld,in: est. random flow,%.1f,%.3f\n",
			flow_sizes[i], rnd[i], rnd[i] / rref);
	}
	printf("established path at 1M flows: %.2fx of 1k (one frame), %.2fx "
	       "(random flows)\n",
	       one[3] / one[0], rnd[3] / rnd[0]);
	/* host addresses (hash and trie), then /24 prefixes (the trie) */
	for (int pfx = 0; pfx < 2; pfx++) {
		r.dim = pfx ? "allow/24" : "allow/32";
		for (size_t i = 0; i < 4; i++) {
			if (fill_allow(&h, i ? allow_sizes[i - 1] : 0,
				       allow_sizes[i], pfx))
				return 1;
			r.size = allow_sizes[i];
			scale_measure(&r, "out: established", h.tc_fd, true,
				      &est_out);
			scale_measure(&r, "out: new flow denied", h.tc_fd, true,
				      &denied);
		}
	}
	bench_ref__destroy(ref);
	fclose(csv);
	h_teardown(&h);
	return 0;
}
