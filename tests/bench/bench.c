// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of every verdict path with BPF_PROG_TEST_RUN, beside
 * two references measured in the same run: an empty XDP_DROP program and
 * "parse + one hash lookup". Prints a table and writes a CSV.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_ref.skel.h"
#include "harness.h"

#define REPEAT 2000000
#define ROUNDS 5 /* best of: the VM is noisy */

struct path {
	const char *name;
	bool egress;
	struct pkt_spec s;
	int want_retval;
	bool hit; /* finds its flow: compared with a reference that hits */
};

/* The references, measured in the same run (bpf/bench_ref.bpf.c). */
enum { REF_DROP, REF_MISS, REF_HIT, REF_TC_MISS, REF_TC_HIT, REF_N };
static const char *const ref_names[REF_N] = {
	"ref: empty XDP_DROP",
	"ref: parse + one lookup (miss)",
	"ref: parse + one lookup (hit)",
	"ref: parse + lookup on tc (miss)",
	"ref: parse + lookup on tc (hit)",
};

/* One run of REPEAT frames: ns per frame, -1 on error. */
static double ns_once(int prog_fd, const struct pkt_spec *s, int *retval)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	*retval = opts.retval;
	return opts.duration;
}

static double ns_per_pkt(int prog_fd, const struct pkt_spec *s, int *retval)
{
	double best = 1e18;

	for (int r = 0; r < ROUNDS; r++) {
		double ns = ns_once(prog_fd, s, retval);

		if (ns < 0)
			return -1;
		if (ns < best)
			best = ns;
	}
	return best;
}

/* The program a path runs: tc egress or XDP ingress, of the harness that
 * forces new flows for the new-flow path. */
static int path_fd(const struct path *p, struct harness *h,
		   struct harness *hnew)
{
	struct harness *hh = strcmp(p->name, "out: new flow allowed") ? h :
									hnew;

	return p->egress ? hh->tc_fd : hh->xdp_fd;
}

/* Keep the best of the runs in *best (starts at 0: none yet). */
static void keep_best(double *best, double ns)
{
	if (ns >= 0 && (*best == 0 || ns < *best))
		*best = ns;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* A UDP timeout of 0 makes every lookup miss: each run creates the flow. */
static int force_new_flows(struct harness *h)
{
	struct pc_active act;
	struct pc_config cfg;
	__u32 zero = 0, slot;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act))
		return -1;
	slot = act.slot;
	if (bpf_map_lookup_elem(h->m.policy_cfg, &slot, &cfg))
		return -1;
	cfg.timeout_udp_ns = 0;
	return bpf_map_update_elem(h->m.policy_cfg, &slot, &cfg, BPF_ANY);
}

/* Set or clear the drop log in the running policy slot. */
static int set_log(struct harness *h, bool on)
{
	struct pc_active act;
	struct pc_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act) ||
	    bpf_map_lookup_elem(h->m.policy_cfg, &act.slot, &cfg))
		return -1;
	cfg.flags = on ? cfg.flags | PC_CFG_LOG_DROPS :
			 cfg.flags & ~PC_CFG_LOG_DROPS;
	return bpf_map_update_elem(h->m.policy_cfg, &act.slot, &cfg, BPF_ANY);
}

/*
 * The drop log's cost on the drop path: the same unsolicited SYN with the
 * log off and on (rate-limited as shipped: 100/s, burst 200 per CPU).
 */
static int log_cost(struct harness *h)
{
	struct pkt_spec syn = { .family = AF_INET,
				.src = OUT4,
				.dst = SRV4,
				.proto = IPPROTO_TCP,
				.sport = 40000,
				.dport = 80,
				.tcp_flags = 0x02 };
	double off = 0, on = 0;
	int rv;

	for (int round = 0; round < ROUNDS; round++) {
		if (set_log(h, false))
			return 1;
		keep_best(&off, ns_once(h->xdp_fd, &syn, &rv));
		if (set_log(h, true))
			return 1;
		keep_best(&on, ns_once(h->xdp_fd, &syn, &rv));
	}
	printf("drop log cost: off %.1f ns/pkt, on %.1f ns/pkt, ratio %.2f\n",
	       off, on, on / off);
	return 0;
}

/*
 * Put the key the reference programs build for s into ref_flows, so they
 * find it: the fair reference for a path that finds its flow (a hit reads
 * the entry and compares the key; a miss in an empty bucket does not).
 */
static int ref_set(struct bench_ref *ref, const struct pkt_spec *s,
		   bool present)
{
	struct pc_flow_key in = { .family = AF_INET,
				  .proto = s->proto,
				  .lport = htons(s->dport),
				  .rport = htons(s->sport) };
	struct pc_flow_key out = { .family = AF_INET,
				   .proto = s->proto,
				   .lport = htons(s->sport),
				   .rport = htons(s->dport) };
	struct pc_flow_val v = { .state = PC_FS_ESTABLISHED };
	int fd = bpf_map__fd(ref->maps.ref_flows);

	if (inet_pton(AF_INET, s->dst, in.laddr) != 1 ||
	    inet_pton(AF_INET, s->src, in.raddr) != 1)
		return -1;
	memcpy(out.laddr, in.raddr, 4);
	memcpy(out.raddr, in.laddr, 4);
	if (!present) {
		bpf_map_delete_elem(fd, &in);
		bpf_map_delete_elem(fd, &out);
		return 0;
	}
	return bpf_map_update_elem(fd, &in, &v, BPF_ANY) ||
	       bpf_map_update_elem(fd, &out, &v, BPF_ANY);
}

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
 * Write flow entries from..n-1 into fd (the flow table, or the reference's
 * table): UDP flows from SRV4 to 198.51.0.0/16, remote port 7844.
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
		struct pc_flow_key k = { .family = AF_INET,
					 .proto = IPPROTO_UDP,
					 .lport = htons(flow_lport(i)),
					 .rport = htons(7844) };
		struct pc_flow_val v = { .state = PC_FS_ESTABLISHED,
					 .rule_id = 1,
					 .seen_ns = now };

		inet_pton(AF_INET, SRV4, k.laddr);
		k.raddr[0] = flow_raddr(i);
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
		uint8_t buf[PKT_MAX];
		size_t len;

		inet_ntop(AF_INET, &a, src, sizeof(src));
		len = pkt_build(&s, buf, sizeof(buf));
		for (int k = 0; k < 2; k++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
				    .data_size_in = len, .repeat = 1);

			if (bpf_prog_test_run_opts(fds[k], &opts) ||
			    opts.retval != XDP_PASS)
				return -1;
			sum[k] += opts.duration;
		}
	}
	ns[0] = sum[0] / FRAMES;
	ns[1] = sum[1] / FRAMES;
	return 0;
}

/* Add n /32 allowlist entries for 10.x.y.z (never the test traffic). */
static int fill_allow(struct harness *h, long from, long n)
{
	struct pc_active act;
	struct pc_allow_val v = { .rule_id = 1 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act))
		return -1;
	for (long i = from; i < n; i++) {
		struct pc_allow4_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + 32,
			.slot = act.slot,
			.proto = IPPROTO_TCP,
			.port = htons(443),
			.addr = htonl(0x0a000000 | i),
		};
		if (bpf_map_update_elem(h->m.allow4, &k, &v, BPF_ANY))
			return -1;
	}
	return 0;
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
 * established and new-flow-denied paths as the allowlist grows.
 * CSV: dimension,size,path,ns_per_packet
 */
static int scaling(const char *csv_path)
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
	ns_per_pkt(r.ref_fd, &est, &rv);
	ns_per_pkt(r.ref_tc_fd, &est, &rv);
	fprintf(csv,
		"dimension,size,path,ns_per_packet,ratio_to_parse_lookup\n");
	/* RATIO: to parse + one lookup (hit) measured in turn with it (for the
	 * random-flow rows: over the same random flows of a same-size table) */
	printf("%-10s %8s  %-22s %7s %8s\n", "DIMENSION", "SIZE", "PATH",
	       "NS/PKT", "RATIO");
	r.dim = "flows";
	for (size_t i = 0; i < 4; i++) {
		long from = i ? flow_sizes[i - 1] : 1;

		if (fill_flows(h.m.flows, from, flow_sizes[i]) ||
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
	r.dim = "allowlist";
	for (size_t i = 0; i < 4; i++) {
		if (fill_allow(&h, i ? allow_sizes[i - 1] : 0, allow_sizes[i]))
			return 1;
		r.size = allow_sizes[i];
		scale_measure(&r, "out: established", h.tc_fd, true, &est_out);
		scale_measure(&r, "out: new flow denied", h.tc_fd, true,
			      &denied);
	}
	bench_ref__destroy(ref);
	fclose(csv);
	h_teardown(&h);
	return 0;
}

int main(int argc, char **argv)
{
	const char *csv_path = argc > 1 ? argv[1] : "build/bench/bench.csv";
	struct harness h = { .group = "bench" }, hnew = { .group = "bench" };
	struct bench_ref *ref;
	double ref_ns[REF_N] = { 0 };
	int rv;
	FILE *csv;

	libbpf_set_print(quiet);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--log-cost"))
		return h_setup(&h, NULL, 0) ? 1 : log_cost(&h);
	if (argc > 2 && !strcmp(argv[1], "--scaling"))
		return scaling(argv[2]);
	ref = bench_ref__open_and_load();
	if (!ref || h_setup(&h, NULL, 0) || h_setup(&hnew, NULL, 0) ||
	    force_new_flows(&hnew)) {
		fprintf(stderr, "bench: loading the programs failed\n");
		return 1;
	}
	struct path paths[] = {
		{ .name = "in: unsolicited SYN (default drop)",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = OUT4,
			 .dst = SRV4,
			 .proto = IPPROTO_TCP,
			 .sport = 40000,
			 .dport = 80,
			 .tcp_flags = 0x02 },
		  .want_retval = 1,
		  .hit = false },
		{ .name = "in: unsolicited UDP (default drop)",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = OUT4,
			 .dst = SRV4,
			 .proto = IPPROTO_UDP,
			 .sport = 40000,
			 .dport = 80 },
		  .want_retval = 1,
		  .hit = false },
		{ .name = "in: bare ACK, no flow",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = OUT4,
			 .dst = SRV4,
			 .proto = IPPROTO_TCP,
			 .sport = 40000,
			 .dport = 80,
			 .tcp_flags = 0x10 },
		  .want_retval = 1,
		  .hit = false },
		{ .name = "in: established (flow hit)",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = EDGE4,
			 .dst = SRV4,
			 .proto = IPPROTO_UDP,
			 .sport = 7844,
			 .dport = 40000 },
		  .want_retval = 2,
		  .hit = true },
		{ .name = "in: established IPv6",
		  .egress = false,
		  .s = { .family = AF_INET6,
			 .src = EDGE6,
			 .dst = SRV6,
			 .proto = IPPROTO_UDP,
			 .sport = 7844,
			 .dport = 40000 },
		  .want_retval = 2,
		  .hit = true },
		{ .name = "in: new SSH",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = OUT4,
			 .dst = SRV4,
			 .proto = IPPROTO_TCP,
			 .sport = 40000,
			 .dport = 22,
			 .tcp_flags = 0x02 },
		  .want_retval = 2,
		  .hit = false },
		{ .name = "in: ARP",
		  .egress = false,
		  .s = { .arp = true },
		  .want_retval = 2,
		  .hit = false },
		{ .name = "in: NDP",
		  .egress = false,
		  .s = { .family = AF_INET6,
			 .src = "fe80::2",
			 .dst = "ff02::1",
			 .proto = 58,
			 .icmp_type = 135,
			 .ttl = 255 },
		  .want_retval = 2,
		  .hit = false },
		{ .name = "in: malformed (truncated TCP)",
		  .egress = false,
		  .s = { .family = AF_INET,
			 .src = OUT4,
			 .dst = SRV4,
			 .proto = IPPROTO_TCP,
			 .sport = 1,
			 .dport = 22,
			 .tcp_flags = 0x02,
			 .cut = 10 },
		  .want_retval = 1,
		  .hit = false },
		{ .name = "out: new flow allowed",
		  .egress = true,
		  .s = { .family = AF_INET,
			 .src = SRV4,
			 .dst = EDGE4,
			 .proto = IPPROTO_UDP,
			 .sport = 41000,
			 .dport = 7844 },
		  .want_retval = 0,
		  .hit = false },
		{ .name = "out: new flow denied",
		  .egress = true,
		  .s = { .family = AF_INET,
			 .src = SRV4,
			 .dst = OUT4,
			 .proto = IPPROTO_UDP,
			 .sport = 41000,
			 .dport = 443 },
		  .want_retval = 2,
		  .hit = false },
		/* TCP 443 is a port rules name (host names too): the denied path
		 * then looks up the allowlist and the learned addresses */
		{ .name = "out: denied, port a rule names",
		  .egress = true,
		  .s = { .family = AF_INET,
			 .src = SRV4,
			 .dst = OUT4,
			 .proto = IPPROTO_TCP,
			 .sport = 41000,
			 .dport = 443,
			 .tcp_flags = 0x02 },
		  .want_retval = 2,
		  .hit = false },
		{ .name = "out: established",
		  .egress = true,
		  .s = { .family = AF_INET,
			 .src = SRV4,
			 .dst = EDGE4,
			 .proto = IPPROTO_UDP,
			 .sport = 40000,
			 .dport = 7844 },
		  .want_retval = 0,
		  .hit = true },
	};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))
	/* the references' frame: the first ingress path that hits its flow */
	const struct pkt_spec *ref_frame = NULL;

	for (size_t i = 0; i < N_PATHS && !ref_frame; i++)
		if (!paths[i].egress && paths[i].hit)
			ref_frame = &paths[i].s;
	double path_ns[N_PATHS] = { 0 };
	int path_rv[N_PATHS] = { 0 };
	/* PC_BENCH_ONLY=substring: one path, e.g. under perf record */
	const char *only = getenv("PC_BENCH_ONLY");

	/* Create the flows the established paths hit. */
	struct pkt_spec f4 = { .family = AF_INET,
			       .src = SRV4,
			       .dst = EDGE4,
			       .proto = IPPROTO_UDP,
			       .sport = 40000,
			       .dport = 7844 };
	struct pkt_spec f6 = f4;

	f6.family = AF_INET6;
	f6.src = SRV6;
	f6.dst = EDGE6;
	if (h_run(&h, true, &f4) != 0 || h_run(&h, true, &f6) != 0) {
		fprintf(stderr, "bench: creating the flows failed\n");
		return 1;
	}

	/*
	 * Rounds over the references and every path in turn, so a slow spell
	 * of this VM hits all of them alike; each keeps its best run. The
	 * references take one frame, into a table without its key (a miss),
	 * then with it (a hit); egress paths run on tc: they have a tc
	 * reference.
	 */
	for (int round = 0; round < ROUNDS; round++) {
		const struct pkt_spec *fs = ref_frame;
		int drop = bpf_program__fd(ref->progs.ref_drop);
		int look = bpf_program__fd(ref->progs.ref_lookup);
		int look_tc = bpf_program__fd(ref->progs.ref_lookup_tc);

		if (ref_set(ref, fs, false)) {
			fprintf(stderr,
				"bench: emptying the reference table failed\n");
			return 1;
		}
		keep_best(&ref_ns[REF_DROP], ns_once(drop, &paths[0].s, &rv));
		keep_best(&ref_ns[REF_MISS], ns_once(look, fs, &rv));
		keep_best(&ref_ns[REF_TC_MISS], ns_once(look_tc, fs, &rv));
		if (ref_set(ref, fs, true)) {
			fprintf(stderr,
				"bench: filling the reference table failed\n");
			return 1;
		}
		keep_best(&ref_ns[REF_HIT], ns_once(look, fs, &rv));
		keep_best(&ref_ns[REF_TC_HIT], ns_once(look_tc, fs, &rv));
		for (size_t i = 0; i < N_PATHS; i++)
			if (!only || strstr(paths[i].name, only))
				keep_best(&path_ns[i],
					  ns_once(path_fd(&paths[i], &h, &hnew),
						  &paths[i].s, &path_rv[i]));
	}

	csv = fopen(csv_path, "w");
	if (csv)
		fprintf(csv,
			"path,ns_per_packet,ratio_to_xdp_drop,ratio_to_parse_lookup,reference\n");
	/* x LOOKUP: against the reference of the same hook and outcome */
	printf("%-36s %8s %8s %9s  %s\n", "PATH", "NS/PKT", "x DROP",
	       "x LOOKUP", "REFERENCE");
	for (int r = 0; r < REF_N; r++) {
		printf("%-36s %8.1f %8.2f %9s\n", ref_names[r], ref_ns[r],
		       ref_ns[r] / ref_ns[REF_DROP], "-");
		if (csv)
			fprintf(csv, "%s,%.1f,%.3f,,\n", ref_names[r],
				ref_ns[r], ref_ns[r] / ref_ns[REF_DROP]);
	}
	for (size_t i = 0; i < N_PATHS; i++) {
		struct path *p = &paths[i];
		int r = p->egress ? (p->hit ? REF_TC_HIT : REF_TC_MISS) :
				    (p->hit ? REF_HIT : REF_MISS);
		double ns = path_ns[i];

		if (only && !strstr(p->name, only))
			continue;
		printf("%-36s %8.1f %8.2f %9.2f  %s%s\n", p->name, ns,
		       ns / ref_ns[REF_DROP], ns / ref_ns[r], ref_names[r] + 5,
		       path_rv[i] == p->want_retval ?
			       "" :
			       "  (unexpected verdict!)");
		if (csv)
			fprintf(csv, "%s,%.1f,%.3f,%.3f,%s\n", p->name, ns,
				ns / ref_ns[REF_DROP], ns / ref_ns[r],
				ref_names[r] + 5);
	}
	if (csv)
		fclose(csv);
	h_teardown(&h);
	h_teardown(&hnew);
	bench_ref__destroy(ref);
	return 0;
}
