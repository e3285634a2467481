/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Walking the policy's YAML document (libyaml) with diagnostics that carry
 * the line and column of the node at fault. Used by policy.c (top level)
 * and policy_rules.c (egress rules).
 */
#ifndef PC_POLICY_YAML_H
#define PC_POLICY_YAML_H

#include <stdbool.h>
#include <yaml.h>
#include "policy.h"

struct ctx {
	yaml_document_t *doc;
	struct pc_diag *diag;
};

void diag_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
yaml_node_t *node(struct ctx *c, int id);
const char *scalar(const yaml_node_t *n);
int want_scalar(struct ctx *c, yaml_node_t *n, const char *what,
		const char **out);
int parse_uint(struct ctx *c, yaml_node_t *n, const char *what,
	       unsigned long lo, unsigned long hi, unsigned long *out);
int parse_bool(struct ctx *c, yaml_node_t *n, const char *what, bool *out);

/* Iterate a sequence, or treat a scalar as a one-item sequence. */
typedef int (*item_fn)(struct ctx *c, yaml_node_t *item, void *arg);
int each_item(struct ctx *c, yaml_node_t *n, item_fn fn, void *arg);

/* Grow *arr by one zeroed element of size bytes. */
int push(void **arr, size_t *n, size_t size);
/* Parse s as a prefix and append it, or report the error at n. */
int add_prefix(struct ctx *c, yaml_node_t *n, struct pc_prefix **arr,
	       size_t *cnt, const char *s);

/* Egress rules (policy_rules.c). */
int parse_rule(struct ctx *c, yaml_node_t *n, void *arg);

/* The other top-level sections (policy_sections.c). */
int parse_ssh(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int parse_timeouts(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int parse_flow_table(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int parse_names(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int parse_log(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int parse_audit(struct ctx *c, yaml_node_t *n, struct pc_policy *pol);
int resolver_item(struct ctx *c, yaml_node_t *n, void *arg);

#endif /* PC_POLICY_YAML_H */
