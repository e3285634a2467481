// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The path table: the cost of every verdict path with BPF_PROG_TEST_RUN,
 * beside the references measured in the same rounds. Every run is checked
 * to have taken the path it is named for (its reason row moved once per
 * repeat). Then the cold rows: one run per frame, another flow each frame.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

#define TC_OK 0
#define TC_SHOT 2

struct path {
	const char *name;
	bool egress;
	struct pkt_spec s;
	__u32 reason; /* the reason every run must be counted under */
	int want_retval;
	bool hit; /* finds its flow: compared with a reference that hits */
	/* run on the harness whose UDP flows expire at once: each run of the
	 * repeated frame creates its flow anew */
	bool new_flow;
};

static const struct path paths[] = {
	{ .name = "in: unsolicited SYN (default drop)",
	  .egress = false,
	  .s = { .family = AF_INET,
		 .src = OUT4,
		 .dst = SRV4,
		 .proto = IPPROTO_TCP,
		 .sport = 40000,
		 .dport = 80,
		 .tcp_flags = 0x02 },
	  .reason = PC_R_IN_DEFAULT_DROP,
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
	  .reason = PC_R_IN_DEFAULT_DROP,
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
	  .reason = PC_R_IN_NO_FLOW,
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
	  .reason = PC_R_IN_ESTABLISHED,
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
	  .reason = PC_R_IN_ESTABLISHED,
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
	  .reason = PC_R_IN_SSH_NEW,
	  .want_retval = 2,
	  .hit = false },
	{ .name = "in: ARP",
	  .egress = false,
	  .s = { .arp = true },
	  .reason = PC_R_IN_ARP,
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
	  .reason = PC_R_IN_NDP,
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
	  .reason = PC_R_IN_MALFORMED,
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
	  .reason = PC_R_OUT_NEW_FLOW,
	  .want_retval = 0,
	  .hit = false,
	  .new_flow = true },
	{ .name = "out: new flow denied",
	  .egress = true,
	  .s = { .family = AF_INET,
		 .src = SRV4,
		 .dst = OUT4,
		 .proto = IPPROTO_UDP,
		 .sport = 41000,
		 .dport = 443 },
	  .reason = PC_R_OUT_DEFAULT_DROP,
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
	  .reason = PC_R_OUT_DEFAULT_DROP,
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
	  .reason = PC_R_OUT_ESTABLISHED,
	  .want_retval = 0,
	  .hit = true },
};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

/* The references, measured in the same rounds (bpf/bench_ref.bpf.c). */
enum {
	REF_DROP,
	REF_MISS,
	REF_HIT,
	REF_HIT6,
	REF_TC_MISS,
	REF_TC_HIT,
	REF_TC_INSERT,
	REF_N
};
static const char *const ref_names[REF_N] = {
	"ref: empty XDP_DROP",
	"ref: parse + one lookup (miss)",
	"ref: parse + one lookup (hit)",
	"ref: parse + one lookup IPv6 (hit)",
	"ref: parse + lookup on tc (miss)",
	"ref: parse + lookup on tc (hit)",
	"ref: parse + lookup + insert on tc",
};

/*
 * A UDP timeout of 0: an entry has been idle for its timeout (0 ns) by the
 * next run, so every run of the repeated frame finds the flow expired and
 * creates it again: flow lookup, allowlist, insert over the old entry.
 */
static int force_new_flows(struct harness *h)
{
	struct pc_config cfg;
	__u32 slot;

	if (cfg_read(h, &slot, &cfg))
		return -1;
	cfg.timeout_udp_ns = 0;
	return cfg_write(h, slot, &cfg);
}

/*
 * One timed run of path p: ns per frame, or -1 when not every repeat was
 * counted under the path's reason (the frame took another path).
 */
static double path_once(struct harness *h, const struct path *p, int *rv)
{
	uint64_t before = h_row_packets(h, p->reason);
	double ns = ns_once(p->egress ? h->tc_fd : h->xdp_fd, &p->s, rv);

	if (h_row_packets(h, p->reason) - before != REPEAT)
		return -1;
	return ns;
}

/* Create the flows the established paths hit (v4 and v6). */
static int make_flows(struct harness *h)
{
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
	return h_run(h, true, &f4) != 0 || h_run(h, true, &f6) != 0 ? -1 : 0;
}

/*
 * Rounds over the references and every path in turn, so a slow spell of
 * this VM hits all of them alike; each keeps its best run (0: it never
 * took its path). The references take one frame (ref_frame), into a table
 * without its key (a miss), then with it (a hit); egress paths run on tc:
 * they have a tc reference; the IPv6 hit has its own (ref_frame6, a
 * 40-byte key as in flows6). only (PC_BENCH_ONLY): paths whose name has it.
 */
static int path_rounds(struct bench_ref *ref, struct harness *h,
		       struct harness *hnew, const struct pkt_spec *ref_frame,
		       const struct pkt_spec *ref_frame6, const char *only,
		       double ref_ns[REF_N], double path_ns[N_PATHS])
{
	int drop = bpf_program__fd(ref->progs.ref_drop);
	int look = bpf_program__fd(ref->progs.ref_lookup);
	int look_tc = bpf_program__fd(ref->progs.ref_lookup_tc);
	int insert_tc = bpf_program__fd(ref->progs.ref_insert_tc);
	int rv;

	for (int round = 0; round < ROUNDS; round++) {
		if (ref_set(ref, ref_frame, false))
			return -1;
		keep_best(&ref_ns[REF_DROP], ns_once(drop, &paths[0].s, &rv));
		keep_best(&ref_ns[REF_MISS], ns_once(look, ref_frame, &rv));
		keep_best(&ref_ns[REF_TC_MISS],
			  ns_once(look_tc, ref_frame, &rv));
		if (ref_set(ref, ref_frame, true) ||
		    ref_set(ref, ref_frame6, true))
			return -1;
		keep_best(&ref_ns[REF_HIT], ns_once(look, ref_frame, &rv));
		keep_best(&ref_ns[REF_HIT6], ns_once(look, ref_frame6, &rv));
		keep_best(&ref_ns[REF_TC_HIT],
			  ns_once(look_tc, ref_frame, &rv));
		/* last: it writes the key the hit references find */
		keep_best(&ref_ns[REF_TC_INSERT],
			  ns_once(insert_tc, ref_frame, &rv));
		for (size_t i = 0; i < N_PATHS; i++) {
			const struct path *p = &paths[i];

			if (!only || strstr(p->name, only))
				keep_best(&path_ns[i],
					  path_once(p->new_flow ? hnew : h, p,
						    &rv));
		}
	}
	return 0;
}

/* A cold row: egress frames from COLD_FRAMES local ports to dst:dport. */
struct cold_row {
	const char *name;
	const char *dst;
	__u8 proto;
	__u16 dport;
	__u32 reason;
	int want_retval;
	bool ref_hit; /* the reference's table holds the frames' keys */
};

enum { COLD_FRAMES = 10000, COLD_PORT = 20000 };

/* In this order: the first creates the flows the second finds. */
static const struct cold_row cold_rows[] = {
	{ "cold: out: new flow allowed", EDGE4, IPPROTO_UDP, 7844,
	  PC_R_OUT_NEW_FLOW, TC_OK, false },
	{ "cold: out: established", EDGE4, IPPROTO_UDP, 7844,
	  PC_R_OUT_ESTABLISHED, TC_OK, true },
	{ "cold: out: new flow denied", OUT4, IPPROTO_UDP, 443,
	  PC_R_OUT_DEFAULT_DROP, TC_SHOT, false },
};
#define N_COLD (sizeof(cold_rows) / sizeof(cold_rows[0]))

static struct pkt_spec cold_frame(const struct cold_row *c, int j)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = SRV4,
			      .dst = c->dst,
			      .proto = c->proto,
			      .sport = COLD_PORT + j,
			      .dport = c->dport };
	return s;
}

/* Put row c's keys into the reference's table, or take them out. */
static int cold_ref_keys(struct bench_ref *ref, const struct cold_row *c,
			 bool present)
{
	for (int j = 0; j < COLD_FRAMES; j++) {
		struct pkt_spec s = cold_frame(c, j);

		if (ref_set(ref, &s, present))
			return -1;
	}
	return 0;
}

/*
 * One pass of row c: every frame once through the tc reference and once
 * through portcullis, in turn. Fills ns[2] (mean per run, the kernel's
 * per-run overhead included in both); -1 when a verdict or the count of
 * the row's reason is not what it must be.
 */
static int cold_pass(struct bench_ref *ref, struct harness *h,
		     const struct cold_row *c, double ns[2])
{
	const int fds[2] = { bpf_program__fd(ref->progs.ref_lookup_tc),
			     h->tc_fd };
	const int want[2] = { c->ref_hit ? TC_OK : TC_SHOT, c->want_retval };
	uint64_t before = h_row_packets(h, c->reason);
	double sum[2] = { 0, 0 };
	int err = c->ref_hit ? cold_ref_keys(ref, c, true) : 0;

	for (int j = 0; j < COLD_FRAMES && !err; j++) {
		struct pkt_spec s = cold_frame(c, j);

		err = pair_once(fds, &s, want, sum);
	}
	if (c->ref_hit && cold_ref_keys(ref, c, false))
		err = -1;
	if (err || h_row_packets(h, c->reason) - before != COLD_FRAMES)
		return -1;
	ns[0] = sum[0] / COLD_FRAMES;
	ns[1] = sum[1] / COLD_FRAMES;
	return 0;
}

/* Remove the flows the cold rows created: every round starts alike. */
static void cold_forget(struct harness *h)
{
	for (int j = 0; j < COLD_FRAMES; j++) {
		struct pkt_spec s = cold_frame(&cold_rows[0], j);
		struct pc_flow_key k;

		if (!spec_key(&s, true, &k))
			pc_flows_delete(&h->m, &k);
	}
}

/*
 * The cold rows: one run per frame, another flow every frame, so neither
 * the frame's bucket nor the flow entry is in cache from the run before,
 * and the syscall between runs cools the programs' own lines (the larger
 * the program, the more it pays). Each row keeps its quietest round of
 * ROUNDS (the lowest sum of the pair); prints the table and adds the rows
 * to csv.
 */
static int cold_table(struct bench_ref *ref, struct harness *h, FILE *csv)
{
	double best[N_COLD][2] = { { 0 } };

	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < N_COLD; i++) {
			double ns[2];

			if (cold_pass(ref, h, &cold_rows[i], ns))
				return -1;
			/* the quietest round: reference and portcullis ran
			 * in turn, so a pair is compared within its round */
			if (!best[i][0] ||
			    ns[0] + ns[1] < best[i][0] + best[i][1]) {
				best[i][0] = ns[0];
				best[i][1] = ns[1];
			}
		}
		cold_forget(h);
	}
	printf("\n%-36s %8s %8s %8s %9s\n", "COLD (ONE RUN PER FRAME)",
	       "NS/PKT", "REF NS", "EXTRA", "x REF");
	for (size_t i = 0; i < N_COLD; i++) {
		const struct cold_row *c = &cold_rows[i];
		const char *r = c->ref_hit ?
					"cold: parse + lookup on tc (hit)" :
					"cold: parse + lookup on tc (miss)";

		printf("%-36s %8.1f %8.1f %8.1f %9.2f\n", c->name, best[i][1],
		       best[i][0], best[i][1] - best[i][0],
		       best[i][1] / best[i][0]);
		if (csv)
			fprintf(csv, "\"%s\",%.1f,,%.3f,\"%s\"\n", c->name,
				best[i][1], best[i][1] / best[i][0], r);
	}
	return 0;
}

/* Print the path table and write it to csv (names quoted: commas). */
static void path_table(const double ref_ns[REF_N],
		       const double path_ns[N_PATHS], const char *only,
		       FILE *csv)
{
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
			fprintf(csv, "\"%s\",%.1f,%.3f,,\n", ref_names[r],
				ref_ns[r], ref_ns[r] / ref_ns[REF_DROP]);
	}
	for (size_t i = 0; i < N_PATHS; i++) {
		const struct path *p = &paths[i];
		int r = p->egress ? (p->hit ? REF_TC_HIT : REF_TC_MISS) :
			!p->hit	  ? REF_MISS :
			p->s.family == AF_INET6 ? REF_HIT6 :
						  REF_HIT;
		double ns = path_ns[i];

		if (only && !strstr(p->name, only))
			continue;
		if (!ns) {
			printf("%-36s %8s  (did not take its path!)\n", p->name,
			       "-");
			continue;
		}
		printf("%-36s %8.1f %8.2f %9.2f  %s\n", p->name, ns,
		       ns / ref_ns[REF_DROP], ns / ref_ns[r], ref_names[r] + 5);
		if (csv)
			fprintf(csv, "\"%s\",%.1f,%.3f,%.3f,\"%s\"\n", p->name,
				ns, ns / ref_ns[REF_DROP], ns / ref_ns[r],
				ref_names[r] + 5);
		if (!p->new_flow)
			continue;
		/* beside the least any stateful firewall does for a new flow */
		printf("%-36s %8s %8s %9.2f  %s\n", "", "", "",
		       ns / ref_ns[REF_TC_INSERT],
		       ref_names[REF_TC_INSERT] + 5);
		if (csv)
			fprintf(csv, "\"%s\",%.1f,%.3f,%.3f,\"%s\"\n", p->name,
				ns, ns / ref_ns[REF_DROP],
				ns / ref_ns[REF_TC_INSERT],
				ref_names[REF_TC_INSERT] + 5);
	}
}

int bench_paths(const char *csv_path)
{
	struct harness h = { .group = "bench" }, hnew = { .group = "bench" };
	/* PC_BENCH_ONLY=substring: one path, e.g. under perf record */
	const char *only = getenv("PC_BENCH_ONLY");
	const struct pkt_spec *ref_frame = NULL, *ref_frame6 = NULL;
	double ref_ns[REF_N] = { 0 }, path_ns[N_PATHS] = { 0 };
	struct bench_ref *ref = bench_ref__open_and_load();
	int err = 1;
	FILE *csv;

	if (!ref || h_setup(&h, NULL, 0) || h_setup(&hnew, NULL, 0) ||
	    force_new_flows(&hnew) || make_flows(&h)) {
		fprintf(stderr, "bench: loading the programs failed\n");
		goto cleanup;
	}
	/* the references' frames: the first ingress path of each family that
	 * hits its flow */
	for (size_t i = 0; i < N_PATHS; i++) {
		const struct path *p = &paths[i];

		if (p->egress || !p->hit)
			continue;
		if (p->s.family == AF_INET && !ref_frame)
			ref_frame = &p->s;
		if (p->s.family == AF_INET6 && !ref_frame6)
			ref_frame6 = &p->s;
	}
	if (path_rounds(ref, &h, &hnew, ref_frame, ref_frame6, only, ref_ns,
			path_ns)) {
		fprintf(stderr, "bench: the reference's table failed\n");
		goto cleanup;
	}
	csv = fopen(csv_path, "w");
	path_table(ref_ns, path_ns, only, csv);
	err = only ? 0 : cold_table(ref, &h, csv);
	if (err)
		fprintf(stderr, "bench: a cold row took another path\n");
	if (csv)
		fclose(csv);
cleanup:
	h_teardown(&h);
	h_teardown(&hnew);
	bench_ref__destroy(ref);
	return err ? 1 : 0;
}
