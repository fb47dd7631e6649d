/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite backend. Never creates a database file; read-only components are
 * opened with SQLITE_OPEN_READONLY; writes take the EXCLUSIVE lock up front
 * (lite_begin_write). Prepared statements are cached per connection. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"
#include "db_impl.h"
#include "sqlreg.h"

#define CONN(d) ((sqlite3 *)(d)->conn)
#define BUSY_TIMEOUT_MS 5000
#define POLITE_MS 2000 /* how long a writer steps back rather than queue (lite_begin_write) */

struct stmt_cache {
	const char *sql; /* embedded text: its address is the key */
	sqlite3_stmt *stmt;
	struct stmt_cache *next;
};

static int lite_fail(db *d, const char *what)
{
	int code = sqlite3_extended_errcode(CONN(d));
	err_set(EX_DB, "%s failed on %s: %s", what, d->label, sqlite3_errmsg(CONN(d)));
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		err_hint("another process holds the database lock (is the homeserver running?); try again, or stop it first");
	else if ((code & 0xff) == SQLITE_READONLY)
		err_hint("the database file or its directory is not writable by this user");
	else if ((code & 0xff) == SQLITE_FULL)
		err_hint("the disk is full; free space and try again");
	return -1;
}

/* Is PATH a database in WAL mode (header bytes 18 and 19 both 2)? Read
 * through SQLite's own file layer, never open()/close(): closing any
 * descriptor of a file drops every POSIX lock this process holds on it, so
 * a plain fclose() here took away the locks of a connection this process
 * already had on the same file (a second, read-only connection opened
 * beside the write one). The connection lost its SHARED lock, another
 * process's last close then took the WAL for its own and deleted it, and a
 * transaction committed into that WAL was gone. SQLite's close keeps the
 * descriptor open while another connection here holds a lock. */
static int in_wal_mode(const char *path)
{
	sqlite3 *c = NULL;
	sqlite3_file *f = NULL;
	unsigned char h[20];
	int wal = 0;
	if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_file_control(c, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f && f->pMethods &&
	    f->pMethods->xRead(f, h, (int)sizeof(h), 0) == SQLITE_OK)
		wal = h[18] == 2 && h[19] == 2;
	sqlite3_close(c);
	return wal;
}

/* A read-only connection to a WAL database (Synapse's) cannot remove the
 * -wal and -shm files it creates when it is the last one to close, so a
 * read left files behind. When the file and its folder are writable, reads
 * open it read-write and turn on query_only instead: the last close then
 * checkpoints and removes them, as the homeserver's own close does. */
static int open_flags(const db *d, const char *target)
{
	int flags = SQLITE_OPEN_NOMUTEX;
	char *dir, *slash;
	int dir_ok;
	if (!d->readonly)
		return flags | SQLITE_OPEN_READWRITE;
	dir = xstrdup(target);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	dir_ok = access(slash ? dir : ".", W_OK) == 0;
	free(dir);
	if (dir_ok && access(target, W_OK) == 0 && in_wal_mode(target))
		return flags | SQLITE_OPEN_READWRITE;
	return flags | SQLITE_OPEN_READONLY;
}

int lite_open(db *d, const char *target)
{
	struct stat st;
	int flags;
	sqlite3 *c = NULL;
	if (stat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(EX_DB, "database file %s does not exist or is not a regular file", target);
		err_detail("component database %s", d->label);
		return err_hint("check the [database] connection string and [homeserver] base_dir; mxdba never creates a homeserver database");
	}
	flags = open_flags(d, target);
	if (sqlite3_open_v2(target, &c, flags, NULL) != SQLITE_OK) {
		d->conn = c;
		lite_fail(d, "opening the database");
		return -1;
	}
	d->conn = c;
	sqlite3_busy_timeout(c, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(c, 1);
	/* a file that is not SQLite fails here rather than in the first real query */
	{
		long long n;
		if (lite_exec(d, "probe", sql_lookup(NULL, "sqlite", "probe"), NULL, 0, &n) < 0) {
			err_hint("is %s really a homeserver's SQLite database?", target);
			return -1;
		}
		if ((flags & SQLITE_OPEN_READWRITE) && d->readonly &&
		    lite_exec(d, "read_only_begin", sql_lookup(NULL, "sqlite", "read_only_begin"), NULL, 0, &n) < 0)
			return -1;
	}
	return 0;
}

void lite_close(db *d)
{
	struct stmt_cache *c = d->cache, *next;
	for (; c; c = next) {
		next = c->next;
		sqlite3_finalize(c->stmt);
		free(c);
	}
	d->cache = NULL;
	sqlite3_close(CONN(d));
	d->conn = NULL;
}

/* Dendrite (rollback journal, deferred transactions) reads first and then
 * upgrades to a write lock. SQLite refuses that upgrade at once, without its
 * busy timeout, whenever another connection holds RESERVED or more: it would
 * deadlock. So mxdba never holds RESERVED while a Dendrite reader is around:
 * BEGIN EXCLUSIVE with no busy wait, and if readers are there the attempt
 * gives every lock back and tries again a moment later. Once mxdba holds
 * EXCLUSIVE no reader can start, and Dendrite's own busy timeout makes its
 * requests wait for the few milliseconds of mxdba's transaction. After
 * POLITE_MS of stepping back (readers never all gone) mxdba queues like any
 * writer (SQLite's PENDING lock stops new readers) for the rest of the busy
 * timeout, so a busy server cannot starve it. */
static int lite_begin_write(db *d, const char *sql)
{
	long long start = now_ms();
	unsigned delay_us = 200;
	int rc;
	sqlite3_busy_timeout(CONN(d), 0);
	while ((rc = sqlite3_exec(CONN(d), sql, NULL, NULL, NULL)) != SQLITE_OK &&
	       (rc & 0xff) == SQLITE_BUSY && now_ms() - start < POLITE_MS) {
		struct timespec ts = {0, (long)delay_us * 1000};
		nanosleep(&ts, NULL);
		if (delay_us < 5000)
			delay_us *= 2;
	}
	sqlite3_busy_timeout(CONN(d), BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK && (rc & 0xff) == SQLITE_BUSY)
		rc = sqlite3_exec(CONN(d), sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return lite_fail(d, "taking the write lock");
	return 0;
}

int lite_simple(db *d, const char *sql, enum tx_op op)
{
	if (op == TX_BEGIN_WRITE)
		return lite_begin_write(d, sql);
	if (sqlite3_exec(CONN(d), sql, NULL, NULL, NULL) != SQLITE_OK) {
		lite_fail(d, op == TX_END ? "ending the transaction" : op == TX_BEGIN ? "starting a transaction" : sql);
		if (op == TX_END && !sqlite3_get_autocommit(CONN(d)))
			sqlite3_exec(CONN(d), sql_lookup(NULL, "sqlite", "tx_rollback"), NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prepare(db *d, const char *name, const char *sql)
{
	struct stmt_cache *c;
	for (c = d->cache; c; c = c->next)
		if (c->sql == sql) {
			sqlite3_reset(c->stmt);
			sqlite3_clear_bindings(c->stmt);
			return c->stmt;
		}
	c = xcalloc(1, sizeof(*c));
	if (sqlite3_prepare_v3(CONN(d), sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt, NULL) != SQLITE_OK) {
		free(c);
		lite_fail(d, name);
		return NULL;
	}
	c->sql = sql;
	c->next = d->cache;
	d->cache = c;
	return c->stmt;
}

/* COPY: the text may be gone before the rows are read (a query); an exec
 * runs to completion while its arguments are alive, so it binds in place. */
static int bind(db *d, const char *name, sqlite3_stmt *s, const db_arg *args, int nargs, int copy)
{
	if (sqlite3_bind_parameter_count(s) != nargs)
		return err_set(EX_FAIL, "internal: %s takes %d parameters, %d given", name,
			       sqlite3_bind_parameter_count(s), nargs);
	for (int i = 0; i < nargs; i++) {
		int rc = SQLITE_OK;
		switch (args[i].type) {
		case DB_NULL:
			rc = sqlite3_bind_null(s, i + 1);
			break;
		case DB_TEXT:
			rc = sqlite3_bind_text(s, i + 1, args[i].s, -1, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(s, i + 1, args[i].i);
			break;
		}
		if (rc != SQLITE_OK)
			return lite_fail(d, name);
	}
	return 0;
}

int lite_query(db_rows *r, const char *sql, const db_arg *args, int nargs)
{
	sqlite3_stmt *s = prepare(r->d, r->name, sql);
	if (!s || bind(r->d, r->name, s, args, nargs, 1) < 0)
		return -1;
	r->stmt = s;
	r->ncols = sqlite3_column_count(s);
	return 0;
}

int lite_step(db_rows *r)
{
	int rc = sqlite3_step(r->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	r->done = 1;
	if (rc == SQLITE_DONE)
		return 0;
	return lite_fail(r->d, r->name);
}

const char *lite_text(const db_rows *r, int i)
{
	if (sqlite3_column_type(r->stmt, i) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(r->stmt, i);
}

int lite_int(const db_rows *r, int i, long long *v)
{
	if (sqlite3_column_type(r->stmt, i) != SQLITE_INTEGER)
		return 0;
	*v = sqlite3_column_int64(r->stmt, i);
	return 1;
}

void lite_rows_free(db_rows *r)
{
	if (r->stmt)
		sqlite3_reset(r->stmt);
}

int lite_exec(db *d, const char *name, const char *sql, const db_arg *args, int nargs, long long *affected)
{
	sqlite3_stmt *s = prepare(d, name, sql);
	int rc;
	if (!s || bind(d, name, s, args, nargs, 0) < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		lite_fail(d, name);
		sqlite3_reset(s);
		return -1;
	}
	*affected = sqlite3_changes(CONN(d));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* bound in place: not kept past this call */
	return 0;
}

int lite_backup(db *d, const char *path)
{
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc;
	if (sqlite3_open_v2(path, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE, NULL) !=
	    SQLITE_OK) {
		err_set(EX_DB, "cannot create backup file %s: %s", path, out ? sqlite3_errmsg(out) : "out of memory");
		sqlite3_close(out);
		return -1;
	}
	if (!(b = sqlite3_backup_init(out, "main", CONN(d), "main"))) {
		err_set(EX_DB, "cannot start the backup to %s: %s", path, sqlite3_errmsg(out));
		sqlite3_close(out);
		return -1;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		err_set(EX_DB, "backup of %s to %s failed: %s", d->label, path, sqlite3_errstr(rc));
		if ((rc & 0xff) == SQLITE_FULL)
			err_hint("the disk is full; free space or set [safety] backup_dir elsewhere");
		sqlite3_close(out);
		return -1;
	}
	if (sqlite3_close(out) != SQLITE_OK)
		return err_set(EX_DB, "cannot close backup file %s", path);
	return 0;
}
