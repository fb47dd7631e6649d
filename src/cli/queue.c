/* SPDX-License-Identifier: Apache-2.0 */
/* The leave queue: `evacuate user|room`, `notice`, `queue list|cancel`,
 * `migrate`. Queue rows live in the userapi database (mxdba_queue); nothing
 * here touches room tables: leaves are carried out by `queue apply`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "db/migrate.h"
#include "hs/dendrite.h"
#include "hs/rooms.h"
#include "queue.h"

/* ---- migrate ---- */

static const struct optspec migrate_opts[] = { { "--status", 0 }, { 0, 0 } };

static void status_row(const char *name, long long ts, void *user)
{
	char when[32];
	if (g_json)
		out_json(json_pack("{s:s, s:b, s:I}", "migration", name, "applied", ts != 0, "applied_ts", (json_int_t)ts));
	else {
		const char *cells[2] = { name, ts ? fmt_ms(ts, when, sizeof(when)) : "pending" };
		table_row(user, cells);
	}
}

int cmd_migrate(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	int applied = 0, ret = -1, status;
	if (opts_parse(c, argc, argv, migrate_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "migrate takes no arguments");
		goto out;
	}
	status = opt(&o, migrate_opts, "--status") != NULL;
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, status ? HS_READ : HS_WRITE)))
		goto out;
	if (status) {
		static const char *const head[2] = { "MIGRATION", "APPLIED (UTC)" };
		struct table *t = g_json ? NULL : table_begin(2, head);
		int rc = migrate_status(h->user, status_row, t);
		table_end(t);
		if (rc < 0)
			goto out;
		ret = EX_OK;
		goto out;
	}
	if (db_begin(h->user, 1) < 0 || migrate_apply_in_tx(h->user, 1, c->dry_run, &applied) < 0)
		goto out;
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:i, s:b}", "applied", applied, "dry_run", c->dry_run));
	else
		out_line(applied ? "%s %d migration(s)" : "mxdba's own tables are up to date%.0s%.0d",
			 c->dry_run ? "would apply" : "applied", applied);
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

/* ---- evacuate ---- */

struct enqueue {
	struct ctx *c;
	struct hs *h;
	const char *user;   /* evacuate user: the user */
	const char *by;     /* the OS user, looked up once before the transaction */
	long long queued, already;
	int include_invites;
	int room_mode;
};

static int enqueue_row(struct enqueue *q, const char *user_id, const char *room_id)
{
	db_arg a[6] = { DB_ARG_TEXT("leave"), DB_ARG_TEXT(user_id), DB_ARG_TEXT(room_id), DB_ARG_TEXT(""),
			DB_ARG_INT(now_ms()), DB_ARG_TEXT(q->by) };
	long long n;
	if (db_exec(q->h->user, "queue_insert", a, 6, &n) < 0)
		return -1;
	if (n)
		q->queued++;
	else
		q->already++;
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:s, s:b, s:b}", "kind", "leave", "user_id", user_id, "room_id", room_id,
				   "queued", n != 0, "dry_run", q->c->dry_run));
	else if (g_verbosity > 0 || q->c->dry_run)
		out_line("%s leave of %s from %s%s", q->c->dry_run ? "would queue" : "queued", user_id, room_id,
			 n ? "" : " (already pending)");
	return 0;
}

static int enqueue_cb(const struct room_row *row, void *user)
{
	struct enqueue *q = user;
	if (!strcmp(row->state, "join") || (q->include_invites && !strcmp(row->state, "invite")))
		return enqueue_row(q, row->user_id, row->room_id);
	return 0;
}

static const struct optspec evac_user_opts[] = { { "--include-invites", 0 }, { "--lock", 0 }, { 0, 0 } };
static const struct optspec evac_room_opts[] = { { "--include-invites", 0 }, { 0, 0 } };

static int evacuate_user(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct account a;
	struct hs *h = NULL;
	struct enqueue q = { 0 };
	db *rs = NULL;
	int lock, pseudo = 0, ret = -1;
	long long ndev = 0;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, evac_user_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one USER");
		err_hint("mxdba evacuate user @mallory:example.org [--include-invites] [--lock]");
		goto out;
	}
	lock = opt(&o, evac_user_opts, "--lock") != NULL;
	if (ctx_config(c) < 0 || mxid_parse(o.pos[0], c->cfg->server_name, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)))
		goto out;
	if (hs_find_user(h, &id, &a) < 0)
		goto out;
	if (lock && hs_check_reserved(h, a.localpart, id.full, "lock") < 0)
		goto out;
	if (lock && a.type == ACCT_APPSERVICE) {
		err_set(EX_REFUSED, "refusing to lock %s: it is an appservice account", id.full);
		goto out;
	}
	if (!(rs = rooms_open_roomserver(c->cfg)))
		goto out;
	q.by = os_user_name();
	if (write_begin(c, h) < 0)
		goto out;
	q.c = c;
	q.h = h;
	q.include_invites = opt(&o, evac_user_opts, "--include-invites") != NULL;
	if (rooms_of_user(rs, id.full, MS_JOIN | (q.include_invites ? MS_INVITE : 0), 0, enqueue_cb, &q, &pseudo) < 0)
		goto out;
	if (lock) {
		db_arg k[2] = { DB_ARG_TEXT(a.localpart), DB_ARG_TEXT(a.server_name) };
		if (db_exec_one(h->user, "account_deactivate", k, 2, "locking the account") < 0)
			goto out;
		if (db_exec(h->user, "devices_delete_all", k, 2, &ndev) < 0)
			goto out;
	}
	{
		char what[64], gone[48];
		snprintf(what, sizeof(what), "%lld leave(s) queued", q.queued);
		snprintf(gone, sizeof(gone), "%lld device(s)", ndev);
		if ((q.queued && audit_write(c, h, id.full, "queue", NULL, what) < 0) ||
		    (lock && audit_write(c, h, id.full, "is_deactivated", a.deactivated < 0 ? NULL : a.deactivated ? "1" : "0",
					 "1") < 0) ||
		    (lock && audit_write(c, h, id.full, "devices", gone, "deleted") < 0))
			goto out;
	}
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:I, s:I, s:b, s:I, s:b}", "user_id", id.full, "queued", (json_int_t)q.queued,
				   "already_pending", (json_int_t)q.already, "locked", lock, "devices_deleted",
				   (json_int_t)ndev, "dry_run", c->dry_run));
	else {
		out_line("%s %lld leave(s) for %s%s", c->dry_run ? "would queue" : "queued", q.queued, id.full,
			 q.already ? "" : "");
		if (q.already)
			out_line("%lld already pending", q.already);
		if (lock)
			out_line("%s %s: deactivated, %lld device(s) deleted", c->dry_run ? "would lock" : "locked",
				 id.full, ndev);
		if (!c->dry_run && q.queued)
			out_line("run `mxdba queue apply` once the homeserver is up");
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	account_clear(&a);
	db_close(rs);
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

static int room_member_cb(const struct room_row *row, void *user)
{
	if (!row->local)
		return 0;
	return enqueue_cb(row, user);
}

static int evacuate_room(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	struct enqueue q = { 0 };
	db *rs = NULL;
	int ret = -1;

	if (opts_parse(c, argc, argv, evac_room_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one ROOM");
		err_hint("mxdba evacuate room '!abc:example.org' [--include-invites]");
		goto out;
	}
	if (roomid_check(o.pos[0]) < 0 || ctx_config(c) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || !(rs = rooms_open_roomserver(c->cfg)) || room_known(rs, o.pos[0]) < 0)
		goto out;
	q.by = os_user_name();
	if (write_begin(c, h) < 0)
		goto out;
	q.c = c;
	q.h = h;
	q.room_mode = 1;
	q.include_invites = opt(&o, evac_room_opts, "--include-invites") != NULL;
	if (members_of_room(rs, o.pos[0], MS_JOIN | (q.include_invites ? MS_INVITE : 0), 1, 0, room_member_cb, &q) < 0)
		goto out;
	if (q.queued) {
		char what[64];
		snprintf(what, sizeof(what), "%lld leave(s) queued", q.queued);
		if (audit_write(c, h, o.pos[0], "queue", NULL, what) < 0)
			goto out;
	}
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:I, s:I, s:b}", "room_id", o.pos[0], "queued", (json_int_t)q.queued,
				   "already_pending", (json_int_t)q.already, "dry_run", c->dry_run));
	else {
		out_line("%s %lld leave(s) from %s", c->dry_run ? "would queue" : "queued", q.queued, o.pos[0]);
		if (q.already)
			out_line("%lld already pending", q.already);
		if (!c->dry_run && q.queued)
			out_line("run `mxdba queue apply` once the homeserver is up");
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	db_close(rs);
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

int cmd_evacuate(struct ctx *c, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "user"))
		return evacuate_user(c, argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "room"))
		return evacuate_room(c, argc - 1, argv + 1);
	err_set(EX_USAGE, "evacuate needs `user USER` or `room ROOM`");
	return err_hint("mxdba evacuate user @mallory:example.org --lock, or mxdba evacuate room '!abc:example.org'");
}

/* ---- notice ---- */

int notice_admin(struct ctx *c, struct hs *h, struct mxid *admin)
{
	struct account a;
	if (!c->cfg->notice_admin) {
		err_set(EX_CONFIG, "%s: no [server] admin_user to send server notices as", c->cfg->path);
		return err_hint("add `admin_user = @root:%s` under [server] (an admin account)", c->cfg->server_name);
	}
	if (mxid_parse(c->cfg->notice_admin, c->cfg->server_name, admin) < 0) {
		err_detail("[server] admin_user in %s", c->cfg->path);
		return -1;
	}
	if (hs_find_user(h, admin, &a) < 0) {
		err_detail("[server] admin_user in %s", c->cfg->path);
		return -1;
	}
	if (a.type != ACCT_ADMIN) {
		account_clear(&a);
		err_set(EX_REFUSED, "[server] admin_user %s is not an admin", admin->full);
		return err_hint("promote it with `mxdba user promote %s`", admin->full);
	}
	account_clear(&a);
	return 0;
}

int cmd_notice(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id, admin;
	struct account a;
	struct hs *h = NULL;
	int ret = -1;
	long long n;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, NULL, &o) < 0)
		goto out;
	if (o.npos != 2) {
		err_set(EX_USAGE, "expected USER and TEXT");
		err_hint("mxdba notice @alice:example.org 'Your account will be migrated tonight.'");
		goto out;
	}
	if (!text_is_clean(o.pos[1]) || !*o.pos[1] || strlen(o.pos[1]) > 65536) {
		err_set(EX_USAGE, "the notice text must be printable UTF-8 of 1 to 65536 bytes");
		goto out;
	}
	if (ctx_config(c) < 0 || mxid_parse(o.pos[0], c->cfg->server_name, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)))
		goto out;
	if (hs_find_user(h, &id, &a) < 0)
		goto out;
	if (notice_admin(c, h, &admin) < 0 || write_begin(c, h) < 0)
		goto out;
	{
		db_arg q[6] = { DB_ARG_TEXT("notice"), DB_ARG_TEXT(id.full), DB_ARG_TEXT(""), DB_ARG_TEXT(o.pos[1]),
				DB_ARG_INT(now_ms()), DB_ARG_TEXT(os_user_name()) };
		if (db_exec(h->user, "queue_insert", q, 6, &n) < 0)
			goto out;
		if (n && audit_write(c, h, id.full, "queue", NULL, "server notice queued") < 0)
			goto out;
	}
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:b, s:s, s:b}", "kind", "notice", "user_id", id.full, "queued", n != 0,
				   "sender", admin.full, "dry_run", c->dry_run));
	else
		out_line("%s a server notice to %s%s (sent as %s by `mxdba queue apply`)",
			 c->dry_run ? "would queue" : "queued", id.full, n ? "" : " (the same one is already pending)",
			 admin.full);
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	account_clear(&a);
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

/* ---- queue list / cancel ---- */

static const struct optspec qlist_opts[] = { { "--state", 1 }, { 0, 0 } };

static int valid_states(const char *list)
{
	static const char *const ok[] = { "pending", "done", "skipped", "failed", "cancelled" };
	char *copy = xstrdup(list), *save = NULL, *t;
	int good = 1;
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (size_t i = 0; i < ARRAY_LEN(ok); i++)
			found |= !strcmp(t, ok[i]);
		good &= found;
	}
	free(copy);
	return good && *list;
}

int queue_tables_ready(struct hs *h)
{
	return migrate_pending(h->user) == 0;
}

int cmd_queue_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ID", "KIND", "USER", "ROOM / TEXT", "STATE", "TRIES", "LAST RESULT" };
	struct opts o;
	struct hs *h = NULL;
	struct table *t = NULL;
	const char *states = "";
	db_rows *r;
	db_arg a;
	int rc, ret = -1;
	long long n = 0;

	if (opts_parse(c, argc, argv, qlist_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "queue list takes no arguments");
		goto out;
	}
	if ((states = opt(&o, qlist_opts, "--state")) && !valid_states(states)) {
		err_set(EX_USAGE, "bad --state \"%.64s\"", states);
		err_hint("a comma-separated list of pending, done, skipped, failed, cancelled");
		goto out;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_READ)))
		goto out;
	if (!queue_tables_ready(h)) {
		if (err_pending())
			goto out;
		if (!g_json)
			infox("the queue is empty (mxdba's tables are not created yet)");
		ret = EX_OK;
		goto out;
	}
	a = DB_ARG_TEXT(states ? states : "");
	/* one read transaction: a consistent snapshot, and PostgreSQL streams through a cursor */
	if (db_begin(h->user, 0) < 0 || !(r = db_stream(h->user, "queue_list", &a, 1)))
		goto out;
	if (!g_json)
		t = table_begin(7, head);
	while ((rc = db_step(r)) == 1) {
		char id[24], tries[16], result[600];
		const char *kind = db_text(r, 1);
		int st_null;
		long long st = db_int(r, 7, &st_null);
		n++;
		if (g_json) {
			out_json(json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:s?, s:s?, s:I, s:I}", "id",
					   (json_int_t)db_int(r, 0, NULL), "kind", kind, "user_id", db_text(r, 2), "room_id",
					   db_text(r, 3), "text", db_text(r, 4), "state", db_text(r, 5), "attempts",
					   (json_int_t)db_int(r, 6, NULL), "http_status",
					   st_null ? json_null() : json_integer(st), "errcode", db_text(r, 8), "error",
					   db_text(r, 9), "created_ts", (json_int_t)db_int(r, 10, NULL), "updated_ts",
					   (json_int_t)db_int(r, 11, NULL)));
			continue;
		}
		snprintf(id, sizeof(id), "%lld", db_int(r, 0, NULL));
		snprintf(tries, sizeof(tries), "%lld", db_int(r, 6, NULL));
		if (st_null && !db_text(r, 9))
			snprintf(result, sizeof(result), "-");
		else
			snprintf(result, sizeof(result), "%s%s%s%s%.400s", st_null ? "" : "HTTP ",
				 st_null ? "" : db_text(r, 7), db_text(r, 8) ? " " : "",
				 db_text(r, 8) ? db_text(r, 8) : "", db_text(r, 9) ? (st_null ? db_text(r, 9) : "") : "");
		{
			char what[96];
			const char *cells[7];
			if (!strcmp(kind, "notice"))
				snprintf(what, sizeof(what), "\"%.60s%s\"", db_text(r, 4),
					 strlen(db_text(r, 4)) > 60 ? "…" : "");
			else
				snprintf(what, sizeof(what), "%s", db_text(r, 3));
			cells[0] = id;
			cells[1] = kind;
			cells[2] = db_text(r, 2);
			cells[3] = what;
			cells[4] = db_text(r, 5);
			cells[5] = tries;
			cells[6] = result;
			table_row(t, cells);
		}
	}
	db_rows_free(r);
	if (rc < 0)
		goto out;
	ret = EX_OK;
out:
	table_end_count(t, ret == EX_OK, n, "queued operation(s)");
	ctx_hs_done(c, h);
	free(o.pos);
	return ret;
}

static const struct optspec qcancel_opts[] = { { "--all-pending", 0 }, { 0, 0 } };

int cmd_queue_cancel(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	long long *ids = NULL, n, total = 0;
	int all, ret = -1;

	if (opts_parse(c, argc, argv, qcancel_opts, &o) < 0)
		goto out;
	all = opt(&o, qcancel_opts, "--all-pending") != NULL;
	if (all == (o.npos > 0)) {
		err_set(EX_USAGE, "give queue IDs or --all-pending (not both)");
		err_hint("see `mxdba queue list --state pending`");
		goto out;
	}
	ids = xcalloc((size_t)o.npos + 1, sizeof(*ids));
	for (int i = 0; i < o.npos; i++) {
		long v;
		if (parse_int(o.pos[i], 1, 0x7fffffffL, &v) < 0) {
			err_set(EX_USAGE, "\"%.32s\" is not a queue ID", o.pos[i]);
			goto out;
		}
		ids[i] = v;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_WRITE)))
		goto out;
	if (write_begin(c, h) < 0)
		goto out;
	if (all) {
		db_arg a = DB_ARG_INT(now_ms());
		char what[48];
		if (db_exec(h->user, "queue_cancel_all", &a, 1, &total) < 0)
			goto out;
		snprintf(what, sizeof(what), "%lld cancelled", total);
		if (total && audit_write(c, h, "queue", "state", "pending", what) < 0)
			goto out;
	}
	for (int i = 0; i < o.npos; i++) {
		db_arg a[2] = { DB_ARG_INT(ids[i]), DB_ARG_INT(now_ms()) };
		char *state = NULL;
		int rc = db_scalar(h->user, "queue_get_state", a, 1, &state);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			err_set(EX_NOTFOUND, "queue ID %lld does not exist", ids[i]);
			err_detail("nothing was cancelled");
			goto out;
		}
		if (db_exec(h->user, "queue_cancel", a, 2, &n) < 0) {
			free(state);
			goto out;
		}
		if (n) {
			char target[48];
			snprintf(target, sizeof(target), "queue #%lld", ids[i]);
			if (audit_write(c, h, target, "state", "pending", "cancelled") < 0) {
				free(state);
				goto out;
			}
		}
		total += n;
		if (g_json)
			out_json(json_pack("{s:I, s:b, s:s}", "id", (json_int_t)ids[i], "cancelled", n == 1 && !c->dry_run,
					   "state", n == 1 ? "cancelled" : state));
		else if (n == 0)
			out_line("%lld is %s, not pending: left as it is", ids[i], state);
		free(state);
	}
	if (write_end(c, h) < 0)
		goto out;
	if (!g_json)
		out_line("%s %lld queued operation(s)", c->dry_run ? "would cancel" : "cancelled", total);
	else if (all)
		out_json(json_pack("{s:I, s:b}", "cancelled", (json_int_t)total, "dry_run", c->dry_run));
	dry_run_note(c);
	ret = EX_OK;
out:
	if (h)
		db_rollback(h->user);
	ctx_hs_done(c, h);
	free(ids);
	free(o.pos);
	return ret;
}
