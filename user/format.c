// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "format.h"
#include "portcullis.h"

static bool use_color;

const char *pc_fmt_count(char *buf, uint64_t n)
{
	static const char units[] = " kMGTPE";
	double v = n;
	int u = 0;

	if (n < 1000) {
		snprintf(buf, 16, "%llu", (unsigned long long)n);
		return buf;
	}
	while (v >= 1000 && u < 6) {
		v /= 1000;
		u++;
	}
	snprintf(buf, 16, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

const char *pc_fmt_bytes(char *buf, uint64_t n)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	double v = n;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, 16, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, 16, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

void pc_color_init(bool json)
{
	const char *nc = getenv("NO_COLOR");

	use_color = !json && isatty(STDOUT_FILENO) && !(nc && *nc);
}

const char *pc_color(const char *which)
{
	if (!use_color)
		return "";
	if (!strcmp(which, "green"))
		return "\033[32m";
	if (!strcmp(which, "red"))
		return "\033[31m";
	if (!strcmp(which, "dim"))
		return "\033[2m";
	return "\033[0m";
}

int pc_json_print(json_t *j)
{
	int err = json_dumpf(j, stdout, JSON_INDENT(2)) ? -1 : 0;

	putchar('\n');
	json_decref(j);
	return err;
}

const char *pc_ingress_mode_name(uint32_t mode)
{
	switch (mode) {
	case PC_XDP_MODE_NATIVE:
		return "native";
	case PC_XDP_MODE_GENERIC:
		return "generic";
	case PC_XDP_MODE_TC:
		return "tc";
	}
	return "?";
}

const char *pc_proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	case 0:
		return "-";
	}
	return "ip";
}

void pc_fmt_endpoint(char *buf, size_t len, uint8_t family, const void *addr,
		     uint16_t port_be, uint8_t proto)
{
	char a[INET6_ADDRSTRLEN] = "-";
	bool ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP;

	if (family)
		inet_ntop(family, addr, a, sizeof(a));
	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, ntohs(port_be));
	else
		snprintf(buf, len, "%s:%u", a, ntohs(port_be));
}
