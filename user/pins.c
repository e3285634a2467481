// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "pins.h"
#include "portcullis.h"

const char *const pc_map_names[PC_N_MAPS] = {
	"flows4",      "flows6",      "allow4",	      "allow6",
	"policy_cfg",  "active",      "local_addrs",  "counters",
	"rules",       "info",	      "log_stats",    "flow_rports",
	"dyn_allow",   "dns_names",   "names",	      "dns_stats",
	"local_bloom", "allow_ports", "allow_hosts4", "allow_hosts6",
};

int pc_bpffs_ensure(void)
{
	struct statfs st;

	if (statfs(PC_BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", PC_BPFFS, "bpf", 0, "mode=0700")) {
		pc_err("check that you are root and that the kernel has bpffs",
		       "mounting bpffs at %s failed: %s", PC_BPFFS,
		       strerror(errno));
		return -1;
	}
	return 0;
}

void pc_pin_dir(char *buf, size_t len, const char *netns, const char *ifname)
{
	snprintf(buf, len, "%s/%s/%s", PC_PIN_ROOT, netns ? netns : PC_HOST_NS,
		 ifname);
}

const char *pc_map_pin_name(const struct bpf_map *map)
{
	static const char data[] = ".data.";
	const char *name = bpf_map__name(map);

	if (!bpf_map__is_internal(map))
		return name;
	if (!strncmp(name, data, sizeof(data) - 1) &&
	    name[sizeof(data) - 1] != '\0')
		return name + sizeof(data) - 1;
	return NULL;
}

int pc_maps_from_obj(struct bpf_object *obj, struct pc_maps *m)
{
	int *fds = (int *)m;

	for (int i = 0; i < PC_N_MAPS; i++) {
		struct bpf_map *map =
			bpf_object__find_map_by_name(obj, pc_map_names[i]);

		fds[i] = map ? bpf_map__fd(map) : -1;
		if (fds[i] < 0)
			return -1;
	}
	return 0;
}

int pc_info_read(int fd, struct pc_info *info, __u32 *value_size)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), zero = 0;
	unsigned char *v;
	int err;

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -1;
	*value_size = mi.value_size;
	v = calloc(1, mi.value_size ? mi.value_size : 1);
	if (!v)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, v);
	if (!err)
		memcpy(info, v,
		       mi.value_size < sizeof(*info) ? mi.value_size :
						       sizeof(*info));
	free(v);
	return err;
}

/* Were dir's maps pinned by this version (PC_ABI_VERSION)? Says why not. */
static int same_abi(const char *dir, int info_fd)
{
	struct pc_info info;
	__u32 size = 0;

	if (!pc_info_read(info_fd, &info, &size) && size == sizeof(info) &&
	    info.abi_version == PC_ABI_VERSION)
		return 0;
	pc_err("'portcullis down' (any version takes it down) and 'up' again with this one",
	       "%s was brought up by another version of portcullis (map layout %u, this one %u)",
	       dir, info.abi_version, PC_ABI_VERSION);
	errno = EPROTO;
	return -1;
}

int pc_maps_open(const char *dir, struct pc_maps *m)
{
	int *fds = (int *)m;
	char path[PATH_MAX];

	for (int i = 0; i < PC_N_MAPS; i++)
		fds[i] = -1;
	for (int i = 0; i < PC_N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pc_map_names[i]);
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0) {
			int e = errno;

			pc_maps_close(m);
			errno = e;
			return -1;
		}
	}
	if (same_abi(dir, m->info)) {
		pc_maps_close(m);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

void pc_maps_close(struct pc_maps *m)
{
	int *fds = (int *)m;

	for (int i = 0; i < PC_N_MAPS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int pc_pins_remove(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	char *slash;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path))
			err = -1;
	}
	closedir(d);
	if (rmdir(dir))
		err = -1;
	/* Remove the netns level when it became empty; ignore ENOTEMPTY. */
	snprintf(path, sizeof(path), "%s", dir);
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		rmdir(path);
	}
	return err;
}

int pc_for_each_iface(const char *netns_filter, const char *ifname_filter,
		      pc_iface_fn fn, void *arg)
{
	char nsdir[PC_DIR_MAX / 2], ifdir[PC_DIR_MAX];
	struct dirent *ns, *ifc;
	DIR *root, *d;
	int ret = 0;

	root = opendir(PC_PIN_ROOT);
	if (!root)
		return 0;
	while (!ret && (ns = readdir(root))) {
		if (ns->d_name[0] == '.')
			continue;
		if (netns_filter && strcmp(netns_filter, ns->d_name))
			continue;
		snprintf(nsdir, sizeof(nsdir), "%s/%s", PC_PIN_ROOT,
			 ns->d_name);
		d = opendir(nsdir);
		if (!d)
			continue;
		while (!ret && (ifc = readdir(d))) {
			if (ifc->d_name[0] == '.')
				continue;
			if (ifname_filter && strcmp(ifname_filter, ifc->d_name))
				continue;
			snprintf(ifdir, sizeof(ifdir), "%s/%s", nsdir,
				 ifc->d_name);
			ret = fn(ns->d_name, ifc->d_name, ifdir, arg);
		}
		closedir(d);
	}
	closedir(root);
	return ret;
}
