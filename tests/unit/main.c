// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the BPF programs with BPF_PROG_TEST_RUN, and of the
 * policy parser. Runs in a network namespace of its own (unshare), so
 * nothing here touches the host's interfaces.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "harness.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static const struct {
	const char *name;
	void (*fn)(struct harness *h);
	bool ingress; /* sends ingress frames: run again on tc ingress */
} groups[] = {
	{ "ingress", test_ingress, true },
	{ "ingress", test_ingress_ssh_socket, true },
	{ "egress", test_egress, true },
	{ "state", test_state, true },
	{ "flow-table", test_flow_table, true },
	{ "dns", test_dns, true },
	{ "mangle", test_mangle, true },
	{ "policy-kernel", test_policy_kernel, false },
	{ "policy", test_policy_file, false },
	{ "verifier", test_verifier, false },
	{ "confirm", test_confirm, false },
	{ "policy-change", test_policy_change, false },
	{ "rejudge", test_rejudge, false },
	{ "allowlist", test_allowlist, false },
	{ "pins", test_pins, false },
};

/*
 * The groups that send ingress frames, in the same order on a fresh load,
 * with ingress judged by the tc ingress program (up --tc) instead of XDP:
 * every case must give the same verdict, reason and counters.
 */
static void ingress_on_tc(struct harness *h)
{
	struct harness g = { .group = "setup", .ingress_tc = true };

	if (h_setup(&g, NULL, 0)) {
		check(h, "tc-ingress setup", false, "loading failed");
		return;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].ingress)
			groups[i].fn(&g);
	h->passed += g.passed;
	h->failed += g.failed;
	h_teardown(&g);
}

int main(int argc, char **argv)
{
	struct harness h = { .group = "setup" };
	const char *only = argc > 1 ? argv[1] : NULL;

	libbpf_set_print(quiet);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET): run as root");
		return 1;
	}
	if (h_setup(&h, NULL, 0)) {
		fprintf(stderr,
			"loading the programs with the default policy failed\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!only || !strcmp(only, groups[i].name))
			groups[i].fn(&h);
	if (!only || !strcmp(only, "tc-ingress"))
		ingress_on_tc(&h);
	h_teardown(&h);
	printf("%d passed, %d failed\n", h.passed, h.failed);
	return h.failed ? 1 : 0;
}
