/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log: one mxdba_audit row per changed value, written in the
 * transaction of the change. A password never reaches this file; an old
 * hash does (so `audit undo` can restore it). */
#include "store.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/util.h"

int audit_insert(db *d, long long ts, const char *os_user, const char *command, const char *target,
		 const char *field, const char *old_value, const char *new_value)
{
	db_arg a[7] = { DB_ARG_INT(ts),
			DB_ARG_TEXT(os_user),
			DB_ARG_TEXT(command),
			DB_ARG_TEXT(target),
			DB_ARG_TEXT(field),
			old_value ? DB_ARG_TEXT(old_value) : DB_ARG_NULL,
			new_value ? DB_ARG_TEXT(new_value) : DB_ARG_NULL };
	long long n;
	if (db_exec(d, "audit_insert", a, 7, &n) < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "writing the audit row changed %lld rows, expected 1", n);
	return 0;
}

int audit_insert_many(db *d, long long ts, const char *os_user, const char *rows, const char *field, long long *n)
{
	db_arg a[4] = { DB_ARG_INT(ts), DB_ARG_TEXT(os_user), DB_ARG_TEXT(rows), DB_ARG_TEXT(field) };
	return db_exec(d, "audit_insert_many", a, 4, n);
}

static void row_view(const db_rows *r, struct audit_row *out)
{
	out->id = db_int(r, 0, NULL);
	out->ts = db_int(r, 1, NULL);
	out->os_user = db_text(r, 2);
	out->command = db_text(r, 3);
	out->target = db_text(r, 4);
	out->field = db_text(r, 5);
	out->old_value = db_text(r, 6);
	out->new_value = db_text(r, 7);
}

int audit_list(db *d, const char *target, long long since_ms, int (*fn)(const struct audit_row *, void *),
	       void *user)
{
	db_arg a[2] = { DB_ARG_TEXT(target), DB_ARG_INT(since_ms) };
	db_rows *r = db_stream(d, "audit_list", a, 2);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct audit_row row;
		row_view(r, &row);
		if (fn(&row, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

int audit_get(db *d, long long id, struct audit_row *out)
{
	db_arg k = DB_ARG_INT(id);
	db_rows *r = db_query(d, "audit_get", &k, 1);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		struct audit_row v;
		row_view(r, &v);
		*out = v;
		out->os_user = dup_or_null(v.os_user);
		out->command = dup_or_null(v.command);
		out->target = dup_or_null(v.target);
		out->field = dup_or_null(v.field);
		out->old_value = dup_or_null(v.old_value);
		out->new_value = dup_or_null(v.new_value);
	}
	db_rows_free(r);
	return rc;
}

void audit_row_free(struct audit_row *r)
{
	free((char *)r->os_user);
	free((char *)r->command);
	free((char *)r->target);
	free((char *)r->field);
	free((char *)r->old_value);
	free((char *)r->new_value);
}
