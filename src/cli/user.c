/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user …`: list, show, create, promote, demote, passwd,
 * verify-password. Writes only userapi_accounts, userapi_profiles and
 * userapi_devices, each command in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/dendrite.h"

static const char *yesno(int v) { return v < 0 ? "NULL" : v ? "yes" : "no"; }

/* Accounts mxdba must not modify: appservice (type 4) and the
 * server-notices sender. -1 + EX_REFUSED. */
static int refuse_special(struct hs *h, const struct account *a, const char *full, const char *action)
{
	if (a->type == ACCT_APPSERVICE) {
		err_set(EX_REFUSED, "refusing to %s %s: it is an appservice account (account_type 4)", action, full);
		err_detail("appservice %s authenticates with its as_token; type 4 exempts it from rate limits",
			   a->appservice_id ? a->appservice_id : "(unknown)");
		return err_hint("change the appservice's registration file instead");
	}
	return hs_check_reserved(h, a->localpart, full, action);
}

int type_change_allowed(struct hs *h, const struct account *a, const char *full, const char *verb)
{
	if (refuse_special(h, a, full, verb) < 0)
		return -1;
	if (a->type == ACCT_GUEST)
		return err_set(EX_REFUSED, "refusing to %s %s: it is a guest account (account_type 2)", verb, full);
	if (a->type != ACCT_USER && a->type != ACCT_ADMIN)
		return err_set(EX_REFUSED, "refusing to %s %s: unknown account_type %d", verb, full, a->type);
	return 0;
}

/* In a batch, passwords come only as --password-hash (or --random-password,
 * which the batch turns into one). */
static int refuse_interactive_in_batch(struct ctx *c, enum pw_source src)
{
	if (!c->batch_line || src == PW_HASH)
		return 0;
	err_set(EX_USAGE, "passwords are never read inside a batch");
	return err_hint("use --random-password (with batch --passwords-out FILE) or --password-hash HASH");
}

/* ---- user list ---- */

static const struct optspec list_opts[] = { { "--admins", 0 }, { "--deactivated", 0 }, { "--ids", 0 }, { 0, 0 } };

int cmd_user_list(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h;
	db_rows *r;
	struct table *t = NULL;
	static const char *const head[] = { "USER", "TYPE", "DEACTIVATED", "CREATED (UTC)", "DISPLAY NAME" };
	db_arg args[2];
	int rc, ret = EX_OK, ids;
	long long n = 0;

	if (opts_parse(c, argc, argv, list_opts, &o) < 0)
		return free(o.pos), -1;
	ids = opt(&o, list_opts, "--ids") != NULL;
	if (ids && (g_json || g_csv)) {
		free(o.pos);
		err_set(EX_USAGE, "--ids prints bare user IDs; it does not go with --json or --csv");
		return err_hint("drop one of them");
	}
	if (o.npos) {
		free(o.pos);
		err_set(EX_USAGE, "user list takes no arguments");
		return err_hint("filter with --admins or --deactivated; for one account use `mxdba user show USER`");
	}
	args[0] = DB_ARG_INT(opt(&o, list_opts, "--admins") != NULL);
	args[1] = DB_ARG_INT(opt(&o, list_opts, "--deactivated") != NULL);
	free(o.pos);
	if (!(h = ctx_hs(c, HS_READ)))
		return -1;
	if (db_begin(h->user, 0) < 0 || !(r = db_stream(h->user, "accounts_list", args, 2))) {
		ctx_hs_done(c, h);
		return -1;
	}
	if (!g_json && !ids)
		t = table_begin(5, head);
	while ((rc = db_step(r)) == 1) {
		char id[2 * MXID_MAX], ts[32], type[32];
		int dnull, type_n = (int)db_int(r, 2, NULL);
		int deact = (int)db_int(r, 3, &dnull);
		long long created = db_int(r, 4, NULL);
		snprintf(id, sizeof(id), "@%s:%s", db_text(r, 0), db_text(r, 1));
		n++;
		if (ids) {
			if (text_is_clean(id))
				puts(id);
		} else if (g_json) {
			out_json(json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:I, s:s?}", "user_id", id, "localpart",
					   db_text(r, 0), "server_name", db_text(r, 1), "account_type", type_n, "type",
					   account_type_name(type_n), "deactivated",
					   dnull ? json_null() : json_boolean(deact), "created_ts", (json_int_t)created,
					   "display_name", db_text(r, 5)));
		} else {
			const char *cells[5];
			snprintf(type, sizeof(type), "%s", account_type_name(type_n));
			cells[0] = id;
			cells[1] = type;
			cells[2] = dnull ? "NULL" : yesno(deact);
			cells[3] = fmt_ms(created, ts, sizeof(ts));
			cells[4] = db_text(r, 5);
			table_row(t, cells);
		}
	}
	if (rc < 0)
		ret = -1;
	table_end_count(t, ret == EX_OK, n, "account(s)");
	db_rows_free(r);
	db_rollback(h->user);
	ctx_hs_done(c, h);
	return ret;
}

/* ---- user show ---- */

static const struct optspec no_opts[] = { { 0, 0 } };

static int one_user_arg(struct ctx *c, const struct opts *o, struct mxid *id)
{
	if (o->npos != 1) {
		char name[64];
		err_set(EX_USAGE, "expected exactly one USER, got %d", o->npos);
		return err_hint("see `mxdba %s --help`", command_name(c->cmd, name, sizeof(name)));
	}
	if (ctx_config(c) < 0)
		return -1;
	return mxid_parse(o->pos[0], c->cfg->server_name, id);
}

int cmd_user_show(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct account a;
	struct hs *h;
	db_rows *r;
	db_arg args[2];
	char desc[128], ts[32];
	char *display = NULL, *avatar = NULL;
	json_t *devs = NULL;
	struct table *t = NULL;
	int rc, ok, ndev = 0, ret = -1;
	static const char *const head[] = { "DEVICE", "DISPLAY NAME", "LAST IP", "USER AGENT", "LAST SEEN (UTC)" };

	if (opts_parse(c, argc, argv, no_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0)
		return free(o.pos), -1;
	free(o.pos);
	if (!(h = ctx_hs(c, HS_READ)))
		return -1;
	if (db_begin(h->user, 0) < 0)
		goto out;
	if (hs_find_user(h, &id, &a) < 0)
		goto out;
	args[0] = DB_ARG_TEXT(a.localpart);
	args[1] = DB_ARG_TEXT(a.server_name);
	if (!(r = db_query(h->user, "profile_get", args, 2)))
		goto out_a;
	if ((rc = db_step(r)) == 1) {
		display = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
		avatar = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	if (rc < 0)
		goto out_a;
	hash_describe(a.password_hash, desc, sizeof(desc), &ok);
	if (g_json) {
		devs = json_array();
	} else {
		printf("%s\n", id.full);
		out_kv("account type", "%s (%d)", account_type_name(a.type), a.type);
		out_kv("deactivated", "%s%s", yesno(a.deactivated),
		       a.deactivated < 0 ? " (Dendrite treats NULL as not active: password login fails)" : "");
		out_kv("password hash", "%s", desc);
		out_kv("created", "%s UTC", fmt_ms(a.created_ts, ts, sizeof(ts)));
		out_kv("display name", "%s", display ? display : "(none)");
		out_kv("avatar", "%s", avatar && *avatar ? avatar : "(none)");
		if (a.appservice_id)
			out_kv("appservice", "%s", a.appservice_id);
		if (!display)
			out_kv("warning", "no userapi_profiles row: profile lookups fail for this account");
	}
	if (!(r = db_query(h->user, "devices_list", args, 2)))
		goto out_a;
	while ((rc = db_step(r)) == 1) {
		char seen[32];
		ndev++;
		if (g_json) {
			json_array_append_new(devs, json_pack("{s:s?, s:s?, s:s?, s:s?, s:I, s:I}", "device_id", db_text(r, 0),
							      "display_name", db_text(r, 1), "ip", db_text(r, 2),
							      "user_agent", db_text(r, 3), "last_seen_ts",
							      (json_int_t)db_int(r, 4, NULL), "created_ts",
							      (json_int_t)db_int(r, 5, NULL)));
		} else {
			const char *cells[5] = { db_text(r, 0), db_text(r, 1), db_text(r, 2), db_text(r, 3),
						 fmt_ms(db_int(r, 4, NULL), seen, sizeof(seen)) };
			if (!t) {
				printf("\n");
				t = table_begin(5, head);
			}
			table_row(t, cells);
		}
	}
	db_rows_free(r);
	if (t)
		table_end(t);
	if (rc < 0)
		goto out_a;
	if (g_json) {
		out_json(json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:s, s:b, s:I, s:s?, s:s?, s:s?, s:o}", "user_id",
				   id.full, "localpart", a.localpart, "server_name", a.server_name, "account_type",
				   a.type, "type", account_type_name(a.type), "deactivated",
				   a.deactivated < 0 ? json_null() : json_boolean(a.deactivated), "password_hash_scheme",
				   desc, "password_usable_by_dendrite", ok, "created_ts", (json_int_t)a.created_ts,
				   "display_name", display, "avatar_url", avatar, "appservice_id", a.appservice_id,
				   "devices", devs));
		devs = NULL;
	} else if (!ndev) {
		out_kv("devices", "none");
	}
	ret = EX_OK;
out_a:
	account_clear(&a);
out:
	json_decref(devs);
	free(display);
	free(avatar);
	db_rollback(h->user);
	ctx_hs_done(c, h);
	return ret;
}

/* ---- user create ---- */

static const struct optspec create_opts[] = { { "--admin", 0 },           { "--display-name", 1 },
					      { "--password-stdin", 0 },  { "--password-file", 1 },
					      { "--random-password", 0 }, { "--no-password", 0 },
					      { "--password-hash", 1 },   { 0, 0 } };

/* Conflicts for a new account: the account itself (both key variants) and
 * a profile left behind by a hand-deleted account. */
static int create_conflicts(struct hs *h, const struct mxid *id)
{
	struct account a;
	db_arg args[2] = { DB_ARG_TEXT(id->localpart), DB_ARG_TEXT(id->server) };
	char *v = NULL;
	int rc = hs_account_find(h, id, &a);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		err_set(EX_CONFLICT, "user %s already exists", id->full);
		err_detail("account_type %d (%s), created %lld", a.type, account_type_name(a.type), a.created_ts);
		account_clear(&a);
		return err_hint("to change it use `mxdba user passwd` or `mxdba user promote`");
	}
	if ((rc = db_scalar(h->user, "account_other_server", args, 2, &v)) != 0) {
		if (rc == 1) {
			err_set(EX_CONFLICT, "localpart %s is already taken under server_name %s", id->localpart,
				v ? v : "?");
			err_detail("Dendrite's SQLite schema keys accounts on localpart alone");
			err_hint("was [homeserver] server_name changed? pick another localpart");
		}
		free(v);
		return -1;
	}
	if ((rc = db_scalar(h->user, "profile_exists", args, 2, &v)) != 0) {
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

int cmd_user_create(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct hs *h = NULL;
	enum pw_source src;
	const char *file, *display;
	char hash[HASH_MAX] = "";
	char *pw = NULL;
	int admin, nopw, ret = -1;

	if (opts_parse(c, argc, argv, create_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0)
		goto out;
	if (mxid_check_new(&id) < 0 || pw_source(&o, create_opts, 1, &src, &file) < 0)
		goto out;
	admin = opt(&o, create_opts, "--admin") != NULL;
	nopw = opt(&o, create_opts, "--no-password") != NULL;
	display = opt(&o, create_opts, "--display-name");
	if (nopw && (src != PW_PROMPT)) {
		err_set(EX_USAGE, "--no-password cannot be combined with another password option");
		goto out;
	}
	if (display && (!text_is_clean(display) || strlen(display) > 256)) {
		err_set(EX_USAGE, "display name must be printable UTF-8 of at most 256 bytes");
		goto out;
	}
	if (!(h = ctx_hs(c, HS_WRITE)))
		goto out;
	if (hs_check_reserved(h, id.localpart, id.full, "create") < 0 || create_conflicts(h, &id) < 0)
		goto out;
	/* hash before taking the write lock: bcrypt is slow on purpose */
	if (!nopw && src == PW_HASH)
		snprintf(hash, sizeof(hash), "%s", file);
	else if (!nopw && refuse_interactive_in_batch(c, src) < 0)
		goto out;
	else if (!nopw) {
		if (!(pw = pw_read(src, file, 1, "New password: ")) || pw_check_new(pw) < 0 ||
		    bcrypt_hash(pw, c->cfg->bcrypt_cost, hash) < 0)
			goto out;
	}
	if (write_begin(c, h) < 0 || create_conflicts(h, &id) < 0)
		goto out;
	{
		db_arg acc[5] = { DB_ARG_TEXT(id.localpart), DB_ARG_TEXT(id.server), DB_ARG_INT(now_ms()),
				  DB_ARG_TEXT(hash), DB_ARG_INT(admin ? ACCT_ADMIN : ACCT_USER) };
		/* Dendrite sets the display name to the localpart after creating an account */
		db_arg prof[3] = { DB_ARG_TEXT(id.localpart), DB_ARG_TEXT(id.server),
				   DB_ARG_TEXT(display ? display : id.localpart) };
		if (db_exec_one(h->user, "account_insert", acc, 5, "inserting the account") < 0 ||
		    db_exec_one(h->user, "profile_insert", prof, 3, "inserting the profile") < 0)
			goto out;
		if (audit_write(c, h, id.full, "account", NULL, admin ? "created (admin)" : "created (user)") < 0)
			goto out;
	}
	if (write_end(c, h) < 0)
		goto out;
	if (g_json) {
		out_json(json_pack("{s:s, s:b, s:s, s:b, s:s?, s:b}", "user_id", id.full, "created", !c->dry_run, "type",
				   admin ? "admin" : "user", "password_set", !nopw, "password",
				   (src == PW_RANDOM && !nopw && !c->dry_run) ? pw : NULL, "dry_run", c->dry_run));
	} else {
		out_line("%s %s (%s%s)", c->dry_run ? "would create" : "created", id.full, admin ? "admin" : "user",
			 nopw ? ", no password: password login disabled" : "");
		if (src == PW_RANDOM && !nopw && !c->dry_run)
			out_line("password: %s", pw);
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	ctx_hs_done(c, h);
	pw_free(pw);
	sodium_memzero(hash, sizeof(hash));
	free(o.pos);
	return ret;
}

/* ---- user promote / demote ---- */

struct target {
	struct mxid id;
	struct account a;
	int change; /* 1: type changes; 0: already there */
};

static int set_type(struct ctx *c, int argc, char **argv, int to_admin)
{
	struct opts o;
	struct hs *h = NULL;
	struct target *t = NULL;
	const char *verb = to_admin ? "promote" : "demote";
	int from = to_admin ? ACCT_USER : ACCT_ADMIN, to = to_admin ? ACCT_ADMIN : ACCT_USER;
	int ret = -1, nchange = 0;

	if (opts_parse(c, argc, argv, no_opts, &o) < 0)
		goto out;
	if (o.npos == 0) {
		err_set(EX_USAGE, "user %s needs at least one USER", verb);
		err_hint("mxdba user %s @alice:example.org [@bob:example.org …]", verb);
		goto out;
	}
	if (ctx_config(c) < 0)
		goto out;
	t = xcalloc((size_t)o.npos, sizeof(*t));
	for (int i = 0; i < o.npos; i++)
		if (mxid_parse(o.pos[i], c->cfg->server_name, &t[i].id) < 0)
			goto out;
	if (!(h = ctx_hs(c, HS_WRITE)))
		goto out;
	/* look everything up first, so a refusal or a question comes before the lock */
	for (int i = 0; i < o.npos; i++) {
		int rc = hs_account_find(h, &t[i].id, &t[i].a);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			hs_err_not_found(h, &t[i].id);
			err_detail("nothing was changed (all users of one command are changed together or not at all)");
			goto out;
		}
		snprintf(t[i].id.full, sizeof(t[i].id.full), "@%s:%s", t[i].a.localpart, t[i].a.server_name);
		if (type_change_allowed(h, &t[i].a, t[i].id.full, verb) < 0)
			goto out;
		t[i].change = t[i].a.type == from;
		for (int j = 0; j < i; j++)
			if (!strcmp(t[j].id.full, t[i].id.full))
				t[i].change = 0; /* named twice */
		nchange += t[i].change;
	}
	if (!to_admin && nchange) {
		db_arg sn = DB_ARG_TEXT(c->cfg->server_name);
		char *v = NULL;
		if (db_scalar(h->user, "admins_active_count", &sn, 1, &v) < 0)
			goto out;
		if (v && strtoll(v, NULL, 10) <= nchange) {
			char q[128];
			snprintf(q, sizeof(q), "This demotes the last active admin of %s.", c->cfg->server_name);
			free(v);
			if (confirm(c, q) < 0)
				goto out;
		} else
			free(v);
	}
	if (write_begin(c, h) < 0)
		goto out;
	for (int i = 0; i < o.npos; i++) {
		long long n;
		char oldv[8], newv[8];
		db_arg args[4] = { DB_ARG_INT(to), DB_ARG_TEXT(t[i].a.localpart), DB_ARG_TEXT(t[i].a.server_name),
				   DB_ARG_INT(from) };
		if (!t[i].change)
			continue;
		if (db_exec(h->user, "account_set_type", args, 4, &n) < 0)
			goto out;
		if (n != 1) {
			err_set(EX_DB, "%s of %s changed %lld rows, expected 1", verb, t[i].id.full, n);
			err_detail("the account changed while mxdba ran; nothing was committed");
			err_hint("run the command again");
			goto out;
		}
		snprintf(oldv, sizeof(oldv), "%d", from);
		snprintf(newv, sizeof(newv), "%d", to);
		if (audit_write(c, h, t[i].id.full, "account_type", oldv, newv) < 0)
			goto out;
	}
	if (write_end(c, h) < 0)
		goto out;
	for (int i = 0; i < o.npos; i++) {
		if (g_json)
			out_json(json_pack("{s:s, s:s, s:b, s:i, s:i, s:b}", "user_id", t[i].id.full, "action", verb,
					   "changed", t[i].change && !c->dry_run, "old_type", t[i].a.type, "new_type",
					   t[i].change ? to : t[i].a.type, "dry_run", c->dry_run));
		else if (t[i].change)
			out_line("%s%s %s", c->dry_run ? "would " : "", to_admin ? (c->dry_run ? "promote" : "promoted")
										 : (c->dry_run ? "demote" : "demoted"),
				 t[i].id.full);
		else
			out_line("%s is already %s", t[i].id.full, to_admin ? "an admin" : "not an admin");
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	if (t)
		for (int i = 0; i < o.npos; i++)
			account_clear(&t[i].a);
	free(t);
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

int cmd_user_promote(struct ctx *c, int argc, char **argv) { return set_type(c, argc, argv, 1); }
int cmd_user_demote(struct ctx *c, int argc, char **argv) { return set_type(c, argc, argv, 0); }

/* ---- user passwd ---- */

static const struct optspec passwd_opts[] = { { "--password-stdin", 0 },  { "--password-file", 1 },
					      { "--random-password", 0 }, { "--logout-devices", 0 },
					      { "--scheme", 1 },          { "--password-hash", 1 },
					      { 0, 0 } };

int cmd_user_passwd(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct account a;
	struct hs *h = NULL;
	enum pw_source src;
	const char *file, *scheme;
	char hash[HASH_MAX] = "";
	char *pw = NULL;
	int logout, ret = -1;
	long long n, ndev = 0;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, passwd_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0 ||
	    pw_source(&o, passwd_opts, 1, &src, &file) < 0)
		goto out;
	logout = opt(&o, passwd_opts, "--logout-devices") != NULL;
	scheme = opt(&o, passwd_opts, "--scheme");
	if (scheme && strcmp(scheme, "bcrypt")) {
		if (!strcmp(scheme, "argon2id")) {
			err_set(EX_REFUSED, "refusing to store an argon2id hash on Dendrite");
			err_detail("Dendrite v0.13.8 verifies only bcrypt: the user could no longer log in");
			err_hint("leave out --scheme (bcrypt is the default)");
		} else {
			err_set(EX_USAGE, "unknown --scheme %s (known: bcrypt, argon2id)", scheme);
		}
		goto out;
	}
	if (!(h = ctx_hs(c, HS_WRITE)))
		goto out;
	if (hs_find_user(h, &id, &a) < 0)
		goto out;
	if (refuse_special(h, &a, id.full, "change the password of") < 0)
		goto out;
	if (a.deactivated)
		warnx_("%s is deactivated: Dendrite refuses its password logins whatever the password", id.full);
	if (logout) {
		char q[2 * MXID_MAX + 96];
		snprintf(q, sizeof(q), "This logs out every device of %s.", id.full);
		if (confirm(c, q) < 0)
			goto out;
	}
	if (src == PW_HASH)
		snprintf(hash, sizeof(hash), "%s", file);
	else if (refuse_interactive_in_batch(c, src) < 0 || !(pw = pw_read(src, file, 1, "New password: ")) ||
		 pw_check_new(pw) < 0 || bcrypt_hash(pw, c->cfg->bcrypt_cost, hash) < 0)
		goto out;
	if (write_begin(c, h) < 0)
		goto out;
	{
		db_arg args[3] = { DB_ARG_TEXT(hash), DB_ARG_TEXT(a.localpart), DB_ARG_TEXT(a.server_name) };
		if (db_exec(h->user, "account_set_password", args, 3, &n) < 0)
			goto out;
		if (n != 1) {
			err_set(EX_DB, "password update of %s changed %lld rows, expected 1", id.full, n);
			err_detail("the account changed while mxdba ran; nothing was committed");
			goto out;
		}
		if (logout && db_exec(h->user, "devices_delete_all", args + 1, 2, &ndev) < 0)
			goto out;
		/* the old hash is kept for `audit undo`; the password never is */
		if (audit_write(c, h, id.full, "password_hash", a.password_hash, hash) < 0)
			goto out;
		if (logout) {
			char gone[48];
			snprintf(gone, sizeof(gone), "%lld device(s)", ndev);
			if (audit_write(c, h, id.full, "devices", gone, "deleted") < 0)
				goto out;
		}
	}
	if (write_end(c, h) < 0)
		goto out;
	if (g_json) {
		out_json(json_pack("{s:s, s:b, s:I, s:s?, s:b}", "user_id", id.full, "password_changed", !c->dry_run,
				   "devices_logged_out", (json_int_t)ndev, "password",
				   (src == PW_RANDOM && !c->dry_run) ? pw : NULL, "dry_run", c->dry_run));
	} else {
		out_line("%s %s%s", c->dry_run ? "would change the password of" : "password changed for", id.full,
			 logout ? "" : " (devices stay logged in)");
		if (logout)
			out_line("%s%lld device(s) of %s", c->dry_run ? "would log out " : "logged out ", ndev, id.full);
		if (src == PW_RANDOM && !c->dry_run)
			out_line("password: %s", pw);
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	account_clear(&a);
	ctx_hs_done(c, h);
	pw_free(pw);
	sodium_memzero(hash, sizeof(hash));
	free(o.pos);
	return ret;
}

/* ---- user verify-password ---- */

static const struct optspec verify_opts[] = { { "--password-stdin", 0 }, { "--password-file", 1 }, { 0, 0 } };

int cmd_user_verify_password(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct account a;
	struct hs *h = NULL;
	enum pw_source src;
	const char *file;
	char *pw = NULL;
	int rc, ret = -1;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, verify_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0 ||
	    pw_source(&o, verify_opts, 0, &src, &file) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_READ)))
		goto out;
	if (hs_find_user(h, &id, &a) < 0)
		goto out;
	if (!(pw = pw_read(src, file, 0, "Password: ")))
		goto out;
	rc = hash_verify(pw, a.password_hash);
	if (rc < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:b, s:o}", "user_id", id.full, "match", rc,
				   "deactivated", a.deactivated < 0 ? json_null() : json_boolean(a.deactivated)));
	if (rc == 1) {
		out_line("password matches for %s", id.full);
		if (a.deactivated)
			warnx_("%s is deactivated: Dendrite refuses its logins anyway", id.full);
		ret = EX_OK;
	} else {
		err_set(EX_MISMATCH, "password does not match for %s", id.full);
		if (!a.password_hash || !*a.password_hash)
			err_detail("the account has no password (password login is disabled)");
	}
out:
	account_clear(&a);
	ctx_hs_done(c, h);
	pw_free(pw);
	free(o.pos);
	return ret;
}
