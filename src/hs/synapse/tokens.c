/* SPDX-License-Identifier: Apache-2.0 */
/* Registration tokens on Synapse: the rows its admin API reads and writes
 * (registration_tokens), and the user-interactive auth sessions that used
 * one, which its API does not show (sql/synapse/BACKEND/tokens.sql).
 * Synapse reads registration_tokens afresh at every registration step (no
 * cache: read in synapse/storage/databases/main/registration.py), so a
 * token written here works at once, the server running or not. */
#include "synapse.h"

#include "core/err.h"

static db_arg null_or_int(long long v) { return v < 0 ? DB_ARG_NULL : DB_ARG_INT(v); }

int synapse_reg_tokens(struct hs *h, const char *token, hs_reg_token_fn fn, void *user)
{
	db_arg a = token ? DB_ARG_TEXT(token) : DB_ARG_NULL;
	db_rows *r = db_stream(h->db, "reg_tokens", &a, 1);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_reg_token t = { db_text(r, 0), db_int(r, 1, NULL), db_int(r, 2, NULL), db_int(r, 3, NULL),
					  db_int(r, 4, NULL) };
		if (fn(&t, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

static int count_one(const struct hs_reg_token *t, void *user)
{
	(void)t;
	(*(int *)user)++;
	return 0;
}

int synapse_reg_token_create(struct hs *h, const struct hs_reg_token *t)
{
	db_arg a[3] = { DB_ARG_TEXT(t->token), null_or_int(t->uses_allowed), null_or_int(t->expiry_ms) };
	int seen = 0;
	if (synapse_reg_tokens(h, t->token, count_one, &seen) < 0)
		return -1;
	if (seen) {
		err_set(EX_CONFLICT, "the registration token %s exists already", t->token);
		return err_hint("`mxdba token show %s`; pick another with --token, or leave --token out for a random one",
				t->token);
	}
	return db_exec_one(h->db, "reg_token_create", a, 3, "creating the registration token");
}

int synapse_reg_token_delete(struct hs *h, const char *token, long long *changed)
{
	db_arg a = DB_ARG_TEXT(token);
	return db_exec(h->db, "reg_token_delete", &a, 1, changed);
}

int synapse_reg_token_uses(struct hs *h, const char *token, hs_reg_use_fn fn, void *user)
{
	db_arg a = DB_ARG_TEXT(token);
	db_rows *r = db_stream(h->db, "reg_token_uses", &a, 1);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_reg_use u = { db_text(r, 0), db_int(r, 1, NULL), db_text(r, 2), db_text(r, 3) };
		if (fn(&u, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
