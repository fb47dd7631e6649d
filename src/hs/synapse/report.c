/* SPDX-License-Identifier: Apache-2.0 */
/* `report` on Synapse: every room's weight, local media per uploader and
 * the pending background updates, each one set-based statement streamed
 * row by row (sql/synapse/BACKEND/report.sql). Read-only. */
#include "synapse.h"

#include "core/err.h"

int synapse_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user)
{
	db_arg a[3] = { DB_ARG_TEXT(q->sort), DB_ARG_INT(q->limit), DB_ARG_INT(q->no_local_members != 0) };
	db_rows *r = db_stream(h->db, "report_rooms", a, 3);
	int rc;
	if (!r)
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

int synapse_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user)
{
	db_arg a[2] = { DB_ARG_TEXT(sort), DB_ARG_INT(limit) };
	db_rows *r = db_stream(h->db, "report_media", a, 2);
	int rc;
	if (!r)
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

int synapse_report_updates(struct hs *h, hs_update_fn fn, void *user)
{
	db_rows *r = db_query(h->db, "report_updates", NULL, 0);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_update u = { db_text(r, 0), db_text(r, 1), db_text(r, 3), db_int(r, 4, NULL),
				       (int)db_int(r, 2, NULL) };
		if (fn(&u, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
