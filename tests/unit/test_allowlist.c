// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writing a slot's allowlist in batches (user/allowlist.c): lists larger
 * than one batch are written whole, a reload clears only the slot it
 * writes, and a list over the maps' capacity fails with the running
 * policy untouched.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "harness.h"
#include "policy.h"
#include "portcullis.h"
#include "state.h"

#define N4 5000 /* /32s from 198.18.0.0, two ports each: 10000 entries */
#define N6 3000 /* /128s from 2001:db8:a::, two ports each */

/* The big policy, from address skip on (both families). */
static char *big_policy(int skip)
{
	size_t cap = (N4 + N6) * 48 + 512, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	len += snprintf(s + len, cap - len,
			"version: 1\negress:\n  - name: many\n"
			"    proto: tcp\n    ports: [443, 8443]\n    to:\n");
	for (int i = skip; i < N4; i++)
		len += snprintf(s + len, cap - len, "      - 198.18.%d.%d\n",
				i / 256, i % 256);
	for (int i = skip; i < N6; i++)
		len += snprintf(s + len, cap - len,
				"      - '2001:db8:a::%x'\n", i);
	return s;
}

static __u8 active_slot(struct harness *h)
{
	struct pc_active a = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(h->m.active, &zero, &a);
	return a.slot & 1;
}

static void syn(struct harness *h, const char *name, const char *dst,
		uint16_t port, bool pass)
{
	static uint16_t sport = 40000; /* a new flow each time */
	struct pkt_spec s = pkt(&fams[strchr(dst, ':') != NULL], true,
				IPPROTO_TCP, dst, sport++, port, TH_SYN);

	expect(h, name, true, &s, pass,
	       pass ? PC_R_OUT_NEW_FLOW : PC_R_OUT_DEFAULT_DROP,
	       pass ? "many" : NULL);
}

static void counts(struct harness *h, const char *name, __u8 slot, long n4,
		   long n6)
{
	long t4 = h_allow_keys(h->m.allow4, sizeof(struct pc_allow4_key), slot),
	     h4 = h_allow_keys(h->m.allow_hosts4, sizeof(struct pc_allow4_key),
			       slot),
	     t6 = h_allow_keys(h->m.allow6, sizeof(struct pc_allow6_key), slot),
	     h6 = h_allow_keys(h->m.allow_hosts6, sizeof(struct pc_allow6_key),
			       slot);

	check(h, name, t4 == n4 && h4 == n4 && t6 == n6 && h6 == n6,
	      "slot %u: tries %ld/%ld, hosts %ld/%ld, want %ld/%ld", slot, t4,
	      t6, h4, h6, n4, n6);
}

static void batches(struct harness *h)
{
	char *less = big_policy(100), *full = big_policy(0);
	__u8 first = active_slot(h);
	static const char over[] =
		"version: 1\negress:\n"
		"  - name: huge\n    proto: tcp\n"
		"    ports: ['1-40000']\n"
		"    to: [192.0.2.10, 192.0.2.11, 192.0.2.12, "
		"192.0.2.13, 192.0.2.14, 192.0.2.15, "
		"192.0.2.16]\n";

	if (!less || !full) {
		check(h, "the big policies are made", false, "out of memory");
		goto out;
	}
	counts(h, "all 2 x 5000 IPv4 and 2 x 3000 IPv6 entries are written",
	       first, 2 * N4, 2 * N6);
	syn(h, "the first IPv4 address passes on 443", "198.18.0.0", 443, true);
	syn(h, "the last IPv4 address passes on 8443", "198.18.19.135", 8443,
	    true);
	syn(h, "the address after it drops", "198.18.19.136", 443, false);
	syn(h, "the last IPv6 address passes", "2001:db8:a::bb7", 8443, true);

	check(h, "a policy without the first 100 of each applies",
	      h_apply(h, "less", less) >= 0, "apply failed");
	check(h, "it is in the other slot", active_slot(h) == !first, "slot %u",
	      active_slot(h));
	counts(h, "the new slot holds its entries", !first, 2 * (N4 - 100),
	       2 * (N6 - 100));
	counts(h, "the slot before is kept as it was", first, 2 * N4, 2 * N6);
	syn(h, "the first IPv4 address drops now", "198.18.0.0", 443, false);
	syn(h, "the 101st passes", "198.18.0.100", 443, true);
	syn(h, "the first IPv6 address drops now", "2001:db8:a::", 443, false);

	check(h, "the full policy applies again", h_apply(h, "full", full) >= 0,
	      "apply failed");
	counts(h, "its slot was cleared and written whole", first, 2 * N4,
	       2 * N6);
	syn(h, "the first IPv4 address passes again", "198.18.0.0", 443, true);

	check(h, "280000 entries do not fit", h_apply(h, "over", over) < 0,
	      "apply succeeded");
	check(h, "the running policy is untouched", active_slot(h) == first,
	      "slot %u", active_slot(h));
	syn(h, "and still allows its addresses", "198.18.0.1", 8443, true);
out:
	free(less);
	free(full);
}

void test_allowlist(struct harness *h)
{
	char *full = big_policy(0);

	if (full)
		h_group(h, "allowlist", full, 0, batches);
	else
		check(h, "allowlist setup", false, "out of memory");
	free(full);
}
