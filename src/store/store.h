/* SPDX-License-Identifier: Apache-2.0 */
/* mxdba's own tables (mxdba_*), in the homeserver database mxdba writes
 * (Dendrite's userapi): their migrations, the audit log, the queue of
 * operations for `queue apply`, and the registry of tokens minted for it.
 * Every function works inside the caller's transaction; none begins or ends
 * one. Statements: sql/common/BACKEND/. Never touches a homeserver's tables. */
#ifndef MXDBA_STORE_H
#define MXDBA_STORE_H
#include "db/db.h"

/* ---- migrations (migrations/BACKEND/NNNN_name.sql) ---- */

/* Number of migrations not applied yet (0 when up to date), or -1. */
int migrate_pending(db *d);
/* Apply every pending migration inside the caller's open write transaction,
 * so it commits or rolls back (--dry-run) with the caller's work.
 * ANNOUNCE: say so on stderr. *applied gets the count. 0 or -1 + error. */
int migrate_apply_in_tx(db *d, int announce, int dry_run, int *applied);
/* Call FN for every known migration with its applied time (0 = pending). */
int migrate_status(db *d, void (*fn)(const char *name, long long applied_ts, void *), void *user);

/* ---- the audit log (mxdba_audit) ---- */

struct audit_row {
	long long id, ts;
	const char *os_user, *command, *target, *field;
	const char *old_value, *new_value; /* NULL for SQL NULL */
};
/* One row: TARGET's FIELD went from OLD to NEW (either may be NULL). 0 or -1 + error. */
int audit_insert(db *d, long long ts, const char *os_user, const char *command, const char *target,
		 const char *field, const char *old_value, const char *new_value);
/* One row per element of the JSON array ROWS of [target, command, old, new],
 * all of FIELD; *n gets the count written. */
int audit_insert_many(db *d, long long ts, const char *os_user, const char *rows, const char *field, long long *n);
/* Stream the rows about TARGET ("": all) since SINCE_MS, oldest first. FN
 * returning <0 stops. 0 or -1. */
int audit_list(db *d, const char *target, long long since_ms, int (*fn)(const struct audit_row *, void *),
	       void *user);
/* Row ID into R (strings malloc'd; free with audit_row_free). 1 found, 0 not, -1 error. */
int audit_get(db *d, long long id, struct audit_row *r);
void audit_row_free(struct audit_row *r);

/* ---- the queue (mxdba_queue) ---- */

struct queue_row {
	long long id;
	const char *kind, *user_id, *room_id, *body, *state;
	long long attempts, created_ts, updated_ts;
	long http_status; /* 0 for none */
	const char *errcode, *error;
	const char *sender; /* a notice's sender ("" : decided by queue apply); a room operation's admin */
	const char *job;    /* the server's id of the job a room operation started ("": none yet) */
};
/* Queue one operation (KIND leave/notice) unless the same one is pending:
 * *queued 1 new, 0 already there. SENDER: a notice's sender, or NULL. */
int queue_insert(db *d, const char *kind, const char *user_id, const char *room_id, const char *body, long long ts,
		 const char *by, const char *sender, int *queued);
/* Stream the rows whose state is in the comma-separated STATES ("": all). */
int queue_list(db *d, const char *states, int (*fn)(const struct queue_row *, void *), void *user);
/* The state of row ID (malloc'd): 1 found, 0 not, -1 error. */
int queue_state(db *d, long long id, char **state);
/* Cancel row ID if pending (*n: 1 or 0), or every pending row (ID 0; *n the count). */
int queue_cancel(db *d, long long id, long long ts, long long *n);
/* Up to MAX pending rows with an id above AFTER, oldest first, copied into
 * ROWS (strings malloc'd; free with queue_rows_free). With WORKERS > 1,
 * only the rows of WORKER (0-based): those whose id modulo WORKERS is
 * WORKER. The count, or -1. */
int queue_pending(db *d, long long after, int max, int workers, int worker, struct queue_row *rows);
void queue_rows_free(struct queue_row *rows, int n);
/* Row ID is finished: STATE done/skipped/failed with the HTTP outcome. */
int queue_finish(db *d, long long id, const char *state, long status, const char *errcode, const char *error,
		 long long ts);
/* The id of a pending operation of KIND on ROOM_ID: 1 found (*ID), 0 none, -1 error. */
int queue_pending_for_room(db *d, const char *kind, const char *room_id, long long *id);
/* Row ID (pending) started the server's job JOB (its delete_id, purge_id). */
int queue_set_job(db *d, long long id, const char *job, long long ts);
/* A try of row ID that did not finish: it stays pending, WHY recorded. */
int queue_attempted(db *d, long long id, const char *why, long long ts);

/* ---- tokens minted for queue apply (mxdba_minted) ---- */

struct minted {
	const char *token, *device_id, *localpart, *server;
};
/* Record a token before it exists in the homeserver's tables (same transaction). */
int minted_insert(db *d, const struct minted *m, long long ts);
int minted_delete(db *d, const char *token);
/* Every recorded token, oldest first, copied (free with minted_free). The count, or -1. */
int minted_list(db *d, struct minted **out);
void minted_free(struct minted *m, int n);

/* ---- a move to another database (`store copy`, copy.c) ---- */

struct store_counts {
	long long audit, queue, minted;
};
/* 1 if FROM holds mxdba's tables, 0 if not, -1 + error. */
int store_present(db *from);
/* The migrations FROM has applied that TO's mxdba does not know, comma-
 * separated in BUF (N bytes; "" when none). 0 or -1 + error. */
int store_unknown_migrations(db *from, db *to, char *buf, size_t n);
/* The rows of TO's tables now. */
int store_counts(db *to, struct store_counts *c);
/* Copy every audit row, queued operation and minted token of FROM into TO
 * (its tables migrated and empty, inside the caller's write transaction),
 * ids kept, TO's id sequences moved past them; *COPIED gets the counts. */
int store_copy_rows(db *from, db *to, struct store_counts *copied);
/* When an earlier copy wrote the audit row whose new value is MARK: its time
 * (1), else 0; -1 + error. */
int store_copy_done(db *to, const char *mark, long long *ts);
#endif
