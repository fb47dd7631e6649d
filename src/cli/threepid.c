/* SPDX-License-Identifier: Apache-2.0 */
/* `user 3pid add|remove USER MEDIUM ADDRESS`: a user's emails and phone
 * numbers, as the homeserver's admin API (Synapse) or account endpoints
 * (Dendrite) store them, for the day an admin's email is wrong and password
 * reset mails go nowhere. An email is stored in the homeserver's canonical
 * form; an address another account owns is refused, not moved. Audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"

#define ADDRESS_MAX 512

static const struct optspec no_opts[] = { { 0, 0 } };

struct threepid_cmd {
	struct mxid id;
	struct hs_account a;
	char medium[16], address[ADDRESS_MAX];
	char label[ADDRESS_MAX + 24]; /* "email:alice@example.org": the audit value */
};

/* MEDIUM and ADDRESS checked and put in the homeserver's form. */
static int threepid_args(struct hs *h, const struct opts *o, struct threepid_cmd *t)
{
	const char *medium = o->pos[1], *addr = o->pos[2];
	if (!strcmp(medium, "email")) {
		if (hs_email_canonical(h, addr, t->address, sizeof(t->address)) < 0)
			return -1;
	} else if (!strcmp(medium, "msisdn")) {
		size_t n = strlen(addr);
		if (n < 4 || n > 15 || strspn(addr, "0123456789") != n) {
			err_set(EX_USAGE, "\"%.40s\" is not a phone number as Matrix stores one (msisdn)", addr);
			return err_hint("give the digits with the country code, no + or spaces: 447700900123");
		}
		snprintf(t->address, sizeof(t->address), "%s", addr);
	} else {
		err_set(EX_USAGE, "unknown 3PID medium \"%.40s\"", medium);
		return err_hint("the medium is email or msisdn");
	}
	snprintf(t->medium, sizeof(t->medium), "%s", medium);
	snprintf(t->label, sizeof(t->label), "%s:%s", t->medium, t->address);
	return 0;
}

static int threepid_open(struct ctx *c, int argc, char **argv, struct opts *o, struct threepid_cmd *t, struct hs **h,
			 const char *verb)
{
	memset(t, 0, sizeof(*t));
	if (opts_parse(c, argc, argv, no_opts, o) < 0)
		return -1;
	if (o->npos != 3) {
		err_set(EX_USAGE, "expected USER MEDIUM ADDRESS");
		return err_hint("mxdba user 3pid %s @alice:example.org email alice@example.org", verb);
	}
	if (ctx_config(c) < 0 || mxid_parse(o->pos[0], c->cfg->server_name, &t->id) < 0)
		return -1;
	if (!(*h = ctx_hs(c, HS_WRITE)) || hs_find_user(*h, &t->id, &t->a) < 0 ||
	    hs_check_modifiable(*h, &t->a, verb) < 0)
		return -1;
	return threepid_args(*h, o, t);
}

static void threepid_report(struct ctx *c, const struct threepid_cmd *t, const char *action, int changed,
			    long long pushers)
{
	if (g_json) {
		out_json(json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:b}", "user_id", t->a.user_id, "action", action,
				   "medium", t->medium, "address", t->address, "changed", changed && !c->dry_run,
				   "pushers_deleted", (json_int_t)pushers, "dry_run", c->dry_run));
		return;
	}
	if (!changed)
		out_line(!strcmp(action, "add") ? "%s already has %s %s" : "%s has no %s %s", t->a.user_id, t->medium,
			 t->address);
	else if (!strcmp(action, "add"))
		out_line("%s %s %s to %s", c->dry_run ? "would add" : "added", t->medium, t->address, t->a.user_id);
	else
		out_line("%s %s %s from %s", c->dry_run ? "would remove" : "removed", t->medium, t->address, t->a.user_id);
	if (pushers)
		out_line("%s%lld email notification pusher(s)", c->dry_run ? "would delete " : "deleted ", pushers);
}

int cmd_user_3pid_add(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct threepid_cmd t;
	struct hs *h = NULL;
	char *owner = NULL;
	int ret = -1, mine;

	if (threepid_open(c, argc, argv, &o, &t, &h, "add") < 0 ||
	    hs_threepid_owner(h, t.medium, t.address, &owner) < 0)
		goto out;
	mine = owner && !strcmp(owner, t.a.user_id);
	if (owner && !mine) {
		err_set(EX_CONFLICT, "%s %s belongs to %s", t.medium, t.address, owner);
		err_detail("a 3PID has one owner: password resets and logins by it go to that account");
		err_hint("remove it there first: mxdba user 3pid remove %s %s %s", owner, t.medium, t.address);
		goto out;
	}
	if (!mine && (write_begin(c, h) < 0 || hs_threepid_add(h, &t.a, t.medium, t.address) < 0 ||
		      audit_write(c, h, t.a.user_id, "threepid", NULL, t.label) < 0 || write_end(c, h) < 0))
		goto out;
	threepid_report(c, &t, "add", !mine, 0);
	dry_run_note(c);
	ret = EX_OK;
out:
	free(owner);
	hs_account_clear(&t.a);
	return cmd_finish(c, h, &o, ret);
}

int cmd_user_3pid_remove(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct threepid_cmd t;
	struct hs *h = NULL;
	long long removed = 0, pushers = 0;
	int ret = -1;

	if (threepid_open(c, argc, argv, &o, &t, &h, "remove") < 0)
		goto out;
	if (write_begin(c, h) < 0 || hs_threepid_remove(h, &t.a, t.medium, t.address, &removed, &pushers) < 0 ||
	    (removed && audit_write(c, h, t.a.user_id, "threepid", t.label, NULL) < 0) || write_end(c, h) < 0)
		goto out;
	threepid_report(c, &t, "remove", removed > 0, pushers);
	if (pushers && !c->dry_run)
		warnx_("a %s running now keeps sending to its email pusher until it restarts", hs_display(c->cfg));
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&t.a);
	return cmd_finish(c, h, &o, ret);
}
