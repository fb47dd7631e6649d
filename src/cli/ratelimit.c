/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user ratelimit set USER [--messages-per-second N] [--burst N]` and
 * `mxdba user ratelimit clear USER`: Synapse's per-user override of its
 * rc_message limits (ratelimit_override), as its admin API's
 * override_ratelimit writes it. A running Synapse caches the override, so
 * the write is refused while it runs unless --while-running. Audited, undone
 * by `audit undo`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"

static const struct optspec set_opts[] = { { "--messages-per-second", 1 }, { "--burst", 1 }, { 0, 0 } };
static const struct optspec clear_opts[] = { { 0, 0 } };

/* A figure of the override: a whole number from 0 (Synapse's columns are bigint). */
static int figure(const char *name, const char *v, long long *out)
{
	long n;
	*out = 0;
	if (!v)
		return 0;
	if (parse_int(v, 0, 2000000000L, &n) < 0) {
		err_set(EX_USAGE, "%s \"%.40s\" is not a whole number from 0", name, v);
		return err_hint("%s 10 (0 with the other 0 too: no limit at all)", name);
	}
	*out = n;
	return 0;
}

static void report(struct ctx *c, const struct hs_account *a, const struct hs_ratelimit *rl, int changed)
{
	if (g_json) {
		out_json(json_pack("{s:s, s:o, s:b, s:b}", "user_id", a->user_id, "ratelimit", ratelimit_json(rl), "changed",
				   changed && !c->dry_run, "dry_run", c->dry_run));
		return;
	}
	if (!changed)
		out_line("%s already has %s", a->user_id, rl->set ? "that rate-limit override" : "no rate-limit override");
	else if (!rl->set)
		out_line("%s the rate-limit override of %s: the server's rc_message applies", c->dry_run ? "would remove" : "removed",
			 a->user_id);
	else if (!rl->per_second && !rl->burst)
		out_line("%s %s from rate limits (messages)", c->dry_run ? "would exempt" : "exempted", a->user_id);
	else
		out_line("%s %s to %lld message(s) a second, bursts of %lld", c->dry_run ? "would limit" : "limited",
			 a->user_id, rl->per_second, rl->burst);
	dry_run_note(c);
}

static int ratelimit_command(struct ctx *c, int argc, char **argv, int set)
{
	struct opts o;
	struct mxid id;
	struct hs_account a;
	struct hs_ratelimit rl;
	struct hs *h = NULL;
	const char *what = set ? "user ratelimit set" : "user ratelimit clear";
	char oldb[96], newb[96];
	long long n = 0;
	int changed, ret = -1;

	memset(&a, 0, sizeof(a));
	memset(&rl, 0, sizeof(rl));
	if (opts_parse(c, argc, argv, set ? set_opts : clear_opts, &o) < 0 || ctx_needs(c, HS_NEED_RATELIMIT, what) < 0 ||
	    one_user_arg(c, &o, &id) < 0)
		goto out;
	if (set) {
		rl.set = 1;
		if (figure("--messages-per-second", opt(&o, set_opts, "--messages-per-second"), &rl.per_second) < 0 ||
		    figure("--burst", opt(&o, set_opts, "--burst"), &rl.burst) < 0)
			goto out;
	}
	/* any local account, an appservice's too (a bridge's puppets are the usual case), as the admin API takes */
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_find_user(h, &id, &a) < 0 || hs_check_cached_write(h, "rate-limit override") < 0)
		goto out;
	changed = a.ratelimit.set != rl.set ||
		  (rl.set && (a.ratelimit.per_second != rl.per_second || a.ratelimit.burst != rl.burst));
	if (write_begin(c, h) < 0 || (changed && hs_set_ratelimit(h, &a, &rl, &n) < 0) ||
	    (changed && audit_write(c, h, a.user_id, "ratelimit", hs_ratelimit_text(&a.ratelimit, oldb, sizeof(oldb)),
				    hs_ratelimit_text(&rl, newb, sizeof(newb))) < 0) ||
	    write_end(c, h) < 0)
		goto out;
	report(c, &a, &rl, changed);
	ret = EX_OK;
out:
	hs_account_clear(&a);
	return cmd_finish(c, h, &o, ret);
}

int cmd_user_ratelimit_set(struct ctx *c, int argc, char **argv) { return ratelimit_command(c, argc, argv, 1); }

int cmd_user_ratelimit_clear(struct ctx *c, int argc, char **argv) { return ratelimit_command(c, argc, argv, 0); }
