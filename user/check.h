/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `portcullis check`: validate a policy and summarise what it allows. */
#ifndef PC_CHECK_H
#define PC_CHECK_H

/* NULL path: the built-in default. Returns PC_EXIT_OK or PC_EXIT_POLICY. */
int pc_cmd_check(const char *path);

#endif /* PC_CHECK_H */
