// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "common.h"
#include "counters.h"
#include "flowtab.h"
#include "format.h"
#include "metrics.h"
#include "names.h"
#include "pins.h"

/* One interface's numbers. */
struct iface {
	char netns[64], ifname[32];
	struct pc_stats st;
	struct pc_log_stats log;
	struct pc_info info;
	struct pc_active act;
	__u64 flows;
	struct pc_dns_stats dns;
	int n_names;
	char names[PC_MAX_NAMES][PC_HOSTNAME_LEN];
	char name_rules[PC_MAX_NAMES][PC_NAME_LEN];
	int name_addrs[PC_MAX_NAMES];
};

struct collect {
	struct iface *v;
	int n, cap;
	int err;
};

static void read_names(const struct pc_maps *m, struct iface *i);

static int collect_one(const char *netns, const char *ifname, const char *dir,
		       void *arg)
{
	struct collect *c = arg;
	struct pc_maps m;
	struct iface *i;
	__u32 zero = 0;

	if (c->n == c->cap) {
		struct iface *v = realloc(c->v, (c->cap + 8) * sizeof(*v));

		if (!v) {
			c->err = 1;
			return -1;
		}
		c->v = v;
		c->cap += 8;
	}
	i = &c->v[c->n];
	memset(i, 0, sizeof(*i));
	snprintf(i->netns, sizeof(i->netns), "%s", netns);
	snprintf(i->ifname, sizeof(i->ifname), "%s", ifname);
	if (pc_maps_open(dir, &m)) {
		c->err = 1;
		return 0;
	}
	if (pc_stats_read(&m, &i->st) ||
	    pc_log_stats_read(m.log_stats, &i->log) ||
	    bpf_map_lookup_elem(m.info, &zero, &i->info) ||
	    bpf_map_lookup_elem(m.active, &zero, &i->act)) {
		c->err = 1;
	} else {
		i->flows = pc_flows_count(&m);
		read_names(&m, i);
		c->n++;
	}
	pc_maps_close(&m);
	return 0;
}

/* Each name with the number of live addresses it has. */
static void read_names(const struct pc_maps *m, struct iface *i)
{
	struct learned *seen = NULL;
	size_t n_seen;
	__u64 now;

	pc_dns_stats_sum(m->dns_stats, &i->dns);
	now = pc_clock_now_ns();
	for (__u32 id = 0; id < PC_MAX_NAMES; id++) {
		struct pc_name_info ni;
		struct pc_rule_meta meta = {};

		if (bpf_map_lookup_elem(m->names, &id, &ni) || !ni.used)
			continue;
		bpf_map_lookup_elem(m->rules, &ni.rule_id, &meta);
		snprintf(i->names[id], PC_HOSTNAME_LEN, "%.*s",
			 PC_HOSTNAME_LEN - 1, ni.name);
		snprintf(i->name_rules[id], PC_NAME_LEN, "%.*s",
			 PC_NAME_LEN - 1, meta.name);
		i->n_names++;
	}
	/* count each (name, address) once, whatever its ports */
	n_seen = pc_read_learned(m->dyn_allow, &seen);
	for (size_t k = 0; k < n_seen; k++)
		if (seen[k].expires_ns > now && seen[k].name_id < PC_MAX_NAMES)
			i->name_addrs[seen[k].name_id]++;
	free(seen);
}

/* Label values: escape backslash, quote and newline. */
static void label(FILE *f, const char *k, const char *v, bool last)
{
	fprintf(f, "%s=\"", k);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fprintf(f, "\"%s", last ? "" : ",");
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void rule_metric(FILE *f, const struct collect *c, const char *name,
			bool bytes)
{
	for (int k = 0; k < c->n; k++) {
		const struct iface *i = &c->v[k];

		for (int r = 0; r < i->st.n; r++) {
			const struct pc_stat_row *row = &i->st.rows[r];

			fprintf(f, "%s{", name);
			label(f, "netns", i->netns, false);
			label(f, "iface", i->ifname, false);
			label(f, "rule", row->name, false);
			label(f, "kind", row->builtin ? "builtin" : "policy",
			      false);
			label(f, "direction", pc_dir_str(row->direction),
			      false);
			label(f, "action",
			      row->audit ? "audit" : pc_act_str(row->action),
			      true);
			fprintf(f, "} %llu\n",
				(unsigned long long)(bytes ? row->bytes :
							     row->packets));
		}
	}
}

static void iface_labels(FILE *f, const struct iface *i, bool last)
{
	label(f, "netns", i->netns, false);
	label(f, "iface", i->ifname, last);
}

static void name_metrics(FILE *f, const struct iface *i)
{
	for (int id = 0; id < PC_MAX_NAMES; id++) {
		if (!i->names[id][0])
			continue;
		fprintf(f, "portcullis_name_addresses{");
		iface_labels(f, i, false);
		label(f, "name", i->names[id], false);
		label(f, "rule", i->name_rules[id], true);
		fprintf(f, "} %d\n", i->name_addrs[id]);
	}
}

static void write_metrics(FILE *f, const struct collect *c)
{
	static const char *const outcomes[] = { "logged", "suppressed",
						"lost" };

	family(f, "portcullis_rule_packets_total", "counter",
	       "Packets judged by each rule: built-in reasons and named policy rules.");
	rule_metric(f, c, "portcullis_rule_packets_total", false);
	family(f, "portcullis_rule_bytes_total", "counter",
	       "Bytes judged by each rule: built-in reasons and named policy rules.");
	rule_metric(f, c, "portcullis_rule_bytes_total", true);

	family(f, "portcullis_flows", "gauge",
	       "Entries in the flow tables, IPv4 and IPv6 (expired ones until collected).");
	for (int k = 0; k < c->n; k++) {
		fprintf(f, "portcullis_flows{");
		iface_labels(f, &c->v[k], true);
		fprintf(f, "} %llu\n", (unsigned long long)c->v[k].flows);
	}
	family(f, "portcullis_flow_capacity", "gauge",
	       "Size of each family's flow table; a new flow is refused when its family's is full.");
	for (int k = 0; k < c->n; k++) {
		fprintf(f, "portcullis_flow_capacity{");
		iface_labels(f, &c->v[k], true);
		fprintf(f, "} %llu\n",
			(unsigned long long)c->v[k].info.flow_capacity);
	}
	family(f, "portcullis_log_events_total", "counter",
	       "Drop log events: written, refused by the rate limit, lost to a full buffer.");
	for (int k = 0; k < c->n; k++) {
		const __u64 v[] = { c->v[k].log.logged, c->v[k].log.suppressed,
				    c->v[k].log.lost };

		for (int o = 0; o < 3; o++) {
			fprintf(f, "portcullis_log_events_total{");
			iface_labels(f, &c->v[k], false);
			label(f, "outcome", outcomes[o], true);
			fprintf(f, "} %llu\n", (unsigned long long)v[o]);
		}
	}
	family(f, "portcullis_name_addresses", "gauge",
	       "Addresses currently allowed for each host name of the policy.");
	for (int k = 0; k < c->n; k++)
		name_metrics(f, &c->v[k]);
	family(f, "portcullis_dns_snoop_total", "counter",
	       "DNS snooping: queries for policy names, addresses learned, answers refused, replies matching no query, TCP messages split across segments (not read).");
	for (int k = 0; k < c->n; k++) {
		static const char *const what[] = { "queries", "learned",
						    "refused", "unmatched",
						    "split" };
		const __u64 v[] = { c->v[k].dns.queries, c->v[k].dns.learned,
				    c->v[k].dns.refused, c->v[k].dns.unmatched,
				    c->v[k].dns.split };

		for (int o = 0; o < 5; o++) {
			fprintf(f, "portcullis_dns_snoop_total{");
			iface_labels(f, &c->v[k], false);
			label(f, "event", what[o], true);
			fprintf(f, "} %llu\n", (unsigned long long)v[o]);
		}
	}
	family(f, "portcullis_policy_generation", "counter",
	       "Policy writes since up (reloads and rollbacks).");
	for (int k = 0; k < c->n; k++) {
		fprintf(f, "portcullis_policy_generation{");
		iface_labels(f, &c->v[k], true);
		fprintf(f, "} %u\n", c->v[k].act.generation);
	}
	family(f, "portcullis_info", "gauge",
	       "What is attached: XDP mode and the policy in force (value 1).");
	for (int k = 0; k < c->n; k++) {
		const struct iface *i = &c->v[k];
		char digest[PC_DIGEST_LEN];

		memcpy(digest, i->info.policy_digest, sizeof(digest));
		digest[PC_DIGEST_LEN - 1] = '\0';
		fprintf(f, "portcullis_info{");
		iface_labels(f, i, false);
		label(f, "xdp_mode", pc_ingress_mode_name(i->info.xdp_mode),
		      false);
		label(f, "policy_sha256", digest, true);
		fprintf(f, "} 1\n");
	}
}

int pc_cmd_metrics(const char *dir)
{
	struct collect c = {};
	char tmp[PATH_MAX], final[PATH_MAX];
	FILE *f = stdout;
	int fd, ret = PC_EXIT_OK;

	pc_for_each_iface(NULL, NULL, collect_one, &c);
	if (dir) {
		snprintf(final, sizeof(final), "%s/portcullis.prom", dir);
		snprintf(tmp, sizeof(tmp), "%s/.portcullis.prom.XXXXXX", dir);
		fd = mkstemp(tmp);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			pc_err("check that the directory exists and is writable",
			       "creating a file in %s failed: %s", dir,
			       strerror(errno));
			free(c.v);
			return PC_EXIT_ERROR;
		}
	}
	write_metrics(f, &c);
	if (dir) {
		/* complete or absent: never a half-written file */
		if (fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644) ||
		    fclose(f) || rename(tmp, final)) {
			pc_err(NULL, "writing %s failed: %s", final,
			       strerror(errno));
			unlink(tmp);
			ret = PC_EXIT_ERROR;
		}
	}
	free(c.v);
	return c.err && ret == PC_EXIT_OK ? PC_EXIT_KERNEL : ret;
}
