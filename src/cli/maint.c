/* SPDX-License-Identifier: Apache-2.0 */
/* Queued room maintenance: `room delete`, `room purge-history`, `media
 * purge-remote`. Each checks first what would make the server fail, then
 * queues one row per operation in one transaction (audited); `queue apply`
 * carries them out through the server's own admin API (apply_rooms.c).
 * Nothing here touches the server's room tables. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/idlist.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "queue.h"
#include "store/store.h"

/* ---- what every queued room operation shares ---- */

struct room_op {
	struct ctx *c;
	struct hs *h;
	const char *kind; /* room_delete, purge_history, purge_remote_media */
	struct mxid admin;
	const char *by;
	int purge; /* room_delete: the room's data purged (not --no-purge) */
	long long queued, already;
};

/* The admin the server's admin API is called as: --as, [server]
 * admin_user, or the only active admin (as for server notices). */
static int op_admin(struct room_op *r, const char *as)
{
	return notice_sender(r->c, r->h, as, &r->admin);
}

static int queue_one(struct room_op *r, const char *room_id, const char *body)
{
	char what[96];
	int queued;
	if (queue_insert(hs_db(r->h), r->kind, r->admin.full, room_id, body, now_ms(), r->by, r->admin.full, &queued) < 0)
		return -1;
	if (!queued) {
		r->already++;
		return 0;
	}
	r->queued++;
	snprintf(what, sizeof(what), "%s queued", r->kind);
	return audit_write(r->c, r->h, *room_id ? room_id : "remote media", "queue", NULL, what);
}

/* ---- pre-checks: what would make the server fail ---- */

/* Is a job of ACTION on ROOM scheduled or running on the server? 1 (said,
 * as DOING: "deleting it", "purging its history"), 0 no, -1 error. */
static int job_running(struct room_op *r, const char *room, enum hs_job_action action, const char *doing)
{
	struct hs_room_job j;
	int rc = hs_room_job(r->h, room, action, 0, &j);
	if (rc <= 0)
		return rc;
	if (!hs_room_job_running(&j))
		return 0;
	warnx_("%s: the server is %s already (its job %s is %s)", room, doing, j.id, j.state);
	return 1;
}

/* Is there a leftover row the server's purge of ROOM would fail on? 1 (said
 * with its repair), 0 no, -1 error. */
static int delete_blocked(struct room_op *r, const char *room)
{
	struct hs_delete_blocker b;
	const char *server = hs_display(r->c->cfg);
	int rc = hs_room_delete_blocker(r->h, room, &b);
	if (rc <= 0)
		return rc;
	if (b.consumers)
		warnx_("%s: %s's deletion would fail: its row in %s, which the purge leaves, is still to be read by the "
		       "pending background update %s; start %s and let it finish (`mxdba report updates`), then queue "
		       "the deletion", room, server, b.table, b.update, server);
	else
		warnx_("%s: %s's deletion would fail: its row in %s, which the purge leaves and nothing will read "
		       "(doctor's %s); `mxdba doctor --check %s --fix` schedules %s's own update that clears it: "
		       "start %s until it is done (`mxdba report updates`), then queue the deletion",
		       room, server, b.table, b.check, b.check, server, server);
	return 1;
}

/* ROOM must be known to the server, not being deleted by it, and (QUEUE:
 * mxdba's tables exist) not already queued for the same operation. Each
 * failure is said (warnx) and counted in *BAD; -1 only on a database error. */
static int precheck_room(struct room_op *r, const char *room, int queue, long long *bad)
{
	long long id;
	int rc;
	if (hs_room_known(r->h, room) < 0) {
		if (err_code() != EX_NOTFOUND)
			return -1;
		warnx_("%s: not known to this homeserver (nothing to %s)", room,
		       !strcmp(r->kind, "room_delete") ? "delete" : "purge");
		err_clear();
		(*bad)++;
		return 0;
	}
	if ((rc = job_running(r, room, HS_JOB_DELETE, "deleting it")) == 0 && !strcmp(r->kind, "purge_history"))
		rc = job_running(r, room, HS_JOB_PURGE_HISTORY, "purging its history");
	if (rc == 0 && !strcmp(r->kind, "room_delete") && r->purge)
		rc = delete_blocked(r, room);
	if (rc != 0) {
		*bad += rc > 0;
		return rc < 0 ? -1 : 0;
	}
	if (!queue)
		return 0;
	if ((rc = queue_pending_for_room(hs_db(r->h), r->kind, room, &id)) < 0)
		return -1;
	if (rc == 1) {
		warnx_("%s: already queued (row %lld, pending)", room, id);
		(*bad)++;
	}
	return 0;
}

static int precheck_rooms(struct room_op *r, const struct idlist *rooms)
{
	long long bad = 0;
	/* mxdba's tables come with the first write: none yet, nothing queued */
	int queue = queue_tables_ready(r->h);
	if (!queue && err_pending())
		return -1;
	for (size_t i = 0; i < rooms->n; i++)
		if (precheck_room(r, rooms->ids[i], queue, &bad) < 0)
			return -1;
	if (!bad)
		return 0;
	err_set(EX_REFUSED, "%lld of %zu room(s) cannot be queued (said above); nothing was queued", bad, rooms->n);
	return err_hint("leave those rooms out (`mxdba queue list` shows what is queued; `mxdba report rooms` what the "
			"server knows), then run the command again");
}

/* ---- room delete ---- */

static const struct optspec delete_opts[] = { { "--purge", 0 },	 { "--no-purge", 0 }, { "--block", 0 },
					      { "--message", 1 },	 { "--new-room-user", 1 }, { "--from", 1 },
					      { "--as", 1 },		 { 0, 0 } };

/* The rooms named on the line and in --from FILE ("-": standard input). */
static int delete_rooms(const struct opts *o, struct idlist *rooms)
{
	const char *from = opt(o, delete_opts, "--from");
	for (int i = 0; i < o->npos; i++) {
		if (roomid_check(o->pos[i]) < 0)
			return -1;
		idlist_add(rooms, o->pos[i]);
	}
	if (from) {
		FILE *f = strcmp(from, "-") ? fopen(from, "r") : stdin;
		int rc;
		if (!f) {
			err_set(EX_USAGE, "cannot open --from %s", from);
			return err_hint("--from names a file of room IDs, one a line (or - for standard input)");
		}
		rc = idlist_read(f, strcmp(from, "-") ? from : "standard input", "room_id", roomid_check, rooms);
		if (f != stdin)
			fclose(f);
		if (rc < 0)
			return -1;
	}
	if (!rooms->n) {
		err_set(EX_USAGE, "no room to delete");
		return err_hint("mxdba room delete '!abc:example.org' …, or --from FILE (one room ID a line; "
				"`mxdba report rooms --no-local-members --json` lines work too)");
	}
	return 0;
}

/* The options the server's deletion takes, as its JSON body. */
static char *delete_body(struct room_op *r, const struct opts *o)
{
	const struct hs_admin_api *api = hs_admin_api(r->h);
	const char *message = opt(o, delete_opts, "--message"), *nru = opt(o, delete_opts, "--new-room-user");
	int block = opt(o, delete_opts, "--block") != NULL, no_purge = opt(o, delete_opts, "--no-purge") != NULL;
	const char *missing = block && !(api->delete_options & HS_DEL_BLOCK)		   ? "--block"
			      : (message || nru) && !(api->delete_options & HS_DEL_MESSAGE) ? "--message/--new-room-user"
			      : no_purge && !(api->delete_options & HS_DEL_NO_PURGE)	   ? "--no-purge"
											   : NULL;
	struct mxid nru_id;
	json_t *j;
	char *s;
	if (missing) {
		err_set(EX_REFUSED, "%s cannot do %s when it deletes a room", hs_display(r->c->cfg), missing);
		err_hint("leave %s out; %s", missing,
			 !strcmp(missing, "--block") ? "nothing stops a remote server from making the room known again"
						     : "the room's local members are made to leave");
		return NULL;
	}
	if (opt(o, delete_opts, "--purge") && no_purge) {
		err_set(EX_USAGE, "--purge and --no-purge contradict each other");
		return NULL;
	}
	if (message && !nru) {
		err_set(EX_USAGE, "--message is posted in the room its members are moved to: it needs --new-room-user");
		err_hint("mxdba room delete '!abc:example.org' --new-room-user @admin:%s --message 'This room was closed.'",
			 r->c->cfg->server_name);
		return NULL;
	}
	if (message && (!text_is_clean(message) || strlen(message) > 4000)) {
		err_set(EX_USAGE, "--message must be text of at most 4000 bytes");
		return NULL;
	}
	if (nru) {
		struct hs_account a;
		if (mxid_parse(nru, r->c->cfg->server_name, &nru_id) < 0 || hs_find_user(r->h, &nru_id, &a) < 0) {
			err_detail("--new-room-user");
			return NULL;
		}
		hs_account_clear(&a);
	}
	r->purge = !no_purge;
	j = json_pack("{s:b, s:b}", "purge", !no_purge, "block", block);
	if (message)
		json_object_set_new(j, "message", json_string(message));
	if (nru)
		json_object_set_new(j, "new_room_user_id", json_string(nru_id.full));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void op_report(const struct room_op *r, const char *verb, size_t asked)
{
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:b}", "kind", r->kind, "as", r->admin.full, "rooms",
				   (json_int_t)asked, "queued", (json_int_t)r->queued, "already_pending",
				   (json_int_t)r->already, "dry_run", r->c->dry_run));
	else {
		out_line("%s %lld %s (as %s)", r->c->dry_run ? "would queue" : "queued", r->queued, verb, r->admin.full);
		if (r->already)
			out_line("%lld already pending", r->already);
		if (!r->c->dry_run && r->queued)
			out_line("run `mxdba queue apply` once the homeserver is up");
	}
}

/* Queue BODY once for each of ROOMS (or once with no room: N 0) in one
 * write transaction, audited; then say so. */
static int queue_all(struct room_op *r, const struct idlist *rooms, const char *body, const char *verb)
{
	r->by = os_user_name();
	if (write_begin(r->c, r->h) < 0)
		return -1;
	for (size_t i = 0; i < (rooms ? rooms->n : 1); i++)
		if (queue_one(r, rooms ? rooms->ids[i] : "", body) < 0) {
			db_rollback(hs_db(r->h));
			return -1;
		}
	if (write_end(r->c, r->h) < 0)
		return -1;
	op_report(r, verb, rooms ? rooms->n : 0);
	dry_run_note(r->c);
	return 0;
}

int cmd_room_delete(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct room_op r = { .c = c, .kind = "room_delete" };
	struct idlist rooms = { 0 };
	char *body = NULL;
	int ret = -1;
	if (opts_parse(c, argc, argv, delete_opts, &o) < 0 || delete_rooms(&o, &rooms) < 0 || ctx_config(c) < 0 ||
	    !(r.h = ctx_hs(c, HS_WRITE)) || hs_rooms_open(r.h) < 0 || !(body = delete_body(&r, &o)) ||
	    op_admin(&r, opt(&o, delete_opts, "--as")) < 0 || precheck_rooms(&r, &rooms) < 0)
		goto out;
	if (queue_all(&r, &rooms, body, "room deletion(s)") < 0)
		goto out;
	ret = EX_OK;
out:
	free(body);
	idlist_free(&rooms);
	return cmd_finish(c, r.h, &o, ret);
}

/* ---- room purge-history, media purge-remote ---- */

/* --before TIME, in the past. */
static int before_arg(const struct opts *o, const struct optspec *spec, long long *ms)
{
	const char *t = opt(o, spec, "--before");
	if (!t) {
		err_set(EX_USAGE, "--before TIME is required");
		return err_hint("--before 2026-11-01, 2026-11-01T12:00 (UTC), or an age: 30d, 12h");
	}
	if (parse_when(t, ms) < 0) {
		err_set(EX_USAGE, "--before \"%.40s\" is not a date (2026-11-01, 2026-11-01T12:00) or an age (30d, 12h)",
			t);
		return -1;
	}
	if (*ms > now_ms() || *ms <= 0) {
		err_set(EX_USAGE, "--before must be in the past");
		return err_hint("an age (30d) or a date before now");
	}
	return 0;
}

static const struct optspec history_opts[] = { { "--before", 1 }, { "--keep-local", 0 }, { "--as", 1 }, { 0, 0 } };

int cmd_room_purge_history(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct room_op r = { .c = c, .kind = "purge_history" };
	struct idlist rooms = { 0 };
	long long before;
	char *body = NULL;
	int ret = -1;
	if (opts_parse(c, argc, argv, history_opts, &o) < 0 || ctx_needs(c, HS_NEED_PURGE_HISTORY, "room purge-history") < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one ROOM");
		err_hint("mxdba room purge-history '!abc:example.org' --before 90d [--keep-local]");
		goto out;
	}
	if (roomid_check(o.pos[0]) < 0 || before_arg(&o, history_opts, &before) < 0 || ctx_config(c) < 0 ||
	    !(r.h = ctx_hs(c, HS_WRITE)) || hs_rooms_open(r.h) < 0 || op_admin(&r, opt(&o, history_opts, "--as")) < 0)
		goto out;
	idlist_add(&rooms, o.pos[0]);
	if (precheck_rooms(&r, &rooms) < 0)
		goto out;
	{
		json_t *j = json_pack("{s:I, s:b}", "purge_up_to_ts", (json_int_t)before, "delete_local_events",
				      !opt(&o, history_opts, "--keep-local"));
		body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
	}
	if (queue_all(&r, &rooms, body, "history purge(s)") < 0)
		goto out;
	ret = EX_OK;
out:
	free(body);
	idlist_free(&rooms);
	return cmd_finish(c, r.h, &o, ret);
}

static const struct optspec media_opts[] = { { "--before", 1 }, { "--as", 1 }, { 0, 0 } };

int cmd_media_purge_remote(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct room_op r = { .c = c, .kind = "purge_remote_media" };
	long long before;
	char *body = NULL;
	int ret = -1;
	if (opts_parse(c, argc, argv, media_opts, &o) < 0 || ctx_needs(c, HS_NEED_PURGE_MEDIA, "media purge-remote") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "media purge-remote takes no arguments");
		err_hint("mxdba media purge-remote --before 30d");
		goto out;
	}
	if (before_arg(&o, media_opts, &before) < 0 || ctx_config(c) < 0 || !(r.h = ctx_hs(c, HS_WRITE)) ||
	    op_admin(&r, opt(&o, media_opts, "--as")) < 0)
		goto out;
	{
		json_t *j = json_pack("{s:I}", "before_ts", (json_int_t)before);
		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if (queue_all(&r, NULL, body, "remote media purge(s)") < 0)
		goto out;
	ret = EX_OK;
out:
	free(body);
	return cmd_finish(c, r.h, &o, ret);
}
