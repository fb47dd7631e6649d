/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba audit list` and `mxdba audit undo ID`: the audit log written by
 * every change, and restoring an old value when nothing changed since.
 * Rows name neutral fields (admin, deactivated, password_hash); rows of
 * releases before the homeserver profiles (account_type, is_deactivated)
 * are read and undone too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "store/store.h"

/* What a listing shows of a value: hashes are described, not printed. */
static const char *shown(const char *field, const char *v, char *buf, size_t n)
{
	if (!v)
		return "NULL";
	if (!strcmp(field, "password_hash")) {
		hash_kind(v, buf, n);
		return buf;
	}
	return v;
}

static const struct optspec list_opts[] = { { "--user", 1 }, { "--since", 1 }, { 0, 0 } };

struct alist {
	struct table *t;
	struct jw jw; /* --json: one line per row, streamed */
	long long n;
};

static int list_row(const struct audit_row *r, void *user)
{
	struct alist *l = user;
	char idb[24], when[32], ob[128], nb[128];
	const char *cells[8];
	l->n++;
	if (g_json) {
		struct jw *w = &l->jw;
		jw_begin(w);
		jw_int(w, "id", r->id);
		jw_int(w, "ts", r->ts);
		jw_str(w, "os_user", r->os_user);
		jw_str(w, "command", r->command);
		jw_str(w, "target", r->target);
		jw_str(w, "field", r->field);
		jw_str(w, "old", shown(r->field, r->old_value, ob, sizeof(ob)));
		jw_str(w, "new", shown(r->field, r->new_value, nb, sizeof(nb)));
		jw_end(w);
		return 0;
	}
	snprintf(idb, sizeof(idb), "%lld", r->id);
	cells[0] = idb;
	cells[1] = fmt_ms(r->ts, when, sizeof(when));
	cells[2] = r->os_user;
	cells[3] = r->target;
	cells[4] = r->field;
	cells[5] = shown(r->field, r->old_value, ob, sizeof(ob));
	cells[6] = shown(r->field, r->new_value, nb, sizeof(nb));
	cells[7] = r->command;
	table_row(l->t, cells);
	return 0;
}

/* The filters of `audit list`: TARGET ("" for all) and SINCE. */
static int list_args(struct ctx *c, const struct opts *o, struct mxid *id, const char **target, long long *since)
{
	const char *user, *s;
	*target = "";
	*since = 0;
	if (o->npos) {
		err_set(EX_USAGE, "audit list takes no arguments");
		return err_hint("filter with --user USER or --since 2026-11-26 / 12h / 7d");
	}
	if ((s = opt(o, list_opts, "--since")) && parse_when(s, since) < 0)
		return err_set(EX_USAGE,
			       "--since \"%.40s\" is not a date (2026-11-26, 2026-11-26T10:00) or an age (30m, 12h, 7d)", s);
	if (ctx_config(c) < 0)
		return -1;
	if ((user = opt(o, list_opts, "--user"))) {
		if (mxid_parse(user, c->cfg->server_name, id) < 0)
			return -1;
		*target = id->full;
	}
	return 0;
}

int cmd_audit_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ID", "TIME (UTC)", "BY", "TARGET", "FIELD", "OLD", "NEW", "COMMAND" };
	struct opts o;
	struct hs *h = NULL;
	struct alist l = { 0 };
	struct mxid id;
	const char *target;
	long long since;
	int ret = -1;

	if (opts_parse(c, argc, argv, list_opts, &o) < 0 || list_args(c, &o, &id, &target, &since) < 0 ||
	    !(h = ctx_hs(c, HS_READ)))
		goto out;
	if (migrate_pending(hs_db(h)) != 0) {
		if (!err_pending()) {
			if (!g_json)
				infox("the audit log is empty (mxdba's tables are not created yet)");
			ret = EX_OK;
		}
		goto out;
	}
	/* one read transaction: a consistent snapshot, and PostgreSQL streams through a cursor */
	if (db_begin(hs_db(h), 0) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(8, head);
	if (audit_list(hs_db(h), target, since, list_row, &l) == 0)
		ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, "audit row(s)");
	jw_free(&l.jw);
	return cmd_finish(c, h, &o, ret);
}

/* ---- undo ---- */

/* An undoable change, in neutral terms: the field and its old and new
 * values as 0/1 (flags) or the hashes. Rows written before the homeserver
 * profiles name Dendrite's columns; they map onto the same fields. */
struct change {
	const char *field; /* admin, deactivated, locked, shadow_banned, ratelimit, password_hash */
	char old_value[HASH_MAX], new_value[HASH_MAX];
};

static int flag_of_old_type(const char *v, char *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "3")) {
		snprintf(out, HASH_MAX, "%d", !strcmp(v, "3"));
		return 0;
	}
	return -1;
}

static int change_of(long id, const struct audit_row *r, struct change *ch)
{
	const char *f = r->field;
	if (!strcmp(f, "admin"))
		ch->field = "admin";
	else if (!strcmp(f, "deactivated"))
		ch->field = "deactivated";
	else if (!strcmp(f, "password_hash"))
		ch->field = "password_hash";
	else if (!strcmp(f, "locked"))
		ch->field = "locked";
	else if (!strcmp(f, "shadow_banned"))
		ch->field = "shadow_banned";
	else if (!strcmp(f, "ratelimit"))
		ch->field = "ratelimit";
	else if (!strcmp(f, "account_type"))
		ch->field = "admin";
	else if (!strcmp(f, "is_deactivated"))
		ch->field = "deactivated";
	else {
		err_set(EX_REFUSED, "audit row %ld (%s of %s) cannot be undone", id, f, r->target);
		if (!strcmp(f, "account"))
			err_detail("accounts are never deleted: Matrix user IDs must not be reused; deactivate it instead");
		else if (!strcmp(f, "devices"))
			err_detail("deleted devices cannot come back: their access tokens are gone; the user logs in again");
		else if (!strcmp(f, "queue") || !strcmp(f, "state"))
			err_detail("queued operations are managed with `mxdba queue list` and `mxdba queue cancel`");
		else
			err_detail("only admin, deactivated, locked, shadow_banned, ratelimit and password_hash changes can be "
				   "undone");
		return -1;
	}
	if (!r->old_value && !strcmp(f, "ratelimit")) { /* there was no override: undo removes it */
		snprintf(ch->old_value, HASH_MAX, "NULL");
		snprintf(ch->new_value, HASH_MAX, "%s", r->new_value ? r->new_value : "NULL");
		return 0;
	}
	if (!r->old_value) {
		err_set(EX_REFUSED, "audit row %ld has no old value to restore (it was NULL)", id);
		return err_detail("writing NULL back would break the account (the homeserver reads these as non-NULL)");
	}
	snprintf(ch->old_value, HASH_MAX, "%s", r->old_value);
	snprintf(ch->new_value, HASH_MAX, "%s", r->new_value ? r->new_value : "NULL");
	if (strcmp(f, "account_type"))
		return 0;
	if (flag_of_old_type(r->old_value, ch->old_value) < 0)
		return err_set(EX_REFUSED, "audit row %ld: old account_type %s is not 1 or 3", id, r->old_value);
	if (flag_of_old_type(ch->new_value, ch->new_value) < 0)
		snprintf(ch->new_value, HASH_MAX, "?");
	return 0;
}

/* The value of CH's field in account A now, as the audit log writes it. */
static void current(const struct hs_account *a, const struct change *ch, char *cur)
{
	if (!strcmp(ch->field, "admin"))
		snprintf(cur, HASH_MAX, "%d", a->admin);
	else if (!strcmp(ch->field, "deactivated"))
		snprintf(cur, HASH_MAX, "%s", a->deactivated < 0 ? "NULL" : a->deactivated ? "1" : "0");
	else if (!strcmp(ch->field, "locked"))
		snprintf(cur, HASH_MAX, "%d", a->locked);
	else if (!strcmp(ch->field, "shadow_banned"))
		snprintf(cur, HASH_MAX, "%d", a->shadow_banned);
	else if (!strcmp(ch->field, "ratelimit")) {
		char b[96];
		const char *t = hs_ratelimit_text(&a->ratelimit, b, sizeof(b));
		snprintf(cur, HASH_MAX, "%s", t ? t : "NULL");
	} else
		snprintf(cur, HASH_MAX, "%s", a->password_hash ? a->password_hash : "NULL");
}

static int restore(struct hs *h, const struct hs_account *a, const struct change *ch, long id)
{
	long long n;
	int rc;
	if (!strcmp(ch->field, "admin"))
		rc = hs_set_admin(h, a, !strcmp(ch->old_value, "1"), &n);
	else if (!strcmp(ch->field, "deactivated"))
		rc = hs_set_deactivated(h, a, !strcmp(ch->old_value, "1"), &n);
	else if (!strcmp(ch->field, "locked"))
		rc = hs_set_locked(h, a, !strcmp(ch->old_value, "1"), &n);
	else if (!strcmp(ch->field, "shadow_banned"))
		rc = hs_set_shadow_banned(h, a, !strcmp(ch->old_value, "1"), &n);
	else if (!strcmp(ch->field, "ratelimit")) {
		struct hs_ratelimit rl;
		if (hs_ratelimit_parse(strcmp(ch->old_value, "NULL") ? ch->old_value : NULL, &rl) < 0)
			return err_set(EX_REFUSED, "audit row %ld: old rate limit \"%.80s\" is not one mxdba wrote", id,
				       ch->old_value);
		rc = hs_set_ratelimit(h, a, &rl, &n);
	} else
		rc = hs_set_password_hash(h, a, ch->old_value, &n);
	if (rc < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "undo of audit row %ld changed %lld rows, expected 1", id, n);
	return 0;
}

/* Is the value now the one row ID wrote? Otherwise something changed since. */
static int unchanged_since(const struct hs_account *a, const struct change *ch, long id)
{
	char cur[HASH_MAX], d1[128], d2[128];
	current(a, ch, cur);
	if (!strcmp(cur, ch->new_value))
		return 0;
	err_set(EX_REFUSED, "refusing to undo audit row %ld: %s of %s changed since", id, ch->field, a->user_id);
	err_detail("it is %s now; the row set it to %s", shown(ch->field, cur, d1, sizeof(d1)),
		   shown(ch->field, ch->new_value, d2, sizeof(d2)));
	return err_hint("see `mxdba audit list --user %s` for what changed it", a->user_id);
}

static int undo_row(struct ctx *c, struct hs *h, long id, struct change *ch, struct hs_account *a, struct mxid *who)
{
	struct audit_row r;
	int rc = audit_get(hs_db(h), id, &r);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(EX_NOTFOUND, "audit row %ld does not exist", id);
	rc = change_of(id, &r, ch);
	if (rc == 0 && (mxid_parse(r.target, c->cfg->server_name, who) < 0 || hs_find_user(h, who, a) < 0))
		rc = -1;
	audit_row_free(&r);
	if (rc < 0 || unchanged_since(a, ch, id) < 0 ||
	    (strcmp(ch->field, "password_hash") && hs_check_cached_write(h, ch->field) < 0) || restore(h, a, ch, id) < 0)
		return -1;
	if (!strcmp(ch->field, "ratelimit")) /* no override is SQL NULL, as `user ratelimit` writes it */
		return audit_write(c, h, who->full, ch->field, strcmp(ch->new_value, "NULL") ? ch->new_value : NULL,
				   strcmp(ch->old_value, "NULL") ? ch->old_value : NULL);
	return audit_write(c, h, who->full, ch->field, ch->new_value, ch->old_value);
}

int cmd_audit_undo(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	struct mxid who;
	struct hs_account a;
	struct change ch;
	long id;
	int ret = -1;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, NULL, &o) < 0)
		goto out;
	if (o.npos != 1 || parse_int(o.pos[0], 1, 0x7fffffffL, &id) < 0) {
		err_set(EX_USAGE, "audit undo takes one audit ID");
		err_hint("find it with `mxdba audit list --user USER`");
		goto out;
	}
	if (!(h = ctx_hs(c, HS_WRITE)) || write_begin(c, h) < 0 || undo_row(c, h, id, &ch, &a, &who) < 0 ||
	    write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:i, s:s, s:s, s:b, s:b}", "undone", (int)id, "target", who.full, "field", ch.field,
				   "restored", !c->dry_run, "dry_run", c->dry_run));
	else
		out_line("%s %s of %s (audit row %ld)", c->dry_run ? "would restore" : "restored", ch.field, who.full, id);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	return cmd_finish(c, h, &o, ret);
}
