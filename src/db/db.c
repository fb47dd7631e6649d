/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch from the neutral db.h API to the PostgreSQL or SQLite backend.
 * Resolves statement names to SQL text; holds no SQL of its own beyond
 * transaction control. */
#include "db_impl.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "sqlreg.h"

#define IS_PG(d) ((d)->kind == DB_POSTGRES)

db *db_open(enum db_kind kind, const char *target, const char *label, int readonly, const char *ns)
{
	db *d = xcalloc(1, sizeof(*d));
	d->kind = kind;
	d->ns = ns;
	d->label = xstrdup(label);
	d->readonly = readonly;
	if (kind == DB_SQLITE)
		d->path = xstrdup(target);
	if ((IS_PG(d) ? pg_open(d, target) : lite_open(d, target)) < 0) {
		db_close(d);
		return NULL;
	}
	return d;
}

void db_close(db *d)
{
	if (!d)
		return;
	if (d->open_rows)
		db_rows_free(d->open_rows);
	if (d->conn) {
		if (d->in_tx)
			db_rollback(d);
		if (IS_PG(d))
			pg_close(d);
		else
			lite_close(d);
	}
	free(d->label);
	free(d->path);
	free(d);
}

enum db_kind db_kind(const db *d) { return d->kind; }
const char *db_label(const db *d) { return d->label; }
const char *db_path(const db *d) { return d->path; }
const char *db_backend_name(const db *d) { return IS_PG(d) ? "postgres" : "sqlite"; }

static const char *stmt_text(db *d, const char *name)
{
	const char *sql = sql_lookup(d->ns, db_backend_name(d), name);
	if (!sql)
		err_set(EX_FAIL, "internal: no SQL statement named %s for %s (%s)", name, db_backend_name(d),
			d->ns ? d->ns : "common");
	return sql;
}

int db_batch_begin(db *d)
{
	if (db_begin(d, 1) < 0)
		return -1;
	d->in_tx = 0;
	d->batch = 1;
	d->batch_failed = 0;
	return 0;
}

int db_batch_end(db *d, int commit)
{
	int rc;
	if (!d->batch)
		return err_set(EX_FAIL, "internal: no batch open");
	d->batch = 0;
	d->in_tx = 1;
	if (commit && !d->batch_failed)
		return db_commit(d);
	rc = db_rollback(d);
	return commit ? err_set(EX_FAIL, "internal: batch had a failed command; rolled back") : rc;
}

int db_batch_failed(const db *d) { return d->batch_failed; }

int db_begin(db *d, int write)
{
	const char *sql;
	if (IS_PG(d) && d->readonly) {
		/* the connection already is one read-only transaction (pg.c) */
		if (write)
			return err_set(EX_FAIL, "internal: write transaction on the read-only connection %s", d->label);
		d->in_tx = 1;
		return 0;
	}
	if (d->batch) {
		if (d->in_tx)
			return err_set(EX_FAIL, "internal: nested transaction in a batch");
		d->in_tx = 1;
		return 0;
	}
	if (d->in_tx)
		return err_set(EX_FAIL, "internal: transaction already open on %s", d->label);
	if (!(sql = stmt_text(d, write ? "tx_begin_write" : "tx_begin")))
		return -1;
	if ((IS_PG(d) ? pg_simple(d, sql, write ? TX_BEGIN_WRITE : TX_BEGIN)
		      : lite_simple(d, sql, write ? TX_BEGIN_WRITE : TX_BEGIN)) < 0)
		return -1;
	d->in_tx = 1;
	d->tx_start_ms = write ? now_ms() : 0;
	debugx("%s: %s", d->label, sql);
	return 0;
}

int db_commit(db *d)
{
	const char *sql;
	int rc;
	if (!d->in_tx)
		return err_set(EX_FAIL, "internal: commit without a transaction");
	if (d->batch || (IS_PG(d) && d->readonly)) {
		d->in_tx = 0;
		return 0;
	}
	/* a failed COMMIT applies nothing: PostgreSQL ends the transaction itself,
	 * sqlite.c rolls back before it returns */
	sql = stmt_text(d, "tx_commit");
	rc = !sql ? -1 : IS_PG(d) ? pg_simple(d, sql, TX_END) : lite_simple(d, sql, TX_END);
	d->in_tx = 0;
	debugx("%s: COMMIT%s", d->label, rc < 0 ? " failed" : "");
	if (d->tx_start_ms)
		debugx("%s: write transaction held the lock %lld ms", d->label, now_ms() - d->tx_start_ms);
	return rc;
}

int db_rollback(db *d)
{
	const char *sql;
	if (!d || !d->in_tx)
		return 0;
	if (d->open_rows)
		db_rows_free(d->open_rows);
	if (d->batch) {
		d->in_tx = 0;
		d->batch_failed = 1;
		return 0;
	}
	if (IS_PG(d) && d->readonly) {
		d->in_tx = 0;
		return 0;
	}
	d->in_tx = 0;
	debugx("%s: ROLLBACK", d->label);
	if (d->tx_start_ms)
		debugx("%s: write transaction held the lock %lld ms", d->label, now_ms() - d->tx_start_ms);
	if (!(sql = stmt_text(d, "tx_rollback")))
		return -1;
	return IS_PG(d) ? pg_simple(d, sql, TX_END) : lite_simple(d, sql, TX_END);
}

static db_rows *open_rows(db *d, const char *name, const db_arg *args, int nargs, int stream)
{
	const char *sql = stmt_text(d, name);
	db_rows *r;
	int rc;
	if (!sql)
		return NULL;
	if (d->open_rows)
		db_rows_free(d->open_rows);
	r = xcalloc(1, sizeof(*r));
	r->d = d;
	r->name = name;
	debugx("%s: %s %s", d->label, stream ? "stream" : "query", name);
	if (IS_PG(d))
		rc = stream ? pg_stream(r, sql, args, nargs) : pg_query(r, sql, args, nargs);
	else
		rc = lite_query(r, sql, args, nargs);
	if (rc < 0) {
		free(r);
		return NULL;
	}
	d->open_rows = r;
	return r;
}

db_rows *db_query(db *d, const char *name, const db_arg *args, int nargs)
{
	return open_rows(d, name, args, nargs, 0);
}

db_rows *db_stream(db *d, const char *name, const db_arg *args, int nargs)
{
	return open_rows(d, name, args, nargs, 1);
}

int db_step(db_rows *r)
{
	if (r->done)
		return 0;
	return IS_PG(r->d) ? pg_step(r) : lite_step(r);
}

int db_ncols(const db_rows *r) { return r->ncols; }

const char *db_text(const db_rows *r, int i)
{
	if (i < 0 || i >= r->ncols)
		return NULL;
	return IS_PG(r->d) ? pg_text(r, i) : lite_text(r, i);
}

long long db_int(const db_rows *r, int i, int *isnull)
{
	const char *s;
	long long v;
	if (!IS_PG(r->d) && i >= 0 && i < r->ncols && lite_int(r, i, &v)) {
		if (isnull)
			*isnull = 0; /* an integer column read without a detour through text */
		return v;
	}
	s = db_text(r, i);
	if (isnull)
		*isnull = (s == NULL);
	if (!s)
		return 0;
	/* PostgreSQL renders booleans as t/f */
	if (!strcmp(s, "t"))
		return 1;
	if (!strcmp(s, "f"))
		return 0;
	return strtoll(s, NULL, 10);
}

void db_rows_free(db_rows *r)
{
	if (!r)
		return;
	if (IS_PG(r->d))
		pg_rows_free(r);
	else
		lite_rows_free(r);
	if (r->d->open_rows == r)
		r->d->open_rows = NULL;
	free(r);
}

int db_exec(db *d, const char *name, const db_arg *args, int nargs, long long *affected)
{
	const char *sql = stmt_text(d, name);
	long long n = 0;
	int rc;
	if (!sql)
		return -1;
	if (d->open_rows)
		db_rows_free(d->open_rows);
	rc = IS_PG(d) ? pg_exec(d, name, sql, args, nargs, &n) : lite_exec(d, name, sql, args, nargs, &n);
	debugx("%s: exec %s -> %lld row(s)%s", d->label, name, n, rc < 0 ? " (failed)" : "");
	if (affected)
		*affected = n;
	return rc;
}

int db_exec_one(db *d, const char *name, const db_arg *args, int nargs, const char *what)
{
	long long n;
	if (db_exec(d, name, args, nargs, &n) < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "%s changed %lld rows, expected 1", what, n);
	return 0;
}

int db_scalar(db *d, const char *name, const db_arg *args, int nargs, char **out)
{
	db_rows *r = db_query(d, name, args, nargs);
	int rc;
	*out = NULL;
	if (!r)
		return -1;
	rc = db_step(r);
	if (rc == 1) {
		const char *s = db_text(r, 0);
		*out = s ? xstrdup(s) : NULL;
	}
	db_rows_free(r);
	return rc;
}

int db_table_exists(db *d, const char *table)
{
	db_arg a = DB_ARG_TEXT(table);
	char *v = NULL;
	int rc = db_scalar(d, "table_exists", &a, 1, &v);
	free(v);
	return rc;
}

int db_count(db *d, const char *name, const db_arg *args, int nargs, long long *n)
{
	db_rows *r = db_query(d, name, args, nargs);
	int rc;
	*n = 0;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1)
		*n = db_int(r, 0, NULL);
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int db_run_migration(db *d, const char *name)
{
	const char *sql = stmt_text(d, name);
	if (!sql)
		return -1;
	if (!d->in_tx)
		return err_set(EX_FAIL, "internal: migration %s outside a transaction", name);
	debugx("%s: migration %s", d->label, name);
	return IS_PG(d) ? pg_simple(d, sql, TX_OTHER) : lite_simple(d, sql, TX_OTHER);
}

int db_backup(db *d, const char *path)
{
	if (IS_PG(d))
		return err_set(EX_USAGE, "the built-in backup is for SQLite; back up PostgreSQL with pg_dump");
	return lite_backup(d, path);
}

int db_migrations_current(const db *d) { return d->migrations_current; }
void db_set_migrations_current(db *d, int yes) { d->migrations_current = yes; }
int db_in_tx(const db *d) { return d->in_tx || d->batch; }
int db_batch_active(const db *d) { return d->batch; }
