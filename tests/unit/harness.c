// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "counters.h"
#include "harness.h"
#include "loader.h"
#include "policy.h"
#include "trace.h"
#include "names.h"
#include "pins.h"

static int add_local(struct harness *h, int family, const char *a)
{
	struct pc_addr_key k = { .family = family };

	inet_pton(family, a, k.addr);
	return pc_local_addr_add(&h->m, &k);
}

/* A dup of the fd of the live map pinned as name (for the trace instance). */
static int skel_map_fd(const char *name, void *arg)
{
	struct portcullis *s = arg;
	struct bpf_map *map;

	bpf_object__for_each_map (map, s->obj) {
		const char *pin = pc_map_pin_name(map);

		if (pin && !strcmp(pin, name))
			return dup(bpf_map__fd(map));
	}
	return -1;
}

int h_setup(struct harness *h, const char *policy_yaml, uint32_t flow_max)
{
	struct pc_diag diag = { .file = "test-policy", .out = stderr };
	char digest[PC_DIGEST_LEN];
	char resolv[] = "/tmp/pc-unit-resolv-XXXXXX";
	struct pc_policy pol;
	FILE *f;
	int fd, err;

	memset(&h->m, -1, sizeof(h->m));
	h->skel = NULL;
	err = policy_yaml ? pc_policy_parse(policy_yaml, strlen(policy_yaml),
					    &diag, &pol) :
			    pc_policy_load(NULL, &diag, &pol, digest);
	if (err)
		return -1;
	fd = mkstemp(resolv);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f, "# test\nnameserver %s\nnameserver %s\n", DNS4, DNS6);
	fclose(f);
	pc_policy_read_resolv(&pol, resolv);
	unlink(resolv);

	h->skel = portcullis__open();
	if (!h->skel)
		goto fail;
	bpf_map__set_max_entries(h->skel->maps.flows4,
				 flow_max ? flow_max : pol.flow_max);
	bpf_map__set_max_entries(h->skel->maps.flows6,
				 flow_max ? flow_max : pol.flow_max);
	h->skel->rodata->gc_interval_ns =
		h->gc_interval_ns ? h->gc_interval_ns : H_GC_INTERVAL_NS;
	if (portcullis__load(h->skel))
		goto fail;
	if (pc_maps_from_obj(h->skel->obj, &h->m))
		goto fail;
	h->xdp_fd = bpf_program__fd(h->skel->progs.pc_ingress);
	h->tc_fd = bpf_program__fd(h->skel->progs.pc_egress);
	h->tc_in_fd = bpf_program__fd(h->skel->progs.pc_ingress_tc);
	if (pc_policy_apply(&h->m, &pol, NULL) || pc_gc_arm(h->skel) ||
	    pc_names_apply(&h->m, &pol) || pc_tail_install(h->skel))
		goto fail;
	h->trace = pc_trace_load(skel_map_fd, h->skel);
	if (!h->trace)
		goto fail;
	if (add_local(h, AF_INET, SRV4) || add_local(h, AF_INET6, SRV6))
		goto fail;
	pc_policy_free(&pol);
	return 0;
fail:
	pc_policy_free(&pol);
	portcullis__destroy(h->skel);
	h->skel = NULL;
	return -1;
}

void h_teardown(struct harness *h)
{
	pc_trace_close(h->trace);
	h->trace = NULL;
	portcullis__destroy(h->skel);
	h->skel = NULL;
}

void h_group(struct harness *h, const char *group, const char *policy_yaml,
	     uint32_t flow_max, void (*cases)(struct harness *g))
{
	h_group_gc(h, group, policy_yaml, flow_max, 0, cases);
}

void h_group_gc(struct harness *h, const char *group, const char *policy_yaml,
		uint32_t flow_max, uint64_t gc_interval_ns,
		void (*cases)(struct harness *g))
{
	struct harness g = { .group = group,
			     .ingress_tc = h->ingress_tc,
			     .gc_interval_ns = gc_interval_ns };
	char name[96];

	if (h_setup(&g, policy_yaml, flow_max)) {
		snprintf(name, sizeof(name), "%s setup", group);
		check(h, name, false, "loading failed");
		return;
	}
	cases(&g);
	h->passed += g.passed;
	h->failed += g.failed;
	h_teardown(&g);
}

int h_run(struct harness *h, bool egress, const struct pkt_spec *s)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = 1);

	int fd = egress ? h->tc_fd : h->ingress_tc ? h->tc_in_fd : h->xdp_fd;

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	return opts.retval;
}

long h_allow_keys(int fd, size_t key_size, int slot)
{
	unsigned char key[64], next[64];
	void *prev = NULL;
	long n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n += slot < 0 || key[4] == slot;
	}
	return n;
}

uint64_t h_flow_count(struct harness *h)
{
	return pc_flows_count(&h->m);
}

uint64_t h_row_packets(struct harness *h, uint32_t row)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pc_counter v[ncpu];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(h->m.counters, &row, v))
		return UINT64_MAX;
	for (int i = 0; i < ncpu; i++)
		sum += v[i].packets;
	return sum;
}

long h_apply(struct harness *h, const char *what, const char *yaml)
{
	struct pc_diag d = { .file = what, .out = stderr };
	struct pc_policy pol;
	long ended = -1;
	int err;

	if (pc_policy_parse(yaml, strlen(yaml), &d, &pol))
		return -1;
	err = pc_policy_apply(&h->m, &pol, &ended);
	pc_policy_free(&pol);
	return err ? -1 : ended;
}

int h_rule_id(struct harness *h, const char *name)
{
	__u32 id = pc_rule_id_by_name(&h->m, name);

	return id ? (int)id : -1;
}

void check(struct harness *h, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		h->passed++;
		printf("ok     %s%s: %s\n", h->ingress_tc ? "tc-ingress " : "",
		       h->group, name);
		return;
	}
	h->failed++;
	printf("FAIL   %s%s: %s: ", h->ingress_tc ? "tc-ingress " : "",
	       h->group, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int h_dry_run(struct harness *h, bool egress, const struct pkt_spec *s,
	      struct pc_trace *tr, int *ret)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));

	return pc_trace_run(h->trace, egress, buf, len, tr, ret);
}

/*
 * The dry run of s: fills *tr and *ret; false when it failed or moved any
 * counter (before: the rows as they were).
 */
static bool h_trace(struct harness *h, bool egress, const struct pkt_spec *s,
		    const uint64_t *before, struct pc_trace *tr, int *ret)
{
	uint64_t flows = h_flow_count(h);

	if (h_dry_run(h, egress, s, tr, ret))
		return false;
	if (h_flow_count(h) != flows)
		return false;
	for (uint32_t r = 0; r < PC_MAX_COUNTERS; r++)
		if (h_row_packets(h, r) != before[r])
			return false;
	return true;
}

void expect(struct harness *h, const char *name, bool egress,
	    const struct pkt_spec *s, bool pass, int reason, const char *rule)
{
	uint64_t before[PC_MAX_COUNTERS], after[PC_MAX_COUNTERS];
	bool tc = egress || h->ingress_tc;
	int want = tc ? (pass ? 0 /* TC_ACT_OK */ : 2 /* TC_ACT_SHOT */) :
			(pass ? 2 /* XDP_PASS */ : 1 /* XDP_DROP */);
	/* the dry run judges ingress with the XDP program */
	int tr_want = egress ? want : (pass ? 2 : 1);
	int rule_row = -1, ret, tr_ret = -1;
	char moved[512] = "";
	struct pc_trace tr = { .reason = PC_R_MAX };
	bool trace_ok;

	if (rule) {
		int id = h_rule_id(h, rule);

		if (id < 0) {
			check(h, name, false, "no rule named '%s'", rule);
			return;
		}
		rule_row = PC_RULE_BASE + id;
	}
	for (uint32_t r = 0; r < PC_MAX_COUNTERS; r++)
		before[r] = h_row_packets(h, r);
	trace_ok = h_trace(h, egress, s, before, &tr, &tr_ret);
	ret = h_run(h, egress, s);
	for (uint32_t r = 0; r < PC_MAX_COUNTERS; r++) {
		after[r] = h_row_packets(h, r);
		if (after[r] != before[r]) {
			size_t l = strlen(moved);

			snprintf(moved + l, sizeof(moved) - l, " %s+%llu",
				 r < PC_R_MAX ? pc_reason_names[r] : "rule",
				 (unsigned long long)(after[r] - before[r]));
		}
	}
	bool ok = ret == want && after[reason] - before[reason] == 1;

	for (uint32_t r = 0; r < PC_MAX_COUNTERS && ok; r++) {
		if (r == (uint32_t)reason || (int)r == rule_row)
			continue;
		ok = after[r] == before[r];
	}
	if (rule_row >= 0)
		ok = ok && after[rule_row] - before[rule_row] == 1;
	bool same_rule = rule_row < 0 ||
			 tr.rule_id == (__u32)(rule_row - PC_RULE_BASE);

	if (ok && !(trace_ok && tr.reason == (__u32)reason &&
		    tr_ret == tr_want && same_rule)) {
		ok = false;
		snprintf(moved + strlen(moved), sizeof(moved) - strlen(moved),
			 " but trace said %s (retval %d, rule %u%s)",
			 tr.reason < PC_R_MAX ? pc_reason_names[tr.reason] :
						"?",
			 tr_ret, tr.rule_id,
			 trace_ok ? "" : ", and it moved counters");
	}
	check(h, name, ok, "want %s by %s%s%s, got retval %d, rows moved:%s",
	      pass ? "pass" : "drop", pc_reason_names[reason],
	      rule ? " rule " : "", rule ? rule : "", ret, moved);
}
