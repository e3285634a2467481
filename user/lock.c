// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"
#include "lock.h"
#include "pins.h"

#define PC_LOCK_POLL_MS 20

int pc_iface_lock(const char *netns, const char *ifname)
{
	char path[PATH_MAX];
	int fd;

	/* an interface name has no ':', so the last one ends the netns */
	snprintf(path, sizeof(path), "%s/%s:%s.lock", PC_LOCK_DIR,
		 netns ? netns : PC_HOST_NS, ifname);
	if (mkdir(PC_LOCK_DIR, 0700) && errno != EEXIST)
		goto unlocked;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto unlocked;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited++) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			goto unlocked;
		}
		if (waited == 0)
			pc_warn("waiting for another portcullis command on %s",
				ifname);
		if (waited * PC_LOCK_POLL_MS >= PC_LOCK_WAIT_MS) {
			pc_err("see which one with 'fuser -v FILE'; a stuck one can be killed",
			       "another portcullis command has held %s for %d s (%s)",
			       ifname, PC_LOCK_WAIT_MS / 1000, path);
			close(fd);
			return -2;
		}
		usleep(PC_LOCK_POLL_MS * 1000);
	}
	return fd;
unlocked:
	pc_warn("cannot lock %s (%s): %s; going on without the lock", ifname,
		path, strerror(errno));
	return -1;
}

int pc_iface_lock_pinned(const char *netns, const char *ifname)
{
	char dir[PC_DIR_MAX];

	pc_pin_dir(dir, sizeof(dir), netns, ifname);
	return access(dir, F_OK) ? -1 : pc_iface_lock(netns, ifname);
}

void pc_iface_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}
