/* SPDX-License-Identifier: Apache-2.0 */
/* The Synapse profile: its table of functions, opening its database (the
 * running probe first, then the schema's shape from schema.c and the
 * decision whether to read or write it, the stored users' server_name), and
 * what `check` reports. Never writes event or room tables. */
#include "synapse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

/* The stored users belong to this server_name, as Synapse checks at start. */
static int check_server_name(struct hs *h)
{
	const char *u = SYN(h)->s.first_user, *colon = strchr(u, ':');
	if (!*u || (colon && !strcmp(colon + 1, h->cfg->server_name)))
		return 0;
	err_set(EX_REFUSED, "the users in %s belong to another server_name", h->conf.label);
	err_detail("found %s; [homeserver] server_name is %s (Synapse refuses to start on such a database)", u,
		   h->cfg->server_name);
	return err_hint("check server_name, or that the database is this homeserver's");
}

static int refuse_unreadable(struct hs *h)
{
	const struct synapse_schema *s = &SYN(h)->s;
	char buf[200];
	if (!s->has_users || !s->has_version) {
		if (hs_refuse_other_type(h) < 0)
			return -1;
		err_set(EX_REFUSED, "unsupported schema in %s", h->conf.label);
		err_detail("found: %s; needed: a database Synapse (1.98 or later) created",
			   synapse_schema_layout(h, buf, sizeof(buf))); /* no schema number: reads nothing */
		return err_hint("check [database] (or synapse_config) points at Synapse's database");
	}
	synapse_schema_layout(h, buf, sizeof(buf));
	err_set(EX_REFUSED, "unsupported schema in %s: columns mxdba needs are missing", h->conf.label);
	err_detail("missing: %s (%s)", s->missing, buf);
	if (synapse_schema_fit(s) == SYN_FIT_TOO_NEW)
		return err_hint("a newer Synapse changed these tables: use an mxdba release that knows Synapse schema %ld",
				s->version);
	return err_hint("no Synapse release leaves its database so (a migration cut short, or a hand edit?): compare "
			"it with a backup before anything writes to it");
}

static int check_readable(struct hs *h)
{
	const struct synapse_schema *s = &SYN(h)->s;
	if (!s->has_users || !s->has_version || s->missing[0])
		return refuse_unreadable(h);
	return check_server_name(h);
}

static int check_writable(struct hs *h)
{
	const struct synapse_schema *s = &SYN(h)->s;
	char buf[200];
	enum synapse_fit fit;
	if (check_readable(h) < 0)
		return -1;
	if ((fit = synapse_schema_fit(s)) == SYN_FIT_KNOWN || fit == SYN_FIT_NEWER)
		return 0;
	synapse_schema_layout(h, buf, sizeof(buf));
	if (fit == SYN_FIT_OLDER) {
		err_set(EX_REFUSED, "refusing to write: the schema in %s is older than mxdba knows", h->conf.label);
		err_detail("found %s; mxdba writes schema %d to %d (Synapse 1.98 to 1.163)", buf, SYNAPSE_SCHEMA_MIN,
			   SYNAPSE_SCHEMA_MAX);
		return err_hint("reads work; for writes on this release use Synapse's admin API while it runs");
	}
	err_set(EX_REFUSED, "refusing to write: the schema in %s is newer than mxdba knows", h->conf.label);
	err_detail("found %s; its compat version %ld is above %d, the newest schema mxdba knows, so Synapse of "
		   "schema %d would refuse it too", buf, s->compat,
		   SYNAPSE_SCHEMA_MAX, SYNAPSE_SCHEMA_MAX);
	return err_hint("reads work; for writes use an mxdba release that knows Synapse schema %ld (this is mxdba %s)",
			s->version, MXDBA_VERSION);
}

/* One line when the schema is past what mxdba knows (once a process). */
static void warn_newer(const struct synapse_schema *s)
{
	static int warned;
	enum synapse_fit fit = synapse_schema_fit(s);
	if (warned || !s->has_version || (fit != SYN_FIT_NEWER && fit != SYN_FIT_TOO_NEW))
		return;
	warned = 1;
	if (fit == SYN_FIT_NEWER)
		warnx_("Synapse schema %ld (compat %ld) is newer than mxdba knows (%d); as Synapse decides, code of "
		       "schema %d runs on it, so mxdba reads and writes it as Synapse of schema %d would",
		       s->version, s->compat, SYNAPSE_SCHEMA_MAX, SYNAPSE_SCHEMA_MAX, SYNAPSE_SCHEMA_MAX);
	else
		warnx_("Synapse schema %ld (compat %ld) is newer than mxdba knows (%d), and its compat version says code "
		       "of schema %d must not write it: mxdba only reads it", s->version, s->compat, SYNAPSE_SCHEMA_MAX,
		       SYNAPSE_SCHEMA_MAX);
}

/* A long write holds the lock Synapse's writes wait for (SQLite). */
static void note_running(struct hs *h, enum hs_mode mode)
{
	struct synapse *sy = SYN(h);
	if (sy->running == 1 && mode == HS_WRITE_BULK && db_kind(h->db) == DB_SQLITE)
		warnx_("Synapse seems to be running (%s); its writes wait while this holds the write lock, so stop it "
		       "first for a long batch or import", sy->who);
}

/* Open Synapse's one database for MODE (never HS_ROOMS): probe, detect, check. */
static int open_main(struct hs *h, enum hs_mode mode)
{
	struct synapse *sy = SYN(h);
	int write = mode == HS_WRITE || mode == HS_WRITE_ONLINE || mode == HS_WRITE_BULK;
	{
		struct hs_component c;
		if (synapse_databases(h->cfg, &c, 1) < 0)
			return -1;
		h->conf = c.conf;
	}
	/* SQLite: probed before this process holds any lock on the file (it never sees its own) */
	if (h->conf.kind == DB_SQLITE)
		sy->running = synapse_probe_file(h->conf.target, sy->who, sizeof(sy->who));
	if (!(h->db = db_open(h->conf.kind, h->conf.target, h->conf.label, !write, "synapse")))
		return -1;
	sy->writable = write;
	if (h->conf.kind == DB_POSTGRES)
		sy->running = synapse_probe_running(NULL, h->db, sy->who, sizeof(sy->who));
	/* a report reads tables of its own, never the account columns */
	if (synapse_schema_detect(h, &sy->s, mode != HS_REPORT) < 0)
		return -1;
	warn_newer(&sy->s);
	if (mode == HS_INSPECT)
		return 0;
	if ((write ? check_writable(h) : check_readable(h)) < 0)
		return -1;
	note_running(h, mode);
	return 0;
}

static int open_db(struct hs *h, enum hs_mode mode)
{
	h->priv = xcalloc(1, sizeof(struct synapse));
	/* memberships only: opened by rooms_open, when a listing needs them */
	return mode == HS_ROOMS ? 0 : open_main(h, mode);
}

/* The memberships live in the same database. A command that writes
 * (evacuate, queue apply) reads them on a second, read-only connection, so
 * its writes never cut into a membership stream; one that only reads uses
 * its one connection (opened now for a listing). */
db *synapse_rooms_db(struct hs *h)
{
	struct synapse *sy = SYN(h);
	if (sy->rooms)
		return sy->rooms;
	if (!h->db && open_main(h, HS_READ) < 0)
		return NULL;
	if (!sy->writable)
		return sy->rooms = h->db;
	return sy->rooms = db_open(h->conf.kind, h->conf.target, h->conf.label, 1, "synapse");
}

int synapse_rooms_open(struct hs *h) { return synapse_rooms_db(h) ? 0 : -1; }

static void close_db(struct hs *h)
{
	struct synapse *sy = SYN(h);
	if (sy && sy->rooms && sy->rooms != h->db)
		db_close(sy->rooms);
	if (sy)
		db_close(sy->names);
	free(h->priv);
	h->priv = NULL;
}

static void counts(struct hs *h, struct hs_report *r)
{
	db_rows *q;
	if ((q = db_query(h->db, "accounts_stats", NULL, 0)) && db_step(q) == 1) {
		r->accounts = db_int(q, 0, NULL);
		r->admins = db_int(q, 1, NULL);
		r->deactivated = db_int(q, 2, NULL);
		r->active_admins = db_int(q, 3, NULL);
	}
	db_rows_free(q);
	db_count(h->db, "devices_count", NULL, 0, &r->devices);
}

static void extra(struct hs_report *r, const char *label, const char *value)
{
	if (r->nextra >= 4)
		return;
	str_copy(r->extra[r->nextra][0], sizeof(r->extra[0][0]), label);
	str_copy(r->extra[r->nextra++][1], sizeof(r->extra[0][1]), value);
}

static int report(struct hs *h, struct hs_report *r)
{
	const struct synapse_schema *s = &SYN(h)->s;
	static char buf[200];
	int ret = 0;
	memset(r, 0, sizeof(*r));
	str_copy(r->component, sizeof(r->component), "synapse");
	r->layout = synapse_schema_layout(h, buf, sizeof(buf)); /* before check_writable's errors */
	r->writable = check_writable(h) == 0;
	if (!r->writable)
		ret = -1;
	r->versions_label = "schema";
	r->versions_key = "schema_version";
	r->versions = json_pack("{s:I, s:I, s:b}", "version", (json_int_t)s->version, "compat_version",
				(json_int_t)s->compat, "upgraded", s->upgraded);
	if (s->has_version)
		snprintf(r->versions_line, sizeof(r->versions_line), "version %ld, compat %ld%s", s->version, s->compat,
			 s->upgraded ? ", upgraded" : "");
	else
		str_copy(r->versions_line, sizeof(r->versions_line), "no schema_version table");
	if (s->has_users && !s->missing[0])
		counts(h, r);
	extra(r, "mas", SCONF(h->cfg)->mas ? "enabled: accounts belong to the Matrix Authentication Service (writes refused)"
					    : "disabled");
	return ret;
}

const struct hs_profile hs_synapse = {
	.name = "synapse",
	.kind_user = 1,
	.kind_admin = 3,
	.display = "Synapse",
	.version = "Synapse 1.98–1.163",
	.accounts_table = "users",
	.config_file = "homeserver.yaml",
	.notices_detail = "Synapse creates and manages it (server_notices.system_mxid_localpart)",
	.usable_key = "password_usable_by_synapse",
	.deactivated_null_note = "",
	.no_profile_note = "no profiles row: Synapse answers 404 to this user's profile",
	.backup_name = "synapse",
	.dump_options = "--file=synapse-$(date +%F).dump",
	.hs_keys = "synapse_config, server_notices_local_part",
	.db_keys = "default",
	.config_key = synapse_config_key,
	.config_finish = synapse_config_finish,
	.config_free = synapse_config_free,
	.from_option = "--from-synapse",
	.config_template = synapse_config_template,
	.databases = synapse_databases,
	.open = open_db,
	.close = close_db,
	.report = report,
	.probe_running = synapse_probe_running,
	.ready_path = "/health",
	.apply_parallel = { [DB_POSTGRES] = 16, [DB_SQLITE] = 16 },
	.admin_api = &synapse_admin_api,
	.room_job = synapse_room_job,
	.room_delete_blocker = synapse_room_delete_blocker,
	.account_find = synapse_account_find,
	.accounts_list = synapse_accounts_list,
	.create_conflicts = synapse_create_conflicts,
	.account_create = synapse_account_create,
	.set_admin = synapse_set_admin,
	.set_password_hash = synapse_set_password_hash,
	.set_deactivated = synapse_set_deactivated,
	.set_display_name = synapse_set_display_name,
	.deactivate = synapse_deactivate,
	.threepids = synapse_threepids,
	.threepid_owner = synapse_threepid_owner,
	.threepid_add = synapse_threepid_add,
	.threepid_remove = synapse_threepid_remove,
	.email_casefold = 1,
	.erase = synapse_erase,
	.deactivation_forgets = 1,
	.set_locked = synapse_set_locked,
	.set_shadow_banned = synapse_set_shadow_banned,
	.set_ratelimit = synapse_set_ratelimit,
	.leave_limit = synapse_leave_limit,
	.user_dir_rebuild = synapse_user_dir_rebuild,
	.check_cached_write = synapse_check_cached_write,
	.accounts_writable = synapse_accounts_writable,
	.check_notices = synapse_check_notices,
	.revoke_tokens = synapse_revoke_tokens,
	.profile_get = synapse_profile_get,
	.devices = synapse_devices,
	.check_new_localpart = synapse_check_new_localpart,
	.check_modifiable = synapse_check_modifiable,
	.check_admin_change = synapse_check_admin_change,
	.check_reserved = synapse_check_reserved,
	.password_scheme = synapse_password_scheme,
	.describe_hash = synapse_describe_hash,
	.check_scheme = synapse_check_scheme,
	.rooms_open = synapse_rooms_open,
	.rooms_of_user = synapse_rooms_of_user,
	.room_known = synapse_room_known,
	.members_of_room = synapse_members_of_room,
	.membership_now = synapse_membership_now,
	.room_names = synapse_room_names,
	.report_rooms = synapse_report_rooms,
	.report_media = synapse_report_media,
	.report_updates = synapse_report_updates,
	.reg_tokens = synapse_reg_tokens,
	.reg_token_create = synapse_reg_token_create,
	.reg_token_delete = synapse_reg_token_delete,
	.reg_token_uses = synapse_reg_token_uses,
	.token_mint = synapse_token_mint,
	.token_drop = synapse_token_drop,
	.bulk_set_admin = synapse_bulk_set_admin,
	.bulk_taken = synapse_bulk_taken,
	.bulk_create = synapse_bulk_create,
	.checks = synapse_checks,
};
