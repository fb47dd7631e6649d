/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user …`: list, show, create, promote, demote, passwd,
 * verify-password. Accounts are reached through the homeserver profile
 * (src/hs/hs.h); each command is one transaction with its audit rows. */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"

static const char *yesno(int v) { return v < 0 ? "NULL" : v ? "yes" : "no"; }

/* In a batch, passwords come only as --password-hash (or --random-password,
 * which the batch turns into one). */
static int refuse_interactive_in_batch(struct ctx *c, enum pw_source src)
{
	if (!c->batch_line || src == PW_HASH)
		return 0;
	err_set(EX_USAGE, "passwords are never read inside a batch");
	return err_hint("use --random-password (with batch --passwords-out FILE) or --password-hash HASH");
}

/* A new password's hash into HASH: given (--password-hash), or read from
 * SRC, checked against the homeserver's rules and hashed as it hashes.
 * *PW keeps the password (a random one is printed once). */
static int new_password_hash(struct ctx *c, enum pw_source src, const char *file, char **pw, char *hash)
{
	struct pw_scheme s;
	if (src == PW_HASH) {
		snprintf(hash, HASH_MAX, "%s", file);
		return 0;
	}
	hs_password_scheme(c->cfg, &s);
	if (refuse_interactive_in_batch(c, src) < 0 || !(*pw = pw_read(src, file, 1, "New password: ")) ||
	    pw_check_new(&s, *pw) < 0)
		return -1;
	return pw_hash(&s, *pw, hash);
}

/* ---- user list ---- */

static const struct optspec list_opts[] = { { "--admins", 0 }, { "--deactivated", 0 }, { "--shadow-banned", 0 },
					    { "--ids", 0 }, { 0, 0 } };

struct list_out {
	struct table *t;
	struct jw jw; /* --json: one line per account, streamed */
	int ids;
	long long n;
};

static int list_row(const struct hs_account_row *r, void *user)
{
	struct list_out *l = user;
	char ts[32];
	l->n++;
	if (l->ids) {
		if (text_is_clean(r->user_id))
			puts(r->user_id);
	} else if (g_json) {
		struct jw *w = &l->jw;
		jw_begin(w);
		jw_str(w, "user_id", r->user_id);
		jw_str(w, "localpart", r->localpart);
		jw_str(w, "server_name", r->server);
		jw_int(w, "account_type", r->kind);
		jw_str(w, "type", r->kind_name);
		if (r->deactivated < 0)
			jw_str(w, "deactivated", NULL);
		else
			jw_bool(w, "deactivated", r->deactivated);
		jw_int(w, "created_ts", r->created_ms);
		jw_str(w, "display_name", r->display_name);
		jw_end(w);
	} else {
		const char *cells[5] = { r->user_id, r->kind_name, yesno(r->deactivated),
					 fmt_ms(r->created_ms, ts, sizeof(ts)), r->display_name };
		table_row(l->t, cells);
	}
	return 0;
}

static int list_args(struct ctx *c, const struct opts *o, struct hs_account_filter *f, int *ids)
{
	*ids = opt(o, list_opts, "--ids") != NULL;
	if (*ids && (g_json || g_csv)) {
		err_set(EX_USAGE, "--ids prints bare user IDs; it does not go with --json or --csv");
		return err_hint("drop one of them");
	}
	if (o->npos) {
		err_set(EX_USAGE, "user list takes no arguments");
		return err_hint("filter with --admins or --deactivated; for one account use `mxdba user show USER`");
	}
	f->admins_only = opt(o, list_opts, "--admins") != NULL;
	f->deactivated_only = opt(o, list_opts, "--deactivated") != NULL;
	f->shadow_banned_only = opt(o, list_opts, "--shadow-banned") != NULL;
	if (f->shadow_banned_only && ctx_needs(c, HS_NEED_SHADOW_BAN, "user list --shadow-banned") < 0)
		return -1;
	return 0;
}

int cmd_user_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "USER", "TYPE", "DEACTIVATED", "CREATED (UTC)", "DISPLAY NAME" };
	struct opts o;
	struct hs *h = NULL;
	struct hs_account_filter f;
	struct list_out l = { 0 };
	int ret = -1;

	if (opts_parse(c, argc, argv, list_opts, &o) < 0 || list_args(c, &o, &f, &l.ids) < 0)
		return cmd_finish(c, NULL, &o, -1);
	if (!(h = ctx_hs(c, HS_READ)) || db_begin(hs_db(h), 0) < 0)
		return cmd_finish(c, h, &o, -1);
	if (!g_json && !l.ids)
		l.t = table_begin(5, head);
	if (hs_accounts_list(h, &f, list_row, &l) == 0)
		ret = EX_OK;
	table_end_count(l.t, ret == EX_OK, l.n, "account(s)");
	jw_free(&l.jw);
	return cmd_finish(c, h, &o, ret);
}

/* ---- user show ---- */

static const struct optspec no_opts[] = { { 0, 0 } };

int one_user_arg(struct ctx *c, const struct opts *o, struct mxid *id)
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

struct show {
	struct hs_account a;
	char *display, *avatar;
	char desc[128];
	int usable;
	json_t *devs, *threepids;
	struct table *t;
	int ndev, n3pid;
};

static int show_threepid(const struct hs_threepid *t, void *user)
{
	struct show *s = user;
	char when[32];
	s->n3pid++;
	if (g_json)
		json_array_append_new(s->threepids,
				      json_pack("{s:s, s:s, s:o, s:o}", "medium", t->medium, "address", t->address,
						"validated_ts", t->validated_ms ? json_integer(t->validated_ms) : json_null(),
						"added_ts", t->added_ms ? json_integer(t->added_ms) : json_null()));
	else if (t->added_ms)
		out_kv("3pid", "%s %s (added %s UTC)", t->medium, t->address, fmt_ms(t->added_ms, when, sizeof(when)));
	else
		out_kv("3pid", "%s %s", t->medium, t->address);
	return 0;
}

static void show_account(struct hs *h, struct show *s)
{
	const struct hs_profile *p = hs_profile(h);
	char ts[32];
	printf("%s\n", s->a.user_id);
	if (s->a.kind && p->kind_is_native)
		out_kv("account type", "%s (%d)", s->a.kind_name, s->a.kind);
	else
		out_kv("account type", "%s", s->a.kind_name);
	out_kv("deactivated", "%s%s", yesno(s->a.deactivated), s->a.deactivated < 0 ? p->deactivated_null_note : "");
	if (s->a.locked >= 0)
		out_kv("locked", "%s", yesno(s->a.locked));
	if (s->a.shadow_banned >= 0)
		out_kv("shadow-banned", "%s", yesno(s->a.shadow_banned));
	if (s->a.ratelimit.set && !s->a.ratelimit.per_second && !s->a.ratelimit.burst)
		out_kv("rate limit", "none (override: no limit at all)");
	else if (s->a.ratelimit.set)
		out_kv("rate limit", "%lld message(s) a second, bursts of %lld (override)", s->a.ratelimit.per_second,
		       s->a.ratelimit.burst);
	out_kv("password hash", "%s", s->desc);
	out_kv("created", "%s UTC", fmt_ms(s->a.created_ms, ts, sizeof(ts)));
	out_kv("display name", "%s", s->display ? s->display : "(none)");
	out_kv("avatar", "%s", s->avatar && *s->avatar ? s->avatar : "(none)");
	if (s->a.appservice_id)
		out_kv("appservice", "%s", s->a.appservice_id);
	if (!s->display)
		out_kv("warning", "%s", p->no_profile_note);
}

static int show_device(const struct hs_device *d, void *user)
{
	static const char *const head[] = { "DEVICE", "DISPLAY NAME", "LAST IP", "USER AGENT", "LAST SEEN (UTC)" };
	struct show *s = user;
	char seen[32];
	s->ndev++;
	if (g_json) {
		/* created_ts null where the homeserver keeps none (Synapse) */
		json_array_append_new(s->devs, json_pack("{s:s?, s:s?, s:s?, s:s?, s:I, s:o}", "device_id", d->device_id,
							 "display_name", d->display_name, "ip", d->ip, "user_agent",
							 d->user_agent, "last_seen_ts", (json_int_t)d->last_seen_ms,
							 "created_ts", d->created_ms ? json_integer(d->created_ms) : json_null()));
	} else {
		const char *cells[5] = { d->device_id, d->display_name, d->ip, d->user_agent,
					 fmt_ms(d->last_seen_ms, seen, sizeof(seen)) };
		if (!s->t) {
			printf("\n");
			s->t = table_begin(5, head);
		}
		table_row(s->t, cells);
	}
	return 0;
}

static void show_json(struct hs *h, struct show *s)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:s, s:b, s:I, s:s?, s:s?, s:s?, s:O}", "user_id",
			      s->a.user_id, "localpart", s->a.localpart, "server_name", s->a.server, "account_type",
			      s->a.kind, "type", s->a.kind_name, "deactivated",
			      s->a.deactivated < 0 ? json_null() : json_boolean(s->a.deactivated),
			      "password_hash_scheme", s->desc, hs_profile(h)->usable_key, s->usable, "created_ts",
			      (json_int_t)s->a.created_ms, "display_name", s->display, "avatar_url", s->avatar,
			      "appservice_id", s->a.appservice_id, "devices", s->devs);
	json_object_set(o, "threepids", s->threepids);
	if (s->a.locked >= 0)
		json_object_set_new(o, "locked", json_boolean(s->a.locked));
	if (s->a.shadow_banned >= 0) {
		json_object_set_new(o, "shadow_banned", json_boolean(s->a.shadow_banned));
		json_object_set_new(o, "ratelimit", ratelimit_json(&s->a.ratelimit));
	}
	out_json(o);
}

int cmd_user_show(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct hs *h = NULL;
	struct show s;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	if (opts_parse(c, argc, argv, no_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0)
		return cmd_finish(c, NULL, &o, -1);
	if (!(h = ctx_hs(c, HS_READ)) || db_begin(hs_db(h), 0) < 0 || hs_find_user(h, &id, &s.a) < 0 ||
	    hs_profile_get(h, &s.a, &s.display, &s.avatar) < 0)
		goto out;
	s.usable = hs_describe_hash(c->cfg, s.a.password_hash, s.desc, sizeof(s.desc));
	if (g_json) {
		s.devs = json_array();
		s.threepids = json_array();
	} else
		show_account(h, &s);
	if (hs_threepids(h, &s.a, show_threepid, &s) < 0)
		goto out;
	if (!g_json && !s.n3pid)
		out_kv("3pids", "none");
	if (hs_devices(h, &s.a, show_device, &s) < 0) {
		table_end(s.t);
		goto out;
	}
	table_end(s.t);
	if (g_json)
		show_json(h, &s);
	else if (!s.ndev)
		out_kv("devices", "none");
	ret = EX_OK;
out:
	hs_account_clear(&s.a);
	json_decref(s.devs);
	json_decref(s.threepids);
	free(s.display);
	free(s.avatar);
	return cmd_finish(c, h, &o, ret);
}

/* ---- user create ---- */

static const struct optspec create_opts[] = { { "--admin", 0 },           { "--display-name", 1 },
					      { "--password-stdin", 0 },  { "--password-file", 1 },
					      { "--random-password", 0 }, { "--no-password", 0 },
					      { "--password-hash", 1 },   { 0, 0 } };

/* Conflicts for a new account: the account itself (as the homeserver looks
 * it up), then what the profile knows (another server_name, a leftover profile). */
static int create_conflicts(struct hs *h, const struct mxid *id)
{
	struct hs_account a;
	int rc = hs_account_find(h, id, &a);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		err_set(EX_CONFLICT, "user %s already exists", id->full);
		if (a.kind && hs_profile(h)->kind_is_native)
			err_detail("account_type %d (%s), created %lld", a.kind, a.kind_name, a.created_ms);
		else
			err_detail("%s, created %lld", a.kind_name, a.created_ms);
		hs_account_clear(&a);
		return err_hint("to change it use `mxdba user passwd` or `mxdba user promote`");
	}
	return hs_create_conflicts(h, id);
}

struct create_args {
	struct hs_new_account acct;
	enum pw_source src;
	const char *file;
	int nopw;
};

static int create_args(struct ctx *c, struct opts *o, struct create_args *a)
{
	const char *display;
	memset(a, 0, sizeof(*a));
	if (one_user_arg(c, o, &a->acct.id) < 0 || hs_check_new_localpart(c->cfg, &a->acct.id) < 0 ||
	    pw_source(c, o, create_opts, 1, &a->src, &a->file) < 0)
		return -1;
	a->acct.admin = opt(o, create_opts, "--admin") != NULL;
	a->nopw = opt(o, create_opts, "--no-password") != NULL;
	display = a->acct.display_name = opt(o, create_opts, "--display-name");
	if (a->nopw && a->src != PW_PROMPT)
		return err_set(EX_USAGE, "--no-password cannot be combined with another password option");
	if (display && (!text_is_clean(display) || strlen(display) > 256))
		return err_set(EX_USAGE, "display name must be printable UTF-8 of at most 256 bytes");
	return 0;
}

static void create_report(struct ctx *c, const struct create_args *a, const char *pw)
{
	int shown = a->src == PW_RANDOM && !a->nopw && !c->dry_run;
	const char *type = a->acct.admin ? "admin" : "user";
	if (g_json) {
		out_json(json_pack("{s:s, s:b, s:s, s:b, s:s?, s:b}", "user_id", a->acct.id.full, "created", !c->dry_run,
				   "type", type, "password_set", !a->nopw, "password", shown ? pw : NULL, "dry_run",
				   c->dry_run));
		return;
	}
	out_line("%s %s (%s%s)", c->dry_run ? "would create" : "created", a->acct.id.full, type,
		 a->nopw ? ", no password: password login disabled" : "");
	if (shown)
		out_line("password: %s", pw);
}

int cmd_user_create(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct create_args a;
	struct hs *h = NULL;
	char hash[HASH_MAX] = "", *pw = NULL;
	int ret = -1;

	if (opts_parse(c, argc, argv, create_opts, &o) < 0 || create_args(c, &o, &a) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_check_reserved(h, a.acct.id.localpart, a.acct.id.full, "create") < 0 || create_conflicts(h, &a.acct.id) < 0)
		goto out;
	/* hash before taking the write lock: bcrypt is slow on purpose */
	if (!a.nopw && new_password_hash(c, a.src, a.file, &pw, hash) < 0)
		goto out;
	a.acct.password_hash = hash;
	if (write_begin(c, h) < 0 || create_conflicts(h, &a.acct.id) < 0 || hs_account_create(h, &a.acct) < 0 ||
	    audit_write(c, h, a.acct.id.full, "account", NULL, a.acct.admin ? "created (admin)" : "created (user)") < 0 ||
	    write_end(c, h) < 0)
		goto out;
	create_report(c, &a, pw);
	dry_run_note(c);
	ret = EX_OK;
out:
	pw_free(pw);
	sodium_memzero(hash, sizeof(hash));
	return cmd_finish(c, h, &o, ret);
}

/* ---- user promote / demote ---- */

struct target {
	struct mxid id;
	struct hs_account a;
	int change; /* 1: the admin flag changes; 0: already there */
};

int admin_change_check(struct hs *h, const struct hs_account *a, int on)
{
	if (hs_check_admin_change(h, a, on ? "promote" : "demote") < 0)
		return -1;
	return a->admin != on;
}

/* Look every target up first, so a refusal or a question comes before the lock. */
static int set_admin_targets(struct ctx *c, struct hs *h, struct target *t, int n, int on, int *nchange)
{
	*nchange = 0;
	for (int i = 0; i < n; i++) {
		int rc = hs_account_find(h, &t[i].id, &t[i].a);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			hs_err_not_found(h, &t[i].id);
			return err_detail("nothing was changed (all users of one command are changed together or not at all)");
		}
		str_copy(t[i].id.full, sizeof(t[i].id.full), t[i].a.user_id);
		if ((t[i].change = admin_change_check(h, &t[i].a, on)) < 0)
			return -1;
		for (int j = 0; j < i; j++)
			if (!strcmp(t[j].id.full, t[i].id.full))
				t[i].change = 0; /* named twice */
		*nchange += t[i].change;
	}
	(void)c;
	return 0;
}

/* Demoting the last active admins asks first (demoting deactivated admins
 * takes no active admin away, so it does not ask). */
static int confirm_last_admin(struct ctx *c, struct hs *h, const struct target *t, int n)
{
	long long active;
	int demoted = 0;
	char q[128];
	for (int i = 0; i < n; i++)
		demoted += t[i].change && t[i].a.deactivated == 0;
	if (!demoted)
		return 0;
	if (hs_admins_active(h, &active) < 0)
		return -1;
	if (active > demoted)
		return 0;
	snprintf(q, sizeof(q), "This demotes the last active admin of %s.", c->cfg->server_name);
	return confirm(c, q);
}

static int set_admin_write(struct ctx *c, struct hs *h, struct target *t, int n, int on)
{
	const char *verb = on ? "promote" : "demote";
	for (int i = 0; i < n; i++) {
		long long changed;
		if (!t[i].change)
			continue;
		if (hs_set_admin(h, &t[i].a, on, &changed) < 0)
			return -1;
		if (changed != 1) {
			err_set(EX_DB, "%s of %s changed %lld rows, expected 1", verb, t[i].id.full, changed);
			err_detail("the account changed while mxdba ran; nothing was committed");
			return err_hint("run the command again");
		}
		if (audit_write(c, h, t[i].id.full, "admin", on ? "0" : "1", on ? "1" : "0") < 0)
			return -1;
	}
	return 0;
}

static void set_admin_report(struct ctx *c, struct hs *h, const struct target *t, int n, int on)
{
	for (int i = 0; i < n; i++) {
		if (g_json)
			out_json(json_pack("{s:s, s:s, s:b, s:i, s:i, s:b}", "user_id", t[i].id.full, "action",
					   on ? "promote" : "demote", "changed", t[i].change && !c->dry_run, "old_type",
					   t[i].a.kind, "new_type", t[i].change ? hs_admin_kind(h, on) : t[i].a.kind, "dry_run",
					   c->dry_run));
		else if (t[i].change)
			out_line("%s%s %s", c->dry_run ? "would " : "",
				 on ? (c->dry_run ? "promote" : "promoted") : (c->dry_run ? "demote" : "demoted"), t[i].id.full);
		else
			out_line("%s is already %s", t[i].id.full, on ? "an admin" : "not an admin");
	}
}

static int set_admin(struct ctx *c, int argc, char **argv, int on)
{
	struct opts o;
	struct hs *h = NULL;
	struct target *t = NULL;
	const char *verb = on ? "promote" : "demote";
	int ret = -1, nchange = 0, n = 0;

	if (opts_parse(c, argc, argv, no_opts, &o) < 0)
		goto out;
	if ((n = o.npos) == 0) {
		err_set(EX_USAGE, "user %s needs at least one USER", verb);
		err_hint("mxdba user %s @alice:example.org [@bob:example.org …]", verb);
		goto out;
	}
	if (ctx_config(c) < 0)
		goto out;
	t = xcalloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++)
		if (mxid_parse(o.pos[i], c->cfg->server_name, &t[i].id) < 0)
			goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || set_admin_targets(c, h, t, n, on, &nchange) < 0 ||
	    (nchange && hs_check_cached_write(h, "admin") < 0) || (!on && nchange && confirm_last_admin(c, h, t, n) < 0))
		goto out;
	if (write_begin(c, h) < 0 || set_admin_write(c, h, t, n, on) < 0 || write_end(c, h) < 0)
		goto out;
	set_admin_report(c, h, t, n, on);
	dry_run_note(c);
	ret = EX_OK;
out:
	for (int i = 0; t && i < n; i++)
		hs_account_clear(&t[i].a);
	free(t);
	return cmd_finish(c, h, &o, ret);
}

int cmd_user_promote(struct ctx *c, int argc, char **argv) { return set_admin(c, argc, argv, 1); }
int cmd_user_demote(struct ctx *c, int argc, char **argv) { return set_admin(c, argc, argv, 0); }

/* ---- user passwd ---- */

static const struct optspec passwd_opts[] = { { "--password-stdin", 0 },  { "--password-file", 1 },
					      { "--random-password", 0 }, { "--logout-devices", 0 },
					      { "--scheme", 1 },          { "--password-hash", 1 },
					      { 0, 0 } };

static int passwd_write(struct ctx *c, struct hs *h, const struct hs_account *a, const char *hash, int logout,
			long long *ndev)
{
	long long n;
	if (write_begin(c, h) < 0 || hs_set_password_hash(h, a, hash, &n) < 0)
		return -1;
	if (n != 1) {
		err_set(EX_DB, "password update of %s changed %lld rows, expected 1", a->user_id, n);
		return err_detail("the account changed while mxdba ran; nothing was committed");
	}
	if (logout && hs_revoke_tokens(h, a, ndev) < 0)
		return -1;
	/* the old hash is kept for `audit undo`; the password never is */
	if (audit_write(c, h, a->user_id, "password_hash", a->password_hash, hash) < 0)
		return -1;
	if (logout) {
		char gone[48];
		snprintf(gone, sizeof(gone), "%lld device(s)", *ndev);
		if (audit_write(c, h, a->user_id, "devices", gone, "deleted") < 0)
			return -1;
	}
	return write_end(c, h);
}

static void passwd_report(struct ctx *c, const char *user, int logout, long long ndev, const char *shown)
{
	if (g_json) {
		out_json(json_pack("{s:s, s:b, s:I, s:s?, s:b}", "user_id", user, "password_changed", !c->dry_run,
				   "devices_logged_out", (json_int_t)ndev, "password", shown, "dry_run", c->dry_run));
		return;
	}
	out_line("%s %s%s", c->dry_run ? "would change the password of" : "password changed for", user,
		 logout ? "" : " (devices stay logged in)");
	if (logout)
		out_line("%s%lld device(s) of %s", c->dry_run ? "would log out " : "logged out ", ndev, user);
	if (shown)
		out_line("password: %s", shown);
}

/* The account to change, and the question --logout-devices asks. */
static int passwd_target(struct ctx *c, struct hs *h, struct mxid *id, struct hs_account *a, int logout)
{
	if (hs_find_user(h, id, a) < 0 || hs_check_modifiable(h, a, "change the password of") < 0 ||
	    (logout && hs_check_cached_write(h, "tokens") < 0))
		return -1;
	if (a->deactivated)
		warnx_("%s is deactivated: %s refuses its password logins whatever the password", id->full,
		       hs_display(c->cfg));
	if (logout) {
		char q[2 * MXID_MAX + 96];
		snprintf(q, sizeof(q), "This logs out every device of %s.", id->full);
		return confirm(c, q);
	}
	return 0;
}

int cmd_user_passwd(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct hs *h = NULL;
	enum pw_source src;
	const char *file, *scheme;
	char hash[HASH_MAX] = "", *pw = NULL;
	int logout, ret = -1;
	long long ndev = 0;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, passwd_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0 ||
	    pw_source(c, &o, passwd_opts, 1, &src, &file) < 0)
		goto out;
	logout = opt(&o, passwd_opts, "--logout-devices") != NULL;
	if ((scheme = opt(&o, passwd_opts, "--scheme")) && hs_check_scheme(c->cfg, scheme) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || passwd_target(c, h, &id, &a, logout) < 0 ||
	    new_password_hash(c, src, file, &pw, hash) < 0 || passwd_write(c, h, &a, hash, logout, &ndev) < 0)
		goto out;
	passwd_report(c, id.full, logout, ndev, src == PW_RANDOM && !c->dry_run ? pw : NULL);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	pw_free(pw);
	sodium_memzero(hash, sizeof(hash));
	return cmd_finish(c, h, &o, ret);
}

/* ---- user verify-password ---- */

static const struct optspec verify_opts[] = { { "--password-stdin", 0 }, { "--password-file", 1 }, { 0, 0 } };

int cmd_user_verify_password(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct hs *h = NULL;
	struct pw_scheme s;
	enum pw_source src;
	const char *file;
	char *pw = NULL;
	int rc, ret = -1;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, verify_opts, &o) < 0 || one_user_arg(c, &o, &id) < 0 ||
	    pw_source(c, &o, verify_opts, 0, &src, &file) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_READ)) || hs_find_user(h, &id, &a) < 0 || !(pw = pw_read(src, file, 0, "Password: ")))
		goto out;
	hs_password_scheme(c->cfg, &s);
	if ((rc = pw_verify(&s, pw, a.password_hash)) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:b, s:o}", "user_id", id.full, "match", rc, "deactivated",
				   a.deactivated < 0 ? json_null() : json_boolean(a.deactivated)));
	if (rc == 1) {
		out_line("password matches for %s", id.full);
		if (a.deactivated)
			warnx_("%s is deactivated: %s refuses its logins anyway", id.full, hs_display(c->cfg));
		ret = EX_OK;
	} else {
		err_set(EX_MISMATCH, "password does not match for %s", id.full);
		if (!a.password_hash || !*a.password_hash)
			err_detail("the account has no password (password login is disabled)");
	}
out:
	hs_account_clear(&a);
	pw_free(pw);
	return cmd_finish(c, h, &o, ret);
}

/* ---- user deactivate / reactivate / lock / unlock ---- */

struct flag_cmd {
	const char *verb;   /* "deactivate" */
	const char *done;   /* "deactivated" */
	const char *field;  /* the audit row's field (and the value a running server caches) */
	int on;             /* the flag's new value */
	unsigned needs;     /* enum hs_need the homeserver must have (0: every one) */
};

static int flag_now(const struct hs_account *a, const struct flag_cmd *f)
{
	return !strcmp(f->field, "locked") ? a->locked : !strcmp(f->field, "shadow_banned") ? a->shadow_banned : a->deactivated;
}

/* The change of F on A, with its audit rows; *CHANGED whether the flag moved, *TOKENS revoked. */
static int flag_write(struct ctx *c, struct hs *h, const struct hs_account *a, const struct flag_cmd *f,
		      int *changed, long long *tokens)
{
	int old = flag_now(a, f);
	long long n = 0;
	char olds[8], gone[48];
	snprintf(olds, sizeof(olds), "%d", old);
	if (!strcmp(f->field, "locked")) {
		if (hs_set_locked(h, a, f->on, &n) < 0)
			return -1;
		n = old != f->on;
	} else if (!strcmp(f->field, "shadow_banned")) {
		if (hs_set_shadow_banned(h, a, f->on, &n) < 0)
			return -1;
		n = old != f->on;
	} else if (hs_set_deactivated(h, a, f->on, &n) < 0)
		return -1;
	else
		n = old != f->on;
	*changed = n != 0;
	if (*changed && audit_write(c, h, a->user_id, f->field, old < 0 ? NULL : olds, f->on ? "1" : "0") < 0)
		return -1;
	snprintf(gone, sizeof(gone), "%lld device(s)", *tokens);
	if (*tokens && audit_write(c, h, a->user_id, "devices", gone, "deleted") < 0)
		return -1;
	return 0;
}

static void flag_report(struct ctx *c, const struct hs_account *a, const struct flag_cmd *f, int changed,
			long long tokens)
{
	if (g_json) {
		out_json(json_pack("{s:s, s:s, s:b, s:I, s:b}", "user_id", a->user_id, "action", f->verb, "changed",
				   changed && !c->dry_run, "tokens_revoked", (json_int_t)tokens, "dry_run", c->dry_run));
		return;
	}
	if (changed || tokens)
		out_line("%s%s %s", c->dry_run ? "would " : "", c->dry_run ? f->verb : f->done, a->user_id);
	else
		out_line("%s is already %s", a->user_id, f->done);
	if (tokens)
		out_line("%s%lld token(s) (device(s)) of %s", c->dry_run ? "would revoke " : "revoked ", tokens, a->user_id);
	if (changed && !f->on && !strcmp(f->field, "deactivated"))
		out_line("not restored: what its deactivation deleted (devices with their end-to-end keys: the user "
			 "logs in anew and sets up encryption again; pushers, 3PIDs, rooms left)");
}

static int flag_command(struct ctx *c, int argc, char **argv, const struct flag_cmd *f)
{
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct hs *h = NULL;
	long long tokens = 0;
	int changed = 0, ret = -1;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, no_opts, &o) < 0)
		goto out;
	if (f->needs) {
		char *what = xasprintf("user %s", f->verb);
		int rc = ctx_needs(c, f->needs, what);
		free(what);
		if (rc < 0)
			goto out;
	}
	if (one_user_arg(c, &o, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_find_user(h, &id, &a) < 0 || hs_check_modifiable(h, &a, f->verb) < 0 ||
	    hs_check_cached_write(h, f->field) < 0)
		goto out;
	if (write_begin(c, h) < 0 || flag_write(c, h, &a, f, &changed, &tokens) < 0 || write_end(c, h) < 0)
		goto out;
	flag_report(c, &a, f, changed, tokens);
	if (!f->on && !strcmp(f->field, "deactivated") && (!a.password_hash || !*a.password_hash))
		warnx_("%s has no password: set one with `mxdba user passwd %s` before it can log in", a.user_id, a.user_id);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	return cmd_finish(c, h, &o, ret);
}

int cmd_user_reactivate(struct ctx *c, int argc, char **argv)
{
	static const struct flag_cmd f = { "reactivate", "active", "deactivated", 0, 0 };
	return flag_command(c, argc, argv, &f);
}

int cmd_user_lock(struct ctx *c, int argc, char **argv)
{
	static const struct flag_cmd f = { "lock", "locked", "locked", 1, 0 };
	return flag_command(c, argc, argv, &f);
}

int cmd_user_unlock(struct ctx *c, int argc, char **argv)
{
	static const struct flag_cmd f = { "unlock", "unlocked", "locked", 0, 0 };
	return flag_command(c, argc, argv, &f);
}

/* Shadow-banned (Synapse): the user's requests succeed for them, and what
 * they send reaches no one. */
int cmd_user_shadow_ban(struct ctx *c, int argc, char **argv)
{
	static const struct flag_cmd f = { "shadow-ban", "shadow-banned", "shadow_banned", 1, HS_NEED_SHADOW_BAN };
	return flag_command(c, argc, argv, &f);
}

int cmd_user_unshadow_ban(struct ctx *c, int argc, char **argv)
{
	static const struct flag_cmd f = { "unshadow-ban", "unshadow-banned", "shadow_banned", 0, HS_NEED_SHADOW_BAN };
	return flag_command(c, argc, argv, &f);
}
