/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba report rooms|media|tables|updates`: what is big and what is stuck,
 * read-only, with the server up or down. Each report is a listing streamed
 * row by row (a table, --json lines or --csv) from the homeserver profile
 * (src/hs/PROFILE/report.c) or, for tables, the backend's catalogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/output.h"
#include "core/util.h"

static char *num(long long v, char *buf, size_t n)
{
	snprintf(buf, n, "%lld", v);
	return buf;
}

/* --limit N: a whole number from 1 on; -1 when not given. */
static int limit_arg(const char *v, long long *limit)
{
	long n;
	*limit = -1;
	if (!v)
		return 0;
	if (parse_int(v, 1, 2000000000L, &n) < 0) {
		err_set(EX_USAGE, "--limit \"%s\" is not a whole number from 1", v);
		return err_hint("--limit 20");
	}
	*limit = n;
	return 0;
}

/* ---- rooms ---- */

static int room_row(const struct hs_room_stats *r, void *user)
{
	struct listing *l = user;
	char b[9][24], when[32];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		jw_str(&l->jw, "room_id", r->room_id);
		jw_str(&l->jw, "name", r->name);
		jw_str(&l->jw, "canonical_alias", r->alias);
		jw_str(&l->jw, "version", r->version);
		jw_int(&l->jw, "joined_members", r->joined_members);
		jw_int(&l->jw, "joined_local_members", r->joined_local_members);
		jw_int(&l->jw, "state_events", r->state_events);
		jw_int(&l->jw, "events", r->events);
		jw_int(&l->jw, "state_groups", r->state_groups);
		jw_int(&l->jw, "state_group_rows", r->state_group_rows);
		jw_int(&l->jw, "forward_extremities", r->forward_extremities);
		jw_int(&l->jw, "event_bytes", r->event_bytes);
		if (r->last_event_ts >= 0)
			jw_int(&l->jw, "last_event_ts", r->last_event_ts);
		else
			jw_str(&l->jw, "last_event_ts", NULL);
		jw_end(&l->jw);
		return 0;
	}
	{
		const char *cells[13] = {
			r->room_id, r->name ? r->name : "", r->alias ? r->alias : "", r->version ? r->version : "",
			num(r->joined_members, b[0], 24), num(r->joined_local_members, b[1], 24),
			num(r->state_events, b[2], 24), num(r->events, b[3], 24), num(r->state_groups, b[4], 24),
			num(r->state_group_rows, b[5], 24), num(r->forward_extremities, b[6], 24),
			num(r->event_bytes, b[7], 24), r->last_event_ts >= 0 ? fmt_ms(r->last_event_ts, when, sizeof(when)) : "",
		};
		table_row(l->t, cells);
	}
	return 0;
}

static const struct optspec rooms_opts[] = { { "--sort", 1 }, { "--limit", 1 }, { "--no-local-members", 0 }, { 0, 0 } };

static int sort_key(const char *v, const char **key)
{
	char known[400] = "";
	*key = hs_room_sort_keys[0];
	if (!v)
		return 0;
	for (int i = 0; hs_room_sort_keys[i]; i++) {
		if (!strcmp(v, hs_room_sort_keys[i])) {
			*key = hs_room_sort_keys[i];
			return 0;
		}
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "", hs_room_sort_keys[i]);
	}
	err_set(EX_USAGE, "--sort %s: not a key of the room report", v);
	return err_hint("one of %s", known);
}

int cmd_report_rooms(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ROOM ID", "NAME", "CANONICAL ALIAS", "VERSION", "JOINED MEMBERS",
					    "JOINED LOCAL MEMBERS", "STATE EVENTS", "EVENTS", "STATE GROUPS",
					    "STATE GROUP ROWS", "FORWARD EXTREMITIES", "EVENT BYTES", "LAST EVENT TS" };
	struct opts o;
	struct listing l = { 0 };
	struct hs_room_query q = { 0 };
	struct hs *h = NULL;
	int ret = -1;

	if (opts_parse(c, argc, argv, rooms_opts, &o) < 0 || ctx_needs(c, HS_NEED_ROOM_REPORT, "report rooms") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "report rooms takes no arguments");
		err_hint("mxdba report rooms --sort event_bytes --limit 20");
		goto out;
	}
	q.no_local_members = opt(&o, rooms_opts, "--no-local-members") != NULL;
	if (sort_key(opt(&o, rooms_opts, "--sort"), &q.sort) < 0 || limit_arg(opt(&o, rooms_opts, "--limit"), &q.limit) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_REPORT)))
		goto out;
	if (!g_json)
		l.t = table_begin(13, head);
	if (hs_report_rooms(h, &q, room_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "room(s)");
	return cmd_finish(c, h, &o, ret);
}

/* ---- media ---- */

static int media_row(const struct hs_media_stats *m, void *user)
{
	struct listing *l = user;
	char n[24], b[24];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		jw_str(&l->jw, "user_id", m->user_id);
		jw_int(&l->jw, "media_count", m->media_count);
		jw_int(&l->jw, "media_bytes", m->media_bytes);
		jw_end(&l->jw);
	} else {
		const char *cells[3] = { m->user_id, num(m->media_count, n, sizeof(n)), num(m->media_bytes, b, sizeof(b)) };
		table_row(l->t, cells);
	}
	return 0;
}

static const struct optspec media_opts[] = { { "--sort", 1 }, { "--limit", 1 }, { 0, 0 } };

int cmd_report_media(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "USER ID", "MEDIA COUNT", "MEDIA BYTES" };
	struct opts o;
	struct listing l = { 0 };
	struct hs *h = NULL;
	const char *sort;
	long long limit;
	int ret = -1;

	if (opts_parse(c, argc, argv, media_opts, &o) < 0 || ctx_needs(c, HS_NEED_MEDIA_REPORT, "report media") < 0)
		goto out;
	sort = opt(&o, media_opts, "--sort") ? opt(&o, media_opts, "--sort") : "bytes";
	if (o.npos) {
		err_set(EX_USAGE, "report media takes no arguments");
		err_hint("mxdba report media --sort bytes --limit 20");
		goto out;
	}
	if (strcmp(sort, "bytes") && strcmp(sort, "count")) {
		err_set(EX_USAGE, "--sort %s: the media report sorts by bytes or count", sort);
		err_hint("mxdba report media --sort count");
		goto out;
	}
	if (limit_arg(opt(&o, media_opts, "--limit"), &limit) < 0 || !(h = ctx_hs(c, HS_REPORT)))
		goto out;
	if (!g_json)
		l.t = table_begin(3, head);
	if (hs_report_media(h, sort, limit, media_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "uploader(s)");
	return cmd_finish(c, h, &o, ret);
}

/* ---- tables ---- */

static int table_size_row(const struct hs_table_size *t, void *user)
{
	struct listing *l = user;
	char r[32], b[24];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		jw_str(&l->jw, "database", t->database);
		jw_str(&l->jw, "table", t->table);
		jw_int(&l->jw, "rows", t->rows);
		jw_bool(&l->jw, "rows_estimated", t->rows_estimated);
		if (t->bytes >= 0)
			jw_int(&l->jw, "bytes", t->bytes);
		else
			jw_str(&l->jw, "bytes", NULL);
		jw_end(&l->jw);
	} else {
		const char *cells[5] = { t->database, t->table, num(t->rows, r, sizeof(r)),
					 t->rows_estimated ? "yes" : "no", t->bytes >= 0 ? num(t->bytes, b, sizeof(b)) : "" };
		table_row(l->t, cells);
	}
	return 0;
}

int cmd_report_tables(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "DATABASE", "TABLE", "ROWS", "ROWS ESTIMATED", "BYTES" };
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct listing l = { 0 };
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "report tables takes no arguments");
		err_hint("mxdba report tables");
		goto out;
	}
	if (ctx_config(c) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(5, head);
	if (hs_report_tables(c->cfg, table_size_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "table(s)");
	return cmd_finish(c, NULL, &o, ret);
}

/* ---- background updates ---- */

static int update_row(const struct hs_update *u, void *user)
{
	struct listing *l = user;
	char ord[24];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		jw_str(&l->jw, "update_name", u->name);
		jw_str(&l->jw, "depends_on", u->depends_on);
		jw_bool(&l->jw, "blocked", u->blocked);
		jw_str(&l->jw, "progress", u->progress);
		jw_int(&l->jw, "ordering", u->ordering);
		jw_end(&l->jw);
	} else {
		const char *cells[5] = { u->name, u->depends_on ? u->depends_on : "", u->blocked ? "yes" : "no",
					 u->progress ? u->progress : "", num(u->ordering, ord, sizeof(ord)) };
		table_row(l->t, cells);
	}
	return 0;
}

int cmd_report_updates(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "UPDATE NAME", "DEPENDS ON", "BLOCKED", "PROGRESS", "ORDERING" };
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct listing l = { 0 };
	struct hs *h = NULL;
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0 || ctx_needs(c, HS_NEED_UPDATES, "report updates") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "report updates takes no arguments");
		err_hint("mxdba report updates");
		goto out;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_REPORT)))
		goto out;
	if (!g_json)
		l.t = table_begin(5, head);
	if (hs_report_updates(h, update_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "pending update(s)");
	return cmd_finish(c, h, &o, ret);
}
