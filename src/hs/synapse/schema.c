/* SPDX-License-Identifier: Apache-2.0 */
/* What shape a Synapse database has and which releases leave it: its
 * schema_version and schema_compat_version, the deltas applied under that
 * number (one number, several shapes), every column mxdba uses probed by
 * name, and the decision Synapse itself makes: code of schema N runs on a
 * database unless its compat version is above N. The release table below
 * was read off databases the real releases created (tests/releases). */
#include "synapse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

/* Each schema number mxdba knows and the Synapse releases that write it. */
static const struct {
	long schema;
	const char *first, *last;
} schemas[] = {
	{83, "1.98", "1.99"},   {84, "1.100", "1.106"}, {85, "1.107", "1.111"}, {86, "1.112", "1.113"},
	{87, "1.114", "1.115"}, {88, "1.116", "1.123"}, {89, "1.124", "1.127"}, {91, "1.128", "1.128"},
	{92, "1.129", "1.142"}, {93, "1.143", "1.150"}, {94, "1.151", "1.163"},
};

/* Shapes under one number: the newest delta a release brought, newest first
 * within a schema; each boundary seen on the releases either side of it. */
static const struct {
	long schema;
	const char *delta, *first, *last;
} shapes[] = {
	{88, "88/01_custom_profile_fields.sql", "1.123", "1.123"},
	{88, NULL, "1.116", "1.122"},
	{92, "92/04_thread_subscriptions.sql", "1.135", "1.142"},
	{92, NULL, "1.129", "1.134"},
	{94, "94/05_rerun_flag_existing_quarantined_media.sql", "1.157", "1.163"},
	{94, "94/03_quarantined_media_tracking.sql", "1.152", "1.156"},
	{94, NULL, "1.151", "1.151"},
};

/* Every column mxdba reads or writes, and the schema that brought it (a
 * fresh and an upgraded database differ under one number: names, never
 * positions). */
static const struct {
	const char *column;
	long since;
} needed[] = {
	{"users.name", 0}, {"users.password_hash", 0}, {"users.creation_ts", 0}, {"users.admin", 0},
	{"users.is_guest", 0}, {"users.appservice_id", 0}, {"users.deactivated", 0}, {"users.locked", 0},
	{"users.shadow_banned", 0}, {"users.approved", 0}, {"users.suspended", 85}, {"users.user_type", 0},
	{"profiles.user_id", 0}, {"profiles.full_user_id", 0}, {"profiles.displayname", 0}, {"profiles.avatar_url", 0},
	{"access_tokens.id", 0}, {"access_tokens.user_id", 0}, {"access_tokens.device_id", 0},
	{"access_tokens.token", 0}, {"access_tokens.valid_until_ms", 0}, {"access_tokens.last_validated", 0},
	{"access_tokens.used", 0}, {"refresh_tokens.user_id", 0}, {"devices.user_id", 0}, {"devices.device_id", 0},
	{"devices.display_name", 0}, {"devices.last_seen", 0}, {"devices.ip", 0}, {"devices.user_agent", 0},
	{"devices.hidden", 0}, {"user_directory.user_id", 0}, {"user_directory.room_id", 0},
	{"user_directory.display_name", 0}, {"user_directory.avatar_url", 0}, {"user_directory_search.user_id", 0},
	{"users_in_public_rooms.user_id", 0}, {"users_who_share_private_rooms.user_id", 0},
	{"users_who_share_private_rooms.other_user_id", 0},
};

static int schema_ids(struct hs *h, struct synapse_schema *s)
{
	db_rows *r = db_query(h->db, "schema_facts", NULL, 0);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		s->has_users = db_int(r, 0, NULL) > 0;
		s->has_version = db_int(r, 1, NULL) > 0;
		s->has_stats = db_int(r, 2, NULL) > 0;
		s->has_deltas = db_int(r, 3, NULL) > 0;
	}
	db_rows_free(r);
	if (rc < 0 || !s->has_version)
		return rc < 0 ? -1 : 0;
	if (!(r = db_query(h->db, "schema_version", NULL, 0)))
		return -1;
	if ((rc = db_step(r)) == 1) {
		s->version = (long)db_int(r, 0, NULL);
		s->upgraded = (int)db_int(r, 1, NULL);
		s->compat = (long)db_int(r, 2, NULL);
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

static void add_missing(struct synapse_schema *s, const char *column)
{
	size_t used = strlen(s->missing);
	if (used < sizeof(s->missing) - 1)
		snprintf(s->missing + used, sizeof(s->missing) - used, "%s%s", used ? ", " : "", column);
}

/* A column newer than the schema number may be absent; one the number
 * promises may not (an interrupted upgrade, a hand edit). */
static int schema_columns(struct hs *h, struct synapse_schema *s)
{
	json_t *have = json_object();
	db_rows *r = db_query(h->db, "schema_columns", NULL, 0);
	int rc;
	if (!r) {
		json_decref(have);
		return -1;
	}
	while ((rc = db_step(r)) == 1)
		json_object_set_new(have, db_text(r, 0), json_true());
	db_rows_free(r);
	for (size_t i = 0; i < ARRAY_LEN(needed) && rc == 0; i++)
		if (!json_object_get(have, needed[i].column) && s->version >= needed[i].since)
			add_missing(s, needed[i].column);
	s->has_suspended = json_object_get(have, "users.suspended") != NULL;
	json_decref(have);
	return rc < 0 ? -1 : 0;
}

/* The newest shape whose delta is applied under this schema number, read
 * the first time a layout is printed (check, a refusal), so that every other
 * command opens without these queries. Only names releases: a database
 * error leaves it unknown (and no error behind). */
static void schema_shape(struct hs *h, struct synapse_schema *s)
{
	if (s->shape_read)
		return;
	s->shape_read = 1;
	for (size_t i = 0; i < ARRAY_LEN(shapes); i++) {
		char *v = NULL;
		int rc;
		if (shapes[i].schema != s->version || (shapes[i].delta && !s->has_deltas))
			continue;
		if (shapes[i].delta) {
			db_arg p[] = {DB_ARG_INT(shapes[i].schema), DB_ARG_TEXT(shapes[i].delta)};
			if ((rc = db_scalar(h->db, "schema_delta_applied", p, 2, &v)) < 0) {
				err_clear();
				return;
			}
			free(v);
			if (rc == 0)
				continue;
		}
		s->shape = (int)i + 1;
		return;
	}
}

int synapse_schema_detect(struct hs *h, struct synapse_schema *s, int columns)
{
	char *v = NULL;
	int rc;
	if (schema_ids(h, s) < 0 || (columns && s->has_users && schema_columns(h, s) < 0))
		return -1;
	if (s->has_users) {
		if ((rc = db_scalar(h->db, "first_user", NULL, 0, &v)) < 0)
			return -1;
		str_copy(s->first_user, sizeof(s->first_user), rc == 1 && v ? v : "");
		free(v);
	}
	return 0;
}

enum synapse_fit synapse_schema_fit(const struct synapse_schema *s)
{
	if (s->version < SYNAPSE_SCHEMA_MIN)
		return SYN_FIT_OLDER;
	if (s->version <= SYNAPSE_SCHEMA_MAX)
		return SYN_FIT_KNOWN;
	/* Synapse's own rule: code of schema MAX runs unless compat is above it */
	return s->compat <= SYNAPSE_SCHEMA_MAX ? SYN_FIT_NEWER : SYN_FIT_TOO_NEW;
}

const char *synapse_schema_releases(long schema, char *buf, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(schemas); i++)
		if (schemas[i].schema == schema) {
			if (strcmp(schemas[i].first, schemas[i].last))
				snprintf(buf, n, "Synapse %s–%s", schemas[i].first, schemas[i].last);
			else
				snprintf(buf, n, "Synapse %s", schemas[i].first);
			return buf;
		}
	if (schema > SYNAPSE_SCHEMA_MAX)
		snprintf(buf, n, "a Synapse newer than %s", schemas[ARRAY_LEN(schemas) - 1].last);
	else
		snprintf(buf, n, "a Synapse older than %s", schemas[0].first);
	return buf;
}

/* "Synapse schema 92 (compat 84): Synapse 1.129–1.142, last upgraded by 1.135–1.142" */
const char *synapse_schema_layout(struct hs *h, char *buf, size_t n)
{
	struct synapse_schema *s = &SYN(h)->s;
	char rel[64];
	int w;
	if (!s->has_users || !s->has_version) {
		snprintf(buf, n, "not a Synapse database (no %s table)", s->has_users ? "schema_version" : "users");
		return buf;
	}
	schema_shape(h, s);
	w = snprintf(buf, n, "Synapse schema %ld (compat %ld): %s", s->version, s->compat,
		     synapse_schema_releases(s->version, rel, sizeof(rel)));
	if (s->shape && w > 0 && (size_t)w < n) {
		const char *first = shapes[s->shape - 1].first, *last = shapes[s->shape - 1].last;
		if (strcmp(first, last))
			snprintf(buf + w, n - (size_t)w, ", last upgraded by %s–%s", first, last);
		else
			snprintf(buf + w, n - (size_t)w, ", last upgraded by %s", first);
	}
	return buf;
}
