// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow table from user space (flowtab.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "flowtab.h"

/* k's table, and the key to give it (k itself, or its IPv4 form in k4). */
static int table_of(const struct pc_maps *m, const struct pc_flow_key *k,
		    struct pc_flow4_key *k4, const void **key)
{
	if (k->family == AF_INET6) {
		*key = k;
		return m->flows6;
	}
	pc_flow4_key_of(k, k4);
	*key = k4;
	return m->flows4;
}

int pc_flows_put(const struct pc_maps *m, const struct pc_flow_key *k,
		 const struct pc_flow_val *v, __u64 flags)
{
	struct pc_flow4_key k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_update_elem(fd, key, v, flags);
}

int pc_flows_get(const struct pc_maps *m, const struct pc_flow_key *k,
		 struct pc_flow_val *v)
{
	struct pc_flow4_key k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_lookup_elem(fd, key, v);
}

int pc_flows_delete(const struct pc_maps *m, const struct pc_flow_key *k)
{
	struct pc_flow4_key k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_delete_elem(fd, key);
}

/*
 * Every entry of one table: keys of key_size bytes (a pc_flow4_key or a
 * pc_flow_key), handed to fn as a pc_flow_key. An entry removed between
 * the key walk and its lookup is skipped.
 */
static int each_in(int fd, int v4, pc_flow_fn fn, void *arg)
{
	struct pc_flow_key key, next, k;
	struct pc_flow_val v;
	void *prev = NULL;
	int ret;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (v4)
			pc_flow_key_of4((const struct pc_flow4_key *)&key, &k);
		else
			k = key;
		ret = fn(&k, &v, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int pc_flows_each(const struct pc_maps *m, pc_flow_fn fn, void *arg)
{
	int ret = each_in(m->flows4, 1, fn, arg);

	return ret ? ret : each_in(m->flows6, 0, fn, arg);
}

static int count_one(const struct pc_flow_key *k, const struct pc_flow_val *v,
		     void *arg)
{
	(void)k;
	(void)v;
	++*(__u64 *)arg;
	return 0;
}

__u64 pc_flows_count_family(const struct pc_maps *m, int family)
{
	__u64 n = 0;

	if (family == AF_INET6)
		each_in(m->flows6, 0, count_one, &n);
	else
		each_in(m->flows4, 1, count_one, &n);
	return n;
}

__u64 pc_flows_count(const struct pc_maps *m)
{
	return pc_flows_count_family(m, AF_INET) +
	       pc_flows_count_family(m, AF_INET6);
}

static int note_rule(const struct pc_flow_key *k, const struct pc_flow_val *v,
		     void *arg)
{
	bool *used = arg;

	(void)k;
	if (v->rule_id < PC_MAX_RULES)
		used[v->rule_id] = true;
	return 0;
}

int pc_flows_rule_ids(const struct pc_maps *m, bool used[PC_MAX_RULES])
{
	return pc_flows_each(m, note_rule, used);
}

/* The flows to end, collected during the walk (deleting during it would
 * restart the walk). */
struct doomed {
	const bool *keep;
	struct pc_flow_key *k;
	size_t n, cap;
};

static int note_doomed(const struct pc_flow_key *k, const struct pc_flow_val *v,
		       void *arg)
{
	struct doomed *d = arg;

	if (!v->rule_id || (v->rule_id < PC_MAX_RULES && d->keep[v->rule_id]))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct pc_flow_key *nk = realloc(d->k, cap * sizeof(*nk));

		if (!nk)
			return -1;
		d->k = nk;
		d->cap = cap;
	}
	d->k[d->n++] = *k;
	return 0;
}

long pc_flows_end_rules(const struct pc_maps *m, const bool keep[PC_MAX_RULES])
{
	struct doomed d = { .keep = keep };
	long ended = 0;
	int err = pc_flows_each(m, note_doomed, &d);

	/* what was collected goes even when the walk stopped early */
	for (size_t i = 0; i < d.n; i++)
		if (!pc_flows_delete(m, &d.k[i]))
			ended++;
	free(d.k);
	if (err) {
		errno = ENOMEM;
		return -1;
	}
	return ended;
}
