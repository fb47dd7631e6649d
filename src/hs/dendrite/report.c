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
	int names = 0;
	db *rs = dendrite_report_db(h, &names);
	if (!rs)
		return -1;
	if (!names)
		warnx_("room names and aliases unavailable: the syncapi tables cannot be joined on the roomserver "
		       "database (set [database] syncapi to the same PostgreSQL database, or a readable SQLite file)");
	return hs_report_room_rows(db_stream(rs, names ? "report_rooms_named" : "report_rooms", a, 3), fn, user);
}

int dendrite_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user)
{
	struct dendrite *d = DEN(h);
	db_arg a[3] = { DB_ARG_TEXT(sort), DB_ARG_INT(limit), DB_ARG_TEXT(h->cfg->server_name) };
	if (!d->media && !(d->media = dendrite_open_component(h->cfg, COMP_MEDIAAPI, "mediaapi_has_media", "media API", 1)))
		return -1;
	return hs_report_media_rows(db_stream(d->media, "report_media", a, 3), fn, user);
}
