/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite's fast paths for a batch's runs of plain lines. The rules stay
 * the command's (struct hs_bulk_admin's check); what is fast here is how
 * the rows are reached: an UPDATE guarded by account_type is the check
 * itself for a lowercase, unreserved localpart (exactly the accounts of
 * type 1 change), so only the IDs it did not change are looked up.
 * PostgreSQL: one UPDATE … RETURNING and one look-up per run (round trips
 * are the cost); SQLite: cached one-row statements (faster there than
 * encoding the IDs as JSON and decoding them again). */
#include "dendrite.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

static int guarded_set(struct hs *h, const struct mxid *id, int on, long long *n)
{
	db_arg up[4] = { DB_ARG_INT(on ? ACCT_ADMIN : ACCT_USER), DB_ARG_TEXT(id->localpart), DB_ARG_TEXT(id->server),
			 DB_ARG_INT(on ? ACCT_USER : ACCT_ADMIN) };
	return db_exec(h->db, "account_set_type", up, 4, n);
}

/* ---- PostgreSQL ---- */

struct pg_run {
	json_t *fast, *done, *keys, *seen, *index, *slow;
	struct hs_account *acc;
	int nacc;
	char *is_fast;
};

static int add_key(json_t *keys, json_t *seen, const char *k)
{
	json_t *v;
	if (json_object_get(seen, k))
		return 0;
	if (!(v = json_string(k)))
		return err_set(EX_USAGE, "user ID \"%.64s\" is not valid UTF-8", k);
	json_object_set_new(seen, k, json_true());
	return json_array_append_new(keys, v) == 0 ? 0 : err_set(EX_FAIL, "internal: out of memory");
}

/* 1. the fast IDs (first to name their account) changed by one UPDATE that says which it changed */
static int pg_fast(struct hs *h, struct hs_bulk_admin *b, struct pg_run *r)
{
	json_t *named = json_object();
	char *s;
	db_rows *q;
	int rc = 0;
	for (int i = 0; i < b->n && rc == 0; i++) {
		char lower[MXID_MAX + 1];
		mxid_lower(lower, sizeof(lower), b->ids[i].localpart);
		if (!json_object_get(named, lower) && hs_bulk_guarded_ok(h, &b->ids[i])) {
			rc = add_key(r->fast, r->seen, lower);
			r->is_fast[i] = 1;
		}
		json_object_set_new(named, lower, json_true());
	}
	json_decref(named);
	json_object_clear(r->seen);
	if (rc < 0 || !json_array_size(r->fast))
		return rc;
	s = json_dumps(r->fast, JSON_COMPACT);
	{
		db_arg a[4] = { DB_ARG_TEXT(s), DB_ARG_TEXT(h->cfg->server_name), DB_ARG_INT(b->on ? ACCT_ADMIN : ACCT_USER),
				DB_ARG_INT(b->on ? ACCT_USER : ACCT_ADMIN) };
		q = s ? db_query(h->db, "accounts_set_type_returning", a, 4) : NULL;
	}
	free(s);
	if (!q)
		return -1;
	while ((rc = db_step(q)) == 1)
		json_object_set_new(r->done, db_text(q, 0), json_true());
	db_rows_free(q);
	return rc < 0 ? -1 : 0;
}

/* 2. the rest (not changed, uppercase, reserved, named again) looked up in one query */
static int pg_lookup(struct hs *h, struct hs_bulk_admin *b, struct pg_run *r)
{
	char *s;
	db_rows *q;
	int rc;
	for (int i = 0; i < b->n; i++) {
		char lower[MXID_MAX + 1];
		mxid_lower(lower, sizeof(lower), b->ids[i].localpart);
		if (r->is_fast[i] && json_object_get(r->done, lower))
			continue;
		r->is_fast[i] = 0;
		if (add_key(r->keys, r->seen, lower) < 0 ||
		    (strcmp(lower, b->ids[i].localpart) && add_key(r->keys, r->seen, b->ids[i].localpart) < 0))
			return -1;
	}
	if (!json_array_size(r->keys))
		return 0;
	s = json_dumps(r->keys, JSON_COMPACT);
	{
		db_arg a[2] = { DB_ARG_TEXT(s), DB_ARG_TEXT(h->cfg->server_name) };
		q = s ? db_query(h->db, "accounts_get_many", a, 2) : NULL;
	}
	free(s);
	if (!q)
		return -1;
	r->acc = xcalloc(json_array_size(r->keys), sizeof(*r->acc));
	while ((rc = db_step(q)) == 1 && r->nacc < (int)json_array_size(r->keys)) {
		dendrite_account_from_row(q, &r->acc[r->nacc]);
		json_object_set_new(r->index, r->acc[r->nacc].localpart, json_integer(r->nacc));
		r->nacc++;
	}
	db_rows_free(q);
	return rc < 0 ? -1 : 0;
}

/* 3. every ID in order: checked as the command checks it, its change reported */
static int pg_check_all(struct hs *h, struct hs_bulk_admin *b, struct pg_run *r)
{
	for (int i = 0; i < b->n; i++) {
		const struct mxid *id = &b->ids[i];
		char lower[MXID_MAX + 1];
		struct hs_account *a;
		json_t *ix;
		int rc;
		b->failed = i;
		if (r->is_fast[i]) {
			if (b->changed(i, id->full, b->user) < 0)
				return -1;
			continue;
		}
		mxid_lower(lower, sizeof(lower), id->localpart);
		if (!(ix = json_object_get(r->index, lower)) && strcmp(lower, id->localpart))
			ix = json_object_get(r->index, id->localpart);
		a = ix ? &r->acc[json_integer_value(ix)] : NULL;
		if ((rc = b->check(h, id, a, b->user)) < 0)
			return -1;
		if (rc == 0)
			continue;
		a->admin = b->on; /* so that naming it again skips it */
		a->kind = b->on ? ACCT_ADMIN : ACCT_USER;
		json_array_append_new(r->slow, json_string(a->localpart));
		if (b->changed(i, a->user_id, b->user) < 0)
			return -1;
	}
	b->failed = -1;
	return 0;
}

/* 4. the accounts found by the second look, in one UPDATE */
static int pg_slow(struct hs *h, struct hs_bulk_admin *b, struct pg_run *r)
{
	long long n;
	char *s;
	int rc;
	if (!json_array_size(r->slow))
		return 0;
	s = json_dumps(r->slow, JSON_COMPACT);
	{
		db_arg a[4] = { DB_ARG_TEXT(s), DB_ARG_TEXT(h->cfg->server_name), DB_ARG_INT(b->on ? ACCT_ADMIN : ACCT_USER),
				DB_ARG_INT(b->on ? ACCT_USER : ACCT_ADMIN) };
		rc = s ? db_exec(h->db, "accounts_set_type_many", a, 4, &n) : -1;
	}
	free(s);
	if (rc < 0)
		return -1;
	if (n != (long long)json_array_size(r->slow)) {
		err_set(EX_DB, "%s the accounts changed %lld rows, expected %zu", b->on ? "promoting" : "demoting", n,
			json_array_size(r->slow));
		err_detail("an account changed while mxdba ran");
		return err_hint("run the batch again");
	}
	return 0;
}

static int bulk_pg(struct hs *h, struct hs_bulk_admin *b)
{
	struct pg_run r = { json_array(), json_object(), json_array(), json_object(), json_object(), json_array(),
			    NULL, 0, xcalloc((size_t)b->n + 1, 1) };
	int rc;
	b->failed = -1;
	rc = pg_fast(h, b, &r);
	if (rc == 0)
		rc = pg_lookup(h, b, &r);
	if (rc == 0)
		rc = pg_check_all(h, b, &r);
	if (rc == 0)
		rc = pg_slow(h, b, &r);
	for (int i = 0; i < r.nacc; i++)
		hs_account_clear(&r.acc[i]);
	free(r.acc);
	free(r.is_fast);
	json_decref(r.fast);
	json_decref(r.done);
	json_decref(r.keys);
	json_decref(r.seen);
	json_decref(r.index);
	json_decref(r.slow);
	return rc;
}

int dendrite_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b)
{
	return db_kind(h->db) == DB_SQLITE ? hs_bulk_admin_rows(h, b, guarded_set) : bulk_pg(h, b);
}

/* ---- create ---- */

int dendrite_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken)
{
	json_t *keys = json_array(), *got = json_object();
	char *s;
	db_rows *r;
	int rc;
	for (int i = 0; i < n; i++)
		json_array_append_new(keys, json_string(ids[i].localpart));
	s = json_dumps(keys, JSON_COMPACT);
	{
		db_arg a[2] = { DB_ARG_TEXT(s), DB_ARG_TEXT(h->cfg->server_name) };
		r = s ? db_query(h->db, "accounts_taken_many", a, 2) : NULL;
	}
	free(s);
	json_decref(keys);
	if (!r) {
		json_decref(got);
		return -1;
	}
	while ((rc = db_step(r)) == 1)
		json_object_set_new(got, db_text(r, 0), json_true());
	db_rows_free(r);
	for (int i = 0; i < n; i++)
		taken[i] = json_object_get(got, ids[i].localpart) != NULL;
	json_decref(got);
	return rc < 0 ? -1 : 0;
}

static int insert_many(struct hs *h, const char *name, json_t *rows, int with_ts, const char *what, int n)
{
	char *s = json_dumps(rows, JSON_COMPACT);
	db_arg a[3] = { DB_ARG_TEXT(s), DB_ARG_TEXT(h->cfg->server_name), DB_ARG_INT(now_ms()) };
	long long k = 0;
	int rc = s ? db_exec(h->db, name, a, with_ts ? 3 : 2, &k) : -1;
	free(s);
	if (rc < 0)
		return -1;
	if (k != n)
		return err_set(EX_DB, "%s changed %lld rows, expected %d", what, k, n);
	return 0;
}

int dendrite_bulk_create(struct hs *h, const struct hs_new_account *a, int n)
{
	json_t *accs = json_array(), *profs = json_array();
	int rc;
	for (int i = 0; i < n; i++) {
		const char *lp = a[i].id.localpart;
		json_array_append_new(accs, json_pack("[s, s, i]", lp, a[i].password_hash,
						      a[i].admin ? ACCT_ADMIN : ACCT_USER));
		json_array_append_new(profs, json_pack("[s, s]", lp, a[i].display_name ? a[i].display_name : lp));
	}
	if ((int)json_array_size(accs) != n || (int)json_array_size(profs) != n)
		rc = err_set(EX_FAIL, "internal: cannot encode %d accounts", n);
	else if ((rc = insert_many(h, "accounts_insert_many", accs, 1, "inserting the accounts", n)) == 0)
		rc = insert_many(h, "profiles_insert_many", profs, 0, "inserting the profiles", n);
	json_decref(accs);
	json_decref(profs);
	return rc;
}
