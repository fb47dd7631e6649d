/* SPDX-License-Identifier: Apache-2.0 */
/* Backend-neutral database API: the only interface the rest of mxdba sees.
 * Statements are referred to by name (sql/NAMESPACE/BACKEND/MODULE.sql); parameters are
 * always bound, never spliced. pg.c and sqlite.c implement it. */
#ifndef MXDBA_DB_H
#define MXDBA_DB_H

#include "core/config.h" /* enum db_kind */

typedef struct db db;
typedef struct db_rows db_rows;

enum db_arg_type { DB_NULL, DB_TEXT, DB_INT };
typedef struct {
	enum db_arg_type type;
	const char *s;
	long long i;
} db_arg;
#define DB_ARG_TEXT(x) ((db_arg){ .type = DB_TEXT, .s = (x) })
#define DB_ARG_INT(x) ((db_arg){ .type = DB_INT, .i = (x) })
#define DB_ARG_NULL ((db_arg){ .type = DB_NULL })

/* Open a connection. TARGET is a libpq conninfo/URI (DB_POSTGRES) or a file
 * path (DB_SQLITE, never created). LABEL is the masked form used in
 * messages. READONLY: the connection refuses writes. NS: the namespace of
 * its statements (a homeserver profile's name; the common ones are always
 * there too), or NULL for the common ones only. NULL + error on failure. */
db *db_open(enum db_kind kind, const char *target, const char *label, int readonly, const char *ns);
void db_close(db *d);
enum db_kind db_kind(const db *d);
const char *db_label(const db *d);
const char *db_backend_name(const db *d); /* "postgres" / "sqlite" */
const char *db_path(const db *d);         /* SQLite file path; NULL for PG */

/* Transactions. WRITE=1 takes the write lock at once (SQLite BEGIN IMMEDIATE). */
int db_begin(db *d, int write);
int db_commit(db *d);
int db_rollback(db *d); /* safe to call when no transaction is open */

/* Batch mode: one real transaction around many commands. Inside it,
 * db_begin/db_commit only mark a command's span, and db_rollback marks the
 * whole batch as failed. db_batch_end commits (COMMIT=1, unless something
 * failed) or rolls back. */
int db_batch_begin(db *d);
int db_batch_end(db *d, int commit);
int db_batch_failed(const db *d);
int db_batch_active(const db *d);

/* Run NAME; rows are streamed one at a time (constant memory). Only one
 * db_rows may be open per connection. NULL + error on failure. */
db_rows *db_query(db *d, const char *name, const db_arg *args, int nargs);
/* db_query for listings of any length: on PostgreSQL inside a transaction
 * the rows come through a cursor in blocks (constant memory, far fewer
 * allocations than single-row mode); elsewhere the same as db_query. */
db_rows *db_stream(db *d, const char *name, const db_arg *args, int nargs);
/* 1: a row is ready; 0: no more rows; -1: error (recorded). */
int db_step(db_rows *r);
int db_ncols(const db_rows *r);
/* Column I of the current row as text; NULL for SQL NULL. Valid until the next step. */
const char *db_text(const db_rows *r, int i);
/* Column I as an integer (0 for NULL); *isnull set when non-NULL pointer given. */
long long db_int(const db_rows *r, int i, int *isnull);
void db_rows_free(db_rows *r);

/* Run a statement that returns no rows; *affected gets the row count (may be NULL). */
int db_exec(db *d, const char *name, const db_arg *args, int nargs, long long *affected);
/* db_exec for a statement that must change exactly one row: any other count
 * is an EX_DB error "WHAT changed N rows, expected 1". */
int db_exec_one(db *d, const char *name, const db_arg *args, int nargs, const char *what);
/* Run a single-value query: 1 and *out set if a row came back, 0 if none, -1 error.
 * *out is malloc'd (NULL for SQL NULL). */
int db_scalar(db *d, const char *name, const db_arg *args, int nargs, char **out);
/* Does TABLE exist (in the search path)? 1 yes, 0 no, -1 error. */
int db_table_exists(db *d, const char *table);
/* Run a query whose first column of its one row is a count: *n gets it (0
 * when no row or NULL). 0, or -1 + error. */
int db_count(db *d, const char *name, const db_arg *args, int nargs, long long *n);
/* SQLite only: copy the whole database to the new file PATH with SQLite's
 * online backup API (consistent even while others read it). -1 + error. */
int db_backup(db *d, const char *path);

/* Remembered per connection: mxdba's own tables are up to date (migrate.c). */
int db_migrations_current(const db *d);
/* 1 while a transaction (or a batch) is open on D. */
int db_in_tx(const db *d);
void db_set_migrations_current(db *d, int yes);

/* Run the tool's embedded migration script NAME (several statements) inside
 * the open transaction. */
int db_run_migration(db *d, const char *name);
#endif
