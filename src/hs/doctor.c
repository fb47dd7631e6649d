/* SPDX-License-Identifier: Apache-2.0 */
/* doctor's engine: the checks of mxdba's own tables (one row each below,
 * statements in sql/common/BACKEND/doctor.sql), after the profile's (its
 * `checks`, in src/hs/PROFILE/doctor.c), and the two ways to run a check:
 * find (one set-based query, the first few rows named) and fix (up to
 * three statements in the caller's transaction, every repaired row handed
 * back for its audit row). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "db/sqlreg.h"
#include "hs_impl.h"

static const struct hs_check own_checks[] = {
	{ "mxdba-minted-leftovers", HS_WARNING, "access token(s) minted by queue apply with no pending operation left",
	  "queue apply mints a token per user and deletes it when it is done; a killed apply leaves it: a working "
	  "token of that user that nobody uses (each profile's statements say where its tokens live)",
	  "--fix deletes the tokens and their registry rows", "mxdba_minted", HS_ARG_NONE, "doctor_minted_leftovers",
	  { "doctor_minted_leftovers_fix", "doctor_minted_registry_fix" }, "access_token", "access tokens", 0 },
	{ "mxdba-queue-stuck", HS_WARNING, "queued operation(s) tried 3 times or more without finishing",
	  "queue apply tries them again on every run and they never end: a room the server cannot leave for "
	  "this user, a server that keeps answering errors; the user stays in those rooms",
	  "read the error column of `mxdba queue list --state pending`, fix the cause, or `mxdba queue cancel ID`",
	  "mxdba_queue", HS_ARG_NONE, "doctor_queue_stuck", { NULL }, NULL, NULL, 0 },
	{ "mxdba-newer-schema", HS_WARNING, "migration(s) of mxdba's own tables that this mxdba does not know",
	  "a newer mxdba has written here: its audit rows and queue rows may use fields this mxdba cannot read, "
	  "undo or apply correctly", "use that newer mxdba (or a newer release) on this database",
	  "mxdba_migrations", HS_ARG_MIGRATION, "doctor_newer_migrations", { NULL }, NULL, NULL, 0 },
};

const struct hs_check *hs_check_at(struct hs *h, int i)
{
	int n = 0;
	if (i < 0)
		return NULL;
	while (h->p->checks && h->p->checks[n].name)
		n++;
	if (i < n)
		return &h->p->checks[i];
	i -= n;
	return i < (int)ARRAY_LEN(own_checks) ? &own_checks[i] : NULL;
}

/* The newest of mxdba's own migrations this binary carries ("0003_queue_sender"). */
static const char *newest_migration(db *d)
{
	const char *newest = "";
	for (const struct sql_entry *e = sql_entries; e->name; e++)
		if (sql_is_migration(e, db_backend_name(d)) && strcmp(e->name, newest) > 0)
			newest = e->name;
	return newest;
}

static int check_args(struct hs *h, const struct hs_check *c, db_arg *a)
{
	if (c->arg == HS_ARG_SERVER)
		*a = (db_arg)DB_ARG_TEXT(h->cfg->server_name);
	else if (c->arg == HS_ARG_MIGRATION)
		*a = (db_arg)DB_ARG_TEXT(newest_migration(h->db));
	else if (c->arg == HS_ARG_EXTREMITIES)
		*a = (db_arg)DB_ARG_INT(h->cfg->extremities_threshold);
	else if (c->arg == HS_ARG_STOPPED) {
		char who[256];
		*a = (db_arg)DB_ARG_INT(hs_probe_running(h, h->db, who, sizeof(who)) == 0);
	}
	return c->arg != HS_ARG_NONE;
}

int hs_check_find(struct hs *h, const struct hs_check *c, long long *total, char **items, int max, int *nitems)
{
	db_arg a;
	db_rows *r;
	int rc, have;
	*total = 0;
	*nitems = 0;
	if (c->needs && (have = db_table_exists(h->db, c->needs)) != 1)
		return have < 0 ? -1 : 0;
	if (!(r = db_query(h->db, c->find, &a, check_args(h, c, &a))))
		return -1;
	while ((rc = db_step(r)) == 1) {
		const char *item = db_text(r, 1);
		*total = db_int(r, 0, NULL);
		if (*nitems < max)
			items[(*nitems)++] = xstrdup(item ? item : "(NULL)");
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int hs_check_fix(struct hs *h, const struct hs_check *c,
		 int (*fn)(const char *, const char *, const char *, void *), void *user, long long *n)
{
	*n = 0;
	for (int i = 0; i < 3 && c->fix[i]; i++) {
		db_arg a;
		int na = check_args(h, c, &a), rc;
		size_t len = 0, cap = 0;
		char **v = NULL; /* target, old, new of each row */
		db_rows *r = db_query(h->db, c->fix[i], &a, na);
		if (!r)
			return -1;
		/* the rows first, then their audit rows: one statement at a time on a connection */
		while ((rc = db_step(r)) == 1) {
			if (len == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * 3 * sizeof(*v));
			}
			for (int k = 0; k < 3; k++) {
				const char *t = k < db_ncols(r) ? db_text(r, k) : NULL;
				v[len * 3 + (size_t)k] = t ? xstrdup(t) : NULL;
			}
			len++;
		}
		db_rows_free(r);
		for (size_t k = 0; k < len; k++) {
			if (rc >= 0 && fn(v[k * 3] ? v[k * 3] : "", v[k * 3 + 1], v[k * 3 + 2], user) < 0)
				rc = -1;
			for (int j = 0; j < 3; j++)
				free(v[k * 3 + (size_t)j]);
		}
		free(v);
		if (rc < 0)
			return -1;
		*n += (long long)len;
	}
	return 0;
}
