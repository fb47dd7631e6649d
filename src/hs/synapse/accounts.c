/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse accounts: users (keyed by the full user ID; creation_ts in
 * seconds; admin and deactivated smallint, locked boolean) and profiles
 * (keyed by the localpart, with full_user_id). Every write names its
 * columns and is refused when the Matrix Authentication Service owns the
 * accounts. */
#include "synapse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/unicode.h"
#include "core/util.h"

int synapse_accounts_writable(struct hs *h)
{
	if (!SCONF(h->cfg)->mas)
		return 0;
	err_set(EX_REFUSED, "refusing to change accounts: this Synapse delegates them to the Matrix Authentication Service");
	err_detail("matrix_authentication_service.enabled is true in homeserver.yaml: MAS owns users, passwords and "
		   "sessions, and would not see the change");
	return err_hint("use mas-cli on the MAS host: `mas-cli manage promote-admin USER`, `mas-cli manage set-password "
			"USER`, `mas-cli manage lock-user USER`, `mas-cli manage register-user`");
}

/* The kind of account A in the codes `user list` shows (Dendrite's account_type). */
static void kind_of(struct hs_account *a, int guest, int appservice)
{
	a->guest = guest;
	a->appservice = appservice;
	a->kind = appservice ? 4 : guest ? 2 : a->admin ? 3 : 1;
	a->kind_name = appservice ? "appservice" : guest ? "guest" : a->admin ? "admin" : "user";
}

static void account_from_row(const db_rows *r, struct hs_account *a)
{
	const char *name = db_text(r, 0), *colon = strchr(name + (*name == '@'), ':');
	size_t llen = colon ? (size_t)(colon - name - 1) : strlen(name);
	str_copy(a->user_id, sizeof(a->user_id), name);
	str_copy(a->localpart, llen + 1 < sizeof(a->localpart) ? llen + 1 : sizeof(a->localpart), name + 1);
	str_copy(a->server, sizeof(a->server), colon ? colon + 1 : "");
	a->password_hash = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	a->created_ms = db_int(r, 2, NULL) * 1000;
	a->admin = db_int(r, 3, NULL) != 0;
	a->appservice_id = db_text(r, 5) ? xstrdup(db_text(r, 5)) : NULL;
	a->deactivated = db_int(r, 6, NULL) != 0;
	a->locked = db_int(r, 7, NULL) != 0;
	a->shadow_banned = db_int(r, 9, NULL) != 0; /* NULL (an old row) is false, as Synapse reads it */
	a->ratelimit.set = db_int(r, 10, NULL) != 0;
	a->ratelimit.per_second = db_int(r, 11, NULL);
	a->ratelimit.burst = db_int(r, 12, NULL);
	kind_of(a, db_int(r, 4, NULL) != 0, a->appservice_id != NULL);
}

static int account_get(struct hs *h, const char *user_id, struct hs_account *a)
{
	db_arg arg = DB_ARG_TEXT(user_id);
	db_rows *r = db_query(h->db, "account_get", &arg, 1);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1)
		account_from_row(r, a);
	db_rows_free(r);
	return rc;
}

/* As the ID is written, then with the localpart lowercased (how Synapse
 * registers new users, and how its logins find older mixed-case ones). */
int synapse_account_find(struct hs *h, const struct mxid *id, struct hs_account *a)
{
	char lower[MXID_MAX + 1], *full;
	int rc = account_get(h, id->full, a);
	mxid_lower(lower, sizeof(lower), id->localpart);
	if (rc != 0 || !strcmp(lower, id->localpart))
		return rc;
	full = xasprintf("@%s:%s", lower, id->server);
	rc = account_get(h, full, a);
	free(full);
	return rc;
}

int synapse_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user)
{
	db_arg args[3] = { DB_ARG_INT(f->admins_only), DB_ARG_INT(f->deactivated_only),
			   DB_ARG_INT(f->shadow_banned_only) };
	db_rows *r = db_stream(h->db, "accounts_list", args, 3);
	char local[MXID_MAX + 1];
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_account a = { 0 };
		struct hs_account_row row;
		const char *name = db_text(r, 0), *colon = strchr(name + 1, ':');
		size_t llen = colon ? (size_t)(colon - name - 1) : strlen(name);
		str_copy(local, llen + 1 < sizeof(local) ? llen + 1 : sizeof(local), name + 1);
		a.admin = db_int(r, 1, NULL) != 0;
		kind_of(&a, db_int(r, 5, NULL) != 0, db_text(r, 6) != NULL);
		row.user_id = name;
		row.localpart = local;
		row.server = colon ? colon + 1 : "";
		row.display_name = db_text(r, 4);
		row.kind_name = a.kind_name;
		row.kind = a.kind;
		row.admin = a.admin;
		row.deactivated = db_int(r, 2, NULL) != 0;
		row.created_ms = db_int(r, 3, NULL) * 1000;
		if (fn(&row, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

/* Besides the account itself: a profile row for the localpart (profiles
 * are keyed on the localpart alone), left by a hand-deleted account or by
 * the same localpart under an earlier server_name. */
int synapse_create_conflicts(struct hs *h, const struct mxid *id)
{
	db_arg arg = DB_ARG_TEXT(id->localpart);
	char *v = NULL;
	int rc = db_scalar(h->db, "profile_owner", &arg, 1, &v);
	if (rc == 1) {
		err_set(EX_CONFLICT, "a profile for %s exists without an account", id->full);
		err_detail("profiles row of %s: Synapse keys profiles on the localpart; the account was probably deleted by "
			   "hand, or the server renamed; Matrix user IDs must never be reused", v ? v : id->localpart);
		err_hint("pick another localpart");
	}
	free(v);
	return rc == 0 ? 0 : -1;
}

/* The user directory's entry of USER_ID with display name NAME and AVATAR
 * (either NULL), as Synapse writes it for a local user's profile. */
static int user_dir_put(struct hs *h, const char *user_id, const char *name, const char *avatar)
{
	char *fold = NULL;
	int rc;
	if (name && !(fold = unicode_lower_nfkc(name)))
		return err_set(EX_USAGE, "the display name is not valid UTF-8");
	db_arg d[3] = { DB_ARG_TEXT(user_id), name ? DB_ARG_TEXT(name) : DB_ARG_NULL,
			avatar ? DB_ARG_TEXT(avatar) : DB_ARG_NULL };
	db_arg s[2] = { DB_ARG_TEXT(user_id), fold ? DB_ARG_TEXT(fold) : DB_ARG_NULL };
	rc = db_exec(h->db, "user_dir_put", d, 3, NULL) < 0 || db_exec(h->db, "user_dir_search_delete", s, 1, NULL) < 0 ||
	     db_exec(h->db, "user_dir_search_put", s, 2, NULL) < 0 ? -1 : 0;
	free(fold);
	return rc;
}

/* USER_ID out of the user directory, as Synapse's deactivation leaves it. */
static int user_dir_remove(struct hs *h, const char *user_id)
{
	static const char *const stmts[] = { "user_dir_delete", "user_dir_search_delete", "user_dir_public_delete",
					     "user_dir_shared_delete" };
	db_arg u = DB_ARG_TEXT(user_id);
	for (size_t i = 0; i < sizeof(stmts) / sizeof(*stmts); i++)
		if (db_exec(h->db, stmts[i], &u, 1, NULL) < 0)
			return -1;
	return 0;
}

/* The directory entry of A after a change of its profile or its
 * deactivated flag (as stored now): listed while active, gone while
 * deactivated. */
static int user_dir_sync(struct hs *h, const struct hs_account *a)
{
	struct hs_account now;
	char *name = NULL, *avatar = NULL;
	int rc = account_get(h, a->user_id, &now);
	if (rc != 1)
		return rc < 0 ? -1 : err_set(EX_DB, "%s vanished while being changed", a->user_id);
	rc = now.deactivated > 0;
	hs_account_clear(&now);
	if (rc)
		return user_dir_remove(h, a->user_id);
	if (synapse_profile_get(h, a, &name, &avatar) < 0)
		return -1;
	rc = user_dir_put(h, a->user_id, name && *name ? name : NULL, avatar);
	free(name);
	free(avatar);
	return rc;
}

/* What Synapse's registration writes: the users row (creation_ts in
 * seconds, approved, not locked, suspended or shadow-banned), the profile
 * with the localpart as display name, and the user's stats row. */
int synapse_account_create(struct hs *h, const struct hs_new_account *a)
{
	db_arg u[5] = { DB_ARG_TEXT(a->id.full),
			*a->password_hash ? DB_ARG_TEXT(a->password_hash) : DB_ARG_NULL,
			DB_ARG_INT(now_ms() / 1000), DB_ARG_INT(a->admin != 0), DB_ARG_INT(a->deactivated != 0) };
	db_arg p[3] = { DB_ARG_TEXT(a->id.localpart), DB_ARG_TEXT(a->id.full),
			DB_ARG_TEXT(a->display_name ? a->display_name : a->id.localpart) };
	/* users.suspended came with schema 85 (Synapse 1.107) */
	const char *insert = SYN(h)->s.has_suspended ? "account_insert" : "account_insert_without_suspended";
	if (synapse_accounts_writable(h) < 0 || db_exec_one(h->db, insert, u, 5, "inserting the account") < 0 ||
	    db_exec_one(h->db, "profile_insert", p, 3, "inserting the profile") < 0)
		return -1;
	if (SYN(h)->s.has_stats && db_exec_one(h->db, "user_stats_insert", u, 1, "inserting the user's stats") < 0)
		return -1;
	if (a->deactivated)
		return 0;
	return user_dir_put(h, a->id.full, a->display_name ? a->display_name : a->id.localpart, NULL);
}

int synapse_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	db_arg args[3] = { DB_ARG_INT(on != 0), DB_ARG_TEXT(a->user_id), DB_ARG_INT(on == 0) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	return db_exec(h->db, "account_set_admin", args, 3, changed);
}

int synapse_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed)
{
	db_arg args[2] = { *hash ? DB_ARG_TEXT(hash) : DB_ARG_NULL, DB_ARG_TEXT(a->user_id) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	return db_exec(h->db, "account_set_password", args, 2, changed);
}

int synapse_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	db_arg args[2] = { DB_ARG_INT(on != 0), DB_ARG_TEXT(a->user_id) };
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "account_set_deactivated", args, 2, changed) < 0)
		return -1;
	if (!on && changed && *changed && synapse_unerase(h, a) < 0) /* as its activate_account */
		return -1;
	return changed && *changed ? user_dir_sync(h, a) : 0;
}

int synapse_set_locked(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	db_arg args[2] = { DB_ARG_INT(on != 0), DB_ARG_TEXT(a->user_id) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	return db_exec(h->db, "account_set_locked", args, 2, changed);
}

/* Both cached by a running Synapse (the shadow-ban flag with every access
 * token's lookup, the override by get_ratelimit_for_user): the command
 * checks hs_check_cached_write first. */
int synapse_set_shadow_banned(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	db_arg args[2] = { DB_ARG_INT(on != 0), DB_ARG_TEXT(a->user_id) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	return db_exec(h->db, "account_set_shadow_banned", args, 2, changed);
}

int synapse_set_ratelimit(struct hs *h, const struct hs_account *a, const struct hs_ratelimit *rl, long long *changed)
{
	db_arg args[3] = { DB_ARG_TEXT(a->user_id), DB_ARG_INT(rl ? rl->per_second : 0), DB_ARG_INT(rl ? rl->burst : 0) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	if (rl && rl->set)
		return db_exec(h->db, "ratelimit_set", args, 3, changed);
	return db_exec(h->db, "ratelimit_clear", args, 1, changed);
}

/* The four background updates of Synapse's regenerate_directory job
 * (sql/synapse/BACKEND/accounts.sql); they run at its next start. */
int synapse_user_dir_rebuild(struct hs *h, int (*fn)(const char *update, void *user), void *user)
{
	long long pending = 0;
	db_rows *r;
	int rc;
	if (db_count(h->db, "user_dir_rebuild_pending", NULL, 0, &pending) < 0)
		return -1;
	if (pending) {
		err_set(EX_CONFLICT, "a rebuild of the user directory is pending already (%lld of its updates)", pending);
		return err_hint("start Synapse and let it run (`mxdba report updates` shows the progress)");
	}
	if (!(r = db_query(h->db, "user_dir_rebuild", NULL, 0)))
		return -1;
	{
		/* the names first, then FN (which writes audit rows): one statement at a time on a connection */
		char *names[8];
		int n = 0;
		while ((rc = db_step(r)) == 1 && n < 8)
			names[n++] = xstrdup(db_text(r, 0));
		db_rows_free(r);
		for (int i = 0; i < n; i++) {
			if (rc >= 0 && fn(names[i], user) < 0)
				rc = -1;
			free(names[i]);
		}
	}
	return rc < 0 ? -1 : 0;
}

int synapse_set_display_name(struct hs *h, const struct hs_account *a, const char *name)
{
	db_arg args[2] = { DB_ARG_TEXT(name), DB_ARG_TEXT(a->localpart) };
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "profile_set_display_name", args, 2, NULL) < 0)
		return -1;
	return user_dir_sync(h, a);
}

int synapse_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url)
{
	db_arg arg = DB_ARG_TEXT(a->localpart);
	db_rows *r = db_query(h->db, "profile_get", &arg, 1);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		/* a profile row with a NULL name still exists: show it as empty, not missing */
		*display_name = xstrdup(db_text(r, 0) ? db_text(r, 0) : "");
		*avatar_url = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

/* A leave is an event: Synapse's request rate limiter takes it out of the
 * user's rc_message budget, or out of its override's (an override with 0
 * messages a second: no limit at all); an appservice's own sender is never
 * limited. */
int synapse_leave_limit(struct hs *h, const struct hs_account *a, struct hs_leave_limit *l)
{
	const struct synapse_conf *s = SCONF(h->cfg);
	if (config_is_sender(h->cfg, a->localpart) && !strcmp(a->server, h->cfg->server_name))
		return 0;
	if (a->ratelimit.set) {
		if (!a->ratelimit.per_second)
			return 0;
		l->per_second = (double)a->ratelimit.per_second;
		l->burst = (double)a->ratelimit.burst;
		l->from = "its rate-limit override";
		return 1;
	}
	l->per_second = s->rc_per_second;
	l->burst = s->rc_burst;
	l->from = s->rc_from_yaml ? "rc_message in homeserver.yaml" : "rc_message, Synapse's default";
	return 1;
}
