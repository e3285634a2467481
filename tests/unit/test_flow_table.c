// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A full flow table refuses new flows and keeps the live ones; ICMP echo;
 * user space's walks of the tables. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common.h"
#include "flowtab.h"
#include "harness.h"
#include "portcullis.h"

#define FLOWS 64
/* The lab policy's UDP timeout: short, so that an entry can be stamped as
 * long idle on a host that booted a minute ago (CLOCK_MONOTONIC starts at
 * boot: a stamp an hour back would wrap to one in the future). */
#define LAB_UDP_TIMEOUT_S 10

static const char lab_policy[] = "version: 1\n"
				 "timeouts:\n"
				 "  udp: 10\n" /* LAB_UDP_TIMEOUT_S */
				 "egress:\n"
				 "  - name: lab\n"
				 "    to: [203.0.113.0/24, 2001:db8:ff::/48]\n"
				 "    proto: [udp, icmp]\n"
				 "    ports: [1000-1100]\n";

static struct pkt_spec udp_out(uint16_t sport)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = SRV4,
			      .dst = OUT4,
			      .proto = IPPROTO_UDP,
			      .sport = sport,
			      .dport = 1000 };
	return s;
}

static void echo(struct harness *h)
{
	struct pkt_spec s = { .family = AF_INET,
			      .src = SRV4,
			      .dst = OUT4,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = 8,
			      .icmp_id = 7 };

	expect(h, "v4 ping to an ICMP rule creates a flow", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "lab");
	s = (struct pkt_spec){ .family = AF_INET,
			       .src = OUT4,
			       .dst = SRV4,
			       .proto = IPPROTO_ICMP,
			       .icmp_type = 0,
			       .icmp_id = 7 };
	expect(h, "v4 echo reply with the same id passes", false, &s, true,
	       PC_R_IN_ESTABLISHED, NULL);
	s.icmp_id = 8;
	expect(h, "v4 echo reply with another id drops", false, &s, false,
	       PC_R_IN_DEFAULT_DROP, NULL);

	s = (struct pkt_spec){ .family = AF_INET6,
			       .src = SRV6,
			       .dst = "2001:db8:ff::9",
			       .proto = 58,
			       .icmp_type = 128,
			       .icmp_id = 9 };
	expect(h, "v6 ping to an ICMP rule creates a flow", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "lab");
	s = (struct pkt_spec){ .family = AF_INET6,
			       .src = "2001:db8:ff::9",
			       .dst = SRV6,
			       .proto = 58,
			       .icmp_type = 129,
			       .icmp_id = 9 };
	expect(h, "v6 echo reply with the same id passes", false, &s, true,
	       PC_R_IN_ESTABLISHED, NULL);
}

static void range(struct harness *h)
{
	struct pkt_spec s = udp_out(2000);

	s.dport = 1100;
	expect(h, "port range upper bound allowed", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "lab");
	s.dport = 1101;
	expect(h, "one past the port range drops", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s.dst = "203.0.114.1";
	s.dport = 1000;
	expect(h, "outside the prefix drops", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
}

/* Entries in the IPv4 table (flows4): each family has a table of FLOWS. */
static int flows4_count(struct harness *h)
{
	return (int)pc_flows_count_family(&h->m, AF_INET);
}

static void full(struct harness *h)
{
	struct pkt_spec s;
	int n = flows4_count(h);
	bool ok = true;

	for (uint16_t p = 30000; n < FLOWS; p++, n++) {
		s = udp_out(p);
		ok = ok && h_run(h, true, &s) == 0;
	}
	check(h, "IPv4 table filled to its size",
	      ok && flows4_count(h) == FLOWS, "%d flows", flows4_count(h));
	s = udp_out(40000);
	/* expect() checks that trace (the dry run) says so too. */
	expect(h, "new flow on a full table is refused", true, &s, false,
	       PC_R_OUT_TABLE_FULL, NULL);
	s = udp_out(30000);
	expect(h, "live flow still passes on a full table", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "lab");
	check(h, "full table did not grow", flows4_count(h) == FLOWS,
	      "%d flows", flows4_count(h));
	s = (struct pkt_spec){ .family = AF_INET6,
			       .src = SRV6,
			       .dst = "2001:db8:ff::9",
			       .proto = 58,
			       .icmp_type = 128,
			       .icmp_id = 10 };
	expect(h, "an IPv6 flow has its own table: still created", true, &s,
	       true, PC_R_OUT_NEW_FLOW, "lab");
}

static int flow_present(struct harness *h, const struct pc_flow_key *k)
{
	struct pc_flow_val v;

	return pc_flows_get(&h->m, k, &v) == 0;
}

/* The in-kernel collector removes expired entries and keeps live ones. */
static void gc(struct harness *h)
{
	struct timespec ts;
	struct pc_flow_key dead = { .family = AF_INET,
				    .proto = IPPROTO_UDP,
				    .lport = htons(9),
				    .rport = htons(1000) };
	struct pc_flow_key live = dead, dead6 = dead;
	struct pc_flow_val v = { .state = PC_FS_ESTABLISHED, .rule_id = 1 };
	struct pc_flow_key ahead = { .family = AF_INET,
				     .proto = IPPROTO_UDP,
				     .lport = htons(5000),
				     .rport = htons(53) };
	struct pkt_spec reply = { .family = AF_INET,
				  .src = "198.51.100.77",
				  .dst = SRV4,
				  .proto = IPPROTO_UDP,
				  .sport = 53,
				  .dport = 5000 };
	__u64 now, bits = 0;
	__u32 word;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	live.lport = htons(10);
	inet_pton(AF_INET, SRV4, ahead.laddr);
	inet_pton(AF_INET, "198.51.100.77", ahead.raddr);
	/* entries as the programs stamp them: a deadline one UDP timeout
	 * after the last packet */
	v.created_ns = v.seen_ns =
		now - (LAB_UDP_TIMEOUT_S + 1) * 1000000000ULL;
	v.expires_ns = v.seen_ns + LAB_UDP_TIMEOUT_S * 1000000000ULL;
	pc_flows_put(&h->m, &dead, &v, BPF_ANY);
	dead6.family = AF_INET6;
	inet_pton(AF_INET6, SRV6, dead6.laddr);
	pc_flows_put(&h->m, &dead6, &v, BPF_ANY);
	v.seen_ns = now;
	v.expires_ns = v.seen_ns + LAB_UDP_TIMEOUT_S * 1000000000ULL;
	pc_flows_put(&h->m, &live, &v, BPF_ANY);
	check(h, "three flows written",
	      flow_present(h, &dead) && flow_present(h, &dead6) &&
		      flow_present(h, &live),
	      "missing");
	/* stamped by another CPU that read the clock after this one did: its
	 * age must not wrap around to "expired" */
	v.seen_ns = now + 2000000000ULL;
	v.expires_ns = v.seen_ns + LAB_UDP_TIMEOUT_S * 1000000000ULL;
	pc_flows_put(&h->m, &ahead, &v, BPF_ANY);
	word = 53 / 64;
	bpf_map_lookup_elem(h->m.flow_rports, &word, &bits);
	bits |= 1ULL << (53 % 64);
	bpf_map_update_elem(h->m.flow_rports, &word, &bits, BPF_ANY);
	usleep(4 * H_GC_INTERVAL_NS / 1000);
	check(h, "collector removed the expired flow", !flow_present(h, &dead),
	      "still there");
	check(h, "collector removed the expired IPv6 flow",
	      !flow_present(h, &dead6), "still there");
	check(h, "collector kept the live flow", flow_present(h, &live),
	      "removed");
	check(h, "collector kept a flow stamped after its clock read",
	      flow_present(h, &ahead), "removed");
	expect(h, "a flow stamped after the packet's clock read is live", false,
	       &reply, true, PC_R_IN_ESTABLISHED, NULL);
	pc_flows_delete(&h->m, &live);
	pc_flows_delete(&h->m, &ahead);
}

/*
 * The packet clock (jiffies plus a calibrated offset, bpf/clock.h) is the
 * CLOCK_MONOTONIC_COARSE user space reads for ages and expiry: a new flow's
 * stamp lies between two user readings (give or take a tick), and moves on.
 */
static void clock_matches_user_space(struct harness *h)
{
	struct pkt_spec s = udp_out(1077);
	struct pc_flow_key k = { .family = AF_INET,
				 .proto = IPPROTO_UDP,
				 .lport = htons(1077),
				 .rport = htons(1000) };
	const __s64 slack = 20000000; /* 20 ms: a few ticks at any HZ */
	struct pc_flow_val v1 = {}, v2 = {};
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	__u64 t0, t1, t2, t3;

	/* pc_clock_cal passes once the tick length and offset are known */
	check(h, "packet clock calibrated from jiffies",
	      !bpf_prog_test_run_opts(
		      bpf_program__fd(h->skel->progs.pc_clock_cal), &opts) &&
		      opts.retval == 2 /* XDP_PASS */,
	      "not calibrated (retval %u)", opts.retval);

	inet_pton(AF_INET, SRV4, k.laddr);
	inet_pton(AF_INET, OUT4, k.raddr);
	t0 = pc_clock_now_ns();
	h_run(h, true, &s);
	t1 = pc_clock_now_ns();
	pc_flows_get(&h->m, &k, &v1);
	pc_flows_delete(&h->m, &k);
	usleep(100000);
	t2 = pc_clock_now_ns();
	h_run(h, true, &s);
	t3 = pc_clock_now_ns();
	pc_flows_get(&h->m, &k, &v2);
	pc_flows_delete(&h->m, &k);
	check(h, "packet clock is CLOCK_MONOTONIC_COARSE (first stamp)",
	      (__s64)(v1.created_ns - t0) > -slack &&
		      (__s64)(v1.created_ns - t1) < slack,
	      "stamp %llu, user %llu..%llu", (unsigned long long)v1.created_ns,
	      (unsigned long long)t0, (unsigned long long)t1);
	check(h, "packet clock is CLOCK_MONOTONIC_COARSE (100 ms later)",
	      (__s64)(v2.created_ns - t2) > -slack &&
		      (__s64)(v2.created_ns - t3) < slack &&
		      v2.created_ns - v1.created_ns >= 100000000ULL - slack,
	      "stamp %llu, user %llu..%llu, first %llu",
	      (unsigned long long)v2.created_ns, (unsigned long long)t2,
	      (unsigned long long)t3, (unsigned long long)v1.created_ns);
}

static void flow_cases(struct harness *lab)
{
	clock_matches_user_space(lab);
	gc(lab);
	echo(lab);
	range(lab);
	full(lab);
}

/* Flows the walk test puts: more than a few batches of each family. */
#define WALK4 10000
#define WALK6 5000

struct walk {
	unsigned char seen[2][65536]; /* by family (v4, v6) and local port */
	int n[2], dup;
};

static int walk_note(const struct pc_flow_key *k, const struct pc_flow_val *v,
		     void *arg)
{
	struct walk *w = arg;
	int f = k->family == AF_INET6;

	(void)v;
	w->n[f]++;
	if (w->seen[f][ntohs(k->lport)]++)
		w->dup++;
	return 0;
}

/* Put n flows of family af, local ports 1..n, rule 1 for odd ports and
 * rule 2 for even ones. Returns how many went in. */
static int walk_fill(struct harness *h, int af, int n)
{
	__u64 now = pc_clock_now_ns();
	struct pc_flow_val v = { .created_ns = now,
				 .seen_ns = now,
				 .expires_ns = now + 60 * 1000000000ULL,
				 .state = PC_FS_ESTABLISHED };
	struct pc_flow_key k = { .family = af, .proto = IPPROTO_UDP };
	int put = 0;

	k.rport = htons(1000);
	inet_pton(af, af == AF_INET ? SRV4 : SRV6, k.laddr);
	inet_pton(af, af == AF_INET ? OUT4 : OUT6, k.raddr);
	for (int i = 1; i <= n; i++) {
		k.lport = htons(i);
		v.rule_id = 2 - i % 2;
		put += !pc_flows_put(&h->m, &k, &v, BPF_NOEXIST);
	}
	return put;
}

/*
 * The walks of user space (flows, status, reload) read a table in batches:
 * every entry once over many batches, both families, and a reload's end of
 * a rule's flows (collected during the walk, deleted after) takes exactly
 * those.
 */
static void walk(struct harness *h)
{
	static struct walk w;
	bool keep[PC_MAX_RULES] = { false };
	long ended;

	check(h, "10000 IPv4 and 5000 IPv6 flows are put",
	      walk_fill(h, AF_INET, WALK4) == WALK4 &&
		      walk_fill(h, AF_INET6, WALK6) == WALK6,
	      "put failed");
	memset(&w, 0, sizeof(w));
	check(h, "the walk returns 0", !pc_flows_each(&h->m, walk_note, &w),
	      "error");
	check(h, "the walk sees every flow once",
	      w.n[0] == WALK4 && w.n[1] == WALK6 && !w.dup,
	      "v4 %d, v6 %d, seen twice %d", w.n[0], w.n[1], w.dup);
	check(h, "the count per family agrees",
	      pc_flows_count_family(&h->m, AF_INET) == WALK4 &&
		      pc_flows_count_family(&h->m, AF_INET6) == WALK6,
	      "v4 %llu, v6 %llu",
	      (unsigned long long)pc_flows_count_family(&h->m, AF_INET),
	      (unsigned long long)pc_flows_count_family(&h->m, AF_INET6));
	keep[1] = true;
	ended = pc_flows_end_rules(&h->m, keep);
	check(h, "ending rule 2 ends its flows (even ports), no more",
	      ended == WALK4 / 2 + WALK6 / 2 &&
		      pc_flows_count(&h->m) == WALK4 / 2 + WALK6 / 2,
	      "ended %ld, left %llu", ended,
	      (unsigned long long)pc_flows_count(&h->m));
	memset(&w, 0, sizeof(w));
	pc_flows_each(&h->m, walk_note, &w);
	check(h, "the flows left are rule 1's (odd ports)",
	      w.seen[0][1] && !w.seen[0][2] && w.seen[1][WALK6 - 1] &&
		      !w.seen[1][WALK6],
	      "ports 1 %d, 2 %d (v4); %d %d (v6)", w.seen[0][1], w.seen[0][2],
	      w.seen[1][WALK6 - 1], w.seen[1][WALK6]);
}

void test_flow_table(struct harness *h)
{
	h_group(h, "flow-table", lab_policy, FLOWS, flow_cases);
	h_group(h, "flow-walk", lab_policy, 16384, walk);
}
