/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The read-only commands: status, stats, flows (tables or JSON). */
#ifndef PC_SHOW_H
#define PC_SHOW_H

#include <stdbool.h>

struct pc_show_opts {
	const char *ifname; /* NULL: all */
	const char *netns; /* NULL: all */
	bool json;
	bool watch; /* stats: redraw every second with rates */
	const char *sort; /* stats: packets, bytes or name */
	const char *to; /* flows: only those to this address or prefix */
	const char *rule; /* flows: only those of this rule */
	bool end; /* flows: end (delete) them instead of listing them */
};

int pc_cmd_status(const struct pc_show_opts *o);
int pc_cmd_stats(const struct pc_show_opts *o);

#endif /* PC_SHOW_H */
