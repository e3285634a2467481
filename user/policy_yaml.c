// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* YAML node helpers with line/column diagnostics (see policy_yaml.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "policy_yaml.h"

void diag_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
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

yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

int want_scalar(struct ctx *c, yaml_node_t *n, const char *what,
		const char **out)
{
	*out = scalar(n);
	if (!*out) {
		diag_at(c, n, "%s must be a single value", what);
		return -1;
	}
	return 0;
}

int parse_uint(struct ctx *c, yaml_node_t *n, const char *what,
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

int parse_bool(struct ctx *c, yaml_node_t *n, const char *what, bool *out)
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

int each_item(struct ctx *c, yaml_node_t *n, item_fn fn, void *arg)
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

int push(void **arr, size_t *n, size_t size)
{
	void *a = realloc(*arr, (*n + 1) * size);

	if (!a)
		return -1;
	*arr = a;
	memset((char *)a + *n * size, 0, size);
	(*n)++;
	return 0;
}

int add_prefix(struct ctx *c, yaml_node_t *n, struct pc_prefix **arr,
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
