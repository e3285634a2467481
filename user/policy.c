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
#include <limits.h>
#include "common.h"
#include "netns.h"
#include "policy.h"
#include "policy_yaml.h"
#include "counters.h"

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
		} else if (!strcmp(key, "names")) {
			err |= parse_names(c, v, pol);
		} else if (!strcmp(key, "log")) {
			err |= parse_log(c, v, pol);
		} else if (!strcmp(key, "audit")) {
			err |= parse_audit(c, v, pol);
		} else if (!strcmp(key, "icmp_echo_in")) {
			err |= parse_bool(c, v, key, &pol->icmp_echo_in);
		} else if (!strcmp(key, "dhcp_client")) {
			err |= parse_bool(c, v, key, &pol->dhcp_client);
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
				"unknown key '%s' (known: version, ssh, timeouts, flow_table, resolvers, names, audit, log, icmp_echo_in, dhcp_client, egress)",
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
	pol->log_drops = true;
	pol->log_rate = 100;
	pol->log_burst = 200;
	pol->name_ttl_floor = 30;
	pol->name_ttl_ceiling = 86400;
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
		if (parser.problem &&
		    strstr(parser.problem, "expected node content"))
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

int pc_policy_load_for(const char *path, const char *netns,
		       struct pc_policy *pol, char digest[PC_DIGEST_LEN])
{
	struct pc_diag diag = { .out = stderr };
	char resolv[PATH_MAX];

	if (pc_policy_load(path, &diag, pol, digest)) {
		pc_err("fix the errors above; 'portcullis check FILE' validates without changing anything",
		       "the policy %s is invalid",
		       path ? path : "(built-in default)");
		return -1;
	}
	pc_netns_resolv_conf(netns, resolv, sizeof(resolv));
	if (pc_policy_read_resolv(pol, resolv))
		pc_warn("cannot read %s: DNS rules naming 'resolvers' allow nothing",
			resolv);
	return 0;
}

void pc_policy_free(struct pc_policy *pol)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		struct pc_rule *r = &pol->rules[i];

		for (size_t j = 0; j < r->n_hosts; j++)
			free(r->hosts[j]);
		free(r->hosts);
		for (size_t j = 0; j < r->n_srv; j++)
			free(r->srv[j]);
		free(r->srv);
		free(r->to);
		free(r->ports);
	}
	free(pol->rules);
	free(pol->resolvers);
	free(pol->ssh_from);
	pol->ssh_from = NULL;
	pol->n_ssh_from = 0;
	pol->rules = NULL;
	pol->resolvers = NULL;
	pol->n_rules = pol->n_resolvers = 0;
}
