/* SPDX-License-Identifier: Apache-2.0 */
/* Roomserver and syncapi reads. Never writes: both databases are opened
 * read-only, and leaves go through the HTTP API (queue apply). */
#include "rooms.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"

static const struct {
	const char *name;
	unsigned flag;
} states[] = { { "join", MS_JOIN }, { "invite", MS_INVITE }, { "leave", MS_LEAVE },
	       { "ban", MS_BAN },   { "knock", MS_KNOCK },   { "all", MS_ALL } };

int membership_parse(const char *list, unsigned *flags)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	*flags = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned f = 0;
		for (size_t i = 0; i < ARRAY_LEN(states); i++)
			if (!strcmp(tok, states[i].name))
				f = states[i].flag;
		if (!f) {
			err_set(EX_USAGE, "unknown membership \"%.32s\"", tok);
			err_hint("use a comma-separated list of join, invite, leave, ban, knock, or all");
			free(copy);
			return -1;
		}
		*flags |= f;
	}
	free(copy);
	if (!*flags)
		return err_set(EX_USAGE, "--membership needs at least one state");
	return 0;
}

unsigned membership_flag(const char *state)
{
	if (!strcmp(state, "leave_or_ban"))
		return MS_LEAVE | MS_BAN;
	for (size_t i = 0; i < ARRAY_LEN(states); i++)
		if (!strcmp(state, states[i].name))
			return states[i].flag;
	return 0;
}

long long membership_nid_mask(unsigned flags)
{
	long long m = 0;
	if (flags & (MS_LEAVE | MS_BAN))
		m |= 1 << 1;
	if (flags & MS_INVITE)
		m |= 1 << 2;
	if (flags & MS_JOIN)
		m |= 1 << 3;
	if (flags & MS_KNOCK)
		m |= 1 << 4;
	return m;
}

static db *open_component(struct config *c, enum component comp, const char *check_stmt, const char *what)
{
	struct dbconf dc;
	db *d;
	char *v = NULL;
	int rc;
	if (config_db(c, comp, &dc) < 0)
		return NULL;
	d = db_open(dc.kind, dc.target, dc.label, 1);
	if (!d) {
		dbconf_free(&dc);
		return NULL;
	}
	rc = db_scalar(d, check_stmt, NULL, 0, &v);
	free(v);
	if (rc == 0) {
		err_set(EX_REFUSED, "%s has no %s tables", dc.label, what);
		err_hint("check [database] %s (Dendrite's %s database)", component_names[comp], what);
	}
	dbconf_free(&dc);
	if (rc != 1) {
		db_close(d);
		return NULL;
	}
	return d;
}

db *rooms_open_roomserver(struct config *c)
{
	return open_component(c, COMP_ROOMSERVER, "roomserver_has_membership", "roomserver");
}

db *rooms_open_syncapi(struct config *c)
{
	if (!c->db_comp[COMP_SYNCAPI] && !c->db_default)
		return NULL;
	return open_component(c, COMP_SYNCAPI, "syncapi_has_state", "syncapi");
}

/* hex (from SQL) -> standard base64 without padding: a pseudo ID's state key */
static char *pubkey_state_key(const char *hex)
{
	unsigned char bin[128];
	size_t n = 0;
	char *out;
	if (sodium_hex2bin(bin, sizeof(bin), hex, strlen(hex), NULL, &n, NULL) != 0 || n == 0)
		return NULL;
	out = xmalloc(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING));
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), bin, n,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return out;
}

struct pseudo {
	char *room_id, *key;
	long long room_nid;
};

static int pseudo_rooms(db *rs, const char *user_id, unsigned flags, int include_forgotten, room_fn fn, void *user,
			int *count)
{
	db_arg a = DB_ARG_TEXT(user_id);
	struct pseudo *p = NULL;
	int n = 0, rc, ret = 0;
	char *v = NULL;
	db_rows *r;
	*count = 0;
	if ((rc = db_scalar(rs, "pseudo_id_table_exists", NULL, 0, &v)) <= 0) {
		free(v);
		return rc; /* before v0.13: no pseudo IDs */
	}
	free(v);
	/* collect first: each needs a second query on the same connection */
	if (!(r = db_query(rs, "pseudo_id_rooms_of_user", &a, 1)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		char *key = pubkey_state_key(db_text(r, 2) ? db_text(r, 2) : "");
		if (!key)
			continue;
		p = xrealloc(p, sizeof(*p) * (size_t)(n + 1));
		p[n].room_id = xstrdup(db_text(r, 0));
		p[n].room_nid = db_int(r, 1, NULL);
		p[n].key = key;
		n++;
	}
	db_rows_free(r);
	if (rc < 0)
		ret = -1;
	for (int i = 0; i < n && ret == 0; i++) {
		db_arg b[2] = { DB_ARG_INT(p[i].room_nid), DB_ARG_TEXT(p[i].key) };
		if (!(r = db_query(rs, "membership_by_state_key", b, 2))) {
			ret = -1;
			break;
		}
		if ((rc = db_step(r)) == 1) {
			struct room_row row = { p[i].room_id, db_text(r, 0), (int)db_int(r, 1, NULL), 1, user_id, 1, 0, NULL, NULL };
			(*count)++;
			if ((membership_flag(row.state) & flags) && (include_forgotten || !row.forgotten) &&
			    fn(&row, user) < 0)
				ret = -1;
		} else if (rc < 0)
			ret = -1;
		db_rows_free(r);
	}
	for (int i = 0; i < n; i++) {
		free(p[i].room_id);
		free(p[i].key);
	}
	free(p);
	return ret;
}

static int names_joined; /* set by rooms_join_names for this process's roomserver connection */

int rooms_join_names(db *rs, struct config *c)
{
	struct dbconf rdc, sdc;
	int ok = 0;
	names_joined = 0;
	if (!c->db_comp[COMP_SYNCAPI] && !c->db_default)
		return 0;
	if (config_db(c, COMP_ROOMSERVER, &rdc) < 0 || config_db(c, COMP_SYNCAPI, &sdc) < 0) {
		dbconf_free(&rdc);
		err_clear();
		return 0;
	}
	if (rdc.kind == DB_POSTGRES && sdc.kind == DB_POSTGRES)
		ok = !strcmp(rdc.target, sdc.target);
	else if (rdc.kind == DB_SQLITE && sdc.kind == DB_SQLITE) {
		db_arg a = DB_ARG_TEXT(sdc.target);
		ok = access(sdc.target, R_OK) == 0 && db_exec(rs, "attach_syncapi", &a, 1, NULL) == 0;
		err_clear();
	}
	if (ok) {
		/* the tables must really be there */
		db_arg u[3] = { DB_ARG_TEXT("@probe:invalid"), DB_ARG_INT(0), DB_ARG_INT(0) };
		db_rows *r = db_query(rs, "memberships_of_user_named", u, 3);
		ok = r && db_step(r) >= 0;
		db_rows_free(r);
		err_clear();
	}
	dbconf_free(&rdc);
	dbconf_free(&sdc);
	names_joined = ok;
	return ok;
}

int rooms_of_user(db *rs, const char *user_id, unsigned flags, int include_forgotten, room_fn fn, void *user,
		  int *pseudo)
{
	db_arg a[3] = { DB_ARG_TEXT(user_id), DB_ARG_INT(membership_nid_mask(flags)), DB_ARG_INT(include_forgotten) };
	db_rows *r = db_stream(rs, names_joined ? "memberships_of_user_named" : "memberships_of_user", a, 3);
	int rc, ret = 0;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct room_row row = { db_text(r, 0), db_text(r, 1), (int)db_int(r, 2, NULL), 1, user_id, 0, names_joined,
					names_joined ? db_text(r, 5) : NULL, names_joined ? db_text(r, 6) : NULL };
		if (!(membership_flag(row.state) & flags))
			continue; /* e.g. ban when only leave was asked for */
		if (fn(&row, user) < 0) {
			ret = -1;
			break;
		}
	}
	db_rows_free(r);
	if (rc < 0 || ret < 0)
		return -1;
	return pseudo_rooms(rs, user_id, flags, include_forgotten, fn, user, pseudo);
}

int room_known(db *rs, const char *room_id)
{
	db_arg id = DB_ARG_TEXT(room_id);
	char *v = NULL;
	int rc = db_scalar(rs, "room_lookup", &id, 1, &v);
	free(v);
	if (rc == 0) {
		err_set(EX_NOTFOUND, "room %s is not known to this homeserver", room_id);
		err_detail("no row in roomserver_rooms of %s", db_label(rs));
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int members_of_room(db *rs, const char *room_id, unsigned flags, int local_only, int include_forgotten, room_fn fn,
		    void *user)
{
	db_arg a[4] = { DB_ARG_TEXT(room_id), DB_ARG_INT(membership_nid_mask(flags)), DB_ARG_INT(local_only),
			DB_ARG_INT(include_forgotten) };
	db_rows *r;
	int rc, ret = 0;
	if (room_known(rs, room_id) < 0)
		return -1;
	if (!(r = db_stream(rs, "members_of_room", a, 4)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct room_row row = { room_id, db_text(r, 1), (int)db_int(r, 3, NULL), (int)db_int(r, 2, NULL),
					db_text(r, 0), 0, 0, NULL, NULL };
		if (!(membership_flag(row.state) & flags))
			continue;
		if (fn(&row, user) < 0) {
			ret = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : ret;
}

int membership_now(db *rs, const char *room_id, const char *user_id)
{
	db_arg a[2] = { DB_ARG_TEXT(room_id), DB_ARG_TEXT(user_id) };
	char *v = NULL;
	int rc = db_scalar(rs, "membership_current", a, 2, &v), nid;
	if (rc < 0)
		return -1;
	nid = rc == 1 && v ? atoi(v) : 0;
	free(v);
	return nid;
}

int room_name_alias(db *sync, const char *room_id, char **name, char **alias)
{
	db_arg a = DB_ARG_TEXT(room_id);
	db_rows *r;
	int rc;
	*name = *alias = NULL;
	if (!sync)
		return 0;
	if (!(r = db_query(sync, "room_name_alias", &a, 1)))
		return -1;
	if ((rc = db_step(r)) == 1) {
		*name = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
		*alias = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}
