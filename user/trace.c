// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "portcullis.skel.h"
#include "common.h"
#include "counters.h"
#include "netns.h"
#include "packet.h"
#include "pins.h"
#include "trace.h"

struct portcullis *pc_trace_load(pc_map_fd_fn fd_of, void *arg)
{
	struct portcullis *t = portcullis__open();
	struct bpf_map *map;

	if (!t)
		return NULL;
	t->rodata->dry_run = true;
	bpf_object__for_each_map (map, t->obj) {
		const char *name = pc_map_pin_name(map);
		int fd;

		if (!name)
			continue;
		fd = fd_of(name, arg);
		/* pinned by an older up: the dry run reads its own clock */
		if (fd < 0 && bpf_map__is_internal(map))
			continue;
		if (fd < 0 || bpf_map__reuse_fd(map, fd)) {
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		close(fd); /* reuse_fd took its own copy */
	}
	/* No timers and no re-judging in the dry run. */
	bpf_program__set_autoload(t->progs.pc_gc_arm, false);
	bpf_program__set_autoload(t->progs.pc_confirm_arm, false);
	bpf_program__set_autoload(t->progs.pc_confirm_keep, false);
	bpf_program__set_autoload(t->progs.pc_rejudge, false);
	bpf_program__set_autoload(t->progs.pc_dns_snoop_reply, false);
	bpf_program__set_autoload(t->progs.pc_dns_snoop_query, false);
	if (portcullis__load(t))
		goto fail;
	return t;
fail:
	portcullis__destroy(t);
	return NULL;
}

int pc_trace_run(struct portcullis *t, bool egress, const void *frame,
		 size_t len, struct pc_trace *out, int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	struct pc_trace reset = { .flow_state = PC_FS_MAX };
	int tfd = bpf_map__fd(t->maps.trace);
	__u32 zero = 0;
	int prog = bpf_program__fd(egress ? t->progs.pc_egress :
					    t->progs.pc_ingress);

	if (bpf_map_update_elem(tfd, &zero, &reset, BPF_ANY))
		return -1;
	if (bpf_prog_test_run_opts(prog, &opts))
		return -1;
	*retval = opts.retval;
	return bpf_map_lookup_elem(tfd, &zero, out);
}

void pc_trace_close(struct portcullis *t)
{
	portcullis__destroy(t);
}

/* ---- the command ---- */

static int pinned_fd(const char *name, void *arg)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", (const char *)arg, name);
	return bpf_obj_get(path);
}

static int parse_flags(const char *s, uint8_t *out)
{
	static const char letters[] = "FSRPAU";

	*out = 0;
	for (; *s; s++) {
		const char *at = strchr(letters, *s);

		if (!at)
			return -1;
		*out |= 1 << (at - letters);
	}
	return 0;
}

static int parse_packet_args(int argc, char **argv, struct pkt_spec *s,
			     bool *egress)
{
	memset(s, 0, sizeof(*s));
	s->proto = IPPROTO_TCP;
	s->tcp_flags = 0x02;
	*egress = false;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "in") || !strcmp(k, "out")) {
			*egress = k[0] == 'o';
			continue;
		}
		if (!strcmp(k, "tcp") || !strcmp(k, "udp") ||
		    !strcmp(k, "icmp")) {
			s->proto = k[0] == 't' ? IPPROTO_TCP :
				   k[0] == 'u' ? IPPROTO_UDP :
						 IPPROTO_ICMP;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(k, "from"))
			s->src = v;
		else if (!strcmp(k, "to"))
			s->dst = v;
		else if (!strcmp(k, "sport"))
			s->sport = atoi(v);
		else if (!strcmp(k, "dport"))
			s->dport = atoi(v);
		else if (!strcmp(k, "flags")) {
			if (parse_flags(v, &s->tcp_flags))
				return -1;
		} else if (!strcmp(k, "type"))
			s->icmp_type = atoi(v);
		else if (!strcmp(k, "id"))
			s->icmp_id = atoi(v);
		else
			return -1;
	}
	if (!s->src || !s->dst)
		return -1;
	s->family = strchr(s->src, ':') ? AF_INET6 : AF_INET;
	if (s->proto == IPPROTO_ICMP && s->family == AF_INET6)
		s->proto = IPPROTO_ICMPV6;
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		if (!s->icmp_type && !s->icmp_id)
			s->icmp_type = s->family == AF_INET ? 8 : 128;
	}
	return 0;
}

static const char *state_name(__u32 st)
{
#define PC_FLOW_STATE_NAME(e, name) [e] = name,
	static const char *const names[PC_FS_MAX] = { PC_FLOW_STATES(
		PC_FLOW_STATE_NAME) };
#undef PC_FLOW_STATE_NAME
	return st < PC_FS_MAX ? names[st] : "none";
}

/* Seconds from the packet to the flow's deadline (negative: past it). */
static double flow_left_s(const struct pc_trace *tr)
{
	return tr->flow_left_ns / 1e9;
}

static void print_trace_json(const struct pc_trace *tr, const char *rule)
{
	/* flow: the live flow's state or "none"; an entry past its deadline
	 * is none, with flow_expired set */
	bool found = tr->flow_state < PC_FS_MAX;
	bool expired = found && tr->flow_expired;
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "verdict",
		pc_act_str(tr->action), "reason", pc_reason_names[tr->reason],
		"description", pc_reason_descs[tr->reason], "rule", rule,
		"flow", expired ? "none" : state_name(tr->flow_state),
		"flow_expired", expired, "audit",
		tr->action == PC_ACT_PASS && (PC_DROP_MASK >> tr->reason) & 1);

	json_object_set_new(j, "flow_expires_in_s",
			    found ? json_real(flow_left_s(tr)) : json_null());
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
}

static void print_trace(const struct pc_trace *tr, const char *rule)
{
	printf("verdict: %s%s\n", tr->action == PC_ACT_DROP ? "DROP" : "PASS",
	       tr->action == PC_ACT_PASS && (PC_DROP_MASK >> tr->reason) & 1 ?
		       " (audit mode: would drop)" :
		       "");
	printf("reason:  %s (%s)\n", pc_reason_names[tr->reason],
	       pc_reason_descs[tr->reason]);
	printf("rule:    %s\n", rule);
	if (tr->flow_state >= PC_FS_MAX)
		printf("flow:    none\n");
	else if (tr->flow_expired)
		printf("flow:    none (an entry, %s, expired %.0f s ago)\n",
		       state_name(tr->flow_state), -flow_left_s(tr));
	else
		printf("flow:    %s, expires in %.0f s\n",
		       state_name(tr->flow_state), flow_left_s(tr));
}

static const char usage_trace[] =
	"usage: portcullis trace --iface IF [--netns NAME] [--json] in|out\n"
	"         [tcp|udp|icmp] from ADDR to ADDR [sport N] [dport N]\n"
	"         [flags S|SA|A|F|R|...] [type N] [id N]\n"
	"  e.g. portcullis trace --iface eth0 in tcp from 203.0.113.9 to 192.0.2.1 dport 80\n";

int pc_cmd_trace(const struct pc_trace_opts *o)
{
	struct pc_rule_meta meta = {};
	struct portcullis *t;
	struct pc_trace tr;
	struct pkt_spec s;
	uint8_t frame[PKT_MAX];
	char dir[PC_DIR_MAX];
	const char *rule = "-";
	bool egress;
	size_t len;
	int rv, fd;

	if (parse_packet_args(o->argc, o->argv, &s, &egress)) {
		fputs(usage_trace, stderr);
		return PC_EXIT_USAGE;
	}
	if (pc_netns_enter(o->netns)) /* socket lookups see that netns */
		return PC_EXIT_ERROR;
	pc_pin_dir(dir, sizeof(dir), o->netns, o->ifname);
	t = pc_trace_load(pinned_fd, dir);
	if (!t) {
		pc_err("is it up? see 'portcullis status'; -v shows libbpf's log",
		       "loading the dry-run programs on the maps of %s failed",
		       dir);
		return access(dir, F_OK) ? PC_EXIT_STATE : PC_EXIT_KERNEL;
	}
	len = pkt_build(&s, frame, sizeof(frame));
	if (pc_trace_run(t, egress, frame, len, &tr, &rv)) {
		pc_err(NULL,
		       "running the packet through the programs failed: %s",
		       strerror(errno));
		pc_trace_close(t);
		return PC_EXIT_KERNEL;
	}
	pc_trace_close(t);
	fd = pinned_fd("rules", dir);
	if (tr.rule_id && fd >= 0 &&
	    !bpf_map_lookup_elem(fd, &tr.rule_id, &meta) && meta.slots) {
		meta.name[PC_NAME_LEN - 1] = '\0';
		rule = meta.name;
	}
	if (fd >= 0)
		close(fd);
	if (tr.reason >= PC_R_MAX)
		tr.reason = PC_R_NONE;
	if (o->json)
		print_trace_json(&tr, rule);
	else
		print_trace(&tr, rule);
	return PC_EXIT_OK;
}
