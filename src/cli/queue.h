/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between queue.c and apply.c. */
#ifndef MXDBA_QUEUE_H
#define MXDBA_QUEUE_H
#include "cli.h"
#include "core/mxid.h"
#include "hs/hs.h"

/* 1 when mxdba's tables exist and are current. */
int queue_tables_ready(struct hs *h);
/* The configured [server] admin_user, checked to be an admin. */
int notice_admin(struct ctx *c, struct hs *h, struct mxid *admin);
#endif
