/* Shared between queue.c and apply.c. */
#ifndef MXDBA_QUEUE_H
#define MXDBA_QUEUE_H
#include "cli.h"
#include "core/mxid.h"
#include "hs/dendrite.h"

/* The OS user running mxdba (recorded with queued rows). */
const char *os_user(void);
/* 1 when mxdba's tables exist and are current. */
int queue_tables_ready(struct hs *h);
/* The configured [server] admin_user, checked to be an admin. */
int notice_admin(struct ctx *c, struct hs *h, struct mxid *admin);
#endif
