/* SPDX-License-Identifier: Apache-2.0 */
/* Queued room maintenance on Synapse: the admin API's endpoints, and the
 * server's own record of the jobs they started (scheduled_tasks), read so
 * that an apply killed between the server's answer and mxdba's commit
 * follows the job instead of starting the operation again. */
#include "synapse.h"

#include <string.h>

#include "core/util.h"

const struct hs_admin_api synapse_admin_api = {
	.delete_method = "DELETE",
	.delete_path = "/_synapse/admin/v2/rooms/%s",
	.delete_status_path = "/_synapse/admin/v2/rooms/delete_status/%s",
	.evacuate_path = NULL,
	.delete_options = HS_DEL_BLOCK | HS_DEL_MESSAGE | HS_DEL_NO_PURGE,
	.purge_history_path = "/_synapse/admin/v1/purge_history/%s",
	.purge_history_status_path = "/_synapse/admin/v1/purge_history_status/%s",
	.purge_media_path = "/_synapse/admin/v1/purge_media_cache?before_ts=%lld",
};

int synapse_room_job(struct hs *h, const char *room_id, enum hs_job_action action, long long since_ms,
		     struct hs_room_job *j)
{
	db_arg a[3] = { DB_ARG_TEXT(room_id),
			DB_ARG_TEXT(action == HS_JOB_DELETE ? "shutdown_and_purge_room" : "purge_history"),
			DB_ARG_INT(since_ms) };
	db *d = synapse_rooms_db(h);
	db_rows *r;
	int rc;
	if (!d || !(r = db_query(d, "room_job_latest", a, 3)))
		return -1;
	if ((rc = db_step(r)) == 1) {
		str_copy(j->id, sizeof(j->id), db_text(r, 0) ? db_text(r, 0) : "");
		str_copy(j->state, sizeof(j->state), db_text(r, 1) ? db_text(r, 1) : "");
		str_copy(j->error, sizeof(j->error), db_text(r, 2) ? db_text(r, 2) : "");
	}
	db_rows_free(r);
	return rc;
}

/* Synapse's purge leaves sliding_sync_joined_rooms_to_recalculate (schema
 * 87, 1.114, to 1.163.2 at least), whose room_id references rooms: a row
 * there for the room makes the whole purge fail on that foreign key, on
 * both backends (element-hq/synapse#19822; seen on the real 1.163.2). */
int synapse_room_delete_blocker(struct hs *h, const char *room_id, struct hs_delete_blocker *b)
{
	db_arg a[1] = { DB_ARG_TEXT(room_id) };
	db *d = synapse_rooms_db(h);
	db_rows *r;
	int rc;
	if (!d || (rc = db_table_exists(d, "sliding_sync_joined_rooms_to_recalculate")) < 0)
		return -1;
	if (rc == 0 || !(r = db_query(d, "room_delete_blocker", a, 1)))
		return rc == 0 ? 0 : -1;
	if ((rc = db_step(r)) == 1) {
		str_copy(b->table, sizeof(b->table), db_text(r, 0));
		b->consumers = db_int(r, 1, NULL);
		b->check = "synapse-sliding-sync-leftovers";
		b->update = "sliding_sync_joined_rooms_bg_update";
	}
	db_rows_free(r);
	return rc;
}
