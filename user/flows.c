// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include "common.h"
#include "counters.h"
#include "flows.h"
#include "flowtab.h"
#include "lock.h"
#include "format.h"
#include "pins.h"
#include "policy.h"
#include "portcullis.h"

#define PC_FLOW_STATE_NAME(e, name) [e] = name,
static const char *const state_names[PC_FS_MAX] = { PC_FLOW_STATES(
	PC_FLOW_STATE_NAME) };
#undef PC_FLOW_STATE_NAME

/* Which flows the command is about: --to PREFIX, --rule NAME. */
struct filter {
	struct pc_prefix to;
	bool has_to, has_rule;
	__u32 rule_id; /* --rule's id on the interface walked */
};

struct walk {
	const struct pc_show_opts *o;
	struct filter f;
	json_t *arr;
	int count;
	int err; /* an exit code, PC_EXIT_OK while all went well */
};

/* What printing one flow needs besides the flow. */
struct flow_ctx {
	struct walk *w;
	const struct pc_maps *m;
	const char *netns, *ifname;
	__u64 now;
};

/* Is k's remote address inside prefix p? */
static bool prefix_has(const struct pc_prefix *p, const struct pc_flow_key *k)
{
	const __u8 *a = (const __u8 *)k->raddr;
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (k->family != p->family || memcmp(a, p->addr, full))
		return false;
	return !rest || !((a[full] ^ p->addr[full]) & (0xff << (8 - rest)));
}

static int flow_matches(const struct pc_flow_key *k,
			const struct pc_flow_val *v, void *arg)
{
	const struct filter *f = arg;

	return (!f->has_to || prefix_has(&f->to, k)) &&
	       (!f->has_rule || v->rule_id == f->rule_id);
}

static int show_flow(const struct pc_flow_key *key,
		     const struct pc_flow_val *fv, void *arg)
{
	const struct flow_ctx *c = arg;
	const char *state, *rule = "";
	char local[64], remote[64];
	struct pc_rule_meta meta;
	struct pc_flow_val v = *fv;
	double age, idle, left = 0;

	if (!flow_matches(key, fv, &c->w->f))
		return 0;
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

/* flows --end: end the flows of the filter on one interface, under its
 * lock (a reload at the same moment ends flows too). */
static void end_flows(struct walk *w, const struct pc_maps *m,
		      const char *netns, const char *ifname)
{
	int lock = pc_iface_lock_pinned(netns, ifname);
	long n;

	if (lock == -2) {
		w->err = PC_EXIT_STATE;
		return;
	}
	n = pc_flows_end(m, flow_matches, &w->f);
	pc_iface_unlock(lock);
	if (n < 0) {
		pc_err("run with -v", "ending flows on %s failed: %s", ifname,
		       strerror(errno));
		w->err = PC_EXIT_KERNEL;
		return;
	}
	if (w->arr)
		json_array_append_new(w->arr,
				      json_pack("{s:s, s:s, s:I}", "netns",
						netns, "iface", ifname, "ended",
						(json_int_t)n));
	else
		printf("%s (netns %s): ended %ld flows\n", ifname, netns, n);
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
		w->err = PC_EXIT_KERNEL;
		return 0;
	}
	if (w->o->rule) {
		w->f.rule_id = pc_rule_id_by_name(&m, w->o->rule);
		if (!w->f.rule_id) {
			pc_err("'portcullis stats' lists the rules",
			       "%s (netns %s) has no rule '%s'", ifname, netns,
			       w->o->rule);
			w->err = PC_EXIT_USAGE;
			pc_maps_close(&m);
			return 0;
		}
	}
	if (w->o->end) {
		end_flows(w, &m, netns, ifname);
		pc_maps_close(&m);
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
	struct walk w = { .o = o, .f.has_rule = o->rule != NULL };

	if (o->to) {
		if (pc_prefix_parse(o->to, &w.f.to)) {
			pc_err("for example: --to 203.0.113.9 or --to 2001:db8::/32",
			       "--to: '%s' is not an address or prefix", o->to);
			return PC_EXIT_USAGE;
		}
		w.f.has_to = true;
	}
	if (o->json)
		w.arr = json_array();
	pc_for_each_iface(o->netns, o->ifname, flows_one, &w);
	if (o->json) {
		json_dumpf(w.arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(w.arr);
	}
	return w.err;
}
