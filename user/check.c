// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include "allowlist.h"
#include "check.h"
#include "common.h"
#include "policy.h"

static void print_rule(const struct pc_rule *r)
{
	char buf[64];

	printf("  %-20s %-8s %s%s%s  ports ", r->name,
	       r->enabled ? "" : "(off)",
	       r->protos & PC_PROTO_TCP ? "tcp " : "",
	       r->protos & PC_PROTO_UDP ? "udp " : "",
	       r->protos & PC_PROTO_ICMP ? "icmp " : "");
	if (!r->n_ports)
		printf("any");
	for (size_t i = 0; i < r->n_ports; i++)
		if (r->ports[i].lo == r->ports[i].hi)
			printf("%s%u", i ? "," : "", r->ports[i].lo);
		else
			printf("%s%u-%u", i ? "," : "", r->ports[i].lo,
			       r->ports[i].hi);
	printf("  to %zu prefixes%s", r->n_to,
	       r->to_resolvers ? " + resolvers" : "");
	if (r->n_to) {
		pc_prefix_str(&r->to[0], buf, sizeof(buf));
		printf(" (%s%s)", buf, r->n_to > 1 ? ", ..." : "");
	}
	if (r->n_hosts)
		printf("  hosts %s%s", r->hosts[0],
		       r->n_hosts > 1 ? ", ..." : "");
	if (r->n_srv)
		printf("  srv %s%s", r->srv[0], r->n_srv > 1 ? ", ..." : "");
	putchar('\n');
}

/* Addresses that stand for host names until they are resolved. */
static size_t seeds(const struct pc_policy *pol)
{
	size_t n = 0;

	for (size_t i = 0; i < pol->n_rules; i++)
		for (size_t j = 0;
		     pol->rules[i].enabled && j < pol->rules[i].n_to; j++)
			n += pc_rule_seed(&pol->rules[i], &pol->rules[i].to[j]);
	return n;
}

int pc_cmd_check(const char *path)
{
	struct pc_diag diag = { .out = stderr };
	struct pc_policy pol;
	char digest[PC_DIGEST_LEN];
	size_t n4, n6;

	if (pc_policy_load(path, &diag, &pol, digest)) {
		fprintf(stderr, "%s: %d error%s\n", diag.file, diag.errors,
			diag.errors == 1 ? "" : "s");
		return PC_EXIT_POLICY;
	}
	pc_policy_count_entries(&pol, &n4, &n6);
	printf("%s: OK (sha256 %.12s)\n", diag.file, digest);
	printf("inbound:  SSH on port%s", pol.n_ssh_ports > 1 ? "s" : "");
	for (size_t i = 0; i < pol.n_ssh_ports; i++)
		printf(" %u", pol.ssh_ports[i]);
	printf(", replies of the host's own flows, ARP/NDP; all else dropped\n");
	printf("outbound: %zu rules (%zu IPv4 + %zu IPv6 static allowlist entries before resolvers, %zu seed addresses for host names)\n",
	       pol.n_rules, n4, n6, seeds(&pol));
	for (size_t i = 0; i < pol.n_rules; i++)
		print_rule(&pol.rules[i]);
	printf("flows:    up to %u; timeouts tcp %us/%us udp %us icmp %us\n",
	       pol.flow_max, pol.timeout_tcp_syn, pol.timeout_tcp_est,
	       pol.timeout_udp, pol.timeout_icmp);
	pc_policy_free(&pol);
	return PC_EXIT_OK;
}
