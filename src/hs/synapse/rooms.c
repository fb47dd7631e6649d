/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse memberships, from its one database (read only; statements in
 * sql/synapse/BACKEND/memberships.sql): a local user's rooms, a room's
 * members, the membership a queued leave still has to undo. Never writes:
 * leaves go through the HTTP API (queue apply). */
#include "synapse.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/util.h"

/* FLAGS (MS_*) as the statements take them: ",join,invite," */
static void states_list(unsigned flags, char *buf, size_t n)
{
	static const struct {
		unsigned flag;
		const char *name;
	} states[] = { { MS_JOIN, "join" }, { MS_INVITE, "invite" }, { MS_LEAVE, "leave" }, { MS_BAN, "ban" },
		       { MS_KNOCK, "knock" } };
	size_t len = str_copy(buf, n, ",");
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		if (flags & states[i].flag)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s,", states[i].name);
}

int synapse_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten,
			  hs_membership_fn fn, void *user, int *pseudo)
{
	char states[64];
	db *d = synapse_rooms_db(h);
	db_rows *r;
	int rc, ret = 0;
	if (!d)
		return -1;
	*pseudo = 0; /* Synapse has no MSC4014 pseudo IDs */
	states_list(flags, states, sizeof(states));
	{
		db_arg a[3] = { DB_ARG_TEXT(user_id), DB_ARG_TEXT(states), DB_ARG_INT(include_forgotten) };
		if (!(r = db_stream(d, "memberships_of_user", a, 3)))
			return -1;
	}
	while ((rc = db_step(r)) == 1) {
		struct hs_membership m = { db_text(r, 0), db_text(r, 1), (int)db_int(r, 2, NULL), 1, user_id, 0,
					   (flags & MS_NAMES) != 0, db_text(r, 4), db_text(r, 5) };
		if ((ret = fn(&m, user)) < 0)
			break;
	}
	db_rows_free(r);
	return rc < 0 || ret < 0 ? -1 : 0;
}

int synapse_room_known(struct hs *h, const char *room_id)
{
	db_arg id = DB_ARG_TEXT(room_id);
	db *d = synapse_rooms_db(h);
	char *v = NULL;
	int rc;
	if (!d)
		return -1;
	rc = db_scalar(d, "room_version", &id, 1, &v);
	free(v);
	if (rc == 0) {
		err_set(EX_NOTFOUND, "room %s is not known to this homeserver", room_id);
		err_detail("no row in rooms of %s", db_label(d));
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int synapse_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only,
			    int include_forgotten, hs_membership_fn fn, void *user)
{
	char states[64];
	db_rows *r;
	int rc, ret = 0;
	if (synapse_room_known(h, room_id) < 0)
		return -1;
	states_list(flags, states, sizeof(states));
	{
		db_arg a[5] = { DB_ARG_TEXT(room_id), DB_ARG_TEXT(states), DB_ARG_INT(local_only),
				DB_ARG_INT(include_forgotten), DB_ARG_TEXT(h->cfg->server_name) };
		if (!(r = db_stream(SYN(h)->rooms, "members_of_room", a, 5)))
			return -1;
	}
	while ((rc = db_step(r)) == 1) {
		struct hs_membership m = { room_id, db_text(r, 1), (int)db_int(r, 3, NULL), (int)db_int(r, 2, NULL),
					   db_text(r, 0), 0, 0, NULL, NULL };
		if ((ret = fn(&m, user)) < 0)
			break;
	}
	db_rows_free(r);
	return rc < 0 || ret < 0 ? -1 : 0;
}

int synapse_membership_now(struct hs *h, const char *room_id, const char *user_id)
{
	db_arg a[2] = { DB_ARG_TEXT(room_id), DB_ARG_TEXT(user_id) };
	char *v = NULL;
	int rc;
	unsigned flag;
	db *d = synapse_rooms_db(h);
	if (!d || (rc = db_scalar(d, "membership_now", a, 2, &v)) < 0)
		return -1;
	flag = rc == 1 && v ? membership_flag(v) : 0;
	free(v);
	return (int)flag;
}

int synapse_room_names(struct hs *h, const char *room_id, char **name, char **alias)
{
	struct synapse *sy = SYN(h);
	db_arg a = DB_ARG_TEXT(room_id);
	db_rows *r;
	int rc;
	*name = *alias = NULL;
	if (!sy->names && !(sy->names = db_open(h->conf.kind, h->conf.target, h->conf.label, 1, "synapse")))
		return -1;
	if (!(r = db_query(sy->names, "room_name_alias", &a, 1)))
		return -1;
	if ((rc = db_step(r)) == 1) {
		*name = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
		*alias = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
