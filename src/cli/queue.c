/* SPDX-License-Identifier: Apache-2.0 */
/* The leave queue: `evacuate user|room`, `notice`, `queue list|cancel`,
 * `migrate`. Queue rows live in mxdba's own tables (src/store/); nothing
 * here touches room tables: leaves are carried out by `queue apply`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "queue.h"
#include "store/store.h"

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

static int migrate_show_status(struct hs *h)
{
	static const char *const head[2] = { "MIGRATION", "APPLIED (UTC)" };
	struct table *t = g_json ? NULL : table_begin(2, head);
	int rc = migrate_status(hs_db(h), status_row, t);
	table_end(t);
	return rc < 0 ? -1 : EX_OK;
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
		ret = migrate_show_status(h);
		goto out;
	}
	if (db_begin(hs_db(h), 1) < 0 || migrate_apply_in_tx(hs_db(h), 1, c->dry_run, &applied) < 0 ||
	    write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:i, s:b}", "applied", applied, "dry_run", c->dry_run));
	else
		out_line(applied ? "%s %d migration(s)" : "mxdba's own tables are up to date%.0s%.0d",
			 c->dry_run ? "would apply" : "applied", applied);
	dry_run_note(c);
	ret = EX_OK;
out:
	return cmd_finish(c, h, &o, ret);
}

/* ---- evacuate ---- */

struct enqueue {
	struct ctx *c;
	struct hs *h;
	const char *by; /* the OS user, looked up once before the transaction */
	long long queued, already;
	int include_invites;
	int include_knocks;
	int json_quiet; /* no JSON line per row: the command prints one object */
	int forget_joined; /* a joined room is also forgotten (the server's deactivation does it) */
	int room_mode;
};

static int enqueue_row(struct enqueue *q, const char *user_id, const char *room_id, int forget)
{
	int queued;
	if (queue_insert(hs_db(q->h), "leave", user_id, room_id, forget ? "forget" : "", now_ms(), q->by, NULL, &queued) < 0)
		return -1;
	if (queued)
		q->queued++;
	else
		q->already++;
	if (g_json) {
		if (!q->json_quiet)
			out_json(json_pack("{s:s, s:s, s:s, s:b, s:b}", "kind", "leave", "user_id", user_id, "room_id",
					   room_id, "queued", queued, "dry_run", q->c->dry_run));
	} else if (g_verbosity > 0 || q->c->dry_run)
		out_line("%s leave of %s from %s%s", q->c->dry_run ? "would queue" : "queued", user_id, room_id,
			 queued ? "" : " (already pending)");
	return 0;
}

static int enqueue_cb(const struct hs_membership *m, void *user)
{
	struct enqueue *q = user;
	if (!strcmp(m->state, "join") || (q->include_invites && !strcmp(m->state, "invite")) ||
	    (q->include_knocks && !strcmp(m->state, "knock")))
		return enqueue_row(q, m->user_id, m->room_id, q->forget_joined && !strcmp(m->state, "join"));
	return 0;
}

static const struct optspec evac_user_opts[] = { { "--include-invites", 0 }, { "--lock", 0 }, { 0, 0 } };
static const struct optspec evac_room_opts[] = { { "--include-invites", 0 }, { 0, 0 } };

/* The leaves of Q's user from every joined (and invited) room. */
static int evacuate_queue(struct enqueue *q, const char *user_id)
{
	int pseudo = 0;
	return hs_rooms_of_user(q->h, user_id, MS_JOIN | (q->include_invites ? MS_INVITE : 0) | (q->include_knocks ? MS_KNOCK : 0),
				0, enqueue_cb, q, &pseudo);
}

/* --lock: A out of its sessions now and kept out, nothing else deleted (so
 * that `user reactivate` gives a compromised account back whole): the
 * deactivated flag and every token (device) revoked, *NDEV of them. The
 * server's full deactivation is `user deactivate`. */
static int lock_out(struct hs *h, const struct hs_account *a, long long *ndev)
{
	long long changed;
	return hs_set_deactivated(h, a, 1, &changed) < 0 || hs_revoke_tokens(h, a, ndev) < 0 ? -1 : 0;
}

/* The audit rows of locking A out (its tokens: NDEV). */
static int lock_audit(struct ctx *c, struct hs *h, const struct hs_account *a, long long ndev)
{
	char gone[48];
	snprintf(gone, sizeof(gone), "%lld device(s)", ndev);
	if (audit_write(c, h, a->user_id, "deactivated", a->deactivated < 0 ? NULL : a->deactivated ? "1" : "0", "1") < 0)
		return -1;
	if (a->locked >= 0 && audit_write(c, h, a->user_id, "locked", a->locked ? "1" : "0", "1") < 0)
		return -1;
	return audit_write(c, h, a->user_id, "devices", gone, "deleted");
}

static void evacuate_user_report(struct ctx *c, const struct enqueue *q, const char *user, int lock, long long ndev)
{
	if (g_json) {
		out_json(json_pack("{s:s, s:I, s:I, s:b, s:I, s:b}", "user_id", user, "queued", (json_int_t)q->queued,
				   "already_pending", (json_int_t)q->already, "locked", lock, "devices_deleted",
				   (json_int_t)ndev, "dry_run", c->dry_run));
		return;
	}
	out_line("%s %lld leave(s) for %s", c->dry_run ? "would queue" : "queued", q->queued, user);
	if (q->already)
		out_line("%lld already pending", q->already);
	if (lock)
		out_line("%s %s: deactivated, %lld device(s) deleted", c->dry_run ? "would lock" : "locked", user, ndev);
	if (!c->dry_run && q->queued)
		out_line("run `mxdba queue apply` once the homeserver is up");
}

/* SECONDS for people: "40 seconds", "25 minutes", "1 h 23 min", "12 days". */
static const char *duration_text(double seconds, char *buf, size_t n)
{
	long long s = seconds < 1e12 ? (long long)(seconds + 0.5) : (long long)1e12;
	if (s >= 2 * 86400)
		snprintf(buf, n, "%lld days", (s + 43200) / 86400);
	else if (s < 120)
		snprintf(buf, n, "%lld seconds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lld minutes", (s + 30) / 60);
	else
		snprintf(buf, n, "%lld h %02lld min", s / 3600, (s % 3600 + 30) / 60);
	return buf;
}

void leave_limit_warning(struct hs *h, const struct hs_account *a, long long pending)
{
	struct hs_leave_limit l;
	char took[32], back[2 * MXID_MAX + 256];
	double wait;
	if (hs_leave_limit(h, a, &l) <= 0 || pending <= l.burst)
		return;
	wait = l.per_second > 0 ? (pending - l.burst) / l.per_second : 0;
	if (l.per_second <= 0)
		warnx_("the server refuses %s's leaves after the first %.0f (%s: 0 a second): queue apply cannot finish "
		       "these %lld",
		       a->user_id, l.burst, l.from, pending);
	else if (wait >= 60)
		warnx_("the server lets %s leave %g room(s) a second after the first %.0f (%s): these %lld leaves take "
		       "queue apply about %s, whatever --parallel says",
		       a->user_id, l.per_second, l.burst, l.from, pending, duration_text(wait, took, sizeof(took)));
	else
		return;
	/* what puts the limit back after the apply: the user's own override, or none */
	if (a->ratelimit.set)
		snprintf(back, sizeof(back), "set %s --messages-per-second %lld --burst %lld` after the apply puts its "
			 "override back", a->user_id, a->ratelimit.per_second, a->ratelimit.burst);
	else
		snprintf(back, sizeof(back), "clear %s` after the apply puts it back", a->user_id);
	infox("hint: `mxdba user ratelimit set %s --messages-per-second 0 --burst 0` with the server stopped lifts it "
	      "for this user; `mxdba user ratelimit %s",
	      a->user_id, back);
}

static int queued_audit(struct ctx *c, struct hs *h, const char *target, long long queued)
{
	char what[64];
	if (!queued)
		return 0;
	snprintf(what, sizeof(what), "%lld leave(s) queued", queued);
	return audit_write(c, h, target, "queue", NULL, what);
}

int queue_user_leaves(struct ctx *c, struct hs *h, const char *user_id, long long *queued, long long *already)
{
	struct enqueue q = { 0 };
	q.c = c;
	q.h = h;
	q.by = os_user_name();
	q.include_invites = q.include_knocks = 1;
	q.json_quiet = 1;
	q.forget_joined = hs_profile(h)->deactivation_forgets;
	if (evacuate_queue(&q, user_id) < 0 || queued_audit(c, h, user_id, q.queued) < 0)
		return -1;
	*queued = q.queued;
	*already = q.already;
	return 0;
}

static int evacuate_user(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct enqueue q = { 0 };
	int lock, ret = -1;
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
	q.c = c;
	q.include_invites = opt(&o, evac_user_opts, "--include-invites") != NULL;
	if (ctx_config(c) < 0 || mxid_parse(o.pos[0], c->cfg->server_name, &id) < 0)
		goto out;
	if (!(q.h = ctx_hs(c, HS_WRITE)) || hs_find_user(q.h, &id, &a) < 0 ||
	    (lock && hs_check_modifiable(q.h, &a, "lock") < 0) || hs_rooms_open(q.h) < 0)
		goto out;
	q.by = os_user_name();
	if (write_begin(c, q.h) < 0 || evacuate_queue(&q, id.full) < 0 || (lock && (hs_check_cached_write(q.h, "deactivated") < 0 || lock_out(q.h, &a, &ndev) < 0)) ||
	    queued_audit(c, q.h, id.full, q.queued) < 0 || (lock && lock_audit(c, q.h, &a, ndev) < 0) ||
	    write_end(c, q.h) < 0)
		goto out;
	evacuate_user_report(c, &q, id.full, lock, ndev);
	leave_limit_warning(q.h, &a, q.queued + q.already);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	return cmd_finish(c, q.h, &o, ret);
}

static int room_member_cb(const struct hs_membership *m, void *user)
{
	if (!m->local)
		return 0;
	return enqueue_cb(m, user);
}

static int evacuate_room(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct enqueue q = { 0 };
	const char *room;
	int ret = -1;

	if (opts_parse(c, argc, argv, evac_room_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one ROOM");
		err_hint("mxdba evacuate room '!abc:example.org' [--include-invites]");
		goto out;
	}
	room = o.pos[0];
	q.c = c;
	q.room_mode = 1;
	q.include_invites = opt(&o, evac_room_opts, "--include-invites") != NULL;
	if (roomid_check(room) < 0 || ctx_config(c) < 0 || !(q.h = ctx_hs(c, HS_WRITE)) || hs_room_known(q.h, room) < 0)
		goto out;
	q.by = os_user_name();
	if (write_begin(c, q.h) < 0 ||
	    hs_members_of_room(q.h, room, MS_JOIN | (q.include_invites ? MS_INVITE : 0), 1, 0, room_member_cb, &q) < 0 ||
	    queued_audit(c, q.h, room, q.queued) < 0 || write_end(c, q.h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:I, s:I, s:b}", "room_id", room, "queued", (json_int_t)q.queued,
				   "already_pending", (json_int_t)q.already, "dry_run", c->dry_run));
	else {
		out_line("%s %lld leave(s) from %s", c->dry_run ? "would queue" : "queued", q.queued, room);
		if (q.already)
			out_line("%lld already pending", q.already);
		if (!c->dry_run && q.queued)
			out_line("run `mxdba queue apply` once the homeserver is up");
	}
	dry_run_note(c);
	ret = EX_OK;
out:
	return cmd_finish(c, q.h, &o, ret);
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

/* Is account A (ID, as named by WHERE) able to send server notices? */
static int sender_usable(const struct mxid *id, const struct hs_account *a, const char *where)
{
	if (!a->admin) {
		err_set(EX_REFUSED, "%s %s is not an admin", where, id->full);
		return err_hint("the server-notices API takes an admin's token: promote it with `mxdba user promote %s`, "
				"or name another with --as",
				id->full);
	}
	if (a->deactivated > 0) {
		err_set(EX_REFUSED, "%s %s is deactivated", where, id->full);
		return err_hint("name an active admin with --as, or `mxdba user reactivate %s`", id->full);
	}
	return 0;
}

/* The named sender NAME (from WHERE): a local, active admin. */
static int named_sender(struct ctx *c, struct hs *h, const char *name, const char *where, struct mxid *admin)
{
	struct hs_account a;
	int rc;
	if (mxid_parse(name, c->cfg->server_name, admin) < 0 || hs_find_user(h, admin, &a) < 0) {
		err_detail("%s", where);
		return -1;
	}
	rc = sender_usable(admin, &a, where);
	hs_account_clear(&a);
	return rc;
}

struct only_admin {
	long long n;
	char first[256];
};

static int only_admin_row(const struct hs_account_row *r, void *user)
{
	struct only_admin *o = user;
	if (r->deactivated > 0)
		return 0;
	if (!o->n++)
		str_copy(o->first, sizeof(o->first), r->user_id);
	return 0;
}

int notice_sender(struct ctx *c, struct hs *h, const char *as, struct mxid *admin)
{
	struct hs_account_filter f = { 1, 0, 0 };
	struct only_admin o = { 0, "" };
	if (as)
		return named_sender(c, h, as, "--as", admin);
	if (c->cfg->notice_admin)
		return named_sender(c, h, c->cfg->notice_admin, "[server] admin_user", admin);
	if (hs_accounts_list(h, &f, only_admin_row, &o) < 0)
		return -1;
	if (o.n == 1)
		return mxid_parse(o.first, c->cfg->server_name, admin);
	if (!o.n) {
		err_set(EX_REFUSED, "no active admin to send server notices as");
		return err_hint("create one with `mxdba user create root --admin`, then queue the notice again");
	}
	err_set(EX_USAGE, "%lld active admins: which one sends the notice?", o.n);
	return err_hint("name one with --as @root:%s, or set `admin_user` under [server] in %s", c->cfg->server_name,
			c->cfg->path);
}

static const struct optspec notice_opts[] = { { "--as", 1 }, { 0, 0 } };

static int notice_args(struct ctx *c, const struct opts *o, struct mxid *id)
{
	if (o->npos != 2) {
		err_set(EX_USAGE, "expected USER and TEXT");
		return err_hint("mxdba notice @alice:example.org 'Your account will be migrated tonight.' [--as @root:example.org]");
	}
	if (!text_is_clean(o->pos[1]) || !*o->pos[1] || strlen(o->pos[1]) > 65536)
		return err_set(EX_USAGE, "the notice text must be printable UTF-8 of 1 to 65536 bytes");
	if (ctx_config(c) < 0)
		return -1;
	return mxid_parse(o->pos[0], c->cfg->server_name, id);
}

int cmd_notice(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id, admin;
	struct hs_account a;
	struct hs *h = NULL;
	int ret = -1, queued = 0;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, notice_opts, &o) < 0 || notice_args(c, &o, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_check_notices(h) < 0 || hs_find_user(h, &id, &a) < 0 ||
	    notice_sender(c, h, opt(&o, notice_opts, "--as"), &admin) < 0 || write_begin(c, h) < 0)
		goto out;
	if (queue_insert(hs_db(h), "notice", id.full, "", o.pos[1], now_ms(), os_user_name(), admin.full, &queued) < 0 ||
	    (queued && audit_write(c, h, id.full, "queue", NULL, "server notice queued") < 0) || write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:b, s:s, s:b}", "kind", "notice", "user_id", id.full, "queued", queued,
				   "sender", admin.full, "dry_run", c->dry_run));
	else
		out_line("%s a server notice to %s%s (sent as %s by `mxdba queue apply`)",
			 c->dry_run ? "would queue" : "queued", id.full, queued ? "" : " (the same one is already pending)",
			 admin.full);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	return cmd_finish(c, h, &o, ret);
}

const char *queue_row_label(char *buf, size_t n, const struct queue_row *q, const char *name, const char *alias)
{
	char head[96];
	if (!strcmp(q->kind, "notice"))
		snprintf(buf, n, "\"%s\"", text_excerpt(head, sizeof(head), q->body, 60));
	else if (!strcmp(q->kind, "purge_remote_media"))
		snprintf(buf, n, "remote media cache");
	else if (alias && *alias)
		snprintf(buf, n, "%s (%s)", q->room_id, text_excerpt(head, sizeof(head), alias, 80));
	else if (name && *name)
		snprintf(buf, n, "%s (\"%s\")", q->room_id, text_excerpt(head, sizeof(head), name, 60));
	else
		snprintf(buf, n, "%s", q->room_id);
	return buf;
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
	return migrate_pending(hs_db(h)) == 0;
}

struct qlist {
	struct hs *h;
	struct table *t;
	struct jw jw; /* --json: one line per row, streamed */
	long long n;
	/* the last room's names: an evacuated room's rows come one after another */
	char *room_id, *name, *alias;
};

/* The room of Q's names into L (looked up once per run of rows of one room). */
static void qlist_names(struct qlist *l, const struct queue_row *q)
{
	if (l->room_id && !strcmp(l->room_id, q->room_id))
		return;
	free(l->room_id);
	free(l->name);
	free(l->alias);
	l->room_id = xstrdup(q->room_id);
	hs_room_names(l->h, q->room_id, &l->name, &l->alias);
}

static void qlist_free(struct qlist *l)
{
	free(l->room_id);
	free(l->name);
	free(l->alias);
}

static void qlist_json(struct jw *w, const struct queue_row *q, const char *name, const char *alias)
{
	jw_begin(w);
	jw_int(w, "id", q->id);
	jw_str(w, "kind", q->kind);
	jw_str(w, "user_id", q->user_id);
	jw_str(w, "room_id", q->room_id);
	jw_str(w, "room_name", name);
	jw_str(w, "canonical_alias", alias);
	jw_str(w, "text", q->body);
	jw_str(w, "state", q->state);
	jw_int(w, "attempts", q->attempts);
	if (q->http_status)
		jw_int(w, "http_status", q->http_status);
	else
		jw_str(w, "http_status", NULL);
	jw_str(w, "errcode", q->errcode);
	jw_str(w, "error", q->error);
	jw_int(w, "created_ts", q->created_ts);
	jw_int(w, "updated_ts", q->updated_ts);
	jw_str(w, "sender", q->sender && *q->sender ? q->sender : NULL);
	jw_end(w);
}

static int qlist_row(const struct queue_row *q, void *user)
{
	struct qlist *l = user;
	char id[24], tries[16], result[600], what[1024];
	const char *cells[7], *name = NULL, *alias = NULL;
	l->n++;
	if (strcmp(q->kind, "notice")) {
		qlist_names(l, q);
		name = l->name;
		alias = l->alias;
	}
	if (g_json) {
		qlist_json(&l->jw, q, name, alias);
		return 0;
	}
	snprintf(id, sizeof(id), "%lld", q->id);
	snprintf(tries, sizeof(tries), "%lld", q->attempts);
	if (!q->http_status && !q->error)
		snprintf(result, sizeof(result), "-");
	else if (q->http_status)
		snprintf(result, sizeof(result), "HTTP %ld%s%s", q->http_status, q->errcode ? " " : "",
			 q->errcode ? q->errcode : "");
	else
		snprintf(result, sizeof(result), "%s%s%.400s", q->errcode ? q->errcode : "", q->errcode ? " " : "",
			 q->error);
	queue_row_label(what, sizeof(what), q, name, alias);
	cells[0] = id;
	cells[1] = q->kind;
	cells[2] = q->user_id;
	cells[3] = what;
	cells[4] = q->state;
	cells[5] = tries;
	cells[6] = result;
	table_row(l->t, cells);
	return 0;
}

int cmd_queue_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ID", "KIND", "USER", "ROOM / TEXT", "STATE", "TRIES", "LAST RESULT" };
	struct opts o;
	struct hs *h = NULL;
	struct qlist l = { 0 };
	const char *states = "";
	int ret = -1;

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
		if (!err_pending()) {
			if (!g_json)
				infox("the queue is empty (mxdba's tables are not created yet)");
			ret = EX_OK;
		}
		goto out;
	}
	/* one read transaction: a consistent snapshot, and PostgreSQL streams through a cursor */
	if (db_begin(hs_db(h), 0) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(7, head);
	l.h = h;
	if (queue_list(hs_db(h), states ? states : "", qlist_row, &l) == 0)
		ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, "queued operation(s)");
	jw_free(&l.jw);
	qlist_free(&l);
	return cmd_finish(c, h, &o, ret);
}

static const struct optspec qcancel_opts[] = { { "--all-pending", 0 }, { 0, 0 } };

static int cancel_one(struct ctx *c, struct hs *h, long long id, long long *total)
{
	char *state = NULL, target[48];
	long long n;
	int rc = queue_state(hs_db(h), id, &state);
	if (rc == 0) {
		err_set(EX_NOTFOUND, "queue ID %lld does not exist", id);
		err_detail("nothing was cancelled");
	}
	snprintf(target, sizeof(target), "queue #%lld", id);
	if (rc <= 0 || queue_cancel(hs_db(h), id, now_ms(), &n) < 0 ||
	    (n && audit_write(c, h, target, "state", "pending", "cancelled") < 0)) {
		free(state);
		return -1;
	}
	*total += n;
	if (g_json)
		out_json(json_pack("{s:I, s:b, s:s}", "id", (json_int_t)id, "cancelled", n == 1 && !c->dry_run, "state",
				   n == 1 ? "cancelled" : state));
	else if (n == 0)
		out_line("%lld is %s, not pending: left as it is", id, state);
	free(state);
	return 0;
}

static int cancel_all(struct ctx *c, struct hs *h, long long *total)
{
	char what[48];
	if (queue_cancel(hs_db(h), 0, now_ms(), total) < 0)
		return -1;
	snprintf(what, sizeof(what), "%lld cancelled", *total);
	return *total ? audit_write(c, h, "queue", "state", "pending", what) : 0;
}

/* The IDs of `queue cancel ID…` (N of them): -1 + EX_USAGE for one that is not a number. */
static long long *cancel_ids(const struct opts *o)
{
	long long *ids = xcalloc((size_t)o->npos + 1, sizeof(*ids));
	for (int i = 0; i < o->npos; i++) {
		long v;
		if (parse_int(o->pos[i], 1, 0x7fffffffL, &v) < 0) {
			err_set(EX_USAGE, "\"%.32s\" is not a queue ID", o->pos[i]);
			free(ids);
			return NULL;
		}
		ids[i] = v;
	}
	return ids;
}

int cmd_queue_cancel(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	long long *ids = NULL, total = 0;
	int all = 0, ret = -1;

	if (opts_parse(c, argc, argv, qcancel_opts, &o) < 0)
		goto out;
	all = opt(&o, qcancel_opts, "--all-pending") != NULL;
	if (all == (o.npos > 0)) {
		err_set(EX_USAGE, "give queue IDs or --all-pending (not both)");
		err_hint("see `mxdba queue list --state pending`");
		goto out;
	}
	if (!(ids = cancel_ids(&o)) || ctx_config(c) < 0 || !(h = ctx_hs(c, HS_WRITE)) || write_begin(c, h) < 0 ||
	    (all && cancel_all(c, h, &total) < 0))
		goto out;
	for (int i = 0; i < o.npos; i++)
		if (cancel_one(c, h, ids[i], &total) < 0)
			goto out;
	if (write_end(c, h) < 0)
		goto out;
	if (!g_json)
		out_line("%s %lld queued operation(s)", c->dry_run ? "would cancel" : "cancelled", total);
	else if (all)
		out_json(json_pack("{s:I, s:b}", "cancelled", (json_int_t)total, "dry_run", c->dry_run));
	dry_run_note(c);
	ret = EX_OK;
out:
	free(ids);
	return cmd_finish(c, h, &o, ret);
}
