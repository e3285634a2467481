// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "format.h"
#include "allowlist.h"
#include "names.h"

uint32_t pc_dns_name_hash(const char *name)
{
	uint32_t h = 2166136261u;
	const char *label = name;

	while (*label) {
		const char *dot = strchr(label, '.');
		size_t n = dot ? (size_t)(dot - label) : strlen(label);

		h = (h ^ (uint8_t)n) * 16777619u;
		for (size_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)tolower((unsigned char)label[i])) *
			    16777619u;
		if (!dot)
			break;
		label = dot + 1;
	}
	return (h ^ 0) * 16777619u; /* the root label */
}

/* The (protocol, port) pairs a learned address of rule r opens. */
void pc_rule_pairs(const struct pc_rule *r, struct pc_dns_name *v)
{
	static const struct {
		unsigned int bit;
		__u8 proto;
	} protos[] = { { PC_PROTO_TCP, IPPROTO_TCP },
		       { PC_PROTO_UDP, IPPROTO_UDP } };

	v->n_ports = 0;
	for (size_t p = 0; p < PC_ARRAY_SIZE(protos); p++) {
		if (!(r->protos & protos[p].bit))
			continue;
		if (!r->n_ports && v->n_ports < PC_MAX_RULE_PORTS) {
			v->proto[v->n_ports] = protos[p].proto;
			v->port[v->n_ports++] = 0;
		}
		for (size_t i = 0; i < r->n_ports; i++)
			for (__u32 port = r->ports[i].lo;
			     port <= r->ports[i].hi &&
			     v->n_ports < PC_MAX_RULE_PORTS;
			     port++) {
				v->proto[v->n_ports] = protos[p].proto;
				v->port[v->n_ports++] = htons(port);
			}
	}
	if ((r->protos & PC_PROTO_ICMP) && v->n_ports < PC_MAX_RULE_PORTS) {
		/* ICMP and ICMPv6 both: the address family decides */
		v->proto[v->n_ports] = IPPROTO_ICMP;
		v->port[v->n_ports++] = 0;
	}
}

int pc_dyn_walk(int fd, pc_dyn_fn fn, void *arg)
{
	struct pc_dyn_key key, next, *del = NULL;
	struct pc_dyn_val v;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		int what;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		what = fn(&key, &v, arg);
		if (what == PC_DYN_UPDATE &&
		    bpf_map_update_elem(fd, &key, &v, BPF_EXIST))
			err = -1;
		if (what != PC_DYN_DELETE)
			continue;
		if (n == cap) {
			struct pc_dyn_key *d;

			cap = cap ? cap * 2 : 64;
			d = realloc(del, cap * sizeof(*d));
			if (!d) {
				err = -1;
				break;
			}
			del = d;
		}
		del[n++] = key;
	}
	/* after the walk: deleting during it would restart the iteration */
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &del[i]);
	free(del);
	return err;
}

struct kept {
	const bool *name, *rule;
};

static int gone(const struct pc_dyn_key *k, struct pc_dyn_val *v, void *arg)
{
	const struct kept *kept = arg;

	(void)k;
	return v->name_id < PC_MAX_NAMES && kept->name[v->name_id] &&
			       v->rule_id < PC_MAX_RULES &&
			       kept->rule[v->rule_id] ?
		       PC_DYN_KEEP :
		       PC_DYN_DELETE;
}

/* Forget learned addresses of names or rules that are gone. */
static void purge_dyn(const struct pc_maps *m, const bool *name_kept,
		      const bool *rule_kept)
{
	struct kept kept = { name_kept, rule_kept };

	pc_dyn_walk(m->dyn_allow, gone, &kept);
}

/* The id for (name, rule): the one it had, or a free one. */
static __u32 name_id(struct pc_name_info *old, const bool *kept,
		     const char *name, __u32 rule_id)
{
	for (__u32 i = 0; i < PC_MAX_NAMES; i++)
		if (old[i].used && old[i].rule_id == rule_id &&
		    !strcasecmp(old[i].name, name))
			return i;
	for (__u32 i = 0; i < PC_MAX_NAMES; i++)
		if (!old[i].used && !kept[i])
			return i;
	return PC_MAX_NAMES;
}

int pc_dyn_put(int fd, const struct pc_dns_name *v, __u8 family,
	       const void *addr, const struct pc_dyn_val *val, __u64 flags)
{
	struct pc_dyn_key k = { .family = family };

	memcpy(k.addr, addr, 16);
	for (int p = 0; p < v->n_ports; p++) {
		k.proto = v->proto[p];
		if (k.proto == IPPROTO_ICMP && family == AF_INET6)
			k.proto = IPPROTO_ICMPV6;
		k.port = v->port[p];
		if (bpf_map_update_elem(fd, &k, val, flags) && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* Seed addresses of a rule that names hosts (see pc_rule_seed). */
static int write_seeds(const struct pc_maps *m, const struct pc_rule *r,
		       const struct pc_dns_name *v)
{
	struct pc_dyn_val val = { .expires_ns = ~0ULL,
				  .rule_id = v->rule_id,
				  .name_id = v->name_id,
				  .source = PC_SRC_SEEDED };

	for (size_t i = 0; i < r->n_to; i++) {
		if (pc_rule_seed(r, &r->to[i]) &&
		    pc_dyn_put(m->dyn_allow, v, r->to[i].family, r->to[i].addr,
			       &val, BPF_NOEXIST))
			return -1;
	}
	return 0;
}

int pc_names_apply(const struct pc_maps *m, const struct pc_policy *pol)
{
	struct pc_name_info old[PC_MAX_NAMES];
	bool kept[PC_MAX_NAMES] = { false },
	     rule_kept[PC_MAX_RULES] = { false };

	for (__u32 id = 0; id < PC_MAX_NAMES; id++)
		if (bpf_map_lookup_elem(m->names, &id, &old[id]))
			return -1;
	for (size_t r = 0; r < pol->n_rules; r++) {
		const struct pc_rule *rule = &pol->rules[r];
		size_t n_names = rule->n_hosts + rule->n_srv;

		if (!rule->enabled)
			continue;
		rule_kept[rule->id] = true;
		for (size_t h = 0; h < n_names; h++) {
			bool srv = h >= rule->n_hosts;
			const char *name = srv ? rule->srv[h - rule->n_hosts] :
						 rule->hosts[h];
			struct pc_dns_name v = {
				.rule_id = rule->id,
				.ttl_floor = pol->name_ttl_floor,
				.ttl_ceiling = pol->name_ttl_ceiling,
			};
			__u32 id = name_id(old, kept, name, rule->id), hash;

			if (id == PC_MAX_NAMES) {
				pc_err("name fewer hosts",
				       "more than %d host names", PC_MAX_NAMES);
				return -1;
			}
			if (!old[id].used || old[id].rule_id != rule->id) {
				memset(&old[id], 0, sizeof(old[id]));
				snprintf(old[id].name, sizeof(old[id].name),
					 "%s", name);
				old[id].rule_id = rule->id;
				old[id].used = 1;
			}
			old[id].is_srv = srv;
			kept[id] = true;
			v.name_id = id;
			pc_rule_pairs(rule, &v);
			hash = pc_dns_name_hash(name);
			if (bpf_map_update_elem(m->names, &id, &old[id],
						BPF_ANY) ||
			    bpf_map_update_elem(m->dns_names, &hash, &v,
						BPF_ANY))
				return -1;
			/* seeds, under the rule's first name, until an answer */
			if (h == 0 && !old[id].last_ok &&
			    write_seeds(m, rule, &v))
				return -1;
		}
	}
	/* Names that went away: no more learning, no more addresses. */
	for (__u32 id = 0; id < PC_MAX_NAMES; id++) {
		struct pc_name_info none = {};
		__u32 hash;

		if (!old[id].used || kept[id])
			continue;
		hash = pc_dns_name_hash(old[id].name);
		bpf_map_delete_elem(m->dns_names, &hash);
		bpf_map_update_elem(m->names, &id, &none, BPF_ANY);
	}
	purge_dyn(m, kept, rule_kept);
	return 0;
}

/* ---- portcullis names ---- */

struct walk {
	const struct pc_show_opts *o;
	json_t *arr;
	int count;
};

static const char *source_name(__u8 s)
{
	return s == PC_SRC_RESOLVER ? "resolver" :
	       s == PC_SRC_SNOOPED  ? "snooped" :
	       s == PC_SRC_SEEDED   ? "seeded" :
				      "?";
}

struct learned_set {
	struct learned *v;
	size_t n, cap;
};

static int collect(const struct pc_dyn_key *k, struct pc_dyn_val *val,
		   void *arg)
{
	struct learned_set *set = arg;

	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].name_id == val->name_id &&
		    set->v[i].family == k->family &&
		    !memcmp(set->v[i].addr, k->addr, 16))
			return PC_DYN_KEEP;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 32;
		struct learned *nv = realloc(set->v, cap * sizeof(*nv));

		if (!nv)
			return PC_DYN_KEEP; /* this one is left out */
		set->v = nv;
		set->cap = cap;
	}
	set->v[set->n] = (struct learned){ .name_id = val->name_id,
					   .family = k->family,
					   .source = val->source,
					   .expires_ns = val->expires_ns };
	memcpy(set->v[set->n].addr, k->addr, 16);
	set->n++;
	return PC_DYN_KEEP;
}

/* Every learned address, once per (name, address). */
size_t pc_read_learned(int fd, struct learned **out)
{
	struct learned_set set = {};

	pc_dyn_walk(fd, collect, &set);
	*out = set.v;
	return set.n;
}

static void expiry(char *buf, size_t len, __u64 expires, __u64 now)
{
	if (expires == ~0ULL)
		snprintf(buf, len, "never");
	else if (expires <= now)
		snprintf(buf, len, "expired");
	else
		snprintf(buf, len, "%llus",
			 (unsigned long long)(expires - now) / 1000000000ULL);
}

void pc_dns_stats_sum(int fd, struct pc_dns_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pc_dns_stats *per = calloc(ncpu > 0 ? ncpu : 1, sizeof(*per));
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (per && !bpf_map_lookup_elem(fd, &zero, per))
		for (int c = 0; c < ncpu; c++) {
			sum->queries += per[c].queries;
			sum->learned += per[c].learned;
			sum->refused += per[c].refused;
			sum->unmatched += per[c].unmatched;
			sum->split += per[c].split;
		}
	free(per);
}

static int names_one(const char *netns, const char *ifname, const char *dir,
		     void *arg)
{
	struct walk *w = arg;
	struct pc_dns_stats sum;
	struct learned *l = NULL;
	struct pc_maps m;
	__u64 now = pc_clock_now_ns();
	json_t *jnames = json_array();
	size_t nl;

	if (pc_maps_open(dir, &m))
		return 0;
	pc_dns_stats_sum(m.dns_stats, &sum);
	nl = pc_read_learned(m.dyn_allow, &l);
	if (!w->arr)
		printf("%s%s (netns %s): %llu queries seen, %llu addresses learned, %llu refused, %llu unmatched replies, %llu split TCP messages\n%-40s %-18s %-40s %-9s %s\n",
		       w->count++ ? "\n" : "", ifname, netns,
		       (unsigned long long)sum.queries,
		       (unsigned long long)sum.learned,
		       (unsigned long long)sum.refused,
		       (unsigned long long)sum.unmatched,
		       (unsigned long long)sum.split, "NAME", "RULE", "ADDRESS",
		       "SOURCE", "EXPIRES");
	for (__u32 id = 0; id < PC_MAX_NAMES; id++) {
		struct pc_rule_meta meta = {};
		struct pc_name_info ni;
		json_t *addrs = json_array();
		int shown = 0;

		if (bpf_map_lookup_elem(m.names, &id, &ni) || !ni.used)
			continue;
		ni.name[PC_HOSTNAME_LEN - 1] = '\0';
		bpf_map_lookup_elem(m.rules, &ni.rule_id, &meta);
		meta.name[PC_NAME_LEN - 1] = '\0';
		for (size_t i = 0; i < nl; i++) {
			char a[INET6_ADDRSTRLEN], exp[32];

			if (l[i].name_id != id)
				continue;
			inet_ntop(l[i].family, l[i].addr, a, sizeof(a));
			expiry(exp, sizeof(exp), l[i].expires_ns, now);
			json_array_append_new(
				addrs,
				json_pack("{s:s, s:s, s:s}", "address", a,
					  "source", source_name(l[i].source),
					  "expires", exp));
			if (!w->arr)
				printf("%-40s %-18s %-40s %-9s %s\n",
				       shown ? "" : ni.name,
				       shown ? "" : meta.name, a,
				       source_name(l[i].source), exp);
			shown++;
		}
		if (!w->arr && !shown)
			printf("%-40s %-18s %s\n", ni.name, meta.name,
			       "(none learned yet)");
		ni.last_error[sizeof(ni.last_error) - 1] = '\0';
		if (!w->arr && ni.failures)
			printf("%-40s %-18s resolver failing (%u times): %s\n",
			       "", "", ni.failures, ni.last_error);
		json_array_append_new(
			jnames,
			json_pack("{s:s, s:s, s:b, s:o, s:I, s:I, s:i, s:s}",
				  "name", ni.name, "rule", meta.name, "srv",
				  (int)ni.is_srv, "addresses", addrs,
				  "last_ok_unix", (json_int_t)ni.last_ok,
				  "next_refresh_unix",
				  (json_int_t)ni.next_refresh, "failures",
				  (int)ni.failures, "last_error",
				  ni.last_error));
	}
	if (w->arr)
		json_array_append_new(
			w->arr,
			json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I}}",
				  "netns", netns, "iface", ifname, "names",
				  jnames, "dns", "queries",
				  (json_int_t)sum.queries, "learned",
				  (json_int_t)sum.learned, "refused",
				  (json_int_t)sum.refused, "unmatched",
				  (json_int_t)sum.unmatched, "split",
				  (json_int_t)sum.split));
	else
		json_decref(jnames);
	free(l);
	pc_maps_close(&m);
	return 0;
}

int pc_cmd_names(const struct pc_show_opts *o)
{
	struct walk w = { .o = o };

	if (o->json)
		w.arr = json_array();
	pc_for_each_iface(o->netns, o->ifname, names_one, &w);
	if (o->json)
		pc_json_print(w.arr);
	return PC_EXIT_OK;
}
