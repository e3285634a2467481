// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A reload judges the flows of the rules it changed again (bpf/rejudge.h):
 * a flow the new policy no longer allows ends, one another rule allows is
 * counted to that rule, flows of rules it did not change are not touched.
 * The reload's sequence, as `reload` runs it: pc_policy_apply (switch),
 * pc_names_apply, then pc_flows_rejudge with pc_rejudge.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "common.h"
#include "flowtab.h"
#include "harness.h"
#include "names.h"
#include "policy.h"
#include "portcullis.h"
#include "state.h"

static const char before[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: edge, to: [198.51.100.0/24, '2001:db8:5::/48'], proto: tcp, ports: [443]}\n"
	"  - {name: wide, to: [203.0.113.0/24], proto: udp, ports: [5000]}\n"
	"  - {name: still, to: [192.0.2.200], proto: udp}\n";
/* edge narrowed to the lower half, wide moved to another port, still as
 * it was, and a new rule for one address of the upper half */
static const char after[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: edge, to: [198.51.100.0/25, '2001:db8:5::/64'], proto: tcp, ports: [443]}\n"
	"  - {name: wide, to: [203.0.113.0/24], proto: udp, ports: [5001]}\n"
	"  - {name: still, to: [192.0.2.200], proto: udp}\n"
	"  - {name: cover, to: [198.51.100.200], proto: tcp, ports: [443]}\n";

struct outcome {
	long gone, refused, moved;
	size_t changed;
};

/* Reload to yaml as `reload` does; false when a step failed. */
static bool reload(struct harness *h, const char *what, const char *yaml,
		   struct outcome *o)
{
	struct pc_diag d = { .file = what, .out = stderr };
	bool changed[PC_MAX_RULES];
	struct pc_policy pol;
	bool ok;

	memset(o, 0, sizeof(*o));
	if (pc_policy_parse(yaml, strlen(yaml), &d, &pol)) {
		check(h, what, false, "the policy does not parse");
		return false;
	}
	ok = !pc_policy_apply(&h->m, &pol, &o->gone) &&
	     !pc_names_apply(&h->m, &pol);
	o->changed = pc_policy_changed(&pol, changed);
	ok = ok && !pc_flows_rejudge(bpf_program__fd(h->skel->progs.pc_rejudge),
				     changed, &o->refused, &o->moved);
	pc_policy_free(&pol);
	check(h, what, ok, "a step of the reload failed");
	return ok;
}

/* state.h's pkt(), the family read off the remote address. */
static struct pkt_spec at(bool egress, uint8_t proto, const char *remote,
			  uint16_t lport, uint16_t rport, uint8_t flags)
{
	return pkt(&fams[strchr(remote, ':') != NULL], egress, proto, remote,
		   lport, rport, flags);
}

static void start(struct harness *h, const char *name, uint8_t proto,
		  const char *remote, uint16_t lport, uint16_t rport,
		  const char *rule)
{
	struct pkt_spec s = at(true, proto, remote, lport, rport,
			       proto == IPPROTO_TCP ? TH_SYN : 0);

	expect(h, name, true, &s, true, PC_R_OUT_NEW_FLOW, rule);
}

static void narrowing(struct harness *h)
{
	struct pkt_spec s;
	struct outcome o;
	int edge = h_rule_id(h, "edge");

	start(h, "a flow of edge to the lower half", IPPROTO_TCP,
	      "198.51.100.5", 46001, 443, "edge");
	start(h, "a flow of edge to .200", IPPROTO_TCP, "198.51.100.200", 46002,
	      443, "edge");
	start(h, "a flow of edge to .201", IPPROTO_TCP, "198.51.100.201", 46003,
	      443, "edge");
	start(h, "a flow of wide on 5000", IPPROTO_UDP, "203.0.113.7", 41000,
	      5000, "wide");
	start(h, "a flow of still", IPPROTO_UDP, "192.0.2.200", 41001, 5000,
	      "still");
	start(h, "an IPv6 flow of edge inside its new /64", IPPROTO_TCP,
	      "2001:db8:5::7", 46004, 443, "edge");
	start(h, "an IPv6 flow of edge outside it", IPPROTO_TCP,
	      "2001:db8:5:1::7", 46005, 443, "edge");

	if (!reload(h, "the narrower policy reloads", after, &o))
		return;
	check(h, "two rules changed (edge, wide)", o.changed == 2,
	      "changed %zu", o.changed);
	check(h, "no rule was taken out", o.gone == 0, "gone %ld", o.gone);
	check(h,
	      "three flows end (edge to .201 and 2001:db8:5:1::7, wide on 5000)",
	      o.refused == 3, "ended %ld", o.refused);
	check(h, "one flow moves (edge to .200, to cover)", o.moved == 1,
	      "moved %ld", o.moved);
	check(h, "four flows are left", h_flow_count(h) == 4, "%llu flows",
	      (unsigned long long)h_flow_count(h));
	check(h, "edge keeps its id", h_rule_id(h, "edge") == edge,
	      "id %d -> %d", edge, h_rule_id(h, "edge"));

	s = at(true, IPPROTO_TCP, "198.51.100.5", 46001, 443, 0x10);
	expect(h, "edge's flow to the lower half goes on", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "edge");
	s = at(true, IPPROTO_TCP, "198.51.100.200", 46002, 443, 0x10);
	expect(h, "the flow to .200 goes on, counted to cover", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "cover");
	s = at(true, IPPROTO_TCP, "198.51.100.201", 46003, 443, 0x10);
	expect(h, "the flow to .201 is over: out drops", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s = at(false, IPPROTO_TCP, "198.51.100.201", 46003, 443, 0x10);
	expect(h, "and in drops", false, &s, false, PC_R_IN_NO_FLOW, NULL);
	s = at(true, IPPROTO_TCP, "2001:db8:5::7", 46004, 443, 0x10);
	expect(h, "the IPv6 flow inside the /64 goes on", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "edge");
	s = at(true, IPPROTO_TCP, "2001:db8:5:1::7", 46005, 443, 0x10);
	expect(h, "the IPv6 flow outside it is over", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s = at(false, IPPROTO_UDP, "203.0.113.7", 41000, 5000, 0);
	expect(h, "wide's flow on 5000 is over: its reply drops", false, &s,
	       false, PC_R_IN_DEFAULT_DROP, NULL);
	s = at(false, IPPROTO_UDP, "192.0.2.200", 41001, 5000, 0);
	expect(h, "the flow of the unchanged rule still passes", false, &s,
	       true, PC_R_IN_ESTABLISHED, NULL);

	/* the same policy again: nothing changed, nothing is judged */
	if (!reload(h, "the same policy reloads", after, &o))
		return;
	check(h, "reloading it unchanged changes no rule",
	      o.changed == 0 && o.refused == 0 && o.moved == 0,
	      "changed %zu, ended %ld, moved %ld", o.changed, o.refused,
	      o.moved);
	check(h, "and leaves the four flows", h_flow_count(h) == 4,
	      "%llu flows", (unsigned long long)h_flow_count(h));
}

/* A host-name rule loses a port; its seed and a learned address stay. */
static const char named_before[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: named, hosts: [x.example], to: [192.0.2.50], proto: tcp, ports: [443, 8443]}\n";
static const char named_after[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: named, hosts: [x.example], to: [192.0.2.50], proto: tcp, ports: [443]}\n";

/* An address learned for x.example (the name of named's seed), on port,
 * until expires_ns (1: its DNS lifetime is over). */
static int learned(struct harness *h, const char *addr, uint16_t port,
		   __u64 expires_ns)
{
	struct pc_dyn_key k = { .family = AF_INET,
				.proto = IPPROTO_TCP,
				.port = htons(port) };
	struct pc_dyn_val v;

	inet_pton(AF_INET, "192.0.2.50", k.addr);
	if (bpf_map_lookup_elem(h->m.dyn_allow, &k, &v))
		return -1;
	v.expires_ns = expires_ns;
	v.source = PC_SRC_RESOLVER;
	inet_pton(AF_INET, addr, k.addr);
	return bpf_map_update_elem(h->m.dyn_allow, &k, &v, BPF_ANY);
}

static void named_ports(struct harness *h)
{
	struct pkt_spec s;
	struct outcome o;

	start(h, "a flow to named's seed on 443", IPPROTO_TCP, "192.0.2.50",
	      47001, 443, "named");
	start(h, "a flow to named's seed on 8443", IPPROTO_TCP, "192.0.2.50",
	      47002, 8443, "named");
	check(h, "an address is learned for x.example",
	      !learned(h, "192.0.2.51", 443, ~0ULL), "update failed");
	start(h, "a flow to the learned address", IPPROTO_TCP, "192.0.2.51",
	      47003, 443, "named");
	check(h, "the learned address's DNS lifetime ends",
	      !learned(h, "192.0.2.51", 443, 1), "update failed");
	s = at(true, IPPROTO_TCP, "192.0.2.51", 47004, 443, 0x02);
	expect(h, "a new flow to it is refused", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);

	if (!reload(h, "named without 8443 reloads", named_after, &o))
		return;
	check(h, "one rule changed", o.changed == 1, "changed %zu", o.changed);
	check(h, "the flow on 8443 ends, no other", o.refused == 1 && !o.moved,
	      "ended %ld, moved %ld", o.refused, o.moved);
	s = at(true, IPPROTO_TCP, "192.0.2.50", 47001, 443, 0x10);
	expect(h, "the seed's flow on 443 goes on", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "named");
	s = at(true, IPPROTO_TCP, "192.0.2.50", 47002, 8443, 0x10);
	expect(h, "the flow on 8443 is over", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s = at(true, IPPROTO_TCP, "192.0.2.51", 47003, 443, 0x10);
	expect(h, "the running flow to the expired address goes on", true, &s,
	       true, PC_R_OUT_ESTABLISHED, "named");
}

/* Flows put straight into the table for the scale case (PC_REJUDGE_FLOWS
 * sets how many; 20000 by default). */
static unsigned long scale_flows(void)
{
	const char *e = getenv("PC_REJUDGE_FLOWS");
	unsigned long n = e ? strtoul(e, NULL, 10) : 0;

	return n ? n : 20000;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* n flows of edge (and n of still): about half go to the half edge loses. */
static void scale(struct harness *h)
{
	unsigned long n = scale_flows(), put = 0, upper = 0, covered = 0;
	__u64 now = pc_clock_now_ns(), t0;
	int edge = h_rule_id(h, "edge"), still = h_rule_id(h, "still");
	struct pc_flow_key k = { .family = AF_INET, .proto = IPPROTO_TCP };
	struct pc_flow_val v = { .created_ns = now,
				 .seen_ns = now,
				 .expires_ns = now + 600 * 1000000000ULL,
				 .state = PC_FS_ESTABLISHED };
	char what[96];
	struct outcome o;

	inet_pton(AF_INET, SRV4, k.laddr);
	k.rport = htons(443);
	for (unsigned long i = 0; i < n; i++) {
		/* 198.51.100.0-255, local ports 1024 on */
		k.lport = htons(1024 + i / 256);
		k.raddr[0] = htonl(0xc6336400 | (i % 256));
		k.proto = IPPROTO_TCP;
		k.rport = htons(443);
		v.rule_id = edge;
		put += !pc_flows_put(&h->m, &k, &v, BPF_NOEXIST);
		upper += i % 256 >= 128 && i % 256 != 200;
		covered += i % 256 == 200; /* cover's address */
		k.proto = IPPROTO_UDP;
		k.raddr[0] = htonl(0xc00002c8); /* 192.0.2.200 */
		k.rport = htons(5000 + i % 1000);
		v.rule_id = still;
		put += !pc_flows_put(&h->m, &k, &v, BPF_NOEXIST);
	}
	snprintf(what, sizeof(what), "%lu flows are put", 2 * n);
	check(h, what, put == 2 * n, "put %lu", put);
	t0 = mono_ns();
	if (!reload(h, "the narrower policy reloads over them", after, &o))
		return;
	snprintf(
		what, sizeof(what),
		"exactly the %lu flows to the upper half end, %lu move (%.1f ms)",
		upper, covered, (mono_ns() - t0) / 1e6);
	check(h, what, o.refused == (long)upper && o.moved == (long)covered,
	      "ended %ld, moved %ld", o.refused, o.moved);
	check(h, "the others are left", h_flow_count(h) == 2 * n - upper,
	      "%llu flows", (unsigned long long)h_flow_count(h));
}

void test_rejudge(struct harness *h)
{
	h_group(h, "rejudge", before, 0, narrowing);
	h_group(h, "rejudge", named_before, 0, named_ports);
	h_group(h, "rejudge", before, 2 * scale_flows(), scale);
}
