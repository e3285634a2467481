// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One slot's egress allowlist and SSH sources (allowlist.h): the rules
 * expanded to entries, written to the tries, the host hashes and the port
 * bitmap, and the slot cleared before, each in batches of
 * PC_ALLOW_BATCH entries a system call (one call an entry took seconds for
 * a list of 100k addresses on a VM, where a system call is dear).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "allowlist.h"
#include "common.h"
#include "names.h"

/* Entries per BPF_MAP_*_BATCH call. */
#define PC_ALLOW_BATCH 4096

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

/* Keys waiting for one map's batched update (all with one value each). */
struct pending {
	int fd;
	size_t key_size, n;
	unsigned char keys[PC_ALLOW_BATCH * sizeof(struct pc_allow6_key)];
	struct pc_allow_val vals[PC_ALLOW_BATCH];
};

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
	/* allow4, allow_hosts4, allow6, allow_hosts6 */
	struct pending *out[4];
};

/* What entry key (of a pending of key_size) is, for an error. */
static void entry_str(const void *key, size_t key_size, char *buf, size_t len)
{
	struct pc_prefix p = { .family = AF_INET };
	char pfx[64];
	__u8 proto;
	__be16 port;

	if (key_size == sizeof(struct pc_allow4_key)) {
		const struct pc_allow4_key *k = key;

		p.len = k->prefixlen - PC_ALLOW_HDR_BITS;
		memcpy(p.addr, &k->addr, 4);
		proto = k->proto;
		port = k->port;
	} else {
		const struct pc_allow6_key *k = key;

		p.family = AF_INET6;
		p.len = k->prefixlen - PC_ALLOW_HDR_BITS;
		memcpy(p.addr, k->addr, 16);
		proto = k->proto;
		port = k->port;
	}
	pc_prefix_str(&p, pfx, sizeof(pfx));
	snprintf(buf, len, "%s proto %u port %u", pfx, proto, ntohs(port));
}

/* Write what p holds (BPF_MAP_UPDATE_BATCH); says which entry failed. */
static int flush(struct pending *p)
{
	__u32 count = p->n;
	char what[96];

	if (!p->n)
		return 0;
	if (!bpf_map_update_batch(p->fd, p->keys, p->vals, &count, NULL)) {
		p->n = 0;
		return 0;
	}
	entry_str(p->keys + (count < p->n ? count : 0) * p->key_size,
		  p->key_size, what, sizeof(what));
	pc_err("the allowlist holds at most "
	       "262144 entries per family; use prefixes or fewer ports",
	       "adding allowlist entry %s failed: %s", what, strerror(errno));
	return -1;
}

static int add(struct pending *p, const void *key, __u32 rule_id)
{
	memcpy(p->keys + p->n * p->key_size, key, p->key_size);
	p->vals[p->n++] = (struct pc_allow_val){ .rule_id = rule_id };
	return p->n == PC_ALLOW_BATCH ? flush(p) : 0;
}

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
	__u32 keys[2 * PC_PORT_WORDS], count = 2 * PC_PORT_WORDS;

	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct pc_rule *r = &pol->rules[i];
		struct pc_dns_name v;

		if (!r->enabled || !(r->n_hosts + r->n_srv))
			continue;
		pc_rule_pairs(r, &v);
		for (int p = 0; p < v.n_ports; p++)
			port_mark(ia, v.proto[p], ntohs(v.port[p]), true);
	}
	for (__u32 i = 0; i < 2 * PC_PORT_WORDS; i++)
		keys[i] = pc_port_word(ia->slot, i >= PC_PORT_WORDS,
				       (i % PC_PORT_WORDS) * 64);
	return bpf_map_update_batch(ia->m->allow_ports, keys, ia->ports, &count,
				    NULL);
}

/* One entry: to the trie, and when it is an egress entry of one address,
 * to the host hash too. */
static int insert_entry(const struct pc_prefix *pfx, __u8 proto, __u16 port,
			__u32 rule_id, void *arg)
{
	struct insert_arg *ia = arg;
	int v6 = pfx->family == AF_INET6, host;
	union {
		struct pc_allow4_key k4;
		struct pc_allow6_key k6;
	} k = {};

	if (ia->ports)
		port_mark(ia, proto, port, false);
	if (!v6) {
		k.k4 = (struct pc_allow4_key){
			.prefixlen = PC_ALLOW_HDR_BITS + pfx->len,
			.slot = ia->slot,
			.proto = proto,
			.port = htons(port),
		};
		memcpy(&k.k4.addr, pfx->addr, 4);
		host = pfx->len == 32;
	} else {
		k.k6 = (struct pc_allow6_key){
			.prefixlen = PC_ALLOW_HDR_BITS + pfx->len,
			.slot = ia->slot,
			.proto = proto,
			.port = htons(port),
		};
		memcpy(k.k6.addr, pfx->addr, 16);
		host = pfx->len == 128;
	}
	if (ia->ports && !host)
		ia->flags |= v6 ? PC_CFG_PREFIXES6 : PC_CFG_PREFIXES4;
	if (add(ia->out[v6 * 2], &k, rule_id))
		return -1;
	return ia->ports && host ? add(ia->out[v6 * 2 + 1], &k, rule_id) : 0;
}

/*
 * Delete every entry of one slot (the inactive one) from one map, an LPM
 * trie or a host hash: the keys are read in batches (a trie's batch
 * position is a key, a hash's a bucket number), then deleted in batches.
 */
static int clear_slot(int fd, size_t key_size, __u8 slot)
{
	/* zeroed: valgrind does not know the batch calls fill them */
	unsigned char *keys = calloc(PC_ALLOW_BATCH, key_size), *del = NULL;
	struct pc_allow_val *vals = calloc(PC_ALLOW_BATCH, sizeof(*vals));
	unsigned char pos[sizeof(struct pc_allow6_key)], next[sizeof(pos)];
	size_t n = 0, cap = 0;
	void *in = NULL;
	int err = !keys || !vals ? -1 : 0, end = 0;

	while (!err && !end) {
		__u32 got = PC_ALLOW_BATCH;

		if (bpf_map_lookup_batch(fd, in, next, keys, vals, &got,
					 NULL)) {
			if (errno != ENOENT) {
				err = -1;
				break;
			}
			end = 1; /* the last entries, if any, are in keys */
		}
		for (__u32 i = 0; i < got; i++) {
			const unsigned char *key = keys + i * key_size;

			/* slot is the first byte after the 4-byte prefixlen;
			 * the slot's SSH source entries go with it */
			if ((key[4] & ~PC_SLOT_SSH_FROM) != slot)
				continue;
			if (n == cap) {
				unsigned char *d;

				cap = cap ? cap * 2 : 256;
				d = realloc(del, cap * key_size);
				if (!d) {
					err = -1;
					break;
				}
				del = d;
			}
			memcpy(del + n++ * key_size, key, key_size);
		}
		memcpy(pos, next, sizeof(pos));
		in = pos;
	}
	for (size_t i = 0; !err && i < n; i += PC_ALLOW_BATCH) {
		__u32 count = n - i < PC_ALLOW_BATCH ? n - i : PC_ALLOW_BATCH;

		err = bpf_map_delete_batch(fd, del + i * key_size, &count,
					   NULL);
	}
	free(keys);
	free(vals);
	free(del);
	return err;
}

static struct pending *pending_new(int fd, size_t key_size)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p) {
		p->fd = fd;
		p->key_size = key_size;
	}
	return p;
}

/* Every egress entry of pol (and the port bitmap), then ssh.from. */
static int write_all(struct insert_arg *ia, const struct pc_policy *pol,
		     __u8 slot)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		if (!pol->rules[i].enabled)
			continue;
		if (rule_each_prefix(pol, &pol->rules[i], pol->rules[i].id,
				     insert_entry, ia))
			return -1;
	}
	if (write_ports(ia, pol))
		return -1;
	ia->ports = NULL; /* ssh.from entries are ingress: no egress port */
	ia->slot = slot | PC_SLOT_SSH_FROM;
	for (size_t i = 0; i < pol->n_ssh_from; i++)
		if (insert_entry(&pol->ssh_from[i], IPPROTO_TCP, 0, 0, ia))
			return -1;
	for (int i = 0; i < 4; i++)
		if (flush(ia->out[i]))
			return -1;
	return 0;
}

int pc_allow_write(const struct pc_maps *m, const struct pc_policy *pol,
		   __u8 slot, __u32 *flags)
{
	struct pc_port_bits *ports = calloc(2 * PC_PORT_WORDS, sizeof(*ports));
	struct insert_arg ia = {
		.m = m,
		.slot = slot,
		.ports = ports,
		.out = { pending_new(m->allow4, sizeof(struct pc_allow4_key)),
			 pending_new(m->allow_hosts4,
				     sizeof(struct pc_allow4_key)),
			 pending_new(m->allow6, sizeof(struct pc_allow6_key)),
			 pending_new(m->allow_hosts6,
				     sizeof(struct pc_allow6_key)) },
	};
	int err = -1;

	if (!ports || !ia.out[0] || !ia.out[1] || !ia.out[2] || !ia.out[3])
		goto out;
	if (clear_slot(m->allow4, sizeof(struct pc_allow4_key), slot) ||
	    clear_slot(m->allow6, sizeof(struct pc_allow6_key), slot) ||
	    clear_slot(m->allow_hosts4, sizeof(struct pc_allow4_key), slot) ||
	    clear_slot(m->allow_hosts6, sizeof(struct pc_allow6_key), slot))
		goto out;
	err = write_all(&ia, pol, slot);
	*flags = ia.flags;
out:
	free(ports);
	for (int i = 0; i < 4; i++)
		free(ia.out[i]);
	return err;
}
