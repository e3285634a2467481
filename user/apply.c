// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "allowlist.h"
#include "apply.h"
#include "flowtab.h"
#include "common.h"
#include "names.h"

static int zero_counter(int fd, __u32 row)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pc_counter *zero;
	int err;

	if (ncpu < 1)
		return -1;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -1;
	err = bpf_map_update_elem(fd, &row, zero, BPF_ANY);
	free(zero);
	return err;
}

/* FNV-1a (64 bits) of len bytes, continuing from h: a fingerprint. */
static __u64 fnv(__u64 h, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static __u64 fnv_prefixes(__u64 h, const struct pc_prefix *p, size_t n)
{
	h = fnv(h, &n, sizeof(n));
	for (size_t i = 0; i < n; i++) {
		h = fnv(h, &p[i].family, sizeof(p[i].family));
		h = fnv(h, p[i].addr, sizeof(p[i].addr));
		h = fnv(h, &p[i].len, sizeof(p[i].len));
	}
	return h;
}

/* Names compare without case (as name ids do), each with its kind. */
static __u64 fnv_names(__u64 h, char **names, size_t n, char kind)
{
	h = fnv(h, &n, sizeof(n));
	for (size_t i = 0; i < n; i++) {
		h = fnv(h, &kind, 1);
		for (const char *c = names[i]; *c; c++) {
			char l = tolower((unsigned char)*c);

			h = fnv(h, &l, 1);
		}
	}
	return h;
}

/*
 * A fingerprint of what a rule allows: protocols, ports, addresses (the
 * resolvers' as they are now, for `to: resolvers`) and host names. Rules
 * of one name with the same fingerprint allow the same destinations.
 */
static __u64 rule_digest(const struct pc_policy *pol, const struct pc_rule *r)
{
	__u64 h = 0xcbf29ce484222325ULL;

	h = fnv(h, &r->protos, sizeof(r->protos));
	h = fnv(h, &r->n_ports, sizeof(r->n_ports));
	for (size_t i = 0; i < r->n_ports; i++) {
		h = fnv(h, &r->ports[i].lo, sizeof(r->ports[i].lo));
		h = fnv(h, &r->ports[i].hi, sizeof(r->ports[i].hi));
	}
	h = fnv_prefixes(h, r->to, r->n_to);
	if (r->to_resolvers)
		h = fnv_prefixes(h, pol->resolvers, pol->n_resolvers);
	h = fnv_names(h, r->hosts, r->n_hosts, 'h');
	return fnv_names(h, r->srv, r->n_srv, 's');
}

/*
 * Rule ids and names. Each rule's metadata says which slots use it, so the
 * policy in force (and after a rollback, the one before) always has its
 * names. Writing slot `slot`: a name already known keeps its id and its
 * counter; a new name takes an id that no other slot uses and no flow
 * carries (carried[]: a flow counts to its rule's row), and its counter
 * row starts from zero; ids the new policy does not use leave this slot.
 * Only this slot's bit changes: the running policy's view is untouched.
 */
static int write_rules(const struct pc_maps *m, const struct pc_policy *pol,
		       __u8 slot, const bool carried[PC_MAX_RULES])
{
	struct pc_rule_meta meta[PC_MAX_RULES];
	bool mine[PC_MAX_RULES] = { false };
	__u8 bit = 1 << slot, others = 3 & ~bit;
	__u32 next = 1;
	__u64 digest;

	for (__u32 id = 1; id < PC_MAX_RULES; id++)
		if (bpf_map_lookup_elem(m->rules, &id, &meta[id]))
			return -1;
	for (size_t i = 0; i < pol->n_rules; i++) {
		__u32 id = 0;

		pol->rules[i].id = 0;
		pol->rules[i].changed = false;
		if (!pol->rules[i].enabled)
			continue; /* off: no entries, no counter row */
		for (__u32 k = 1; k < PC_MAX_RULES && !id; k++)
			if (meta[k].slots &&
			    !strcmp(meta[k].name, pol->rules[i].name))
				id = k;
		while (!id && next < PC_MAX_RULES) {
			if (!(meta[next].slots & others) && !mine[next] &&
			    !carried[next]) {
				id = next;
				if (zero_counter(m->counters,
						 PC_RULE_BASE + id))
					return -1;
				memset(&meta[id], 0, sizeof(meta[id]));
				snprintf(meta[id].name, sizeof(meta[id].name),
					 "%s", pol->rules[i].name);
				meta[id].direction = PC_DIR_EGRESS;
				meta[id].action = PC_ACT_PASS;
			}
			next++;
		}
		if (!id)
			return -1;
		mine[id] = true;
		pol->rules[i].id = id;
		/* what the running policy's rule of this name allowed */
		digest = rule_digest(pol, &pol->rules[i]);
		pol->rules[i].changed = (meta[id].slots & others) &&
					meta[id].digest[!slot] != digest;
		meta[id].digest[slot] = digest;
	}
	for (__u32 id = 1; id < PC_MAX_RULES; id++) {
		__u8 slots = mine[id] ? meta[id].slots | bit :
					meta[id].slots & ~bit;

		if (slots == meta[id].slots && !mine[id])
			continue;
		meta[id].slots = slots;
		if (bpf_map_update_elem(m->rules, &id, &meta[id], BPF_ANY))
			return -1;
	}
	return 0;
}

/* Copy src into a fixed field, cut if longer; the digest identifies it. */
static void set_field(char *dst, size_t len, const char *src)
{
	memset(dst, 0, len);
	memcpy(dst, src, strnlen(src, len - 1));
}

int pc_info_record_policy(const struct pc_maps *m, const char *path,
			  const char *digest, size_t n_rules)
{
	char real[PATH_MAX];
	struct pc_info info;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->info, &zero, &info))
		return -1;
	memcpy(info.prev_policy_path, info.policy_path, PC_PATH_LEN);
	memcpy(info.prev_policy_digest, info.policy_digest, PC_DIGEST_LEN);
	if (!path)
		path = "(built-in default)";
	else if (realpath(path, real))
		path = real;
	set_field(info.policy_path, sizeof(info.policy_path), path);
	set_field(info.policy_digest, sizeof(info.policy_digest), digest);
	info.n_rules = n_rules;
	info.loaded_at = time(NULL);
	return bpf_map_update_elem(m->info, &zero, &info, BPF_ANY);
}

/*
 * After the switch: end the flows of rules the policy in force does not
 * have (removed, renamed, turned off). Returns how many, or -1.
 */
static long end_gone_flows(const struct pc_maps *m, const struct pc_policy *pol)
{
	bool keep[PC_MAX_RULES] = { false };

	for (size_t i = 0; i < pol->n_rules; i++)
		if (pol->rules[i].id && pol->rules[i].id < PC_MAX_RULES)
			keep[pol->rules[i].id] = true;
	return pc_flows_end_rules(m, keep);
}

size_t pc_policy_changed(const struct pc_policy *pol,
			 bool changed[PC_MAX_RULES])
{
	size_t n = 0;

	memset(changed, 0, PC_MAX_RULES * sizeof(*changed));
	for (size_t i = 0; i < pol->n_rules; i++) {
		__u32 id = pol->rules[i].id;

		if (pol->rules[i].changed && id && id < PC_MAX_RULES) {
			changed[id] = true;
			n++;
		}
	}
	return n;
}

int pc_policy_apply(const struct pc_maps *m, const struct pc_policy *pol,
		    long *ended)
{
	struct pc_config cfg = {
		.timeout_tcp_syn_ns = pol->timeout_tcp_syn * 1000000000ULL,
		.timeout_tcp_est_ns = pol->timeout_tcp_est * 1000000000ULL,
		.timeout_tcp_fin_ns = pol->timeout_tcp_fin * 1000000000ULL,
		.timeout_tcp_close_ns = pol->timeout_tcp_close * 1000000000ULL,
		.timeout_udp_ns = pol->timeout_udp * 1000000000ULL,
		.timeout_icmp_ns = pol->timeout_icmp * 1000000000ULL,
	};
	bool carried[PC_MAX_RULES] = { false };
	struct pc_active act, next;
	__u32 zero = 0, slot;
	long n;

	if (pol->n_rules >= PC_MAX_RULES)
		return -1;
	if (bpf_map_lookup_elem(m->active, &zero, &act) ||
	    pc_flows_rule_ids(m, carried)) {
		pc_err("the running policy is unchanged; run with -v",
		       "reading the active slot or the flow tables failed: %s",
		       strerror(errno));
		return -1;
	}
	slot = act.generation ? !act.slot : 0;

	/* 1. Build the new policy in the inactive slot. */
	if (write_rules(m, pol, slot, carried)) {
		pc_err("remove rules from the policy",
		       "assigning rule ids failed: more than %d named rules in this and the running policy (with those whose flows still run)",
		       PC_MAX_RULES - 1);
		return -1;
	}
	if (pc_allow_write(m, pol, slot, &cfg.flags))
		goto fail;
	cfg.flags |= (pol->n_ssh_from ? PC_CFG_SSH_FROM : 0) |
		     (pol->icmp_echo_in ? PC_CFG_ICMP_ECHO_IN : 0) |
		     (pol->dhcp_client ? PC_CFG_DHCP_CLIENT : 0) |
		     (pol->log_drops ? PC_CFG_LOG_DROPS : 0) |
		     (pol->log_new_flows ? PC_CFG_LOG_FLOWS : 0);
	cfg.log_rate = pol->log_rate;
	cfg.log_burst = pol->log_burst;
	cfg.ssh_rate_per_min = pol->ssh_rate_per_min;
	cfg.ssh_burst = pol->ssh_burst;
	cfg.audit_mask = pol->audit_mask;
	for (size_t i = 0; i < pol->n_ssh_ports; i++)
		cfg.ssh_ports[i] = htons(pol->ssh_ports[i]);
	if (bpf_map_update_elem(m->policy_cfg, &slot, &cfg, BPF_ANY))
		goto fail;

	/* 2. Switch: one 8-byte value, read once per packet. */
	next.slot = slot;
	next.generation = act.generation + 1;
	if (bpf_map_update_elem(m->active, &zero, &next, BPF_ANY))
		goto fail;

	/* 3. The flows of rules it does not have end with the switch. */
	n = end_gone_flows(m, pol);
	if (n < 0)
		pc_warn("ending the flows of removed rules failed: %s; they run until idle",
			strerror(errno));
	if (ended)
		*ended = n > 0 ? n : 0;
	return 0;
fail:
	pc_err("the running policy is unchanged",
	       "writing the new policy into the maps failed: %s",
	       strerror(errno));
	return -1;
}
