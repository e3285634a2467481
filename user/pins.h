/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where an interface's programs, links and maps are pinned, and how the CLI
 * finds them again: /sys/fs/bpf/portcullis/<netns or "host">/<ifname>/.
 */
#ifndef PC_PINS_H
#define PC_PINS_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#define PC_BPFFS "/sys/fs/bpf"
#define PC_PIN_ROOT PC_BPFFS "/portcullis"
#define PC_HOST_NS "host"
#define PC_DIR_MAX 1024 /* a pin directory path; files in it fit PATH_MAX */

/* File descriptors of one interface's maps. */
struct pc_maps {
	int flows4;
	int flows6;
	int allow4;
	int allow6;
	int policy_cfg;
	int active;
	int local_addrs;
	int counters;
	int rules;
	int info;
	int log_stats;
	int flow_rports;
	int dyn_allow;
	int dns_names;
	int names;
	int dns_stats;
	int local_bloom;
	int allow_ports;
	int allow_hosts4;
	int allow_hosts6;
};

/* Names of the pinned maps, in struct pc_maps order. */
extern const char *const pc_map_names[];
#define PC_N_MAPS 20

/* Mount bpffs at /sys/fs/bpf when it is not there. */
int pc_bpffs_ensure(void);
void pc_pin_dir(char *buf, size_t len, const char *netns, const char *ifname);
struct bpf_object;
struct bpf_map;
/*
 * The name map is pinned under, or NULL when it is not pinned: a map's own
 * name; for a global-data section of its own (.data.NAME, e.g. the packet
 * clock's calibration), NAME; .rodata and .bss stay private to the object.
 */
const char *pc_map_pin_name(const struct bpf_map *map);
/* The fds of a loaded object's maps (not dup'ed); -1 if one is missing. */
int pc_maps_from_obj(struct bpf_object *obj, struct pc_maps *m);
/*
 * Open every pinned map of dir; -1 with errno when it is not up, or
 * EPROTO (said on stderr) when another version of portcullis pinned them
 * with another map layout (PC_ABI_VERSION).
 */
int pc_maps_open(const char *dir, struct pc_maps *m);
struct pc_info;
/*
 * Read the info map (fd) whatever version pinned it: its first
 * sizeof(*info) bytes, the rest zero; *value_size: the pinned value's size.
 */
int pc_info_read(int fd, struct pc_info *info, __u32 *value_size);
void pc_maps_close(struct pc_maps *m);
/* Remove every file in dir and dir itself (and an empty netns dir). */
int pc_pins_remove(const char *dir);

/* Calls fn for every pinned interface; stops on a non-zero return. */
typedef int (*pc_iface_fn)(const char *netns, const char *ifname,
			   const char *dir, void *arg);
int pc_for_each_iface(const char *netns_filter, const char *ifname_filter,
		      pc_iface_fn fn, void *arg);

#endif /* PC_PINS_H */
