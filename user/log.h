/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `portcullis log`: read the drop log (the events ring buffer) of the
 * selected interfaces, print it for people or as JSON lines, and write the
 * packets' first bytes to a pcap file (libpcap) for tcpdump and Wireshark.
 */
#ifndef PC_LOG_CMD_H
#define PC_LOG_CMD_H

#include <stdbool.h>

struct pc_log_opts {
	const char *ifname, *netns;
	bool json, follow;
	const char *pcap; /* NULL: no pcap */
	const char *reason; /* only this reason */
	long count; /* stop after this many events; 0: no limit */
};

int pc_cmd_log(const struct pc_log_opts *o);

#endif /* PC_LOG_CMD_H */
