/* SPDX-License-Identifier: Apache-2.0 */
/* The tool's own tables (mxdba_*) in the userapi database: embedded numbered
 * migrations, applied in one transaction and recorded in mxdba_migrations. */
#ifndef MXDBA_MIGRATE_H
#define MXDBA_MIGRATE_H
#include "db.h"

/* Number of migrations not applied yet (0 when up to date), or -1. */
int migrate_pending(db *d);
/* Apply every pending migration inside the caller's open write transaction,
 * so it commits or rolls back (--dry-run) with the caller's work.
 * ANNOUNCE: say so on stderr. *applied gets the count. 0 or -1 + error. */
int migrate_apply_in_tx(db *d, int announce, int dry_run, int *applied);
/* Call FN for every known migration with its applied time (0 = pending). */
int migrate_status(db *d, void (*fn)(const char *name, long long applied_ts, void *), void *user);
#endif
