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
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
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
