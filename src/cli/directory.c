/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user directory rebuild`: schedule the homeserver's own rebuild of
 * its user directory (Synapse: the four background updates its admin API's
 * regenerate_directory job inserts), which it runs at its next start. The
 * directory misses every account made by hand SQL; `doctor` counts them
 * (synapse-user-directory-missing). Audited. */
#include "cli.h"
#include "core/err.h"
#include "core/output.h"

struct scheduled {
	struct ctx *c;
	struct hs *h;
	json_t *names;
};

static int one_update(const char *update, void *user)
{
	struct scheduled *s = user;
	json_array_append_new(s->names, json_string(update));
	return audit_write(s->c, s->h, "user directory", "background_update", "not pending", update);
}

int cmd_user_directory_rebuild(struct ctx *c, int argc, char **argv)
{
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct scheduled s = { c, NULL, NULL };
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0 || ctx_needs(c, HS_NEED_DIR_REBUILD, "user directory rebuild") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "user directory rebuild takes no arguments");
		err_hint("mxdba user directory rebuild (then start the homeserver and let it run)");
		goto out;
	}
	s.names = json_array();
	if (!(s.h = ctx_hs(c, HS_WRITE)) || write_begin(c, s.h) < 0 || hs_user_dir_rebuild(s.h, one_update, &s) < 0 ||
	    write_end(c, s.h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:O, s:b}", "scheduled", s.names, "dry_run", c->dry_run));
	else {
		out_line("%s the rebuild of the user directory: %zu background update(s)",
			 c->dry_run ? "would schedule" : "scheduled", json_array_size(s.names));
		out_line("it runs when %s starts next (a running one: restart it); `mxdba report updates` shows it",
			 hs_display(c->cfg));
		dry_run_note(c);
	}
	ret = EX_OK;
out:
	json_decref(s.names);
	return cmd_finish(c, s.h, &o, ret);
}
