/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/db: the shared struct behind the opaque handles and the
 * per-backend entry points that db.c dispatches to. */
#ifndef MXDBA_DB_IMPL_H
#define MXDBA_DB_IMPL_H
#include "db.h"

struct stmt_cache;

struct db {
	enum db_kind kind;
	const char *ns; /* statement namespace (a profile's name) or NULL */
	char *label;
	char *path;
	int readonly;
	int in_tx;
	int batch;        /* an outer transaction (mxdba batch) holds the real one */
	int batch_failed; /* a command inside the batch rolled back */
	void *conn; /* PGconn* or sqlite3* */
	struct stmt_cache *cache;
	unsigned tx_seq;        /* PostgreSQL: names prepared statements per transaction */
	long long tx_start_ms;  /* when the real write transaction began (for -v) */
	int migrations_current; /* mxdba's own tables found up to date on this connection */
	db_rows *open_rows;
};

struct db_rows {
	db *d;
	const char *name;
	int ncols;
	int done;
	void *res;  /* PGresult* of the current row, or of the current block with a cursor (PG) */
	int cursor; /* PG: rows come from a cursor, fetched in blocks (db_stream) */
	int ahead;  /* PG cursor: the next block's FETCH is sent, its result not read yet */
	int row, nrows; /* PG: the current row in res, the rows in res */
	void *stmt; /* sqlite3_stmt* (SQLite) */
};

int pg_open(db *d, const char *target);
void pg_close(db *d);
/* what a simple statement does to the transaction state */
enum tx_op { TX_OTHER, TX_BEGIN, TX_BEGIN_WRITE, TX_END };
int pg_simple(db *d, const char *sql, enum tx_op op); /* transaction control, embedded migration scripts */
int pg_query(db_rows *r, const char *sql, const db_arg *args, int nargs);
int pg_stream(db_rows *r, const char *sql, const db_arg *args, int nargs);
int pg_step(db_rows *r);
const char *pg_text(const db_rows *r, int i);
void pg_rows_free(db_rows *r);
int pg_exec(db *d, const char *name, const char *sql, const db_arg *args, int nargs, long long *affected);

int lite_open(db *d, const char *target);
void lite_close(db *d);
int lite_simple(db *d, const char *sql, enum tx_op op);
int lite_query(db_rows *r, const char *sql, const db_arg *args, int nargs);
int lite_step(db_rows *r);
const char *lite_text(const db_rows *r, int i);
/* Column I as an integer if SQLite stored one (1), else 0: read it as text. */
int lite_int(const db_rows *r, int i, long long *v);
void lite_rows_free(db_rows *r);
int lite_backup(db *d, const char *path);
int lite_exec(db *d, const char *name, const char *sql, const db_arg *args, int nargs, long long *affected);
#endif
