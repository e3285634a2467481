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
#include "apply.h"
#include "flowtab.h"
#include "common.h"
#include "names.h"

static const struct {
	unsigned int bit;
	__u8 proto;
} proto_bits[] = {
	{ PC_PROTO_TCP, IPPROTO_TCP },
	{ PC_PROTO_UDP, IPPROTO_UDP },
	{ PC_PROTO_ICMP, 0 }, /* per family: ICMP or ICMPv6 */
};

/* Called for every allowlist entry a rule expands to. */
typedef int (*entry_fn)(const struct pc_prefix *pfx, __u8 proto, __u16 port,
			__u32 rule_id, void *arg);

/*
 * A rule that names hosts has its listed addresses as seeds: they go to
 * dyn_allow (names.c) until the resolver's first good answer replaces them,
 * not to the static allowlist. Prefixes wider than one address stay static.
 */
bool pc_rule_seed(const struct pc_rule *r, const struct pc_prefix *p)
{
	return (r->n_hosts || r->n_srv) &&
	       p->len == (p->family == AF_INET ? 32u : 128u);
}

static int rule_each_prefix(const struct pc_policy *pol,
			    const struct pc_rule *r, __u32 rule_id, entry_fn fn,
			    void *arg)
{
	size_t n_pfx = r->n_to + (r->to_resolvers ? pol->n_resolvers : 0);

	for (size_t i = 0; i < n_pfx; i++) {
		const struct pc_prefix *p =
			i < r->n_to ? &r->to[i] : &pol->resolvers[i - r->n_to];

		if (i < r->n_to && pc_rule_seed(r, p))
			continue;

		for (size_t b = 0; b < PC_ARRAY_SIZE(proto_bits); b++) {
			__u8 proto = proto_bits[b].proto;

			if (!(r->protos & proto_bits[b].bit))
				continue;
			if (!proto) {
				proto = p->family == AF_INET ? IPPROTO_ICMP :
							       IPPROTO_ICMPV6;
				if (fn(p, proto, 0, rule_id, arg))
					return -1;
				continue;
			}
			if (!r->n_ports && fn(p, proto, 0, rule_id, arg))
				return -1;
			for (size_t k = 0; k < r->n_ports; k++)
				for (__u32 port = r->ports[k].lo;
				     port <= r->ports[k].hi; port++)
					if (fn(p, proto, port, rule_id, arg))
						return -1;
		}
	}
	return 0;
}

static int count_entry(const struct pc_prefix *pfx, __u8 proto, __u16 port,
		       __u32 rule_id, void *arg)
{
	size_t *n = arg;

	(void)proto, (void)port, (void)rule_id;
	n[pfx->family == AF_INET ? 0 : 1]++;
	return 0;
}

int pc_policy_count_entries(const struct pc_policy *pol, size_t *n4, size_t *n6)
{
	size_t n[2] = { 0, 0 };

	for (size_t i = 0; i < pol->n_rules; i++)
		if (pol->rules[i].enabled)
			rule_each_prefix(pol, &pol->rules[i], 0, count_entry,
					 n);
	*n4 = n[0];
	*n6 = n[1];
	return 0;
}

struct insert_arg {
	const struct pc_maps *m;
	__u8 slot;
	/* PC_CFG_ANYPORT_* and PC_CFG_NAMES_ANYPORT_*: port-0 entries or
	 * host-name rules for any port; PC_CFG_PREFIXES4/6: egress entries
	 * wider than one address written */
	__u32 flags;
	/* allow_ports entries of the slot (TCP, then UDP) for egress entries,
	 * whose one-address ones go to allow_hosts too; NULL for ssh.from */
	struct pc_port_bits *ports;
};

/*
 * Mark a (protocol, port) a rule names: an exact port in ia's bitmap of
 * listed addresses or of host names (learned), port 0 (any) as the slot
 * flag of its protocol and kind.
 */
static void port_mark(struct insert_arg *ia, __u8 proto, __u16 port,
		      bool learned)
{
	int udp = proto == IPPROTO_UDP;
	struct pc_port_bits *w;

	if (proto != IPPROTO_TCP && !udp)
		return;
	if (!port) {
		ia->flags |= pc_anyport_flag(udp, learned);
		return;
	}
	w = &ia->ports[udp * PC_PORT_WORDS + port / 64];
	if (learned)
		w->learned |= 1ULL << (port % 64);
	else
		w->listed |= 1ULL << (port % 64);
}

/* The ports of the slot's host-name rules, then all words of the slot. */
static int write_ports(struct insert_arg *ia, const struct pc_policy *pol)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct pc_rule *r = &pol->rules[i];
		struct pc_dns_name v;

		if (!r->enabled || !(r->n_hosts + r->n_srv))
			continue;
		pc_rule_pairs(r, &v);
		for (int p = 0; p < v.n_ports; p++)
			port_mark(ia, v.proto[p], ntohs(v.port[p]), true);
	}
	for (__u32 i = 0; i < 2 * PC_PORT_WORDS; i++) {
		__u32 key = pc_port_word(ia->slot, i >= PC_PORT_WORDS,
					 (i % PC_PORT_WORDS) * 64);

		if (bpf_map_update_elem(ia->m->allow_ports, &key, &ia->ports[i],
					BPF_ANY))
			return -1;
	}
	return 0;
}

/* Write one allowlist key: to the trie, and when it is an egress entry of
 * one address, to the host hash too. */
static int write_entry(const struct insert_arg *ia, int trie, int hosts,
		       const void *key, bool host, const struct pc_allow_val *v)
{
	if (bpf_map_update_elem(trie, key, v, BPF_ANY))
		return -1;
	if (ia->ports && host)
		return bpf_map_update_elem(hosts, key, v, BPF_ANY);
	return 0;
}

static int insert_entry(const struct pc_prefix *pfx, __u8 proto, __u16 port,
			__u32 rule_id, void *arg)
{
	struct insert_arg *ia = arg;
	struct pc_allow_val v = { .rule_id = rule_id };
	int err;

	if (ia->ports)
		port_mark(ia, proto, port, false);

	if (pfx->family == AF_INET) {
		struct pc_allow4_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + pfx->len,
			.slot = ia->slot,
			.proto = proto,
			.port = htons(port),
		};
		memcpy(&k.addr, pfx->addr, 4);
		if (ia->ports && pfx->len < 32)
			ia->flags |= PC_CFG_PREFIXES4;
		err = write_entry(ia, ia->m->allow4, ia->m->allow_hosts4, &k,
				  pfx->len == 32, &v);
	} else {
		struct pc_allow6_key k = {
			.prefixlen = PC_ALLOW_HDR_BITS + pfx->len,
			.slot = ia->slot,
			.proto = proto,
			.port = htons(port),
		};
		memcpy(k.addr, pfx->addr, 16);
		if (ia->ports && pfx->len < 128)
			ia->flags |= PC_CFG_PREFIXES6;
		err = write_entry(ia, ia->m->allow6, ia->m->allow_hosts6, &k,
				  pfx->len == 128, &v);
	}
	if (err) {
		char buf[64];

		pc_prefix_str(pfx, buf, sizeof(buf));
		pc_err("the allowlist holds at most "
		       "262144 entries per family; use prefixes or fewer ports",
		       "adding allowlist entry %s proto %u port %u failed: %s",
		       buf, proto, port, strerror(errno));
		return -1;
	}
	return 0;
}

/* Delete every allowlist entry of one slot (the inactive one). */
static int clear_slot(int fd, size_t key_size, __u8 slot)
{
	unsigned char key[32], next[32];
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while iterating an LPM trie restarts. */
	size_t n = 0, cap = 0;
	unsigned char *del = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		/* slot is the first byte after the 4-byte prefixlen; the
		 * SSH source entries of the slot go with it */
		if ((key[4] & ~PC_SLOT_SSH_FROM) != slot)
			continue;
		if (n == cap) {
			unsigned char *d;

			cap = cap ? cap * 2 : 256;
			d = realloc(del, cap * key_size);
			if (!d) {
				free(del);
				return -1;
			}
			del = d;
		}
		memcpy(del + n++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, del + i * key_size))
			err = -1;
	free(del);
	return err;
}

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
	struct insert_arg ia = { .m = m };
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
	ia.ports = calloc(2 * PC_PORT_WORDS, sizeof(*ia.ports));
	if (!ia.ports)
		return -1;
	slot = act.generation ? !act.slot : 0;
	ia.slot = slot;

	/* 1. Build the new policy in the inactive slot. */
	if (write_rules(m, pol, slot, carried)) {
		pc_err("remove rules from the policy",
		       "assigning rule ids failed: more than %d named rules in this and the running policy (with those whose flows still run)",
		       PC_MAX_RULES - 1);
		free(ia.ports);
		return -1;
	}
	if (clear_slot(m->allow4, sizeof(struct pc_allow4_key), slot) ||
	    clear_slot(m->allow6, sizeof(struct pc_allow6_key), slot) ||
	    clear_slot(m->allow_hosts4, sizeof(struct pc_allow4_key), slot) ||
	    clear_slot(m->allow_hosts6, sizeof(struct pc_allow6_key), slot))
		goto fail;
	for (size_t i = 0; i < pol->n_rules; i++) {
		if (!pol->rules[i].enabled)
			continue;
		if (rule_each_prefix(pol, &pol->rules[i], pol->rules[i].id,
				     insert_entry, &ia))
			goto fail;
	}
	if (write_ports(&ia, pol))
		goto fail;
	cfg.flags = ia.flags; /* before ssh.from adds its own entries */
	free(ia.ports);
	ia.ports = NULL; /* ssh.from entries are ingress: no egress port */
	ia.slot = slot | PC_SLOT_SSH_FROM;
	for (size_t i = 0; i < pol->n_ssh_from; i++)
		if (insert_entry(&pol->ssh_from[i], IPPROTO_TCP, 0, 0, &ia))
			goto fail;
	ia.slot = slot;
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
	free(ia.ports);
	return -1;
}
