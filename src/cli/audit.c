/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba audit list` and `mxdba audit undo ID`: the mxdba_audit log written
 * by every change, and restoring an old value when nothing changed since. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "db/migrate.h"
#include "hs/dendrite.h"

/* "2026-11-26", "2026-11-26T10:00[:00]" (UTC) or "30m", "12h", "7d" ago -> ms. */
static int parse_since(const char *s, long long *ms)
{
	struct tm tm;
	char unit;
	long v;
	const char *end;
	size_t n = strlen(s);
	if (n >= 2 && strchr("mhd", s[n - 1])) {
		char num[32];
		if (n - 1 >= sizeof(num))
			return -1;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		unit = s[n - 1];
		if (parse_int(num, 0, 100000000L, &v) < 0)
			return -1;
		*ms = now_ms() - (long long)v * 1000 * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(s, "%Y-%m-%d", &tm)))
		return -1;
	if (*end == 'T' || *end == ' ') {
		const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
		if (!e2)
			e2 = strptime(end + 1, "%H:%M", &tm);
		end = e2;
	}
	if (!end || *end)
		return -1;
	*ms = (long long)timegm(&tm) * 1000;
	return 0;
}

/* What a listing shows of a value: hashes are described, not printed. */
static const char *shown(const char *field, const char *v, char *buf, size_t n)
{
	int ok;
	if (!v)
		return "NULL";
	if (!strcmp(field, "password_hash")) {
		hash_describe(v, buf, n, &ok);
		return buf;
	}
	return v;
}

static const struct optspec list_opts[] = { { "--user", 1 }, { "--since", 1 }, { 0, 0 } };

int cmd_audit_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ID", "TIME (UTC)", "BY", "TARGET", "FIELD", "OLD", "NEW", "COMMAND" };
	struct opts o;
	struct hs *h = NULL;
	struct table *t = NULL;
	struct mxid id;
	const char *user, *since;
	long long since_ms = 0, n = 0;
	db_rows *r;
	int rc, ret = -1;

	if (opts_parse(c, argc, argv, list_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "audit list takes no arguments");
		err_hint("filter with --user USER or --since 2026-11-26 / 12h / 7d");
		goto out;
	}
	if ((since = opt(&o, list_opts, "--since")) && parse_since(since, &since_ms) < 0) {
		err_set(EX_USAGE, "--since \"%.40s\" is not a date (2026-11-26, 2026-11-26T10:00) or an age (30m, 12h, 7d)",
			since);
		goto out;
	}
	if (ctx_config(c) < 0)
		goto out;
	if ((user = opt(&o, list_opts, "--user")) && mxid_parse(user, c->cfg->server_name, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_READ)))
		goto out;
	if (migrate_pending(h->user) != 0) {
		if (!err_pending()) {
			if (!g_json)
				infox("the audit log is empty (mxdba's tables are not created yet)");
			ret = EX_OK;
		}
		goto out;
	}
	{
		db_arg a[2] = { DB_ARG_TEXT(user ? id.full : ""), DB_ARG_INT(since_ms) };
		/* one read transaction: a consistent snapshot, and PostgreSQL streams through a cursor */
		if (db_begin(h->user, 0) < 0 || !(r = db_stream(h->user, "audit_list", a, 2)))
			goto out;
	}
	if (!g_json)
		t = table_begin(8, head);
	while ((rc = db_step(r)) == 1) {
		char idb[24], when[32], ob[128], nb[128];
		const char *field = db_text(r, 5);
		n++;
		if (g_json) {
			out_json(json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)db_int(r, 0, NULL),
					   "ts", (json_int_t)db_int(r, 1, NULL), "os_user", db_text(r, 2), "command",
					   db_text(r, 3), "target", db_text(r, 4), "field", field, "old",
					   shown(field, db_text(r, 6), ob, sizeof(ob)), "new",
					   shown(field, db_text(r, 7), nb, sizeof(nb))));
			continue;
		}
		{
			const char *cells[8];
			snprintf(idb, sizeof(idb), "%lld", db_int(r, 0, NULL));
			cells[0] = idb;
			cells[1] = fmt_ms(db_int(r, 1, NULL), when, sizeof(when));
			cells[2] = db_text(r, 2);
			cells[3] = db_text(r, 4);
			cells[4] = field;
			cells[5] = shown(field, db_text(r, 6), ob, sizeof(ob));
			cells[6] = shown(field, db_text(r, 7), nb, sizeof(nb));
			cells[7] = db_text(r, 3);
			table_row(t, cells);
		}
	}
	db_rows_free(r);
	if (rc < 0)
		goto out;
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	table_end_count(t, ret == EX_OK, n, "audit row(s)");
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

int cmd_audit_undo(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	struct mxid id;
	struct account a;
	long id_v;
	char *field = NULL, *oldv = NULL, *newv = NULL, *target = NULL, cur[HASH_MAX];
	int rc, ret = -1, found = 0;
	long long n;
	db_rows *r;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, NULL, &o) < 0)
		goto out;
	if (o.npos != 1 || parse_int(o.pos[0], 1, 0x7fffffffL, &id_v) < 0) {
		err_set(EX_USAGE, "audit undo takes one audit ID");
		err_hint("find it with `mxdba audit list --user USER`");
		goto out;
	}
	if (!(h = ctx_hs(c, HS_WRITE)) || write_begin(c, h) < 0)
		goto out;
	{
		db_arg k = DB_ARG_INT(id_v);
		if (!(r = db_query(h->user, "audit_get", &k, 1)))
			goto out;
		if ((rc = db_step(r)) == 1) {
			found = 1;
			target = xstrdup(db_text(r, 4));
			field = xstrdup(db_text(r, 5));
			oldv = db_text(r, 6) ? xstrdup(db_text(r, 6)) : NULL;
			newv = db_text(r, 7) ? xstrdup(db_text(r, 7)) : NULL;
		}
		db_rows_free(r);
		if (rc < 0)
			goto out;
	}
	if (!found) {
		err_set(EX_NOTFOUND, "audit row %ld does not exist", id_v);
		goto out;
	}
	if (strcmp(field, "account_type") && strcmp(field, "password_hash") && strcmp(field, "is_deactivated")) {
		err_set(EX_REFUSED, "audit row %ld (%s of %s) cannot be undone", id_v, field, target);
		if (!strcmp(field, "account"))
			err_detail("accounts are never deleted: Matrix user IDs must not be reused; deactivate it instead");
		else if (!strcmp(field, "devices"))
			err_detail("deleted devices cannot come back: their access tokens are gone; the user logs in again");
		else if (!strcmp(field, "queue") || !strcmp(field, "state"))
			err_detail("queued operations are managed with `mxdba queue list` and `mxdba queue cancel`");
		else
			err_detail("only account_type, password_hash and is_deactivated changes can be undone");
		goto out;
	}
	if (!oldv) {
		err_set(EX_REFUSED, "audit row %ld has no old value to restore (it was NULL)", id_v);
		err_detail("writing NULL back would break the account (Dendrite reads these as non-NULL)");
		goto out;
	}
	if (mxid_parse(target, c->cfg->server_name, &id) < 0 || hs_find_user(h, &id, &a) < 0)
		goto out;
	/* the value now must be the one this row wrote: otherwise something changed since */
	if (!strcmp(field, "account_type"))
		snprintf(cur, sizeof(cur), "%d", a.type);
	else if (!strcmp(field, "is_deactivated"))
		snprintf(cur, sizeof(cur), "%s", a.deactivated < 0 ? "NULL" : a.deactivated ? "1" : "0");
	else
		snprintf(cur, sizeof(cur), "%s", a.password_hash ? a.password_hash : "NULL");
	if (!newv || strcmp(cur, newv)) {
		char d1[128], d2[128];
		err_set(EX_REFUSED, "refusing to undo audit row %ld: %s of %s changed since", id_v, field, id.full);
		err_detail("it is %s now; the row set it to %s", shown(field, cur, d1, sizeof(d1)),
			   shown(field, newv, d2, sizeof(d2)));
		err_hint("see `mxdba audit list --user %s` for what changed it", id.full);
		goto out;
	}
	{
		db_arg k[2] = { DB_ARG_TEXT(a.localpart), DB_ARG_TEXT(a.server_name) };
		if (!strcmp(field, "account_type")) {
			long t;
			db_arg args[4] = { DB_ARG_INT(0), k[0], k[1], DB_ARG_INT(a.type) };
			if (parse_int(oldv, 1, 4, &t) < 0 || (t != ACCT_USER && t != ACCT_ADMIN)) {
				err_set(EX_REFUSED, "audit row %ld: old account_type %s is not 1 or 3", id_v, oldv);
				goto out;
			}
			args[0] = DB_ARG_INT(t);
			rc = db_exec(h->user, "account_set_type", args, 4, &n);
		} else if (!strcmp(field, "is_deactivated")) {
			db_arg args[3] = { DB_ARG_INT(!strcmp(oldv, "1")), k[0], k[1] };
			rc = db_exec(h->user, "account_set_deactivated", args, 3, &n);
		} else {
			db_arg args[3] = { DB_ARG_TEXT(oldv), k[0], k[1] };
			rc = db_exec(h->user, "account_set_password", args, 3, &n);
		}
		if (rc < 0)
			goto out;
		if (n != 1) {
			err_set(EX_DB, "undo of audit row %ld changed %lld rows, expected 1", id_v, n);
			goto out;
		}
	}
	if (audit_write(c, h, id.full, field, newv, oldv) < 0)
		goto out;
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:i, s:s, s:s, s:b, s:b}", "undone", (int)id_v, "target", id.full, "field", field,
				   "restored", !c->dry_run, "dry_run", c->dry_run));
	else
		out_line("%s %s of %s (audit row %ld)", c->dry_run ? "would restore" : "restored", field, id.full, id_v);
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	account_clear(&a);
	ctx_hs_done(c, h);
	free(field);
	free(oldv);
	free(newv);
	free(target);
	free(o.pos);
	return ret;
}
