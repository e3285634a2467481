/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `reload`: swap the whole policy of a running interface atomically, with
 * an optional kernel-side rollback unless `confirm` comes in time
 * (confirm.h).
 */
#ifndef PC_RELOAD_H
#define PC_RELOAD_H

#include <stdbool.h>

struct pc_reload_opts {
	const char *ifname;
	const char *netns;
	const char *policy; /* NULL: the built-in default */
	unsigned int confirm_secs; /* 0: no rollback */
	bool force; /* skip the anti-lockout check */
	bool json; /* one JSON object instead of the line for people */
};

/* Return PC_EXIT_* codes. */
int pc_reload(const struct pc_reload_opts *o);

#endif /* PC_RELOAD_H */
