/* SPDX-License-Identifier: Apache-2.0 */
/* PostgreSQL backend (libpq). Parameterised statements only; results are
 * streamed in single-row mode so a listing never holds all rows. libpq is
 * loaded with dlopen when a PostgreSQL database is first opened: it brings
 * OpenSSL, Kerberos and LDAP, whose start-up an SQLite user should not pay. */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "db_impl.h"
#include "sqlreg.h"

#define PQ_FUNCS(X) X(PQexecParams) X(PQsendQuery) X(PQsendQueryParams) X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQerrorMessage) X(PQexec) X(PQexecPrepared) X(PQfinish) X(PQgetResult) X(PQgetisnull) X(PQgetvalue) X(PQnfields) X(PQntuples) X(PQprepare) X(PQresultErrorField) X(PQresultStatus) X(PQsendQueryPrepared) X(PQsetSingleRowMode) X(PQstatus)
#define PQ_DECL(f) static __typeof__(f) *pq_##f;
PQ_FUNCS(PQ_DECL)
#define PQclear pq_PQclear
#define PQexecParams pq_PQexecParams
#define PQsendQuery pq_PQsendQuery
#define PQsendQueryParams pq_PQsendQueryParams
#define PQcmdTuples pq_PQcmdTuples
#define PQconnectdbParams pq_PQconnectdbParams
#define PQerrorMessage pq_PQerrorMessage
#define PQexec pq_PQexec
#define PQexecPrepared pq_PQexecPrepared
#define PQfinish pq_PQfinish
#define PQgetResult pq_PQgetResult
#define PQgetisnull pq_PQgetisnull
#define PQgetvalue pq_PQgetvalue
#define PQnfields pq_PQnfields
#define PQntuples pq_PQntuples
#define PQprepare pq_PQprepare
#define PQresultErrorField pq_PQresultErrorField
#define PQresultStatus pq_PQresultStatus
#define PQsendQueryPrepared pq_PQsendQueryPrepared
#define PQsetSingleRowMode pq_PQsetSingleRowMode
#define PQstatus pq_PQstatus

static int pq_load(void)
{
	static void *lib;
	if (lib)
		return 0;
	if (!(lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL))) {
		err_set(EX_DB, "cannot load libpq: %s", dlerror());
		return err_hint("install the libpq5 package");
	}
#define PQ_SYM(f)                                                              \
	if (!(*(void **)&pq_##f = dlsym(lib, #f)))                             \
		return err_set(EX_DB, "libpq lacks %s", #f);
	PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
	return 0;
}

#define CONN(d) ((PGconn *)(d)->conn)

static int pg_fail(db *d, const char *what, const PGresult *res);

/* RES of a statement that returns no rows: 0 when it did its work, else -1
 * with the error recorded under WHAT. RES is cleared either way. */
static int command_done(db *d, const char *what, PGresult *res)
{
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_fail(d, what, res);
	PQclear(res);
	return ok ? 0 : -1;
}

/* Inside a transaction each named statement is prepared once and reused (a
 * batch of 100,000 lines parses each statement once); the names carry the
 * transaction's number and are dropped (DEALLOCATE ALL) before it ends.
 * Outside a transaction statements go unnamed, in one round trip. Both keep
 * PgBouncer in transaction mode working: nothing outlives the transaction
 * that pins the server connection. */
struct stmt_cache {
	const char *sql;
	char name[40];
	struct stmt_cache *next;
};

static void forget_prepared(db *d)
{
	struct stmt_cache *c = d->cache, *next;
	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	d->cache = NULL;
}

/* The prepared name for SQL, preparing it now if needed; NULL without an
 * error when no transaction is open (then the caller sends it unnamed). */
static const char *prepared(db *d, const char *what, const char *sql, int nargs, int *failed)
{
	struct stmt_cache *c;
	int n = 0;
	PGresult *res;
	*failed = 0;
	if ((!d->in_tx && !d->batch) || d->readonly)
		return NULL; /* a read-only connection never ends its transaction: nothing named may pile up */
	for (c = d->cache; c; c = c->next, n++)
		if (c->sql == sql)
			return c->name;
	c = xcalloc(1, sizeof(*c));
	c->sql = sql;
	snprintf(c->name, sizeof(c->name), "mxdba_%u_%d", d->tx_seq, n);
	res = PQprepare(CONN(d), c->name, sql, nargs, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(d, what, res);
		PQclear(res);
		free(c);
		*failed = 1;
		return NULL;
	}
	PQclear(res);
	c->next = d->cache;
	d->cache = c;
	return c->name;
}

static int pg_fail(db *d, const char *what, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", primary ? primary : PQerrorMessage(CONN(d)));
	msg[strcspn(msg, "\n")] = '\0';
	err_set(EX_DB, "%s failed on %s: %s", what, d->label, msg);
	if (PQstatus(CONN(d)) != CONNECTION_OK)
		err_detail("the connection to the server was lost; nothing was committed");
	else if (detail || state)
		err_detail("%s%sSQLSTATE %s", detail ? detail : "", detail ? "; " : "", state ? state : "?");
	return -1;
}

int pg_open(db *d, const char *target)
{
	const char *keys[] = { "connect_timeout", "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "10", "mxdba", target, NULL };
	PGconn *c;
	if (pq_load() < 0)
		return -1;
	c = PQconnectdbParams(keys, vals, 1);
	d->conn = c;
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", c ? PQerrorMessage(c) : "out of memory");
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		err_set(EX_DB, "cannot connect to %s", d->label);
		err_detail("%s", msg);
		err_hint("check the connection string in [database] and that PostgreSQL is running");
		return -1;
	}
	if (d->readonly) {
		if (command_done(d, "starting the read-only transaction",
				 PQexec(c, sql_lookup(NULL, "postgres", "read_only_begin"))) < 0)
			return -1;
	}
	return 0;
}

void pg_close(db *d)
{
	forget_prepared(d);
	PQfinish(CONN(d));
	d->conn = NULL;
}

int pg_simple(db *d, const char *sql, enum tx_op op)
{
	if (op == TX_END && d->cache) {
		/* fails harmlessly in an aborted transaction; names are unique per transaction anyway */
		PQclear(PQexec(CONN(d), sql_lookup(NULL, "postgres", "deallocate_all")));
		forget_prepared(d);
	}
	if (op == TX_BEGIN || op == TX_BEGIN_WRITE)
		d->tx_seq++;
	return command_done(d, sql, PQexec(CONN(d), sql));
}

/* Text form of the parameters; ints are printed into BUF (24 bytes each). */
static void pg_params(const db_arg *args, int nargs, const char **vals, char (*buf)[24])
{
	for (int i = 0; i < nargs; i++) {
		switch (args[i].type) {
		case DB_NULL:
			vals[i] = NULL;
			break;
		case DB_TEXT:
			vals[i] = args[i].s;
			break;
		case DB_INT:
			snprintf(buf[i], 24, "%lld", args[i].i);
			vals[i] = buf[i];
			break;
		}
	}
}

int pg_query(db_rows *r, const char *sql, const db_arg *args, int nargs)
{
	const char *vals[32];
	char buf[32][24];
	if (nargs > 32)
		return err_set(EX_FAIL, "internal: too many parameters for %s", r->name);
	const char *name;
	int failed, ok;
	pg_params(args, nargs, vals, buf);
	name = prepared(r->d, r->name, sql, nargs, &failed);
	if (failed)
		return -1;
	ok = name ? PQsendQueryPrepared(CONN(r->d), name, nargs, vals, NULL, NULL, 0)
		  : PQsendQueryParams(CONN(r->d), sql, nargs, NULL, vals, NULL, NULL, 0);
	if (!ok)
		return pg_fail(r->d, r->name, NULL);
	PQsetSingleRowMode(CONN(r->d));
	return 0;
}

/* A listing's rows, one at a time. On a read-only connection and outside
 * a transaction: single-row mode, so that PostgreSQL runs the query as it
 * runs any other, with parallel workers where its plan wants them (it
 * never runs a cursor's query in parallel: a Synapse room of 1,000,000
 * members took 4.5 s through a cursor, 2.5 s in single-row mode, 2.2-2.8 s
 * for psql). Inside a write transaction: a cursor, DECLAREd for SQL
 * (parameters bound as usual) and FETCHed in blocks from pg_step, so that
 * a stream left early is closed at once instead of drained. The cursor's
 * name is fixed: one open db_rows per connection. */
int pg_stream(db_rows *r, const char *sql, const db_arg *args, int nargs)
{
	const char *vals[32];
	char buf[32][24];
	char *declare;
	int rc;
	if (!r->d->in_tx || r->d->readonly)
		return pg_query(r, sql, args, nargs);
	if (nargs > 32)
		return err_set(EX_FAIL, "internal: too many parameters for %s", r->name);
	pg_params(args, nargs, vals, buf);
	if (command_done(r->d, r->name, PQexec(CONN(r->d), sql_lookup(NULL, "postgres", "stream_plan"))) < 0)
		return -1;
	declare = xasprintf("%s %s", sql_lookup(NULL, "postgres", "stream_declare"), sql);
	rc = command_done(r->d, r->name, PQexecParams(CONN(r->d), declare, nargs, NULL, vals, NULL, NULL, 0));
	free(declare);
	if (rc < 0)
		return -1;
	r->cursor = 1;
	r->row = r->nrows = 0;
	return 0;
}

static void drain(db *d)
{
	PGresult *res;
	while ((res = PQgetResult(CONN(d))))
		PQclear(res);
}

/* The next block: the FETCH for it was sent when the previous block came
 * (read-ahead), so the server produces it while the client prints the
 * previous one. */
static int cursor_step(db_rows *r)
{
	PGresult *res;
	if (r->res && ++r->row < r->nrows)
		return 1;
	if (r->res)
		PQclear(r->res);
	r->res = NULL;
	if (!r->ahead && !PQsendQuery(CONN(r->d), sql_lookup(NULL, "postgres", "stream_fetch"))) {
		pg_fail(r->d, r->name, NULL);
		r->done = 1;
		return -1;
	}
	res = PQgetResult(CONN(r->d));
	drain(r->d);
	r->ahead = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(r->d, r->name, res);
		PQclear(res);
		r->done = 1;
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		PQclear(PQexec(CONN(r->d), sql_lookup(NULL, "postgres", "stream_close")));
		r->done = 1;
		r->cursor = 0;
		return 0;
	}
	r->res = res;
	r->ncols = PQnfields(res);
	r->nrows = PQntuples(res);
	r->row = 0;
	/* a failed send shows as the next step's error */
	r->ahead = PQsendQuery(CONN(r->d), sql_lookup(NULL, "postgres", "stream_fetch"));
	return 1;
}

int pg_step(db_rows *r)
{
	PGresult *res;
	if (r->cursor)
		return cursor_step(r);
	if (r->res) {
		PQclear(r->res);
		r->res = NULL;
	}
	res = PQgetResult(CONN(r->d));
	if (!res) {
		r->done = 1;
		return 0;
	}
	switch (PQresultStatus(res)) {
	case PGRES_SINGLE_TUPLE:
		r->res = res;
		r->ncols = PQnfields(res);
		return 1;
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		PQclear(res);
		drain(r->d);
		r->done = 1;
		return 0;
	default:
		pg_fail(r->d, r->name, res);
		PQclear(res);
		drain(r->d);
		r->done = 1;
		return -1;
	}
}

const char *pg_text(const db_rows *r, int i)
{
	PGresult *res = r->res;
	if (!res || PQgetisnull(res, r->row, i))
		return NULL;
	return PQgetvalue(res, r->row, i);
}

void pg_rows_free(db_rows *r)
{
	if (r->res)
		PQclear(r->res);
	r->res = NULL;
	if (r->ahead)
		drain(r->d); /* the read-ahead block nobody wants */
	r->ahead = 0;
	if (r->cursor) {
		/* in an aborted transaction this fails harmlessly; the rollback closes it */
		PQclear(PQexec(CONN(r->d), sql_lookup(NULL, "postgres", "stream_close")));
		r->cursor = 0;
	} else if (!r->done)
		drain(r->d);
}

int pg_exec(db *d, const char *name, const char *sql, const db_arg *args, int nargs, long long *affected)
{
	const char *vals[32];
	char buf[32][24];
	PGresult *res;
	ExecStatusType st;
	if (nargs > 32)
		return err_set(EX_FAIL, "internal: too many parameters for %s", name);
	const char *pname;
	int failed;
	pg_params(args, nargs, vals, buf);
	pname = prepared(d, name, sql, nargs, &failed);
	if (failed)
		return -1;
	res = pname ? PQexecPrepared(CONN(d), pname, nargs, vals, NULL, NULL, 0)
		    : PQexecParams(CONN(d), sql, nargs, NULL, vals, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(d, name, res);
		PQclear(res);
		return -1;
	}
	*affected = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}
