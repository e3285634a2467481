/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The policy file: YAML parsed with libyaml into struct pc_policy. Every
 * error carries the file's line and column. docs/policy.md documents keys.
 */
#ifndef PC_POLICY_FILE_H
#define PC_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "portcullis.h"

#define PC_PROTO_TCP (1u << 0)
#define PC_PROTO_UDP (1u << 1)
#define PC_PROTO_ICMP (1u << 2)

struct pc_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, IPv4 in the first 4 */
	unsigned int len;
};

struct pc_port_range {
	uint16_t lo, hi;
};

struct pc_rule {
	char name[PC_NAME_LEN];
	bool enabled;
	bool to_resolvers; /* `to` named the host's DNS resolvers */
	unsigned int protos; /* PC_PROTO_* */
	struct pc_prefix *to;
	size_t n_to;
	struct pc_port_range *ports; /* none: any port */
	size_t n_ports;
	char **hosts; /* names: their DNS answers add addresses (dns.h) */
	size_t n_hosts;
	char **srv; /* SRV names: their targets' addresses are added */
	size_t n_srv;
	int line, column;
	__u32 id; /* rule id (counter row), set when the policy is applied */
	/* set when applied: the running policy has a rule of this name that
	 * allows something else (its flows are judged again) */
	bool changed;
};

struct pc_policy {
	uint16_t ssh_ports[PC_MAX_SSH_PORTS];
	size_t n_ssh_ports;
	struct pc_prefix *ssh_from; /* none: any source */
	size_t n_ssh_from;
	uint32_t ssh_rate_per_min; /* 0: no limit */
	uint32_t ssh_burst;
	uint64_t audit_mask; /* bit per PC_R_* drop reason in audit mode */
	bool icmp_echo_in;
	bool dhcp_client;
	bool log_drops; /* report drops to `portcullis log` */
	bool log_new_flows; /* and new egress flows */
	uint32_t log_rate, log_burst; /* events per second per CPU, bucket */
	uint32_t name_ttl_floor, name_ttl_ceiling; /* seconds */
	uint32_t flow_max;
	uint32_t timeout_tcp_syn, timeout_tcp_est, timeout_tcp_fin,
		timeout_tcp_close;
	uint32_t timeout_udp, timeout_icmp;
	struct pc_prefix *resolvers; /* set by `resolvers:` or resolv.conf */
	size_t n_resolvers;
	bool resolvers_from_policy;
	struct pc_rule *rules;
	size_t n_rules;
};

/* Error sink: each error is printed as "FILE:LINE:COL: error: MSG". */
struct pc_diag {
	const char *file;
	FILE *out;
	int errors;
};

/*
 * Parse len bytes of YAML. Returns 0, or -1 after printing every error to
 * diag. On success the caller frees the policy with pc_policy_free().
 */
int pc_policy_parse(const char *text, size_t len, struct pc_diag *diag,
		    struct pc_policy *pol);
/* Read and parse a file; NULL path means the built-in default policy. */
int pc_policy_load(const char *path, struct pc_diag *diag,
		   struct pc_policy *pol, char digest[PC_DIGEST_LEN]);
/* Fill resolvers from a resolv.conf when the policy named none. */
int pc_policy_read_resolv(struct pc_policy *pol, const char *resolv_conf);
void pc_policy_free(struct pc_policy *pol);
/*
 * Load path (NULL: built-in) for use in netns (NULL: host): parse, print
 * errors with a hint, and fill resolvers from the namespace's resolv.conf.
 */
int pc_policy_load_for(const char *path, const char *netns,
		       struct pc_policy *pol, char digest[PC_DIGEST_LEN]);

int pc_prefix_parse(const char *s, struct pc_prefix *p);
void pc_prefix_str(const struct pc_prefix *p, char *buf, size_t len);

extern const char pc_default_policy[];
extern const char pc_default_policy_end[];

#endif /* PC_POLICY_FILE_H */
