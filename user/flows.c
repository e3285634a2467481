// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include "common.h"
#include "flows.h"
#include "flowtab.h"
#include "format.h"
#include "pins.h"
#include "portcullis.h"

#define PC_FLOW_STATE_NAME(e, name) [e] = name,
static const char *const state_names[PC_FS_MAX] = { PC_FLOW_STATES(
	PC_FLOW_STATE_NAME) };
#undef PC_FLOW_STATE_NAME

struct walk {
	const struct pc_show_opts *o;
	json_t *arr;
	int count;
	int err;
};

/* What printing one flow needs besides the flow. */
struct flow_ctx {
	struct walk *w;
	const struct pc_maps *m;
	const char *netns, *ifname;
	__u64 now;
};

static int show_flow(const struct pc_flow_key *key,
		     const struct pc_flow_val *fv, void *arg)
{
	const struct flow_ctx *c = arg;
	const char *state, *rule = "";
	char local[64], remote[64];
	struct pc_rule_meta meta;
	struct pc_flow_val v = *fv;
	double age, idle, left = 0;

	state = v.state < PC_FS_MAX ? state_names[v.state] : "?";
	/* the kernel may have stamped it after we read the clock */
	if (v.seen_ns > c->now)
		v.seen_ns = c->now;
	if (v.created_ns > c->now)
		v.created_ns = c->now;
	if (c->now >= v.expires_ns)
		state = "expired";
	else
		left = (v.expires_ns - c->now) / 1e9;
	if (!bpf_map_lookup_elem(c->m->rules, &v.rule_id, &meta) &&
	    meta.slots) {
		meta.name[PC_NAME_LEN - 1] = '\0';
		rule = meta.name;
	}
	pc_fmt_endpoint(local, sizeof(local), key->family, key->laddr,
			key->lport, key->proto);
	pc_fmt_endpoint(remote, sizeof(remote), key->family, key->raddr,
			key->rport, key->proto);
	age = (c->now - v.created_ns) / 1e9;
	idle = (c->now - v.seen_ns) / 1e9;
	if (c->w->arr) {
		json_array_append_new(
			c->w->arr,
			json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:b}",
				"netns", c->netns, "iface", c->ifname, "proto",
				pc_proto_name(key->proto), "local", local,
				"remote", remote, "state", state, "rule", rule,
				"age_s", age, "idle_s", idle, "expires_in_s",
				left, "adopted", !!(v.flags & PC_FF_ADOPTED)));
	} else {
		printf("%-6s %-46s %-46s %-12s %7.0fs %7.0fs %7.0fs %s%s\n",
		       pc_proto_name(key->proto), local, remote, state, age,
		       idle, left, rule,
		       v.flags & PC_FF_ADOPTED ? " (adopted)" : "");
	}
	return 0;
}

static int flows_one(const char *netns, const char *ifname, const char *dir,
		     void *arg)
{
	struct walk *w = arg;
	struct pc_maps m;
	struct flow_ctx c = { .w = w,
			      .m = &m,
			      .netns = netns,
			      .ifname = ifname,
			      .now = pc_clock_now_ns() };

	if (pc_maps_open(dir, &m)) {
		w->err = 1;
		return 0;
	}
	if (!w->arr)
		printf("%s%s (netns %s)\n%-6s %-46s %-46s %-12s %8s %8s %8s %s\n",
		       w->count++ ? "\n" : "", ifname, netns, "PROTO", "LOCAL",
		       "REMOTE", "STATE", "AGE", "IDLE", "EXPIRES", "RULE");
	pc_flows_each(&m, show_flow, &c);
	pc_maps_close(&m);
	return 0;
}

int pc_cmd_flows(const struct pc_show_opts *o)
{
	struct walk w = { .o = o };

	if (o->json)
		w.arr = json_array();
	pc_for_each_iface(o->netns, o->ifname, flows_one, &w);
	if (o->json) {
		json_dumpf(w.arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(w.arr);
	}
	return w.err ? PC_EXIT_KERNEL : PC_EXIT_OK;
}
