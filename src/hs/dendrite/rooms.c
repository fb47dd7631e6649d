/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite memberships, from the roomserver database (opened read-only on
 * first need): a user's rooms (including MSC4014 pseudo-ID rooms), a room's
 * members, and room names from the sync API. Never writes: leaves go
 * through the HTTP API (queue apply). */
#include "dendrite.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"

/* Bit mask over Dendrite's membership_nid values (1 leave or ban, 2 invite,
 * 3 join, 4 knock) for the MS_* FLAGS. */
static long long membership_nid_mask(unsigned flags)
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

db *dendrite_open_component(const struct config *c, enum dendrite_component comp, const char *check_stmt,
			     const char *what, int readonly)
{
	struct dbconf dc;
	db *d;
	char *v = NULL;
	int rc;
	if (dendrite_db(c, comp, &dc) < 0)
		return NULL;
	d = db_open(dc.kind, dc.target, dc.label, readonly, "dendrite");
	if (!d) {
		dbconf_free(&dc);
		return NULL;
	}
	rc = db_scalar(d, check_stmt, NULL, 0, &v);
	free(v);
	if (rc == 0) {
		err_set(EX_REFUSED, "%s has no %s tables", dc.label, what);
		err_hint("check [database] %s (Dendrite's %s database)", dendrite_components[comp], what);
	}
	dbconf_free(&dc);
	if (rc != 1) {
		db_close(d);
		return NULL;
	}
	return d;
}

/* The roomserver database, opened on first need. */
static db *roomserver(struct hs *h)
{
	struct dendrite *d = DEN(h);
	if (!d->rs)
		d->rs = dendrite_open_component(h->cfg, COMP_ROOMSERVER, "roomserver_has_membership", "roomserver", 1);
	return d->rs;
}

int dendrite_rooms_open(struct hs *h) { return roomserver(h) ? 0 : -1; }

void dendrite_rooms_close(struct hs *h)
{
	struct dendrite *d = DEN(h);
	db_close(d->rs);
	db_close(d->sync);
	db_close(d->media);
	db_close(d->keys);
	d->rs = d->sync = d->media = d->keys = NULL;
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

/* The pseudo-ID rooms of USER_ID (v0.13+): collected first, since each
 * needs a second query on the same connection. *N gets how many. */
static int pseudo_collect(db *rs, const char *user_id, struct pseudo **out, int *n)
{
	db_arg a = DB_ARG_TEXT(user_id);
	db_rows *r;
	int rc;
	*out = NULL;
	*n = 0;
	if (!(r = db_query(rs, "pseudo_id_rooms_of_user", &a, 1)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		char *key = pubkey_state_key(db_text(r, 2) ? db_text(r, 2) : "");
		if (!key)
			continue;
		*out = xrealloc(*out, sizeof(**out) * (size_t)(*n + 1));
		(*out)[*n].room_id = xstrdup(db_text(r, 0));
		(*out)[*n].room_nid = db_int(r, 1, NULL);
		(*out)[*n].key = key;
		(*n)++;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

static int pseudo_rooms(db *rs, const char *user_id, unsigned flags, int include_forgotten, hs_membership_fn fn,
			void *user, int *count)
{
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
	if (pseudo_collect(rs, user_id, &p, &n) < 0)
		ret = -1;
	for (int i = 0; i < n && ret == 0; i++) {
		db_arg b[2] = { DB_ARG_INT(p[i].room_nid), DB_ARG_TEXT(p[i].key) };
		if (!(r = db_query(rs, "membership_by_state_key", b, 2))) {
			ret = -1;
			break;
		}
		if ((rc = db_step(r)) == 1) {
			struct hs_membership m = { p[i].room_id, db_text(r, 0), (int)db_int(r, 1, NULL), 1, user_id, 1, 0,
						   NULL, NULL };
			(*count)++;
			if ((membership_flag(m.state) & flags) && (include_forgotten || !m.forgotten) && fn(&m, user) < 0)
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

/* Make room names come with the membership rows when the sync API tables
 * can be joined on the roomserver connection (SQLite: the syncapi file is
 * attached read-only; PostgreSQL: both components share one database);
 * else open the syncapi database for a look-up per room. Names are a
 * convenience: failing that, say so once and go on without them. */
static void join_names(struct hs *h, db *rs)
{
	struct dendrite *d = DEN(h);
	struct dbconf rdc, sdc;
	int ok = 0;
	d->names_tried = 1;
	if (!dendrite_configured(h->cfg, COMP_SYNCAPI))
		return;
	if (dendrite_db(h->cfg, COMP_ROOMSERVER, &rdc) < 0 || dendrite_db(h->cfg, COMP_SYNCAPI, &sdc) < 0) {
		dbconf_free(&rdc);
		err_clear();
		return;
	}
	if (rdc.kind == DB_POSTGRES && sdc.kind == DB_POSTGRES)
		ok = !strcmp(rdc.target, sdc.target);
	else if (rdc.kind == DB_SQLITE && sdc.kind == DB_SQLITE) {
		db_arg a = DB_ARG_TEXT(sdc.target);
		ok = access(sdc.target, R_OK) == 0 && db_exec(rs, "attach_syncapi", &a, 1, NULL) == 0;
		err_clear();
	}
	if (ok) {
		/* the columns must really be there (a probe of the join itself
		 * would scan every membership: 0.4 s on 11 M rows) */
		db_rows *r = db_query(rs, "room_names_probe", NULL, 0);
		ok = r && db_step(r) >= 0;
		db_rows_free(r);
		err_clear();
	}
	dbconf_free(&rdc);
	dbconf_free(&sdc);
	d->names_joined = ok;
	if (!ok && !d->sync &&
	    !(d->sync = dendrite_open_component(h->cfg, COMP_SYNCAPI, "syncapi_has_state", "syncapi", 1)) && err_pending()) {
		warnx_("room names unavailable: the syncapi database could not be opened");
		err_clear();
	}
}

db *dendrite_report_db(struct hs *h, int *names)
{
	db *rs = roomserver(h);
	if (rs && !DEN(h)->names_tried)
		join_names(h, rs);
	*names = rs && DEN(h)->names_joined;
	return rs;
}

/* Name and canonical alias of ROOM_ID from the sync API (malloc'd or NULL). */
static int room_name_alias(db *sync, const char *room_id, char **name, char **alias)
{
	db_arg a = DB_ARG_TEXT(room_id);
	db_rows *r;
	int rc;
	*name = *alias = NULL;
	if (!(r = db_query(sync, "room_name_alias", &a, 1)))
		return -1;
	if ((rc = db_step(r)) == 1) {
		*name = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
		*alias = db_text(r, 1) ? xstrdup(db_text(r, 1)) : NULL;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int dendrite_room_names(struct hs *h, const char *room_id, char **name, char **alias)
{
	struct dendrite *d = DEN(h);
	*name = *alias = NULL;
	if (!d->sync) {
		if (d->sync_tried || !dendrite_configured(h->cfg, COMP_SYNCAPI))
			return 0;
		d->sync_tried = 1;
		if (!(d->sync = dendrite_open_component(h->cfg, COMP_SYNCAPI, "syncapi_has_state", "syncapi", 1)))
			return -1;
	}
	return room_name_alias(d->sync, room_id, name, alias);
}

/* FN for M, with its name looked up in the sync API first if needed. */
static int emit_named(struct hs *h, struct hs_membership *m, hs_membership_fn fn, void *user)
{
	struct dendrite *d = DEN(h);
	char *name = NULL, *alias = NULL;
	int rc;
	if (!m->have_names && d->sync && room_name_alias(d->sync, m->room_id, &name, &alias) < 0) {
		warnx_("room names unavailable; continuing without them");
		err_clear();
		db_close(d->sync);
		d->sync = NULL;
	} else if (!m->have_names && d->sync) {
		m->have_names = 1;
		m->name = name;
		m->alias = alias;
	}
	rc = fn(m, user);
	free(name);
	free(alias);
	return rc;
}

int dendrite_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten,
			   hs_membership_fn fn, void *user, int *pseudo)
{
	struct dendrite *d = DEN(h);
	db *rs = roomserver(h);
	int names = (flags & MS_NAMES) != 0, joined, rc, ret = 0;
	db_rows *r;
	if (!rs)
		return -1;
	if (names && !d->names_tried)
		join_names(h, rs);
	joined = names && d->names_joined;
	{
		db_arg a[3] = { DB_ARG_TEXT(user_id), DB_ARG_INT(membership_nid_mask(flags)),
				DB_ARG_INT(include_forgotten) };
		if (!(r = db_stream(rs, joined ? "memberships_of_user_named" : "memberships_of_user", a, 3)))
			return -1;
	}
	while ((rc = db_step(r)) == 1) {
		struct hs_membership m = { db_text(r, 0), db_text(r, 1), (int)db_int(r, 2, NULL), 1, user_id, 0, joined,
					   joined ? db_text(r, 5) : NULL, joined ? db_text(r, 6) : NULL };
		if (!(membership_flag(m.state) & flags))
			continue; /* e.g. ban when only leave was asked for */
		if ((names ? emit_named(h, &m, fn, user) : fn(&m, user)) < 0) {
			ret = -1;
			break;
		}
	}
	db_rows_free(r);
	if (rc < 0 || ret < 0)
		return -1;
	return pseudo_rooms(rs, user_id, flags, include_forgotten, fn, user, pseudo);
}

int dendrite_room_known(struct hs *h, const char *room_id)
{
	db *rs = roomserver(h);
	db_arg id = DB_ARG_TEXT(room_id);
	char *v = NULL;
	int rc;
	if (!rs)
		return -1;
	rc = db_scalar(rs, "room_lookup", &id, 1, &v);
	free(v);
	if (rc == 0) {
		err_set(EX_NOTFOUND, "room %s is not known to this homeserver", room_id);
		err_detail("no row in roomserver_rooms of %s", db_label(rs));
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int dendrite_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only,
			     int include_forgotten, hs_membership_fn fn, void *user)
{
	db_arg a[4] = { DB_ARG_TEXT(room_id), DB_ARG_INT(membership_nid_mask(flags)), DB_ARG_INT(local_only),
			DB_ARG_INT(include_forgotten) };
	db_rows *r;
	int rc, ret = 0;
	if (dendrite_room_known(h, room_id) < 0)
		return -1;
	if (!(r = db_stream(DEN(h)->rs, "members_of_room", a, 4)))
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_membership m = { room_id, db_text(r, 1), (int)db_int(r, 3, NULL), (int)db_int(r, 2, NULL),
					   db_text(r, 0), 0, 0, NULL, NULL };
		if (!(membership_flag(m.state) & flags))
			continue;
		if (fn(&m, user) < 0) {
			ret = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : ret;
}

int dendrite_membership_now(struct hs *h, const char *room_id, const char *user_id)
{
	db *rs = roomserver(h);
	db_arg a[2] = { DB_ARG_TEXT(room_id), DB_ARG_TEXT(user_id) };
	char *v = NULL;
	int rc, nid;
	if (!rs)
		return -1;
	if ((rc = db_scalar(rs, "membership_current", a, 2, &v)) < 0)
		return -1;
	nid = rc == 1 && v ? atoi(v) : 0;
	free(v);
	switch (nid) {
	case 2:
		return MS_INVITE;
	case 3:
		return MS_JOIN;
	case 4:
		return MS_KNOCK;
	case 1:
		return MS_LEAVE | MS_BAN;
	default:
		return 0;
	}
}
