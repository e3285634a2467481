// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Policy file parsing: libyaml document tree -> struct pc_policy. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <openssl/sha.h>
#include "common.h"
#include "policy.h"

struct ctx {
	yaml_document_t *doc;
	struct pc_diag *diag;
};

static void diag_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->diag->out, "%s:%zu:%zu: error: ", c->diag->file,
		n ? n->start_mark.line + 1 : 0,
		n ? n->start_mark.column + 1 : 0);
	va_start(ap, fmt);
	vfprintf(c->diag->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->diag->out);
	c->diag->errors++;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

static int want_scalar(struct ctx *c, yaml_node_t *n, const char *what,
		       const char **out)
{
	*out = scalar(n);
	if (!*out) {
		diag_at(c, n, "%s must be a single value", what);
		return -1;
	}
	return 0;
}

static int parse_uint(struct ctx *c, yaml_node_t *n, const char *what,
		      unsigned long lo, unsigned long hi, unsigned long *out)
{
	const char *s;
	char *end;

	if (want_scalar(c, n, what, &s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (!*s || *end || errno || *out < lo || *out > hi || *s == '-') {
		diag_at(c, n, "%s: '%s' is not a number from %lu to %lu", what,
			s, lo, hi);
		return -1;
	}
	return 0;
}

static int parse_bool(struct ctx *c, yaml_node_t *n, const char *what,
		      bool *out)
{
	const char *s;

	if (want_scalar(c, n, what, &s))
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = true;
	} else if (!strcmp(s, "false") || !strcmp(s, "no") ||
		   !strcmp(s, "off")) {
		*out = false;
	} else {
		diag_at(c, n, "%s: '%s' is not true or false", what, s);
		return -1;
	}
	return 0;
}

/* Iterate a sequence, or treat a scalar as a one-item sequence. */
typedef int (*item_fn)(struct ctx *c, yaml_node_t *item, void *arg);

static int each_item(struct ctx *c, yaml_node_t *n, item_fn fn, void *arg)
{
	yaml_node_item_t *it;
	int err = 0;

	if (n->type == YAML_SCALAR_NODE)
		return fn(c, n, arg);
	if (n->type != YAML_SEQUENCE_NODE) {
		diag_at(c, n, "expected a list");
		return -1;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (fn(c, node(c, *it), arg))
			err = -1;
	}
	return err;
}

int pc_prefix_parse(const char *s, struct pc_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	unsigned long len;
	unsigned int max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	p->len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || len > max)
			return -1;
		p->len = len;
	}
	/* Host bits must be zero: 10.0.0.1/8 is a typo, not a network. */
	for (unsigned int bit = p->len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -2;
	return 0;
}

void pc_prefix_str(const struct pc_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

static int push(void **arr, size_t *n, size_t size)
{
	void *a = realloc(*arr, (*n + 1) * size);

	if (!a)
		return -1;
	*arr = a;
	memset((char *)a + *n * size, 0, size);
	(*n)++;
	return 0;
}

static int add_prefix(struct ctx *c, yaml_node_t *n, struct pc_prefix **arr,
		      size_t *cnt, const char *s)
{
	struct pc_prefix p;
	int r = pc_prefix_parse(s, &p);

	if (r == -2) {
		diag_at(c, n, "'%s' has host bits set; did you mean a network?",
			s);
		return -1;
	}
	if (r) {
		diag_at(c, n, "'%s' is not an IPv4/IPv6 address or prefix", s);
		return -1;
	}
	if (push((void **)arr, cnt, sizeof(p)))
		return -1;
	(*arr)[*cnt - 1] = p;
	return 0;
}

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
	struct pc_port_range pr;
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

static int rule_host_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_rule *r = arg;
	const char *s;
	char *dup;

	if (want_scalar(c, n, "hosts", &s))
		return -1;
	dup = strdup(s);
	if (!dup || push((void **)&r->hosts, &r->n_hosts, sizeof(char *))) {
		free(dup);
		return -1;
	}
	r->hosts[r->n_hosts - 1] = dup;
	return 0;
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

static int parse_rule(struct ctx *c, yaml_node_t *n, void *arg)
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
		} else if (!strcmp(key, "enabled")) {
			err |= parse_bool(c, v, "enabled", &r->enabled);
		} else if (!strcmp(key, "description")) {
			err |= want_scalar(c, v, "description", &s);
		} else {
			diag_at(c, k,
				"unknown key '%s' in rule (known: name, description, enabled, to, hosts, proto, ports)",
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
	if (!err && r->enabled && !r->n_to && !r->to_resolvers && !r->n_hosts) {
		diag_at(c, n,
			"rule '%s' can never match: it has no 'to' addresses or hosts (set enabled: false to keep it)",
			r->name);
		err = -1;
	}
	return err ? -1 : 0;
}

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

static int parse_ssh(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
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
		} else {
			diag_at(c, k, "unknown key '%s' in ssh (known: ports)",
				key ? key : "?");
			err = -1;
		}
	}
	return err;
}

static int parse_timeouts(struct ctx *c, yaml_node_t *n, struct pc_policy *pol)
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

static int parse_flow_table(struct ctx *c, yaml_node_t *n,
			    struct pc_policy *pol)
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

static int resolver_item(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct pc_policy *pol = arg;
	const char *s;

	if (want_scalar(c, n, "resolvers", &s))
		return -1;
	return add_prefix(c, n, &pol->resolvers, &pol->n_resolvers, s);
}

static int parse_root(struct ctx *c, yaml_node_t *root, struct pc_policy *pol)
{
	yaml_node_pair_t *pr;
	int err = 0;

	if (!root || root->type != YAML_MAPPING_NODE) {
		diag_at(c, root,
			"the policy must be a mapping (version:, ssh:, egress:, ...)");
		return -1;
	}
	for (pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		const char *key = scalar(k);
		unsigned long ver;

		if (!key) {
			diag_at(c, k, "keys must be plain words");
			err = -1;
		} else if (!strcmp(key, "version")) {
			if (parse_uint(c, v, "version", 1, 1, &ver))
				err = -1;
		} else if (!strcmp(key, "ssh")) {
			err |= parse_ssh(c, v, pol);
		} else if (!strcmp(key, "timeouts")) {
			err |= parse_timeouts(c, v, pol);
		} else if (!strcmp(key, "flow_table")) {
			err |= parse_flow_table(c, v, pol);
		} else if (!strcmp(key, "resolvers")) {
			pol->resolvers_from_policy = true;
			err |= each_item(c, v, resolver_item, pol);
		} else if (!strcmp(key, "egress")) {
			if (v->type != YAML_SEQUENCE_NODE) {
				diag_at(c, v,
					"egress: expected a list of rules");
				err = -1;
			} else {
				err |= each_item(c, v, parse_rule, pol);
			}
		} else {
			diag_at(c, k,
				"unknown key '%s' (known: version, ssh, timeouts, flow_table, resolvers, egress)",
				key);
			err = -1;
		}
	}
	if (pol->n_rules >= PC_MAX_RULES) {
		diag_at(c, root, "too many rules: %zu (at most %d)",
			pol->n_rules, PC_MAX_RULES - 1);
		err = -1;
	}
	return err;
}

static void set_defaults(struct pc_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->flow_max = PC_DEFAULT_FLOWS;
	pol->timeout_tcp_syn = 30;
	pol->timeout_tcp_est = 7440;
	pol->timeout_tcp_fin = 120;
	pol->timeout_tcp_close = 10;
	pol->timeout_udp = 180;
	pol->timeout_icmp = 30;
}

int pc_policy_parse(const char *text, size_t len, struct pc_diag *diag,
		    struct pc_policy *pol)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = { .doc = &doc, .diag = diag };
	int err;

	set_defaults(pol);
	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(diag->out, "%s:%zu:%zu: error: %s\n", diag->file,
			parser.problem_mark.line + 1,
			parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "invalid YAML");
		fprintf(diag->out,
			"  hint: an IPv6 address that starts with ':' must be quoted, e.g. \"::/0\"\n");
		diag->errors++;
		yaml_parser_delete(&parser);
		return -1;
	}
	err = parse_root(&c, yaml_document_get_root_node(&doc), pol);
	if (!err && pol->n_ssh_ports == 0) {
		pol->ssh_ports[0] = 22;
		pol->n_ssh_ports = 1;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (err || diag->errors) {
		pc_policy_free(pol);
		return -1;
	}
	return 0;
}

static void digest_hex(const void *buf, size_t len, char out[PC_DIGEST_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(buf, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int pc_policy_load(const char *path, struct pc_diag *diag,
		   struct pc_policy *pol, char digest[PC_DIGEST_LEN])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!path) {
		diag->file = "(built-in default policy)";
		len = pc_default_policy_end - pc_default_policy;
		digest_hex(pc_default_policy, len, digest);
		return pc_policy_parse(pc_default_policy, len, diag, pol);
	}
	diag->file = path;
	f = fopen(path, "r");
	if (!f) {
		fprintf(diag->out, "%s: error: cannot open: %s\n", path,
			strerror(errno));
		diag->errors++;
		return -1;
	}
	for (;;) {
		char *nb = realloc(buf, len + 65536);
		size_t n;

		if (!nb) {
			free(buf);
			fclose(f);
			return -1;
		}
		buf = nb;
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	fclose(f);
	digest_hex(buf, len, digest);
	err = pc_policy_parse(buf, len, diag, pol);
	free(buf);
	return err;
}

int pc_policy_read_resolv(struct pc_policy *pol, const char *resolv_conf)
{
	char line[512], addr[256];
	struct pc_prefix p;
	FILE *f;

	if (pol->resolvers_from_policy)
		return 0;
	f = fopen(resolv_conf, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *pct;

		if (sscanf(line, " nameserver %255s", addr) != 1)
			continue;
		pct = strchr(addr, '%'); /* fe80::1%eth0 */
		if (pct)
			*pct = '\0';
		if (pc_prefix_parse(addr, &p))
			continue;
		if (push((void **)&pol->resolvers, &pol->n_resolvers,
			 sizeof(p)) == 0)
			pol->resolvers[pol->n_resolvers - 1] = p;
	}
	fclose(f);
	return 0;
}

void pc_policy_free(struct pc_policy *pol)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		struct pc_rule *r = &pol->rules[i];

		for (size_t j = 0; j < r->n_hosts; j++)
			free(r->hosts[j]);
		free(r->hosts);
		free(r->to);
		free(r->ports);
	}
	free(pol->rules);
	free(pol->resolvers);
	pol->rules = NULL;
	pol->resolvers = NULL;
	pol->n_rules = pol->n_resolvers = 0;
}
