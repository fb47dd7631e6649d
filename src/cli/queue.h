/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between queue.c and apply.c. */
#ifndef MXDBA_QUEUE_H
#define MXDBA_QUEUE_H
#include "cli.h"
#include "core/mxid.h"
#include "hs/hs.h"

/* 1 when mxdba's tables exist and are current. */
int queue_tables_ready(struct hs *h);
/* Who sends a server notice: AS (--as; NULL if not given), else [server]
 * admin_user, else the only active admin; each must be a local, active
 * admin. -1 + error (EX_REFUSED, EX_USAGE when there are several admins). */
int notice_sender(struct ctx *c, struct hs *h, const char *as, struct mxid *admin);
#endif
