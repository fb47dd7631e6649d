/* SPDX-License-Identifier: Apache-2.0 */
/* Migration runner for mxdba's own tables. The scripts live in
 * migrations/BACKEND/NNNN_name.sql and are embedded at build time. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "db/sqlreg.h"

static long long applied_at(db *d, const char *name, int have_table)
{
	db_arg a = DB_ARG_TEXT(name);
	char *v = NULL;
	long long ts;
	int rc;
	if (!have_table)
		return 0;
	rc = db_scalar(d, "mxdba_migration_applied", &a, 1, &v);
	if (rc < 0)
		return -1;
	ts = rc == 1 && v ? strtoll(v, NULL, 10) : 0;
	free(v);
	return ts;
}

int migrate_status(db *d, void (*fn)(const char *, long long, void *), void *user)
{
	int have = db_table_exists(d, "mxdba_migrations");
	if (have < 0)
		return -1;
	for (const struct sql_entry *e = sql_entries; e->name; e++) {
		long long ts;
		if (!sql_is_migration(e, db_backend_name(d)))
			continue;
		if ((ts = applied_at(d, e->name, have)) < 0)
			return -1;
		fn(e->name, ts, user);
	}
	return 0;
}

static void count_pending(const char *name, long long ts, void *user)
{
	(void)name;
	*(int *)user += ts == 0;
}

int migrate_pending(db *d)
{
	int n = 0;
	if (db_migrations_current(d))
		return 0; /* a batch asks once per line: answer from memory */
	if (migrate_status(d, count_pending, &n) < 0)
		return -1;
	/* only a committed state may be remembered: inside a transaction it could still roll back */
	if (n == 0 && !db_in_tx(d))
		db_set_migrations_current(d, 1);
	return n;
}

int migrate_apply_in_tx(db *d, int announce, int dry_run, int *applied)
{
	int n = migrate_pending(d);
	*applied = 0;
	if (n <= 0)
		return n; /* 0: nothing to do, -1: error */
	if (db_exec(d, "mxdba_migrations_create", NULL, 0, NULL) < 0)
		return -1;
	for (const struct sql_entry *e = sql_entries; e->name; e++) {
		db_arg rec[3];
		long long ts;
		if (!sql_is_migration(e, db_backend_name(d)))
			continue;
		if ((ts = applied_at(d, e->name, 1)) < 0)
			return -1;
		if (ts)
			continue;
		if (announce)
			infox("%s mxdba's own migration %s in %s", dry_run ? "would apply" : "applying", e->name,
			      db_label(d));
		if (db_run_migration(d, e->name) < 0)
			return -1;
		rec[0] = DB_ARG_TEXT(e->name);
		rec[1] = DB_ARG_INT(now_ms());
		rec[2] = DB_ARG_TEXT(MXDBA_VERSION);
		if (db_exec(d, "mxdba_migration_record", rec, 3, NULL) < 0)
			return -1;
		(*applied)++;
	}
	/* inside a batch every line shares this transaction's fate: no need to ask again */
	if (db_batch_active(d))
		db_set_migrations_current(d, 1);
	return 0;
}
