/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF_PROG_TEST_RUN harness: loads the real skeleton (not attached),
 * writes a policy with the real loader code, runs crafted frames through
 * the XDP ingress and tc egress programs and checks the verdict and exactly
 * which counter rows moved.
 */
#ifndef PC_TEST_HARNESS_H
#define PC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include "portcullis.skel.h"
#include "flowtab.h"
#include "pins.h"
#include "portcullis.h"
#include "packet.h"

/* Addresses used throughout the unit tests. */
#define SRV4 "192.0.2.1"
#define SRV6 "2001:db8::1"
#define PEER4 "192.0.2.2" /* a client on the server's LAN */
#define PEER6 "2001:db8::2"
#define EDGE4 "198.41.192.167" /* region1 edge, allowed on 7844 */
#define EDGE6 "2606:4700:a0::1"
#define API4 "104.19.192.29" /* api.cloudflare.com, allowed on 443 */
#define API6 "2606:4700:300a::6813:c0af"
#define OUT4 "203.0.113.9" /* not in any rule */
#define OUT6 "2001:db8:ff::9"
#define DNS4 "192.0.2.53" /* the resolvers the tests configure */
#define DNS6 "2001:db8::53"

/* The flow collector runs this often in tests (5 s in production). */
#define H_GC_INTERVAL_NS 100000000ULL

struct harness {
	struct portcullis *skel;
	struct pc_maps m;
	int xdp_fd, tc_fd;
	int tc_in_fd; /* the tc ingress program (up --tc) */
	bool ingress_tc; /* ingress frames go to tc_in_fd instead of XDP */
	uint64_t gc_interval_ns; /* the collector's period; 0: H_GC_INTERVAL_NS */
	struct portcullis *trace; /* dry-run instance on the same maps */
	int passed, failed;
	const char *group;
};

/* policy_yaml NULL: the shipped default. flow_max 0: the policy's. */
int h_setup(struct harness *h, const char *policy_yaml, uint32_t flow_max);
void h_teardown(struct harness *h);

/*
 * Cases that need their own policy: load the programs with it as group
 * `group`, run cases on them, add their results to h, unload.
 */
void h_group(struct harness *h, const char *group, const char *policy_yaml,
	     uint32_t flow_max, void (*cases)(struct harness *g));
/* The same with the collector every gc_interval_ns (0: H_GC_INTERVAL_NS). */
void h_group_gc(struct harness *h, const char *group, const char *policy_yaml,
		uint32_t flow_max, uint64_t gc_interval_ns,
		void (*cases)(struct harness *g));

/*
 * Run one frame; returns the program's return value, -1 on error. Ingress
 * frames go to the XDP program, or with ingress_tc to the tc ingress one.
 */
int h_run(struct harness *h, bool egress, const struct pkt_spec *s);

/*
 * Run s and check: the verdict is pass/drop, the reason row moved by one
 * and no other reason row moved; with rule != NULL, that policy rule's row
 * moved by one too. Before that, the dry-run (trace) instance judges the
 * same packet: it must give the same verdict, reason and rule, and move no
 * counter.
 */
void expect(struct harness *h, const char *name, bool egress,
	    const struct pkt_spec *s, bool pass, int reason, const char *rule);
void check(struct harness *h, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The dry run (trace) of s alone: 0, or -1 when it could not run. */
int h_dry_run(struct harness *h, bool egress, const struct pkt_spec *s,
	      struct pc_trace *tr, int *ret);

uint64_t h_row_packets(struct harness *h, uint32_t row);
uint64_t h_flow_count(struct harness *h);
/* Keys of an allowlist map (key_size bytes each) in slot, or in any slot
 * when slot is -1 (the slot is the byte after the 4-byte prefixlen). */
long h_allow_keys(int fd, size_t key_size, int slot);
int h_rule_id(struct harness *h, const char *name);
/*
 * Parse yaml (errors to stderr as file `what`) and write it with
 * pc_policy_apply, as up and reload do (no host names' update, no
 * re-judging). Returns how many flows of removed rules it ended, or -1.
 */
long h_apply(struct harness *h, const char *what, const char *yaml);

/* Test groups. */
void test_ingress(struct harness *h);
void test_ingress_ssh_socket(struct harness *h);
void test_egress(struct harness *h);
void test_policy_file(struct harness *h);
void test_flow_table(struct harness *h);
void test_state(struct harness *h);
void test_policy_kernel(struct harness *h);
void test_dns(struct harness *h);
void test_mangle(struct harness *h);
void test_verifier(struct harness *h);
void test_confirm(struct harness *h);
void test_policy_change(struct harness *h);
void test_rejudge(struct harness *h);
void test_allowlist(struct harness *h);
void test_pins(struct harness *h);

#endif /* PC_TEST_HARNESS_H */
