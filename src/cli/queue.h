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
/* Queue the leaves of USER_ID from every room it joined, was invited to or
 * knocked at (rejecting the invites, taking back the knocks), with the
 * audit row; *QUEUED new rows, *ALREADY pending before. */
int queue_user_leaves(struct ctx *c, struct hs *h, const char *user_id, long long *queued, long long *already);
/* On stderr, when the server's rate limit on A's leaves holds queue apply
 * back for a minute or more over PENDING leaves: how long, and how to lift
 * it (Synapse's rc_message: 0.2 a second by default). */
void leave_limit_warning(struct hs *h, const struct hs_account *a, long long pending);
#endif
