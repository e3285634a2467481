// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The policy file's top-level sections besides the egress rules: ssh,
 * timeouts, flow_table, names, log, audit, resolvers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "counters.h"
#include "policy_yaml.h"

static int ssh_port_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	unsigned long v;

	if (parse_uint(c, n, "ssh port", 1, 65535, &v))
		return -1;
	if (pol->n_ssh_ports >= PC_MAX_SSH_PORTS) {
		diag_at(c, n, "at most %d SSH ports", PC_MAX_SSH_PORTS);
		return -1;
	}
	pol->ssh_ports[pol->n_ssh_ports++] = v;
	return 0;
}

static int ssh_from_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	const char *s;

	if (want_scalar(c, n, "ssh.from", &s))
		return -1;
	return add_prefix(c, n, &pol->ssh_from, &pol->n_ssh_from, s);
}

/* ssh.rate_limit: {per_minute: N, burst: M} new connections per source. */
static int parse_rate_limit(struct ctx *c, yaml_node_t *n,
			    struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	unsigned long v;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n, "rate_limit: expected {per_minute: N, burst: M}");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *val = node(c, pr->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "per_minute")) {
			if (parse_uint(c, val, "per_minute", 1, 60000, &v))
				err = -1;
			else
				pol->ssh_rate_per_min = v;
		} else if (key && !strcmp(key, "burst")) {
			if (parse_uint(c, val, "burst", 1, 10000, &v))
				err = -1;
			else
				pol->ssh_burst = v;
		} else {
			diag_at(c, k,
				"unknown key '%s' in rate_limit (known: per_minute, burst)",
				key ? key : "?");
			err = -1;
		}
	}
	if (!pol->ssh_burst)
		pol->ssh_burst = pol->ssh_rate_per_min;
	return err;
}

/* log: {drops: bool, new_flows: bool, rate_per_sec: N, burst: M} */
int parse_log(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	unsigned long v;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n,
			"log: expected a mapping (drops:, new_flows:, rate_per_sec:, burst:)");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *val = node(c, pr->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "drops")) {
			err |= parse_bool(c, val, key, &pol->log_drops);
		} else if (key && !strcmp(key, "new_flows")) {
			err |= parse_bool(c, val, key, &pol->log_new_flows);
		} else if (key && !strcmp(key, "rate_per_sec")) {
			if (parse_uint(c, val, key, 1, 1000000, &v))
				err = -1;
			else
				pol->log_rate = v;
		} else if (key && !strcmp(key, "burst")) {
			if (parse_uint(c, val, key, 1, 1000000, &v))
				err = -1;
			else
				pol->log_burst = v;
		} else {
			diag_at(c, k,
				"unknown key '%s' in log (known: drops, new_flows, rate_per_sec, burst)",
				key ? key : "?");
			err = -1;
		}
	}
	return err;
}

/* names: {ttl_floor: S, ttl_ceiling: S} for learned addresses. */
int parse_names(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	unsigned long v;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n, "names: expected {ttl_floor: S, ttl_ceiling: S}");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *val = node(c, pr->value);
		const char *key = scalar(k);
		uint32_t *dst = NULL;

		if (key && !strcmp(key, "ttl_floor"))
			dst = &pol->name_ttl_floor;
		else if (key && !strcmp(key, "ttl_ceiling"))
			dst = &pol->name_ttl_ceiling;
		if (!dst) {
			diag_at(c, k,
				"unknown key '%s' in names (known: ttl_floor, ttl_ceiling)",
				key ? key : "?");
			err = -1;
		} else if (parse_uint(c, val, key, 1, 7 * 86400, &v)) {
			err = -1;
		} else {
			*dst = v;
		}
	}
	if (!err && pol->name_ttl_floor > pol->name_ttl_ceiling) {
		diag_at(c, n, "names: ttl_floor is above ttl_ceiling");
		err = -1;
	}
	return err;
}

/* audit: true (every drop rule) or a list of drop rule names. */
static int audit_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	const char *s;

	if (want_scalar(c, n, "audit", &s))
		return -1;
	for (int r = 1; r < PC_R_MAX; r++) {
		if (strcmp(s, pc_reason_names[r]))
			continue;
		if (!(PC_DROP_MASK >> r & 1)) {
			diag_at(c, n,
				"audit: '%s' passes already; only drop rules can be audited",
				s);
			return -1;
		}
		pol->audit_mask |= 1ULL << r;
		return 0;
	}
	diag_at(c, n, "audit: no drop rule named '%s' (see 'portcullis stats')",
		s);
	return -1;
}

int parse_audit(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	const char *s = scalar(n);
	bool all;

	if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		if (parse_bool(c, n, "audit", &all))
			return -1;
		pol->audit_mask = all ? PC_DROP_MASK : 0;
		return 0;
	}
	return each_item(c, n, audit_item, pol);
}

int parse_ssh(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n, "ssh: expected a mapping (ports: [22])");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "ports")) {
			err |= each_item(c, v, ssh_port_item, pol);
		} else if (key && !strcmp(key, "from")) {
			err |= each_item(c, v, ssh_from_item, pol);
		} else if (key && !strcmp(key, "rate_limit")) {
			err |= parse_rate_limit(c, v, pol);
		} else {
			diag_at(c, k,
				"unknown key '%s' in ssh (known: ports, from, rate_limit)",
				key ? key : "?");
			err = -1;
		}
	}
	return err;
}

int parse_timeouts(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "tcp_syn", offsetof(struct pc_policy, timeout_tcp_syn) },
		{ "tcp_established",
		  offsetof(struct pc_policy, timeout_tcp_est) },
		{ "tcp_fin", offsetof(struct pc_policy, timeout_tcp_fin) },
		{ "tcp_close", offsetof(struct pc_policy, timeout_tcp_close) },
		{ "udp", offsetof(struct pc_policy, timeout_udp) },
		{ "icmp", offsetof(struct pc_policy, timeout_icmp) },
	};
	yaml_node_pair_t *pr;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n, "timeouts: expected a mapping");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		const char *key = scalar(k);
		unsigned long val;
		size_t i;

		for (i = 0; key && i < PC_ARRAY_SIZE(keys); i++)
			if (!strcmp(key, keys[i].key))
				break;
		if (!key || i == PC_ARRAY_SIZE(keys)) {
			diag_at(c, k,
				"unknown key '%s' in timeouts (known: tcp_syn, tcp_established, tcp_fin, tcp_close, udp, icmp)",
				key ? key : "?");
			err = -1;
			continue;
		}
		if (parse_uint(c, v, key, 1, 7 * 86400, &val)) {
			err = -1;
			continue;
		}
		*(uint32_t *)((char *)pol + keys[i].off) = val;
	}
	return err;
}

int parse_flow_table(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	unsigned long v;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n,
			"flow_table: expected a mapping (max_entries: N)");
		return -1;
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *val = node(c, pr->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "max_entries")) {
			if (parse_uint(c, val, "max_entries", 64, 16u << 20,
				       &v))
				err = -1;
			else
				pol->flow_max = v;
		} else {
			diag_at(c, k,
				"unknown key '%s' in flow_table (known: max_entries)",
				key ? key : "?");
			err = -1;
		}
	}
	return err;
}

int resolver_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	const char *s;

	if (want_scalar(c, n, "resolvers", &s))
		return -1;
	return add_prefix(c, n, &pol->resolvers, &pol->n_resolvers, s);
}
