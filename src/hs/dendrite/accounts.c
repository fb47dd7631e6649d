/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite accounts: userapi_accounts and userapi_profiles, keyed on
 * (localpart, server_name). Every write names its columns and filters on
 * both key columns; rows-changed counts go back to the caller. */
#include "dendrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

void dendrite_account_from_row(const db_rows *r, struct hs_account *a)
{
	int isnull;
	str_copy(a->localpart, sizeof(a->localpart), db_text(r, 0));
	str_copy(a->server, sizeof(a->server), db_text(r, 1));
	snprintf(a->user_id, sizeof(a->user_id), "@%s:%s", a->localpart, a->server);
	a->created_ms = db_int(r, 2, NULL);
	a->password_hash = db_text(r, 3) ? xstrdup(db_text(r, 3)) : NULL;
	a->appservice_id = db_text(r, 4) ? xstrdup(db_text(r, 4)) : NULL;
	a->deactivated = (int)db_int(r, 5, &isnull);
	if (isnull)
		a->deactivated = -1;
	a->kind = (int)db_int(r, 6, NULL);
	a->admin = a->kind == ACCT_ADMIN;
	a->guest = a->kind == ACCT_GUEST;
	a->appservice = a->kind == ACCT_APPSERVICE;
	a->locked = -1; /* Dendrite has no lock flag */
	a->kind_name = dendrite_kind_name(a->kind);
}

const char *dendrite_kind_name(int type)
{
	switch (type) {
	case ACCT_USER:
		return "user";
	case ACCT_GUEST:
		return "guest";
	case ACCT_ADMIN:
		return "admin";
	case ACCT_APPSERVICE:
		return "appservice";
	default:
		return "unknown";
	}
}

static int account_get(struct hs *h, const char *localpart, const char *server, struct hs_account *a)
{
	db_arg args[2] = { DB_ARG_TEXT(localpart), DB_ARG_TEXT(server) };
	db_rows *r = db_query(h->db, "account_get", args, 2);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1)
		dendrite_account_from_row(r, a);
	db_rows_free(r);
	return rc;
}

/* As Dendrite does: the lowercase localpart first, then the exact one. */
int dendrite_account_find(struct hs *h, const struct mxid *id, struct hs_account *a)
{
	char lower[MXID_MAX + 1];
	int rc;
	mxid_lower(lower, sizeof(lower), id->localpart);
	rc = account_get(h, lower, id->server, a);
	if (rc == 0 && strcmp(lower, id->localpart))
		rc = account_get(h, id->localpart, id->server, a);
	return rc;
}

int dendrite_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user)
{
	db_arg args[2] = { DB_ARG_INT(f->admins_only), DB_ARG_INT(f->deactivated_only) };
	db_rows *r = db_stream(h->db, "accounts_list", args, 2);
	char id[2 * MXID_MAX + 4];
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_account_row row;
		int dnull;
		row.localpart = db_text(r, 0);
		row.server = db_text(r, 1);
		snprintf(id, sizeof(id), "@%s:%s", row.localpart, row.server);
		row.user_id = id;
		row.kind = (int)db_int(r, 2, NULL);
		row.kind_name = dendrite_kind_name(row.kind);
		row.admin = row.kind == ACCT_ADMIN;
		row.deactivated = (int)db_int(r, 3, &dnull);
		if (dnull)
			row.deactivated = -1;
		row.created_ms = db_int(r, 4, NULL);
		row.display_name = db_text(r, 5);
		if (fn(&row, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

/* Besides the account itself: the localpart under another server_name
 * (SQLite keys accounts on localpart alone), and a profile left behind by a
 * hand-deleted account (user IDs must never be reused). */
int dendrite_create_conflicts(struct hs *h, const struct mxid *id)
{
	db_arg args[2] = { DB_ARG_TEXT(id->localpart), DB_ARG_TEXT(id->server) };
	char *v = NULL;
	int rc;
	if ((rc = db_scalar(h->db, "account_other_server", args, 2, &v)) != 0) {
		if (rc == 1) {
			err_set(EX_CONFLICT, "localpart %s is already taken under server_name %s", id->localpart,
				v ? v : "?");
			err_detail("Dendrite's SQLite schema keys accounts on localpart alone");
			err_hint("was [homeserver] server_name changed? pick another localpart");
		}
		free(v);
		return -1;
	}
	if ((rc = db_scalar(h->db, "profile_exists", args, 2, &v)) != 0) {
		free(v);
		if (rc == 1) {
			err_set(EX_CONFLICT, "a profile for %s exists without an account", id->full);
			err_detail("the account row was probably deleted by hand; Matrix user IDs must never be reused");
			err_hint("pick another localpart");
		}
		return -1;
	}
	return 0;
}

/* The account and its profile. Dendrite sets the display name to the
 * localpart after creating an account: so does mxdba, unless told another. */
int dendrite_account_create(struct hs *h, const struct hs_new_account *a)
{
	db_arg acc[6] = { DB_ARG_TEXT(a->id.localpart), DB_ARG_TEXT(a->id.server), DB_ARG_INT(now_ms()),
			  DB_ARG_TEXT(a->password_hash), DB_ARG_INT(a->admin ? ACCT_ADMIN : ACCT_USER),
			  DB_ARG_INT(a->deactivated != 0) };
	db_arg prof[3] = { DB_ARG_TEXT(a->id.localpart), DB_ARG_TEXT(a->id.server),
			   DB_ARG_TEXT(a->display_name ? a->display_name : a->id.localpart) };
	if (db_exec_one(h->db, "account_insert", acc, 6, "inserting the account") < 0)
		return -1;
	return db_exec_one(h->db, "profile_insert", prof, 3, "inserting the profile");
}

int dendrite_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	int from = on ? ACCT_USER : ACCT_ADMIN, to = on ? ACCT_ADMIN : ACCT_USER;
	db_arg args[4] = { DB_ARG_INT(to), DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server), DB_ARG_INT(from) };
	return db_exec(h->db, "account_set_type", args, 4, changed);
}

int dendrite_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed)
{
	db_arg args[3] = { DB_ARG_TEXT(hash), DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	return db_exec(h->db, "account_set_password", args, 3, changed);
}

int dendrite_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	db_arg args[3] = { DB_ARG_INT(on), DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	return db_exec(h->db, "account_set_deactivated", args, 3, changed);
}

int dendrite_set_display_name(struct hs *h, const struct hs_account *a, const char *name)
{
	db_arg args[3] = { DB_ARG_TEXT(name), DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	return db_exec(h->db, "profile_set_display_name", args, 3, NULL);
}

int dendrite_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url)
{
	db_arg args[2] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	db_rows *r = db_query(h->db, "profile_get", args, 2);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		*display_name = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
		*avatar_url = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
