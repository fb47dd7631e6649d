/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse's fast paths for a batch's runs of plain lines: set-based
 * statements over a JSON array of IDs (sql/synapse/BACKEND/accounts.sql,
 * "batch fast paths"); promote/demote on SQLite, cached one-row UPDATEs. The rules stay the command's (struct hs_bulk_admin's
 * check): the guarded UPDATE changes exactly the accounts the check would
 * let change, so only the IDs it did not change are looked up, and those go
 * through the check one by one for its exact answer. */
#include "synapse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/unicode.h"
#include "core/util.h"

/* Run statement NAME on the JSON array ROWS with the int arguments X, Y (N
 * of them: 0 to 2); every first column into DONE (if not NULL), *CHANGED the count. */
static int run_json(struct hs *h, const char *name, json_t *rows, const long long *x, int nx, json_t *done,
		    long long *changed)
{
	char *s = json_dumps(rows, JSON_COMPACT);
	db_arg a[3] = { DB_ARG_TEXT(s), DB_ARG_INT(nx > 0 ? x[0] : 0), DB_ARG_INT(nx > 1 ? x[1] : 0) };
	int rc;
	if (!s)
		return err_set(EX_FAIL, "internal: cannot encode %zu rows for %s", json_array_size(rows), name);
	if (!done)
		rc = db_exec(h->db, name, a, 1 + nx, changed);
	else {
		db_rows *q = db_query(h->db, name, a, 1 + nx);
		rc = q ? 0 : -1;
		*changed = 0;
		while (q && (rc = db_step(q)) == 1) {
			json_object_set_new(done, db_text(q, 0), json_true());
			(*changed)++;
		}
		db_rows_free(q);
		rc = rc < 0 ? -1 : 0;
	}
	free(s);
	return rc;
}

static int guarded_set(struct hs *h, const struct mxid *id, int on, long long *n)
{
	db_arg a[3] = { DB_ARG_INT(on != 0), DB_ARG_TEXT(id->full), DB_ARG_INT(on == 0) };
	return db_exec(h->db, "account_set_admin_guarded", a, 3, n);
}

/* PostgreSQL: one UPDATE … RETURNING for the run (round trips are the cost) */
static int bulk_pg(struct hs *h, struct hs_bulk_admin *b)
{
	json_t *fast = json_array(), *named = json_object(), *done = json_object();
	char *is_fast = xcalloc((size_t)b->n + 1, 1);
	long long args[2] = { b->on != 0, b->on == 0 }, n = 0;
	int rc = 0;
	b->failed = -1;
	/* fast: the first ID to name its account (named by its lowercased
	 * localpart, as Synapse's own look-up falls back to it) */
	for (int i = 0; rc == 0 && i < b->n; i++) {
		char lower[MXID_MAX + 1];
		mxid_lower(lower, sizeof(lower), b->ids[i].localpart);
		if (!json_object_get(named, lower) && hs_bulk_guarded_ok(h, &b->ids[i])) {
			is_fast[i] = 1;
			json_array_append_new(fast, json_string(b->ids[i].full));
		}
		json_object_set_new(named, lower, json_true());
	}
	if (rc == 0 && json_array_size(fast))
		rc = run_json(h, "accounts_set_admin_returning", fast, args, 2, done, &n);
	for (int i = 0; rc == 0 && i < b->n; i++) {
		b->failed = i;
		if (is_fast[i] && json_object_get(done, b->ids[i].full))
			rc = b->changed(i, b->ids[i].full, b->user);
		else
			rc = hs_bulk_admin_one(h, b, i);
	}
	if (rc == 0)
		b->failed = -1;
	free(is_fast);
	json_decref(fast);
	json_decref(named);
	json_decref(done);
	return rc < 0 ? -1 : 0;
}

int synapse_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b)
{
	if (synapse_accounts_writable(h) < 0) {
		b->failed = -1;
		return -1;
	}
	return db_kind(h->db) == DB_SQLITE ? hs_bulk_admin_rows(h, b, guarded_set) : bulk_pg(h, b);
}

int synapse_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken)
{
	json_t *keys = json_array(), *got = json_object();
	long long k;
	int rc;
	for (int i = 0; i < n; i++)
		json_array_append_new(keys, json_pack("[s, s]", ids[i].full, ids[i].localpart));
	rc = run_json(h, "accounts_taken_many", keys, NULL, 0, got, &k);
	for (int i = 0; rc == 0 && i < n; i++)
		taken[i] = json_object_get(got, ids[i].localpart) != NULL;
	json_decref(keys);
	json_decref(got);
	return rc;
}

/* Statement NAME over ROWS must insert exactly N rows. */
static int insert_many(struct hs *h, const char *name, json_t *rows, const long long *x, int nx, const char *what,
		       int n)
{
	long long k = 0;
	if ((int)json_array_size(rows) != n)
		return err_set(EX_USAGE, "%s: a value is not valid UTF-8", what);
	if (run_json(h, name, rows, x, nx, NULL, &k) < 0)
		return -1;
	return k == n ? 0 : err_set(EX_DB, "%s changed %lld rows, expected %d", what, k, n);
}

/* What registration writes, for N new users at once (as synapse_account_create for one). */
int synapse_bulk_create(struct hs *h, const struct hs_new_account *a, int n)
{
	json_t *users = json_array(), *profs = json_array(), *ids = json_array(), *dir = json_array();
	long long created = now_ms() / 1000;
	int rc = synapse_accounts_writable(h);
	for (int i = 0; rc == 0 && i < n; i++) {
		const char *name = a[i].display_name ? a[i].display_name : a[i].id.localpart;
		char *fold = unicode_lower_nfkc(name);
		json_array_append_new(users, json_pack("[s, s?, i]", a[i].id.full,
						       *a[i].password_hash ? a[i].password_hash : NULL, a[i].admin != 0));
		json_array_append_new(profs, json_pack("[s, s, s]", a[i].id.localpart, a[i].id.full, name));
		json_array_append_new(ids, json_string(a[i].id.full));
		if (!a[i].deactivated && fold)
			json_array_append_new(dir, json_pack("[s, s, s]", a[i].id.full, name, fold));
		else if (!fold)
			rc = err_set(EX_USAGE, "the display name of %s is not valid UTF-8", a[i].id.full);
		free(fold);
	}
	if (rc == 0)
		rc = insert_many(h, SYN(h)->s.has_suspended ? "accounts_insert_many" : "accounts_insert_many_without_suspended",
				 users, &created, 1, "inserting the accounts", n);
	if (rc == 0)
		rc = insert_many(h, "profiles_insert_many", profs, NULL, 0, "inserting the profiles", n);
	if (rc == 0 && SYN(h)->s.has_stats)
		rc = insert_many(h, "user_stats_insert_many", ids, NULL, 0, "inserting the users' stats", n);
	if (rc == 0 && json_array_size(dir)) {
		int nd = (int)json_array_size(dir);
		rc = insert_many(h, "user_dir_put_many", dir, NULL, 0, "adding the users to the user directory", nd);
		if (rc == 0)
			rc = insert_many(h, "user_dir_search_put_many", dir, NULL, 0, "indexing the user directory", nd);
	}
	json_decref(users);
	json_decref(profs);
	json_decref(ids);
	json_decref(dir);
	return rc;
}
