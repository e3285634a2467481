// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What a policy change does to the flows: a rule the new policy does not
 * have takes its flows with it, and its id goes to no new rule while a
 * flow still carries it (the flow's packets count in its rule's row); the
 * addresses learned for its host names allow nothing from the switch on.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "apply.h"
#include "common.h"
#include "flowtab.h"
#include "harness.h"
#include "policy.h"
#include "portcullis.h"
#include "state.h"

#define GONE4 "192.0.2.77"

static const char first[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: keep, to: [198.51.100.0/24], proto: tcp, ports: [443]}\n"
	"  - {name: gone, to: [" GONE4 "], proto: udp}\n";
static const char second[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: keep, to: [198.51.100.0/24], proto: tcp, ports: [443]}\n";
static const char third[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: keep, to: [198.51.100.0/24], proto: tcp, ports: [443]}\n"
	"  - {name: newcomer, to: [192.0.2.88], proto: udp}\n";

/* Apply yaml; returns how many flows it ended, or -1. */
static long apply(struct harness *h, const char *what, const char *yaml)
{
	long ended = h_apply(h, what, yaml);

	check(h, what, ended >= 0, "parse or apply failed");
	return ended;
}

static struct pkt_spec udp(bool egress, const char *remote, uint16_t lport)
{
	return pkt(&fams[0], egress, IPPROTO_UDP, remote, lport, 5000, 0);
}

static struct pkt_spec tcp443(uint8_t flags)
{
	return pkt(&fams[0], true, IPPROTO_TCP, "198.51.100.5", 46000, 443,
		   flags);
}

/*
 * A flow of rule id, put straight into the table: what a packet judged by
 * the old policy just before the switch can still create after the walk
 * that ends the flows of removed rules.
 */
static int put_flow(struct harness *h, const char *remote, uint16_t lport,
		    __u32 id, bool expired)
{
	__u64 now = pc_clock_now_ns();
	struct pc_flow_key k = { .family = AF_INET, .proto = IPPROTO_UDP };
	struct pc_flow_val v = {
		.created_ns = now,
		.seen_ns = now,
		.expires_ns = expired ? now - 1 : now + 100 * 1000000000ULL,
		.rule_id = id,
		.state = PC_FS_ESTABLISHED
	};

	k.lport = htons(lport);
	k.rport = htons(5000);
	inet_pton(AF_INET, SRV4, k.laddr);
	inet_pton(AF_INET, remote, k.raddr);
	return pc_flows_put(&h->m, &k, &v, BPF_ANY);
}

static void removal(struct harness *h)
{
	struct pkt_spec s;
	int gone = h_rule_id(h, "gone"), keep = h_rule_id(h, "keep");
	long n;

	s = tcp443(0x02);
	expect(h, "SYN to keep:443 creates a flow", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "keep");
	s = udp(true, GONE4, 41000);
	expect(h, "UDP to gone creates a flow", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "gone");
	s = udp(false, GONE4, 41000);
	expect(h, "its reply comes in", false, &s, true, PC_R_IN_ESTABLISHED,
	       NULL);

	n = apply(h, "a policy without 'gone' applies", second);
	check(h, "it ends the one flow of 'gone'", n == 1, "ended %ld", n);
	s = udp(true, GONE4, 41000);
	expect(h, "the flow of 'gone' is over: out drops", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s = udp(false, GONE4, 41000);
	expect(h, "the flow of 'gone' is over: in drops", false, &s, false,
	       PC_R_IN_DEFAULT_DROP, NULL);
	s = tcp443(0x10);
	expect(h, "the flow of 'keep' stays, counted to 'keep'", true, &s, true,
	       PC_R_OUT_ESTABLISHED, "keep");

	/* A late flow of 'gone': the next policy's new rule must not take
	 * its id (its packets would count as that rule's), and it ends too. */
	check(h, "a late flow of 'gone' is put",
	      gone > 0 && !put_flow(h, GONE4, 41001, gone, false),
	      "put failed");
	check(h, "and an expired one, not yet collected",
	      !put_flow(h, GONE4, 41003, gone, true), "put failed");
	n = apply(h, "a policy with a new rule applies", third);
	check(h,
	      "the late flow of 'gone' ends with it, the expired one is not counted",
	      n == 1, "ended %ld", n);
	check(h, "'newcomer' takes an id no flow carries",
	      h_rule_id(h, "newcomer") > 0 && h_rule_id(h, "newcomer") != gone,
	      "newcomer %d, gone %d", h_rule_id(h, "newcomer"), gone);
	check(h, "'keep' keeps its id", h_rule_id(h, "keep") == keep,
	      "id %d -> %d", keep, h_rule_id(h, "keep"));
	s = udp(true, GONE4, 41001);
	expect(h, "the late flow is over: out drops", true, &s, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	s = udp(true, "192.0.2.88", 41002);
	expect(h, "UDP to newcomer creates a flow", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "newcomer");
}

/* Two host-name rules on one port; the second policy keeps one of them. */
static const char named_first[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: named, hosts: [x.example], to: [192.0.2.50], proto: tcp, ports: [443]}\n"
	"  - {name: other, hosts: [y.example], to: [192.0.2.60], proto: tcp, ports: [443]}\n";
static const char named_second[] =
	"version: 1\n"
	"egress:\n"
	"  - {name: other, hosts: [y.example], to: [192.0.2.60], proto: tcp, ports: [443]}\n";

static struct pkt_spec syn443(const char *dst, uint16_t sport)
{
	return pkt(&fams[0], true, IPPROTO_TCP, dst, sport, 443, TH_SYN);
}

/*
 * The addresses learned for a host name (dyn_allow) carry their rule but
 * no slot: right after the switch, before user space removes the taken-out
 * name's addresses (pc_names_apply, not called here), they must allow
 * nothing, or a new flow would start under the rule just taken out.
 */
static void names_window(struct harness *h)
{
	struct pkt_spec s = syn443("192.0.2.50", 47000);

	expect(h, "a SYN to named's seed address passes", true, &s, true,
	       PC_R_OUT_NEW_FLOW, "named");
	if (apply(h, "a policy without 'named' applies", named_second) < 0)
		return;
	s = syn443("192.0.2.50", 47001);
	expect(h, "its learned address allows nothing from the switch on", true,
	       &s, false, PC_R_OUT_DEFAULT_DROP, NULL);
	s = syn443("192.0.2.60", 47002);
	expect(h, "the address of the name that stays still passes", true, &s,
	       true, PC_R_OUT_NEW_FLOW, "other");
}

void test_policy_change(struct harness *h)
{
	h_group(h, "policy-change", first, 0, removal);
	h_group(h, "policy-change", named_first, 0, names_window);
}
