/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Output for people: human units, colour only on a terminal; JSON out. */
#ifndef PC_FORMAT_H
#define PC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* 1234567 -> "1.2M"; bytes: 3.4 GiB style. buf >= 16 bytes. */
const char *pc_fmt_count(char *buf, uint64_t n);
const char *pc_fmt_bytes(char *buf, uint64_t n);
/* Colour escape, or "" when stdout is not a terminal, NO_COLOR or JSON. */
void pc_color_init(bool json);
const char *pc_color(const char *which); /* "green", "red", "dim", "reset" */
/* "tcp", "udp", "icmp", "icmp6", "-" (no L4) or "ip". */
const char *pc_proto_name(uint8_t proto);
/* The ingress hook of pc_info.xdp_mode: "native", "generic", "tc" or "?". */
const char *pc_ingress_mode_name(uint32_t mode);
/* "192.0.2.1:80", "[2001:db8::1]:80", or the address alone for protocols
 * without ports. addr: network order, IPv4 in the first 4 bytes. */
void pc_fmt_endpoint(char *buf, size_t len, uint8_t family, const void *addr,
		     uint16_t port_be, uint8_t proto);
/* Print j (and free it): indented, with a final newline. */
int pc_json_print(json_t *j);

#endif /* PC_FORMAT_H */
