// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "netns.h"

int pc_netns_enter(const char *name)
{
	char path[256];
	int fd;

	if (!name)
		return 0;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		pc_err("give the name shown by 'ip netns list'",
		       "invalid network namespace name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pc_err("check 'ip netns list'",
		       "opening network namespace '%s' (%s) failed: %s", name,
		       path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		pc_err("run as root",
		       "entering network namespace '%s' failed: %s", name,
		       strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void pc_netns_resolv_conf(const char *name, char *buf, size_t len)
{
	if (name) {
		snprintf(buf, len, "/etc/netns/%s/resolv.conf", name);
		if (access(buf, R_OK) == 0)
			return;
	}
	snprintf(buf, len, "/etc/resolv.conf");
}
