/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `portcullis flows`: the flow table, as a table or JSON. */
#ifndef PC_FLOWS_H
#define PC_FLOWS_H

#include "show.h"

int pc_cmd_flows(const struct pc_show_opts *o);

#endif /* PC_FLOWS_H */
