// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of every verdict path with BPF_PROG_TEST_RUN, beside
 * two references measured in the same run: an empty XDP_DROP program and
 * "parse + one hash lookup". Prints a table and writes a CSV.
 *   pc-bench [CSV]            the path table
 *   pc-bench --log-cost       the drop log on and off
 *   pc-bench --scaling CSV    tables growing (scaling.c)
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

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

/* The program a path runs: tc egress or XDP ingress, of the harness that
 * forces new flows for the new-flow path. */
static int path_fd(const struct path *p, struct harness *h,
		   struct harness *hnew)
{
	struct harness *hh = strcmp(p->name, "out: new flow allowed") ? h :
									hnew;

	return p->egress ? hh->tc_fd : hh->xdp_fd;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* A UDP timeout of 0 makes every lookup miss: each run creates the flow. */
static int force_new_flows(struct harness *h)
{
	struct pc_config cfg;
	__u32 slot;

	if (cfg_read(h, &slot, &cfg))
		return -1;
	cfg.timeout_udp_ns = 0;
	return cfg_write(h, slot, &cfg);
}

/* Set or clear the drop log in the running policy slot. */
static int set_log(struct harness *h, bool on)
{
	struct pc_config cfg;
	__u32 slot;

	if (cfg_read(h, &slot, &cfg))
		return -1;
	cfg.flags = on ? cfg.flags | PC_CFG_LOG_DROPS :
			 cfg.flags & ~PC_CFG_LOG_DROPS;
	return cfg_write(h, slot, &cfg);
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
