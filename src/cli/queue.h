/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between queue.c and apply.c. */
#ifndef MXDBA_QUEUE_H
#define MXDBA_QUEUE_H
#include "cli.h"
#include "core/mxid.h"
#include "hs/hs.h"
#include "store/store.h"

/* 1 when mxdba's tables exist and are current. */
int queue_tables_ready(struct hs *h);
/* Who sends a server notice: AS (--as; NULL if not given), else [server]
 * admin_user, else the only active admin; each must be a local, active
 * admin. -1 + error (EX_REFUSED, EX_USAGE when there are several admins). */
int notice_sender(struct ctx *c, struct hs *h, const char *as, struct mxid *admin);
/* Queued operation Q for people, in BUF (N bytes): a notice by its first
 * words ("Your password was…"), a leave by its room: "!id (#alias:server)",
 * "!id ("Name")" or "!id" (NAME and ALIAS from hs_room_names, either NULL). */
const char *queue_row_label(char *buf, size_t n, const struct queue_row *q, const char *name, const char *alias);
#endif
