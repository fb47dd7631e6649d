/* SPDX-License-Identifier: Apache-2.0 */
/* mxdba's own rows moved to another database (`mxdba store copy`): after
 * Synapse's synapse_port_db, which ports the homeserver's tables and leaves
 * mxdba_* behind, the audit log, the queue and the minted tokens follow with
 * their ids, so `audit undo ID` and `queue apply` go on where they were.
 * Statements: sql/common/BACKEND/store_copy.sql. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "store.h"

int store_present(db *from)
{
	char *v = NULL;
	int rc = db_scalar(from, "copy_src_has_store", NULL, 0, &v);
	long n = rc == 1 && v ? atol(v) : 0;
	free(v);
	return rc < 0 ? -1 : n >= 4;
}

/* The migrations this mxdba knows (their names, malloc'd). */
struct known {
	char **name;
	int n;
};

static void add_known(const char *name, long long ts, void *user)
{
	struct known *k = user;
	(void)ts;
	k->name = xrealloc(k->name, (size_t)(k->n + 1) * sizeof(*k->name));
	k->name[k->n++] = xstrdup(name);
}

static int is_known(const struct known *k, const char *name)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name))
			return 1;
	return 0;
}

int store_unknown_migrations(db *from, db *to, char *buf, size_t n)
{
	struct known k = { NULL, 0 };
	db_rows *r;
	size_t used = 0;
	int rc = -1;
	buf[0] = '\0';
	if (migrate_status(to, add_known, &k) >= 0 && (r = db_query(from, "copy_src_migrations", NULL, 0))) {
		while ((rc = db_step(r)) == 1)
			if (!is_known(&k, db_text(r, 0)) && used < n)
				used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", db_text(r, 0));
		db_rows_free(r);
	}
	for (int i = 0; i < k.n; i++)
		free(k.name[i]);
	free(k.name);
	return rc < 0 ? -1 : 0;
}

int store_counts(db *to, struct store_counts *c)
{
	db_rows *r = db_query(to, "copy_dst_counts", NULL, 0);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		c->audit = db_int(r, 0, NULL);
		c->queue = db_int(r, 1, NULL);
		c->minted = db_int(r, 2, NULL);
	}
	db_rows_free(r);
	return rc == 1 ? 0 : rc < 0 ? -1 : err_set(EX_DB, "internal: copy_dst_counts returned no row");
}

/* Every row of READ on FROM through WRITE on TO, each column as it is
 * (text, or NULL); *N the count. */
static int copy_table(db *from, const char *read, db *to, const char *write, long long *n)
{
	db_rows *r = db_query(from, read, NULL, 0);
	db_arg a[16];
	int rc, cols;
	if (!r)
		return -1;
	cols = db_ncols(r);
	if (cols > (int)ARRAY_LEN(a)) {
		db_rows_free(r);
		return err_set(EX_DB, "internal: %s has %d columns", read, cols);
	}
	while ((rc = db_step(r)) == 1) {
		for (int i = 0; i < cols; i++)
			a[i] = db_text(r, i) ? DB_ARG_TEXT(db_text(r, i)) : DB_ARG_NULL;
		if (db_exec(to, write, a, cols, NULL) < 0) {
			rc = -1;
			break;
		}
		(*n)++;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

/* The newest of the queue's column migrations FROM applied: 4 (job), 3
 * (sender), or 0 (neither); -1 on error. */
static int queue_columns(db *from)
{
	db_rows *r = db_query(from, "copy_src_migrations", NULL, 0);
	int rc, found = 0;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		if (!strcmp(db_text(r, 0), "0004_queue_job"))
			found = 4;
		else if (!strcmp(db_text(r, 0), "0003_queue_sender") && found < 3)
			found = 3;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : found;
}

int store_copy_rows(db *from, db *to, struct store_counts *copied)
{
	int cols = queue_columns(from);
	const char *src = cols == 4 ? "copy_src_queue" : cols == 3 ? "copy_src_queue_nojob" : "copy_src_queue_nosender";
	memset(copied, 0, sizeof(*copied));
	if (cols < 0 || copy_table(from, "copy_src_audit", to, "copy_dst_audit", &copied->audit) < 0 ||
	    copy_table(from, src, to, "copy_dst_queue", &copied->queue) < 0 ||
	    copy_table(from, "copy_src_minted", to, "copy_dst_minted", &copied->minted) < 0)
		return -1;
	{
		db_rows *r = db_query(to, "copy_dst_sequences", NULL, 0);
		int rc = r ? db_step(r) : -1;
		db_rows_free(r);
		return rc < 0 ? -1 : 0;
	}
}

int store_copy_done(db *to, const char *mark, long long *ts)
{
	db_arg a = DB_ARG_TEXT(mark);
	char *v = NULL;
	int rc = db_scalar(to, "copy_dst_done", &a, 1, &v);
	*ts = rc == 1 && v ? atoll(v) : 0;
	free(v);
	return rc;
}
