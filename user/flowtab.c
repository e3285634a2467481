// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow table from user space (flowtab.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "common.h"
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

/* Entries read per system call when walking a table. */
#define PC_FLOW_BATCH 4096

/*
 * Every entry of one table: keys of key_size bytes (a pc_flow4_key or a
 * pc_flow_key), handed to fn as a pc_flow_key. Read PC_FLOW_BATCH entries
 * per BPF_MAP_LOOKUP_BATCH call, a bucket at a time (one entry per call
 * took about a microsecond: seconds for a table of millions). Entries
 * added or removed during the walk may be seen or not. Returns fn's first
 * non-zero return, 0, or -1 with errno.
 */
static int each_in(int fd, int v4, pc_flow_fn fn, void *arg)
{
	size_t key_size = v4 ? sizeof(struct pc_flow4_key) :
			       sizeof(struct pc_flow_key);
	/* zeroed: valgrind does not know the batch calls fill them */
	unsigned char *keys = calloc(PC_FLOW_BATCH, key_size);
	struct pc_flow_val *vals = calloc(PC_FLOW_BATCH, sizeof(*vals));
	__u32 batch, next_batch, n; /* a hash map's batch is a bucket index */
	struct pc_flow_key k;
	void *in = NULL;
	int ret = 0, end = 0;

	if (!keys || !vals) {
		errno = ENOMEM;
		ret = -1;
	}
	while (!ret && !end) {
		n = PC_FLOW_BATCH;
		if (bpf_map_lookup_batch(fd, in, &next_batch, keys, vals, &n,
					 NULL)) {
			if (errno != ENOENT) {
				ret = -1;
				break;
			}
			end = 1; /* the last entries, if any, are in keys */
		}
		for (__u32 i = 0; i < n && !ret; i++) {
			const void *key = keys + i * key_size;

			if (v4)
				pc_flow_key_of4(key, &k);
			else
				memcpy(&k, key, sizeof(k));
			ret = fn(&k, &vals[i], arg);
		}
		batch = next_batch;
		in = &batch;
	}
	free(keys);
	free(vals);
	return ret;
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
	pc_flow_fn match;
	void *arg;
	struct pc_flow_key *k;
	size_t n, cap;
};

static int note_doomed(const struct pc_flow_key *k, const struct pc_flow_val *v,
		       void *arg)
{
	struct doomed *d = arg;

	if (!d->match(k, v, d->arg))
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

long pc_flows_end(const struct pc_maps *m, pc_flow_fn match, void *arg)
{
	struct doomed d = { .match = match, .arg = arg };
	long ended = 0;
	int err = pc_flows_each(m, note_doomed, &d), saved = errno;

	/* what was collected goes even when the walk stopped early */
	for (size_t i = 0; i < d.n; i++)
		if (!pc_flows_delete(m, &d.k[i]))
			ended++;
	free(d.k);
	if (!err)
		return ended;
	errno = saved; /* from the walk or realloc */
	return -1;
}

struct keep {
	const bool *rule;
	__u64 now;
};

/* A live flow some rule admitted, and not one of keep's rules. Expired
 * ones are the collector's: they pass nothing, and are not counted. */
static int rule_gone(const struct pc_flow_key *k, const struct pc_flow_val *v,
		     void *arg)
{
	const struct keep *keep = arg;

	(void)k;
	return v->rule_id && keep->now < v->expires_ns &&
	       !(v->rule_id < PC_MAX_RULES && keep->rule[v->rule_id]);
}

long pc_flows_end_rules(const struct pc_maps *m, const bool keep[PC_MAX_RULES])
{
	struct keep k = { .rule = keep, .now = pc_clock_now_ns() };

	return pc_flows_end(m, rule_gone, &k);
}

int pc_flows_rejudge(int prog_fd, const bool changed[PC_MAX_RULES], long *ended,
		     long *moved)
{
	struct pc_rejudge_msg msg = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &msg,
		    .data_size_in = sizeof(msg), .data_out = &msg,
		    .data_size_out = sizeof(msg), .repeat = 1);
	bool any = false;

	*ended = *moved = 0;
	for (__u32 id = 1; id < PC_MAX_RULES; id++) {
		if (!changed[id])
			continue;
		msg.changed[id / 64] |= 1ULL << (id % 64);
		any = true;
	}
	if (!any)
		return 0; /* no rule changed: no walk */
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	if (opts.retval != 0 /* TC_ACT_OK */) {
		errno = ENOENT; /* no policy in force */
		return -1;
	}
	*ended = msg.ended;
	*moved = msg.moved;
	return 0;
}
