// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Egress rules of the policy file: name, to, hosts, proto, ports. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "policy_yaml.h"

static int rule_to_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;
	const char *s;

	if (want_scalar(c, n, "to", &s))
		return -1;
	if (!strcmp(s, "resolvers")) {
		r->to_resolvers = true;
		return 0;
	}
	return add_prefix(c, n, &r->to, &r->n_to, s);
}

static int rule_proto_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;
	const char *s;

	if (want_scalar(c, n, "proto", &s))
		return -1;
	if (!strcmp(s, "tcp"))
		r->protos |= PC_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		r->protos |= PC_PROTO_UDP;
	else if (!strcmp(s, "icmp"))
		r->protos |= PC_PROTO_ICMP;
	else {
		diag_at(c, n, "proto: '%s' is not tcp, udp or icmp", s);
		return -1;
	}
	return 0;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || errno || v < 1 || v > 65535)
		return -1;
	*out = v;
	return end - s;
}

static int rule_port_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;
	struct pc_port_range pr = {};
	const char *s;
	int k;

	if (want_scalar(c, n, "ports", &s))
		return -1;
	k = parse_port(s, &pr.lo);
	pr.hi = pr.lo;
	if (k > 0 && s[k] == '-') {
		int k2 = parse_port(s + k + 1, &pr.hi);

		k = k2 > 0 && !s[k + 1 + k2] ? k + 1 + k2 : -1;
	} else if (k > 0 && s[k]) {
		k = -1;
	}
	if (k < 0 || pr.hi < pr.lo) {
		diag_at(c, n,
			"ports: '%s' is not a port (1-65535) or range (lo-hi)",
			s);
		return -1;
	}
	if (push((void **)&r->ports, &r->n_ports, sizeof(pr)))
		return -1;
	r->ports[r->n_ports - 1] = pr;
	return 0;
}

static int add_string(struct ctx *c, yaml_node_t *n, const char *what,
		      char ***arr, size_t *cnt)
{
	const char *s;
	char *dup;

	if (want_scalar(c, n, what, &s))
		return -1;
	dup = strdup(s);
	if (!dup || push((void **)arr, cnt, sizeof(char *))) {
		free(dup);
		return -1;
	}
	(*arr)[*cnt - 1] = dup;
	return 0;
}

static int rule_host_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;

	return add_string(c, n, "hosts", &r->hosts, &r->n_hosts);
}

static int rule_srv_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;

	return add_string(c, n, "srv", &r->srv, &r->n_srv);
}

static int valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= PC_NAME_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

/* (protocol, port) pairs a rule allows: what a learned address opens. */
static size_t rule_name_pairs(const struct pc_rule *r)
{
	size_t ports = 0;

	for (size_t i = 0; i < r->n_ports; i++)
		ports += r->ports[i].hi - r->ports[i].lo + 1;
	if (!ports)
		ports = 1;
	return (!!(r->protos & PC_PROTO_TCP) + !!(r->protos & PC_PROTO_UDP)) *
		       ports +
	       !!(r->protos & PC_PROTO_ICMP);
}

/* Letters, digits, '-', '_' and dots; labels 1-63, all under 128. */
static int valid_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (!n || n >= PC_HOSTNAME_LEN - 1 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!label)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

int parse_rule(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	yaml_node_pair_t *pr;
	struct pc_rule *r;
	bool has_name = false;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE) {
		diag_at(c, n,
			"egress: each rule is a mapping (name:, to:, ...)");
		return -1;
	}
	if (push((void **)&pol->rules, &pol->n_rules, sizeof(*r)))
		return -1;
	r = &pol->rules[pol->n_rules - 1];
	r->enabled = true;
	r->line = n->start_mark.line + 1;
	r->column = n->start_mark.column + 1;

	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		const char *key = scalar(k), *s;

		if (!key) {
			diag_at(c, k, "keys must be plain words");
			err = -1;
		} else if (!strcmp(key, "name")) {
			if (want_scalar(c, v, "name", &s)) {
				err = -1;
			} else if (!valid_name(s)) {
				diag_at(c, v,
					"name: '%s' must be 1-%d letters, digits, '-', '_' or '.'",
					s, PC_NAME_LEN - 1);
				err = -1;
			} else {
				for (size_t i = 0; i + 1 < pol->n_rules; i++)
					if (!strcmp(pol->rules[i].name, s)) {
						diag_at(c, v,
							"duplicate rule name '%s' (first at line %d)",
							s, pol->rules[i].line);
						err = -1;
					}
				strcpy(r->name, s);
				has_name = true;
			}
		} else if (!strcmp(key, "to")) {
			err |= each_item(c, v, rule_to_item, r);
		} else if (!strcmp(key, "proto")) {
			err |= each_item(c, v, rule_proto_item, r);
		} else if (!strcmp(key, "ports")) {
			err |= each_item(c, v, rule_port_item, r);
		} else if (!strcmp(key, "hosts")) {
			err |= each_item(c, v, rule_host_item, r);
		} else if (!strcmp(key, "srv")) {
			err |= each_item(c, v, rule_srv_item, r);
		} else if (!strcmp(key, "enabled")) {
			err |= parse_bool(c, v, "enabled", &r->enabled);
		} else if (!strcmp(key, "description")) {
			err |= want_scalar(c, v, "description", &s);
		} else {
			diag_at(c, k,
				"unknown key '%s' in rule (known: name, description, enabled, to, hosts, srv, proto, ports)",
				key);
			err = -1;
		}
	}
	if (!has_name && !err) {
		diag_at(c, n, "rule has no name: every rule needs one");
		err = -1;
	}
	if (!r->protos)
		r->protos = PC_PROTO_TCP;
	if (!err && r->n_ports && r->protos == PC_PROTO_ICMP) {
		diag_at(c, n, "rule '%s': ports given but proto is only icmp",
			r->name);
		err = -1;
	}
	if (!err && r->enabled && (r->n_hosts || r->n_srv) &&
	    rule_name_pairs(r) > PC_MAX_RULE_PORTS) {
		diag_at(c, n,
			"rule '%s' names hosts: it may allow at most %d protocol/port pairs (it has %zu)",
			r->name, PC_MAX_RULE_PORTS, rule_name_pairs(r));
		err = -1;
	}
	for (size_t i = 0; !err && r->enabled && i < r->n_hosts + r->n_srv;
	     i++) {
		const char *h = i < r->n_hosts ? r->hosts[i] :
						 r->srv[i - r->n_hosts];

		if (!valid_hostname(h)) {
			diag_at(c, n, "rule '%s': '%s' is not a host name",
				r->name, h);
			err = -1;
		}
	}
	if (!err && r->enabled && !r->n_to && !r->to_resolvers && !r->n_hosts &&
	    !r->n_srv) {
		diag_at(c, n,
			"rule '%s' can never match: it has no 'to' addresses or hosts (set enabled: false to keep it)",
			r->name);
		err = -1;
	}
	return err ? -1 : 0;
}
