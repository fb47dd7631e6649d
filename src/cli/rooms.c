/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba rooms USER` and `mxdba members ROOM`: memberships read from the
 * roomserver database (read-only), streamed row by row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/dendrite.h"
#include "hs/rooms.h"

struct listing {
	struct table *t;
	db *sync;
	long long n;
	int members; /* 1: members of a room, 0: rooms of a user */
};

static int print_row(const struct room_row *row, void *user)
{
	struct listing *l = user;
	char *name = NULL, *alias = NULL;
	l->n++;
	if (row->have_names) {
		name = row->name ? xstrdup(row->name) : NULL;
		alias = row->alias ? xstrdup(row->alias) : NULL;
	} else if (!l->members && l->sync && room_name_alias(l->sync, row->room_id, &name, &alias) < 0) {
		/* names are a convenience: say so once and go on without them */
		warnx_("room names unavailable; continuing without them");
		err_clear();
		db_close(l->sync);
		l->sync = NULL;
	}
	if (g_json) {
		if (l->members)
			out_json(json_pack("{s:s, s:s, s:s, s:b, s:b}", "room_id", row->room_id, "user_id", row->user_id,
					   "membership", row->state, "local", row->local, "forgotten", row->forgotten));
		else
			out_json(json_pack("{s:s, s:s, s:s, s:b, s:b, s:s?, s:s?}", "user_id", row->user_id, "room_id",
					   row->room_id, "membership", row->state, "forgotten", row->forgotten,
					   "pseudo_id", row->pseudo_id, "name", name, "canonical_alias", alias));
	} else if (l->members) {
		const char *cells[3] = { row->user_id, row->state, row->local ? "local" : "remote" };
		table_row(l->t, cells);
	} else {
		char state[48];
		const char *cells[4] = { row->room_id, state, name ? name : "", alias ? alias : "" };
		snprintf(state, sizeof(state), "%s%s%s", row->state, row->forgotten ? " (forgotten)" : "",
			 row->pseudo_id ? " (pseudo ID)" : "");
		table_row(l->t, cells);
	}
	free(name);
	free(alias);
	return 0;
}

static const struct optspec rooms_opts[] = { { "--membership", 1 }, { "--include-forgotten", 0 }, { 0, 0 } };

int cmd_rooms(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ROOM", "MEMBERSHIP", "NAME", "ALIAS" };
	struct opts o;
	struct mxid id;
	struct listing l = { 0 };
	unsigned flags = MS_JOIN | MS_INVITE;
	db *rs = NULL;
	int pseudo = 0, ret = -1;

	if (opts_parse(c, argc, argv, rooms_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one USER");
		err_hint("mxdba rooms @alice:example.org [--membership join,invite]");
		goto out;
	}
	if (opt(&o, rooms_opts, "--membership") && membership_parse(opt(&o, rooms_opts, "--membership"), &flags) < 0)
		goto out;
	if (ctx_config(c) < 0 || mxid_parse(o.pos[0], c->cfg->server_name, &id) < 0)
		goto out;
	{
		/* a typo must not look like "in no rooms": the account has to exist */
		struct hs *h = ctx_hs(c, HS_READ);
		struct account a;
		int rc = h ? hs_find_user(h, &id, &a) : -1;
		if (rc == 0)
			account_clear(&a);
		ctx_hs_done(c, h);
		if (rc < 0)
			goto out;
	}
	if (!(rs = rooms_open_roomserver(c->cfg)))
		goto out;
	if (rooms_join_names(rs, c->cfg) == 1)
		; /* names come with the rows */
	else if (!(l.sync = rooms_open_syncapi(c->cfg)) && err_pending()) {
		warnx_("room names unavailable: the syncapi database could not be opened");
		err_clear();
	}
	if (!g_json)
		l.t = table_begin(4, head);
	if (rooms_of_user(rs, id.full, flags, opt(&o, rooms_opts, "--include-forgotten") != NULL, print_row, &l,
			  &pseudo) < 0)
		goto out;
	ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, pseudo ? "room(s) (some under MSC4014 pseudo IDs; listed as such)" : "room(s)");
	db_close(l.sync);
	db_close(rs);
	free(o.pos);
	return ret;
}

static const struct optspec members_opts[] = { { "--membership", 1 }, { "--local", 0 },
					       { "--include-forgotten", 0 }, { 0, 0 } };

int cmd_members(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "USER", "MEMBERSHIP", "WHERE" };
	struct opts o;
	struct listing l = { 0 };
	unsigned flags = MS_JOIN | MS_INVITE;
	db *rs = NULL;
	int ret = -1;

	l.members = 1;
	if (opts_parse(c, argc, argv, members_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one ROOM");
		err_hint("mxdba members '!abc:example.org' [--local] [--membership join]");
		goto out;
	}
	if (roomid_check(o.pos[0]) < 0)
		goto out;
	if (opt(&o, members_opts, "--membership") &&
	    membership_parse(opt(&o, members_opts, "--membership"), &flags) < 0)
		goto out;
	if (ctx_config(c) < 0 || !(rs = rooms_open_roomserver(c->cfg)) || room_known(rs, o.pos[0]) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(3, head);
	if (members_of_room(rs, o.pos[0], flags, opt(&o, members_opts, "--local") != NULL,
			    opt(&o, members_opts, "--include-forgotten") != NULL, print_row, &l) < 0)
		goto out;
	ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, "member(s)");
	db_close(rs);
	free(o.pos);
	return ret;
}
