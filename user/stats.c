// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `portcullis stats`: every rule's packets and bytes, totals per direction
 * and action, rules that never matched, the drop log's accounting; as a
 * table (optionally refreshed every second with rates) or JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include "common.h"
#include "counters.h"
#include "format.h"
#include "pins.h"
#include "show.h"

#define PC_MAX_STAT_IFACES 64

/* One interface's numbers, and the previous sample for rates. */
struct sample {
	char netns[64], ifname[32];
	struct pc_stats st;
	struct pc_log_stats log;
	__u64 prev_packets[PC_R_MAX + PC_MAX_RULES];
	bool have_prev;
};

struct walk {
	const struct pc_show_opts *o;
	struct sample *s;
	int n;
	int err;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_one(const char *netns, const char *ifname, const char *dir,
		    void *arg)
{
	struct walk *w = arg;
	struct sample *s = NULL;
	struct pc_maps m;

	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->s[i].netns, netns) &&
		    !strcmp(w->s[i].ifname, ifname))
			s = &w->s[i];
	if (!s) {
		if (w->n >= PC_MAX_STAT_IFACES)
			return 0;
		s = &w->s[w->n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->netns, sizeof(s->netns), "%s", netns);
		snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	} else {
		for (int i = 0; i < s->st.n; i++)
			s->prev_packets[i] = s->st.rows[i].packets;
		s->have_prev = true;
	}
	if (pc_maps_open(dir, &m)) {
		w->err = 1;
		return 0;
	}
	if (pc_stats_read(&m, &s->st) ||
	    pc_log_stats_read(m.log_stats, &s->log)) {
		pc_err(NULL, "reading counters of %s/%s failed: %s", netns,
		       ifname, strerror(errno));
		w->err = 1;
	}
	pc_maps_close(&m);
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *key)
{
	const struct pc_stat_row *x = a, *y = b;
	const char *k = key;

	if (!strcmp(k, "name"))
		return strcmp(x->name, y->name);
	if (!strcmp(k, "bytes"))
		return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

/* Totals: [direction][action] packets and bytes, from the reason rows. */
static void totals(const struct pc_stats *st, __u64 pk[2][2], __u64 by[2][2])
{
	memset(pk, 0, sizeof(__u64) * 4);
	memset(by, 0, sizeof(__u64) * 4);
	for (int i = 0; i < st->n; i++) {
		const struct pc_stat_row *r = &st->rows[i];

		if (!r->builtin)
			continue;
		pk[r->direction][r->action] += r->packets;
		by[r->direction][r->action] += r->bytes;
	}
}

static json_t *sample_json(const struct sample *s)
{
	json_t *rules = json_array(), *never = json_array(), *tot;
	__u64 pk[2][2], by[2][2];

	for (int i = 0; i < s->st.n; i++) {
		const struct pc_stat_row *r = &s->st.rows[i];

		json_array_append_new(
			rules,
			json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:I}",
				  "name", r->name, "kind",
				  r->builtin ? "builtin" : "policy",
				  "direction", pc_dir_str(r->direction),
				  "action", pc_act_str(r->action), "audit",
				  r->audit, "matched", r->packets > 0,
				  "packets", (json_int_t)r->packets, "bytes",
				  (json_int_t)r->bytes));
		if (!r->packets)
			json_array_append_new(never, json_string(r->name));
	}
	totals(&s->st, pk, by);
	tot = json_object();
	for (int d = 0; d < 2; d++)
		for (int a = 0; a < 2; a++) {
			char k[32];

			snprintf(k, sizeof(k), "%s_%s", pc_dir_str(d),
				 pc_act_str(a));
			json_object_set_new(tot, k,
					    json_pack("{s:I, s:I}", "packets",
						      (json_int_t)pk[d][a],
						      "bytes",
						      (json_int_t)by[d][a]));
		}
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I}}",
			 "netns", s->netns, "iface", s->ifname, "rules", rules,
			 "totals", tot, "never_matched", never, "log", "logged",
			 (json_int_t)s->log.logged, "suppressed",
			 (json_int_t)s->log.suppressed, "lost",
			 (json_int_t)s->log.lost);
}

static void sample_table(struct sample *s, const char *sort, bool rates)
{
	struct pc_stat_row rows[PC_R_MAX + PC_MAX_RULES];
	__u64 prev[PC_R_MAX + PC_MAX_RULES];
	char a[16], b[16], c[16], d[16];
	__u64 pk[2][2], by[2][2];
	int never = 0;

	/* rates need each row's previous value: sort a copy with its index */
	memcpy(rows, s->st.rows, sizeof(rows[0]) * s->st.n);
	for (int i = 0; i < s->st.n; i++) {
		prev[i] = s->have_prev ? s->prev_packets[i] : rows[i].packets;
		rows[i].row = i; /* reuse: position in the unsorted sample */
	}
	if (sort)
		qsort_r(rows, s->st.n, sizeof(rows[0]), cmp_rows, (void *)sort);
	printf("%s (netns %s)\n", s->ifname, s->netns);
	printf("%-24s %-8s %-12s %-8s %10s %12s%s\n", "RULE", "DIR", "ACTION",
	       "KIND", "PACKETS", "BYTES", rates ? "      PKT/S" : "");
	for (int i = 0; i < s->st.n; i++) {
		const struct pc_stat_row *r = &rows[i];
		const char *act = r->audit ? "drop(audit)" :
					     pc_act_str(r->action);

		printf("%-24s %-8s %s%-12s%s %-8s %10s %12s", r->name,
		       pc_dir_str(r->direction),
		       pc_color(r->action == PC_ACT_DROP ? "red" : "green"),
		       act, pc_color("reset"),
		       r->builtin ? "builtin" : "policy",
		       pc_fmt_count(a, r->packets), pc_fmt_bytes(b, r->bytes));
		if (rates)
			printf(" %10s",
			       pc_fmt_count(c, r->packets - prev[r->row]));
		putchar('\n');
		never += !r->packets;
	}
	totals(&s->st, pk, by);
	printf("%-24s in  pass %s (%s)  drop %s (%s)\n", "TOTAL",
	       pc_fmt_count(a, pk[0][0]), pc_fmt_bytes(b, by[0][0]),
	       pc_fmt_count(c, pk[0][1]), pc_fmt_bytes(d, by[0][1]));
	printf("%-24s out pass %s (%s)  drop %s (%s)\n", "",
	       pc_fmt_count(a, pk[1][0]), pc_fmt_bytes(b, by[1][0]),
	       pc_fmt_count(c, pk[1][1]), pc_fmt_bytes(d, by[1][1]));
	printf("%-24s %llu logged, %llu suppressed by the rate limit, %llu lost (buffer full)\n",
	       "DROP LOG", (unsigned long long)s->log.logged,
	       (unsigned long long)s->log.suppressed,
	       (unsigned long long)s->log.lost);
	if (never) {
		printf("%sNEVER MATCHED since load:", pc_color("dim"));
		for (int i = 0; i < s->st.n; i++)
			if (!s->st.rows[i].packets)
				printf(" %s", s->st.rows[i].name);
		printf("%s\n", pc_color("reset"));
	}
}

int pc_cmd_stats(const struct pc_show_opts *o)
{
	struct walk w = { .o = o };
	int ret = PC_EXIT_OK;

	if (o->sort && strcmp(o->sort, "packets") && strcmp(o->sort, "bytes") &&
	    strcmp(o->sort, "name")) {
		pc_err(NULL, "--sort takes packets, bytes or name");
		return PC_EXIT_USAGE;
	}
	w.s = calloc(PC_MAX_STAT_IFACES, sizeof(*w.s));
	if (!w.s)
		return PC_EXIT_ERROR;
	pc_color_init(o->json);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		pc_for_each_iface(o->netns, o->ifname, read_one, &w);
		if (!w.n)
			break;
		if (o->json) {
			json_t *arr = json_array();

			for (int i = 0; i < w.n; i++)
				json_array_append_new(arr,
						      sample_json(&w.s[i]));
			pc_json_print(arr);
		} else {
			if (o->watch)
				printf("\033[H\033[2J"); /* redraw in place */
			for (int i = 0; i < w.n; i++) {
				if (i)
					putchar('\n');
				sample_table(&w.s[i], o->sort, o->watch);
			}
		}
		fflush(stdout);
		if (o->watch)
			sleep(1);
	} while (o->watch && !stop);
	if (!w.n) {
		if (o->json)
			pc_json_print(json_array());
		if (o->ifname || o->netns) {
			pc_err("see 'portcullis status'",
			       "no such interface is up");
			ret = PC_EXIT_STATE;
		}
	} else if (w.err) {
		ret = PC_EXIT_KERNEL;
	}
	free(w.s);
	return ret;
}
