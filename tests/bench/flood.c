// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A bounded unsolicited flood for `make bench`: COUNT frames of TCP SYN or
 * UDP from random sources in 203.0.113.0/24 and random ports to DST_IP,
 * generated in the kernel by bpf/flood.bpf.c (BPF_PROG_TEST_RUN with live
 * frames) inside network namespace NETNS and redirected out of IFACE.
 * Usage: pc-flood NETNS IFACE DST_MAC DST_IP syn|udp COUNT
 *        pc-flood --floor NETNS IFACE   attach an empty XDP_DROP program
 *                                       to IFACE until killed (the floor)
 *        pc-flood --lookup NETNS IFACE  the same with "parse + one hash
 *                                       lookup" (the per-path reference)
 *        pc-flood --pass NETNS IFACE    the same with an empty XDP_PASS
 *                                       (what any XDP program costs iperf3)
 *        pc-flood --line                ns for a cache line to move from
 *                                       CPU 0 to CPU 1 (what a cold frame's
 *                                       first read costs, see line_ns)
 */
#define _GNU_SOURCE /* CPU_SET, pthread_setaffinity_np */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_ref.skel.h"
#include "flood.skel.h"
#include "netns.h"
#include "packet.h"

/* The reference arms: what the receiving veth costs with a program that
 * only drops (ref_drop), parses and does one hash lookup (ref_lookup), or
 * passes everything (ref_pass). The link goes away with this process. */
static int ref_arm(const char *netns, const char *ifname, const char *name)
{
	struct bpf_program *prog;
	struct bench_ref *ref;
	struct bpf_link *link;
	int ifindex;

	if (pc_netns_enter(netns))
		return 1;
	ifindex = if_nametoindex(ifname);
	ref = bench_ref__open_and_load();
	if (!ifindex || !ref)
		return 1;
	prog = bpf_object__find_program_by_name(ref->obj, name);
	if (!prog)
		return 1;
	link = bpf_program__attach_xdp(prog, ifindex);
	if (!link) {
		fprintf(stderr, "pc-flood: attaching %s failed\n",
			bpf_program__name(prog));
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	pause(); /* until SIGTERM: the link and program go with us */
	return 0;
}

/*
 * The cache line test: two threads, pinned to CPU 0 and CPU 1, hand a
 * counter back and forth LINE_TRIPS times, each spinning until it is its
 * turn. Half a round trip is the time one line takes to move between the
 * two vCPUs: what the receiving CPU pays for a frame the generator wrote on
 * the other (bench-flood's "cross" placement). It depends on where the
 * host runs the two vCPUs (SMT siblings, one cache, two), which can change
 * from one run of the bench to the next.
 */
#define LINE_TRIPS 100000
#define LINE_RUNS 3

struct line {
	_Alignas(64) long turn;
};

static void *line_pong(void *arg)
{
	struct line *l = arg;

	for (long i = 0; i < LINE_TRIPS; i++) {
		while (__atomic_load_n(&l->turn, __ATOMIC_ACQUIRE) != 2 * i + 1)
			;
		__atomic_store_n(&l->turn, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * One run: ns per one-way move of the line, or -1 when a thread cannot be
 * pinned (the other thread is made on CPU 1 or not at all, so neither
 * spins waiting for a partner that is not there).
 */
static double line_once(void)
{
	static struct line l;
	struct timespec t0, t1;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t t;
	int err;

	l.turn = 0;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return -1;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (pthread_attr_init(&attr))
		return -1;
	err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ||
	      pthread_create(&t, &attr, line_pong, &l);
	pthread_attr_destroy(&attr);
	if (err)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < LINE_TRIPS; i++) {
		__atomic_store_n(&l.turn, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&l.turn, __ATOMIC_ACQUIRE) != 2 * i + 2)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	       (2.0 * LINE_TRIPS);
}

/* Prints the best of LINE_RUNS runs (other tenants only slow a run). */
static int line_ns(void)
{
	double best = -1;

	for (int r = 0; r < LINE_RUNS; r++) {
		double ns = line_once();

		if (ns < 0) {
			fprintf(stderr, "pc-flood: pinning to CPUs 0 and 1 "
					"failed (two CPUs needed)\n");
			return 1;
		}
		if (best < 0 || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--line"))
		return line_ns();
	if (argc == 4 && !strcmp(argv[1], "--floor"))
		return ref_arm(argv[2], argv[3], "ref_drop");
	if (argc == 4 && !strcmp(argv[1], "--lookup"))
		return ref_arm(argv[2], argv[3], "ref_lookup");
	if (argc == 4 && !strcmp(argv[1], "--pass"))
		return ref_arm(argv[2], argv[3], "ref_pass");
	struct pkt_spec s = { .family = AF_INET,
			      .src = "203.0.113.1",
			      .tcp_flags = 0x02 };
	uint8_t frame[PKT_MAX];
	unsigned int mac[6];
	struct flood *skel;
	size_t len;
	long count;
	int ifindex, err;

	if (argc != 7 || sscanf(argv[3], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1],
				&mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr,
			"usage: pc-flood NETNS IFACE DST_MAC DST_IP syn|udp COUNT\n");
		return 2;
	}
	count = atol(argv[6]);
	if (pc_netns_enter(argv[1]))
		return 1;
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		perror(argv[2]);
		return 1;
	}
	s.dst = argv[4];
	s.proto = argv[5][0] == 's' ? IPPROTO_TCP : IPPROTO_UDP;
	s.sport = 40000;
	s.dport = s.proto == IPPROTO_TCP ? 80 : 53;
	s.payload = s.proto == IPPROTO_TCP ? 0 : 18;
	len = pkt_build(&s, frame, sizeof(frame));
	for (int b = 0; b < 6; b++)
		frame[b] = mac[b];

	skel = flood__open();
	if (!skel)
		return 1;
	skel->rodata->tx_ifindex = ifindex;
	if (flood__load(skel)) {
		fprintf(stderr, "pc-flood: loading the generator failed\n");
		return 1;
	}
	while (count > 0) {
		/* repeat is a __u32; run in chunks */
		__u32 n = count > 10000000 ? 10000000 : count;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = len, .repeat = n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = 64);

		err = bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.flood_gen), &opts);
		if (err) {
			fprintf(stderr, "pc-flood: test run failed: %s\n",
				strerror(-err));
			flood__destroy(skel);
			return 1;
		}
		count -= n;
	}
	flood__destroy(skel);
	return 0;
}
