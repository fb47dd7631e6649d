/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba store copy --from FILE`: mxdba's own rows (the audit log, the queue,
 * the minted tokens) from the old SQLite database into the one mxdba writes
 * now. Synapse's synapse_port_db moves the homeserver to PostgreSQL and
 * leaves mxdba_* behind; this is the step after it. One transaction, ids
 * kept, audited, and a second run of the same copy does nothing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "store/store.h"

static const struct optspec copy_opts[] = { { "--from", 1 }, { 0, 0 } };

/* FILE's absolute path (malloc'd), refused when it is the database mxdba
 * writes itself or cannot be read. */
static char *source_path(struct hs *h, const char *file)
{
	char full[PATH_MAX];
	const char *target = db_path(hs_db(h));
	char tfull[PATH_MAX];
	if (!realpath(file, full)) {
		err_set(errno == ENOENT ? EX_NOTFOUND : EX_DB, "cannot read %s: %s", file, strerror(errno));
		err_hint("--from is the SQLite file the homeserver used before the move (synapse_port_db's "
			 "--sqlite-database)");
		return NULL;
	}
	if (target && realpath(target, tfull) && !strcmp(full, tfull)) {
		err_set(EX_USAGE, "%s is the database mxdba writes now: nothing to copy", file);
		err_hint("point [database] (or the homeserver's config) at the new database, and --from at the old file");
		return NULL;
	}
	return xstrdup(full);
}

/* The source opened read-only and checked: mxdba's tables there, and no
 * migration this mxdba does not know. */
static db *open_source(struct hs *h, const char *path)
{
	char unknown[512];
	db *src = db_open(DB_SQLITE, path, path, 1, NULL);
	int rc;
	if (!src)
		return NULL;
	if ((rc = store_present(src)) <= 0) {
		if (rc == 0) {
			err_set(EX_NOTFOUND, "%s has no mxdba tables (mxdba_audit, mxdba_queue, …)", path);
			err_hint("--from is the database mxdba wrote before the move; `mxdba migrate --status` on the old "
				 "config shows where that was");
		}
		db_close(src);
		return NULL;
	}
	if (store_unknown_migrations(src, hs_db(h), unknown, sizeof(unknown)) < 0 || unknown[0]) {
		if (unknown[0]) {
			err_set(EX_REFUSED, "%s was written by a newer mxdba", path);
			err_detail("its migrations this mxdba does not know: %s", unknown);
			err_hint("run store copy with the mxdba release that wrote it");
		}
		db_close(src);
		return NULL;
	}
	return src;
}

static void report(struct ctx *c, const char *path, const struct store_counts *n, long long already_ts)
{
	char when[32];
	if (g_json) {
		out_json(json_pack("{s:s, s:I, s:I, s:I, s:b, s:o, s:b}", "from", path, "audit", (json_int_t)n->audit,
				   "queue", (json_int_t)n->queue, "minted", (json_int_t)n->minted, "already_copied",
				   already_ts != 0, "copied_ts", already_ts ? json_integer(already_ts) : json_null(),
				   "dry_run", c->dry_run));
		return;
	}
	if (already_ts) {
		out_line("already copied from %s on %s UTC; nothing to do", path, fmt_ms(already_ts, when, sizeof(when)));
		return;
	}
	out_line("%s %lld audit row(s), %lld queued operation(s) and %lld minted token(s) from %s",
		 c->dry_run ? "would copy" : "copied", n->audit, n->queue, n->minted, path);
	if (n->queue && !c->dry_run)
		infox("pending operations go on with `mxdba queue apply` once the homeserver is up");
	dry_run_note(c);
}

int cmd_store_copy(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	struct store_counts have, there, copied = { 0 };
	const char *file;
	char *path = NULL, *mark = NULL;
	db *src = NULL;
	long long done_ts = 0;
	int ret = -1, rc;

	if (opts_parse(c, argc, argv, copy_opts, &o) < 0)
		goto out;
	if (o.npos || !(file = opt(&o, copy_opts, "--from"))) {
		err_set(EX_USAGE, o.npos ? "store copy takes no arguments" : "store copy needs --from FILE");
		err_hint("mxdba store copy --from /var/lib/matrix-synapse/homeserver.db (the old SQLite file)");
		goto out;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_WRITE)) || !(path = source_path(h, file)) ||
	    write_begin(c, h) < 0 || !(src = open_source(h, path)) || store_counts(src, &have) < 0)
		goto out;
	mark = xasprintf("copied from %s: %lld audit row(s), %lld queued operation(s), %lld minted token(s)", path,
			 have.audit, have.queue, have.minted);
	if ((rc = store_copy_done(hs_db(h), mark, &done_ts)) < 0)
		goto out;
	if (rc == 1) {
		db_rollback(hs_db(h));
		report(c, path, &have, done_ts);
		ret = EX_OK;
		goto out;
	}
	if (store_counts(hs_db(h), &there) < 0)
		goto out;
	if (there.audit || there.queue || there.minted) {
		err_set(EX_CONFLICT, "the database mxdba writes already has mxdba rows: %lld audit row(s), %lld queued "
				     "operation(s), %lld minted token(s)",
			there.audit, there.queue, there.minted);
		err_detail("store copy fills an empty store, keeping the ids `audit undo` and `queue cancel` name");
		err_hint("run it right after the move, before any other mxdba command writes to the new database; "
			 "the old rows stay readable in %s",
			 path);
		goto out;
	}
	if (store_copy_rows(src, hs_db(h), &copied) < 0 || audit_write(c, h, "mxdba", "store", NULL, mark) < 0 ||
	    write_end(c, h) < 0)
		goto out;
	report(c, path, &copied, 0);
	ret = EX_OK;
out:
	db_close(src);
	free(path);
	free(mark);
	return cmd_finish(c, h, &o, ret);
}
