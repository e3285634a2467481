// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Policy file parsing: good files parse, bad ones give line:column errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "policy.h"

static const struct {
	const char *what, *yaml, *want;
} bad[] = {
	{ "unknown top-level key", "version: 1\negres:\n  - name: x\n",
	  "t.yaml:2:1: error: unknown key 'egres'" },
	{ "bad prefix", "egress:\n  - name: a\n    to: [10.0.0.300]\n",
	  "t.yaml:3:10: error: '10.0.0.300' is not an IPv4/IPv6 address" },
	{ "host bits set", "egress:\n  - name: a\n    to: [10.0.0.1/8]\n",
	  "t.yaml:3:10: error: '10.0.0.1/8' has host bits set" },
	{ "port out of range",
	  "egress:\n  - name: a\n    to: [192.0.2.1]\n    ports: [70000]\n",
	  "t.yaml:4:13: error: ports: '70000' is not a port" },
	{ "reversed port range",
	  "egress:\n  - name: a\n    to: [192.0.2.1]\n    ports: [90-80]\n",
	  "t.yaml:4:13: error: ports: '90-80'" },
	{ "duplicate rule name",
	  "egress:\n  - name: a\n    to: [192.0.2.1]\n  - name: a\n    to: [192.0.2.2]\n",
	  "t.yaml:4:11: error: duplicate rule name 'a' (first at line 2)" },
	{ "rule that can never match",
	  "egress:\n  - name: a\n    ports: [443]\n",
	  "t.yaml:2:5: error: rule 'a' can never match" },
	{ "bad protocol",
	  "egress:\n  - name: a\n    to: [192.0.2.1]\n    proto: [sctp]\n",
	  "t.yaml:4:13: error: proto: 'sctp'" },
	{ "invalid YAML", "egress: [\n", "t.yaml:2:1: error:" },
	{ "ssh port not a number", "ssh:\n  ports: [ssh]\n",
	  "t.yaml:2:11: error: ssh port: 'ssh' is not a number" },
};

static const char good[] = "version: 1\n"
			   "ssh: {ports: [22, 2222]}\n"
			   "timeouts: {udp: 60}\n"
			   "egress:\n"
			   "  - name: web\n"
			   "    to: [198.51.100.0/24, 2001:db8:1::/48]\n"
			   "    proto: tcp\n"
			   "    ports: [80, 443, 8000-8010]\n";

void test_policy_file(struct harness *h)
{
	struct pc_policy pol;
	char *out;
	size_t len;

	h->group = "policy";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = open_memstream(&out, &len);
		struct pc_diag d = { .file = "t.yaml", .out = f };
		int err = pc_policy_parse(bad[i].yaml, strlen(bad[i].yaml), &d,
					  &pol);

		fclose(f);
		check(h, bad[i].what,
		      err && d.errors >= 1 && strstr(out, bad[i].want),
		      "want '%s', got '%s'", bad[i].want, out);
		free(out);
	}

	FILE *f = open_memstream(&out, &len);
	struct pc_diag d = { .file = "good.yaml", .out = f };
	int err = pc_policy_parse(good, strlen(good), &d, &pol);

	fclose(f);
	check(h, "valid policy parses", !err, "%s", out);
	free(out);
	if (err)
		return;
	check(h, "valid policy: values",
	      pol.n_ssh_ports == 2 && pol.ssh_ports[1] == 2222 &&
		      pol.timeout_udp == 60 && pol.n_rules == 1 &&
		      pol.rules[0].n_to == 2 && pol.rules[0].to[0].len == 24 &&
		      pol.rules[0].n_ports == 3 &&
		      pol.rules[0].ports[2].lo == 8000 &&
		      pol.rules[0].ports[2].hi == 8010,
	      "parsed values differ");
	pc_policy_free(&pol);
}
