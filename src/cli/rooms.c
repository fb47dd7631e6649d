/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba rooms USER` and `mxdba members ROOM`: memberships read through the
 * homeserver profile (read-only), streamed row by row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"

struct membership_listing {
	struct table *t;
	struct jw jw; /* --json: one line per row, streamed */
	long long n;
	int members; /* 1: members of a room, 0: rooms of a user */
};

static void json_row(struct jw *w, const struct hs_membership *m, int members)
{
	jw_begin(w);
	if (members) {
		jw_str(w, "room_id", m->room_id);
		jw_str(w, "user_id", m->user_id);
		jw_str(w, "membership", m->state);
		jw_bool(w, "local", m->local);
		jw_bool(w, "forgotten", m->forgotten);
	} else {
		jw_str(w, "user_id", m->user_id);
		jw_str(w, "room_id", m->room_id);
		jw_str(w, "membership", m->state);
		jw_bool(w, "forgotten", m->forgotten);
		jw_bool(w, "pseudo_id", m->pseudo_id);
		jw_str(w, "name", m->name);
		jw_str(w, "canonical_alias", m->alias);
	}
	jw_end(w);
}

static int print_row(const struct hs_membership *m, void *user)
{
	struct membership_listing *l = user;
	l->n++;
	if (g_json)
		json_row(&l->jw, m, l->members);
	else if (l->members) {
		const char *cells[3] = { m->user_id, m->state, m->local ? "local" : "remote" };
		table_row(l->t, cells);
	} else {
		char state[48];
		const char *cells[4] = { m->room_id, state, m->name ? m->name : "", m->alias ? m->alias : "" };
		snprintf(state, sizeof(state), "%s%s%s", m->state, m->forgotten ? " (forgotten)" : "",
			 m->pseudo_id ? " (pseudo ID)" : "");
		table_row(l->t, cells);
	}
	return 0;
}

static const struct optspec rooms_opts[] = { { "--membership", 1 }, { "--include-forgotten", 0 }, { 0, 0 } };

static int rooms_args(struct ctx *c, const struct opts *o, struct mxid *id, unsigned *flags)
{
	*flags = MS_JOIN | MS_INVITE;
	if (o->npos != 1) {
		err_set(EX_USAGE, "expected exactly one USER");
		return err_hint("mxdba rooms @alice:example.org [--membership join,invite]");
	}
	if (opt(o, rooms_opts, "--membership") && membership_parse(opt(o, rooms_opts, "--membership"), flags) < 0)
		return -1;
	if (ctx_config(c) < 0)
		return -1;
	return mxid_parse(o->pos[0], c->cfg->server_name, id);
}

int cmd_rooms(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ROOM", "MEMBERSHIP", "NAME", "ALIAS" };
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct membership_listing l = { 0 };
	struct hs *h = NULL;
	unsigned flags;
	int pseudo = 0, ret = -1;

	memset(&a, 0, sizeof(a));
	if (opts_parse(c, argc, argv, rooms_opts, &o) < 0 || rooms_args(c, &o, &id, &flags) < 0)
		goto out;
	/* a typo must not look like "in no rooms": the account has to exist */
	if (!(h = ctx_hs(c, HS_READ)) || hs_find_user(h, &id, &a) < 0 || hs_rooms_open(h) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(4, head);
	if (hs_rooms_of_user(h, id.full, flags | MS_NAMES, opt(&o, rooms_opts, "--include-forgotten") != NULL, print_row,
			     &l, &pseudo) == 0)
		ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, pseudo ? "room(s) (some under MSC4014 pseudo IDs; listed as such)" : "room(s)");
	jw_free(&l.jw);
	hs_account_clear(&a);
	return cmd_finish(c, h, &o, ret);
}

static const struct optspec members_opts[] = { { "--membership", 1 }, { "--local", 0 },
					       { "--include-forgotten", 0 }, { 0, 0 } };

int cmd_members(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "USER", "MEMBERSHIP", "WHERE" };
	struct opts o;
	struct membership_listing l = { 0 };
	struct hs *h = NULL;
	unsigned flags = MS_JOIN | MS_INVITE;
	int ret = -1;

	l.members = 1;
	if (opts_parse(c, argc, argv, members_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "expected exactly one ROOM");
		err_hint("mxdba members '!abc:example.org' [--local] [--membership join]");
		goto out;
	}
	if (roomid_check(o.pos[0]) < 0 ||
	    (opt(&o, members_opts, "--membership") && membership_parse(opt(&o, members_opts, "--membership"), &flags) < 0))
		goto out;
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_ROOMS)) || hs_room_known(h, o.pos[0]) < 0)
		goto out;
	if (!g_json)
		l.t = table_begin(3, head);
	if (hs_members_of_room(h, o.pos[0], flags, opt(&o, members_opts, "--local") != NULL,
			       opt(&o, members_opts, "--include-forgotten") != NULL, print_row, &l) == 0)
		ret = EX_OK;
out:
	table_end_count(l.t, ret == EX_OK, l.n, "member(s)");
	jw_free(&l.jw);
	return cmd_finish(c, h, &o, ret);
}
