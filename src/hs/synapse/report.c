/* SPDX-License-Identifier: Apache-2.0 */
/* `report` on Synapse: every room's weight, local media per uploader and
 * the pending background updates, each one set-based statement streamed
 * row by row (sql/synapse/BACKEND/report.sql). Read-only. */
#include "synapse.h"

#include "core/err.h"

int synapse_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user)
{
	db_arg a[3] = { DB_ARG_TEXT(q->sort), DB_ARG_INT(q->limit), DB_ARG_INT(q->no_local_members != 0) };
	return hs_report_room_rows(db_stream(h->db, "report_rooms", a, 3), fn, user);
}

int synapse_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user)
{
	db_arg a[2] = { DB_ARG_TEXT(sort), DB_ARG_INT(limit) };
	return hs_report_media_rows(db_stream(h->db, "report_media", a, 2), fn, user);
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
