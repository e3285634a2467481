/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `portcullis metrics`: the Prometheus text exposition format, to stdout or
 * atomically into DIR/portcullis.prom for node_exporter's textfile
 * collector.
 */
#ifndef PC_METRICS_H
#define PC_METRICS_H

int pc_cmd_metrics(const char *textfile_dir);

#endif /* PC_METRICS_H */
