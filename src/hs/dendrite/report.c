/* SPDX-License-Identifier: Apache-2.0 */
/* `report` on Dendrite: every room's weight from the roomserver database
 * (names from the sync API's tables when they can be joined: the SQLite
 * file attached, or the same PostgreSQL database; else none, never a query
 * per room), and local media per uploader from the media API's database.
 * sql/dendrite/BACKEND/report.sql. Read-only. */
#include "dendrite.h"

#include "core/err.h"

int dendrite_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user)
{
	db_arg a[3] = { DB_ARG_TEXT(q->sort), DB_ARG_INT(q->limit), DB_ARG_INT(q->no_local_members != 0) };
	int names = 0, rc;
	db *rs = dendrite_report_db(h, &names);
	db_rows *r;
	if (!rs)
		return -1;
	if (!names)
		warnx_("room names and aliases unavailable: the syncapi tables cannot be joined on the roomserver "
		       "database (set [database] syncapi to the same PostgreSQL database, or a readable SQLite file)");
	if (!(r = db_stream(rs, names ? "report_rooms_named" : "report_rooms", a, 3)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_room_stats s = {
			.room_id = db_text(r, 0), .name = db_text(r, 1), .alias = db_text(r, 2), .version = db_text(r, 3),
			.joined_members = db_int(r, 4, NULL), .joined_local_members = db_int(r, 5, NULL),
			.state_events = db_int(r, 6, NULL), .events = db_int(r, 7, NULL), .state_groups = db_int(r, 8, NULL),
			.state_group_rows = db_int(r, 9, NULL), .forward_extremities = db_int(r, 10, NULL),
			.event_bytes = db_int(r, 11, NULL), .last_event_ts = db_int(r, 12, NULL),
		};
		if (fn(&s, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int dendrite_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user)
{
	struct dendrite *d = DEN(h);
	db_arg a[3] = { DB_ARG_TEXT(sort), DB_ARG_INT(limit), DB_ARG_TEXT(h->cfg->server_name) };
	db_rows *r;
	int rc;
	if (!d->media && !(d->media = dendrite_open_component(h->cfg, COMP_MEDIAAPI, "mediaapi_has_media", "media API")))
		return -1;
	if (!(r = db_stream(d->media, "report_media", a, 3)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_media_stats m = { db_text(r, 0), db_int(r, 1, NULL), db_int(r, 2, NULL) };
		if (fn(&m, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
