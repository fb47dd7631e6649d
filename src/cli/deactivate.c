/* SPDX-License-Identifier: Apache-2.0 */
/* `user deactivate [--erase]`: the server's own deactivation, offline. In
 * one transaction: the leaves of every joined room, invite and knock
 * queued (queue apply carries them out through the server, as its own
 * deactivation parts the user), then the account's rows as the
 * homeserver's deactivation leaves them (hs_deactivate), the erasure when
 * asked, and the audit rows. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "queue.h"

static const struct optspec deactivate_opts[] = { { "--erase", 0 }, { 0, 0 } };

struct deactivation {
	struct hs_account a;
	struct hs_deactivation gone;
	long long queued, already, erased;
	int erase;
};

/* The audit rows: the flag, the hash when the homeserver's deactivation
 * cleared it (Synapse's does: `audit undo` puts it back), what was deleted
 * (not undoable), the erasure. */
static int deactivation_audit(struct ctx *c, struct hs *h, const struct deactivation *d)
{
	const struct hs_deactivation *g = &d->gone;
	char old[8], what[200];
	if (g->hash && d->a.password_hash && *d->a.password_hash &&
	    audit_write(c, h, d->a.user_id, "password_hash", d->a.password_hash, NULL) < 0)
		return -1;
	snprintf(old, sizeof(old), "%d", d->a.deactivated);
	if (d->a.deactivated != 1 &&
	    audit_write(c, h, d->a.user_id, "deactivated", d->a.deactivated < 0 ? NULL : old, "1") < 0)
		return -1;
	snprintf(what, sizeof(what), "%lld device(s), %lld key(s), %lld pusher(s), %lld 3PID(s), %lld other row(s), %lld token(s)",
		 g->devices, g->keys, g->pushers, g->threepids, g->data, g->tokens);
	if ((g->devices || g->keys || g->pushers || g->threepids || g->data || g->tokens) &&
	    audit_write(c, h, d->a.user_id, "devices", what, "deleted") < 0)
		return -1;
	return d->erased ? audit_write(c, h, d->a.user_id, "erased", "0", "1") : 0;
}

static void deactivation_report(struct ctx *c, const struct deactivation *d)
{
	const struct hs_deactivation *g = &d->gone;
	const char *would = c->dry_run ? "would be " : "";
	if (g_json) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:b}", "user_id",
				      d->a.user_id, "action", "deactivate", "changed", d->a.deactivated != 1 && !c->dry_run,
				      "tokens_revoked", (json_int_t)g->tokens, "devices_deleted", (json_int_t)g->devices,
				      "keys_deleted", (json_int_t)g->keys, "pushers_deleted", (json_int_t)g->pushers,
				      "threepids_deleted", (json_int_t)g->threepids, "other_rows_deleted", (json_int_t)g->data,
				      "threepids_left_bound", (json_int_t)g->bound, "erased", d->erased != 0,
				      "leaves_queued", (json_int_t)d->queued, "already_pending", (json_int_t)d->already, "dry_run",
				      c->dry_run);
		out_json(o);
		return;
	}
	if (d->a.deactivated == 1)
		out_line("%s was deactivated already; what its deactivation leaves %sremoved", d->a.user_id,
			 c->dry_run ? "would be " : "is ");
	else
		out_line("%s %s", c->dry_run ? "would deactivate" : "deactivated", d->a.user_id);
	out_line("%sdeleted: %lld device(s) with %lld key(s), %lld pusher(s), %lld 3PID(s), %lld other row(s) "
		 "(account data, push rules, key backup); %lld token(s) revoked",
		 would, g->devices, g->keys, g->pushers, g->threepids, g->data, g->tokens);
	if (d->erased)
		out_line("%s %s: profile deleted, its events served redacted to later joiners", c->dry_run ? "would erase" : "erased",
			 d->a.user_id);
	else if (d->erase)
		out_line("%s was erased already", d->a.user_id);
	out_line("%s %lld leave(s) (rooms joined, invites, knocks)", c->dry_run ? "would queue" : "queued", d->queued);
	if (d->already)
		out_line("%lld already pending", d->already);
	if (!c->dry_run && d->queued)
		out_line("run `mxdba queue apply` once the homeserver is up");
}

int cmd_user_deactivate(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct mxid id;
	struct deactivation d;
	struct hs *h = NULL;
	int ret = -1;

	memset(&d, 0, sizeof(d));
	if (opts_parse(c, argc, argv, deactivate_opts, &o) < 0)
		goto out;
	d.erase = opt(&o, deactivate_opts, "--erase") != NULL;
	if ((d.erase && ctx_needs(c, HS_NEED_ERASE, "user deactivate --erase") < 0) || one_user_arg(c, &o, &id) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_find_user(h, &id, &d.a) < 0 || hs_check_modifiable(h, &d.a, "deactivate") < 0 ||
	    hs_check_cached_write(h, "deactivated") < 0 || hs_rooms_open(h) < 0)
		goto out;
	if (write_begin(c, h) < 0 || queue_user_leaves(c, h, d.a.user_id, &d.queued, &d.already) < 0 ||
	    hs_deactivate(h, &d.a, &d.gone) < 0 || (d.erase && hs_erase(h, &d.a, &d.erased) < 0) ||
	    deactivation_audit(c, h, &d) < 0 || write_end(c, h) < 0)
		goto out;
	deactivation_report(c, &d);
	leave_limit_warning(h, &d.a, d.queued + d.already);
	if (d.gone.bound)
		warnx_("%lld 3PID(s) of %s stay bound at an identity server: Synapse unbinds them over HTTP, which mxdba "
		       "does not do; ask the identity server's operator, or unbind them with the user's token",
		       d.gone.bound, d.a.user_id);
	dry_run_note(c);
	ret = EX_OK;
out:
	hs_account_clear(&d.a);
	return cmd_finish(c, h, &o, ret);
}
