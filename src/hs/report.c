/* SPDX-License-Identifier: Apache-2.0 */
/* `report`: what is big and what is stuck, read-only. The room, media and
 * update reports are the profile's (a few set-based statements each); the
 * table report is the same for every homeserver: each of its databases,
 * opened read-only on its own, measured by the backend's own catalogue
 * (sql/common/BACKEND/report.sql). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "hs_impl.h"

#define MAX_DBS 8

const char *const hs_room_sort_keys[] = {
	"events", "event_bytes", "joined_members", "joined_local_members", "state_events", "state_groups",
	"state_group_rows", "forward_extremities", "last_event_ts", NULL,
};

static int not_here(struct hs *h, const char *what)
{
	err_set(EX_REFUSED, "%s is not read on %s", what, h->p->display);
	return err_hint("`mxdba report --help` names the homeservers of each report");
}

int hs_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user)
{
	return h->p->report_rooms ? h->p->report_rooms(h, q, fn, user) : not_here(h, "the room report");
}

int hs_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user)
{
	return h->p->report_media ? h->p->report_media(h, sort, limit, fn, user) : not_here(h, "the media report");
}

int hs_report_updates(struct hs *h, hs_update_fn fn, void *user)
{
	return h->p->report_updates ? h->p->report_updates(h, fn, user) : not_here(h, "background updates");
}

int hs_report_room_rows(db_rows *r, hs_room_stats_fn fn, void *user)
{
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

int hs_report_media_rows(db_rows *r, hs_media_stats_fn fn, void *user)
{
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

/* SQLite: the pages a VACUUM would give back, as a row of its own. */
static int free_pages(db *d, const char *component, hs_table_size_fn fn, void *user)
{
	db_rows *r = db_query(d, "report_free_pages", NULL, 0);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		struct hs_table_size t = { component, "(free pages)", db_int(r, 0, NULL), db_int(r, 1, NULL), 0 };
		rc = fn(&t, user) < 0 ? -1 : 0;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

/* Every table of one database: from dbstat on SQLite (exact rows: the
 * cells of each table's leaf pages), from the catalogue on PostgreSQL. */
static int tables_of(db *d, const char *component, hs_table_size_fn fn, void *user)
{
	const char *stmt = "report_tables";
	db_rows *r;
	int rc;
	if (db_kind(d) == DB_SQLITE) {
		long long has = 0;
		if (db_count(d, "report_has_dbstat", NULL, 0, &has) < 0)
			return -1;
		if (!has)
			stmt = "report_tables_without_dbstat";
	}
	if (!(r = db_stream(d, stmt, NULL, 0)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		int unknown = 0;
		struct hs_table_size t = { component, db_text(r, 0), db_int(r, 1, NULL), db_int(r, 3, &unknown),
					   (int)db_int(r, 2, NULL) };
		if (unknown)
			t.bytes = -1;
		if (fn(&t, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	if (rc < 0)
		return -1;
	return db_kind(d) == DB_SQLITE ? free_pages(d, component, fn, user) : 0;
}

int hs_report_tables(const struct config *c, hs_table_size_fn fn, void *user)
{
	struct hs_component dbs[MAX_DBS];
	int n = hs_databases(c, dbs, MAX_DBS), ret = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		db *d = ret == 0 ? db_open(dbs[i].conf.kind, dbs[i].conf.target, dbs[i].conf.label, 1, c->profile->name)
				 : NULL;
		if (ret == 0 && (!d || tables_of(d, dbs[i].name, fn, user) < 0))
			ret = -1;
		db_close(d);
		dbconf_free(&dbs[i].conf);
	}
	return ret;
}
