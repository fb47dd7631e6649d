/* SPDX-License-Identifier: Apache-2.0 */
/* The Dendrite v0.13.x profile: its table of functions, opening the userapi
 * database (schema detection from the db_migrations rows of Dendrite
 * v0.13.8's userapi/storage/{postgres,sqlite3}/deltas and the tables they
 * rename), what `check` reports, and the running-server probe. Never
 * writes roomserver or syncapi tables. */
#include "dendrite.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"

static int exists(db *d, const char *name, const db_arg *args, int n)
{
	char *v = NULL;
	int rc = db_scalar(d, name, args, n, &v);
	free(v);
	return rc;
}

static int detect(struct hs *h)
{
	struct schema *s = &DEN(h)->s;
	db_arg a[1];
	db_rows *r = db_query(h->db, "schema_facts", NULL, 0);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1) {
		s->has_migrations = db_int(r, 0, NULL) > 0;
		s->has_accounts = db_int(r, 1, NULL) > 0;
		s->has_old_accounts = db_int(r, 2, NULL) > 0;
		s->has_goose = db_int(r, 3, NULL) > 0;
		s->has_server_name = s->has_accounts && db_int(r, 4, NULL) > 0;
		s->has_account_type = s->has_accounts && db_int(r, 5, NULL) > 0;
	}
	db_rows_free(r);
	if (rc != 1)
		return rc < 0 ? -1 : err_set(EX_DB, "internal: schema_facts returned no row on %s", h->conf.label);
	if (s->has_migrations) {
		a[0] = DB_ARG_TEXT("userapi: server names populate");
		if ((s->has_populate = exists(h->db, "migration_exists", a, 1)) < 0)
			return -1;
	}
	return 0;
}

/* The layout in a sentence ("Dendrite v0.10.8 or later (…)"). */
static const char *layout(const struct schema *s)
{
	if (s->has_accounts && s->has_server_name && s->has_account_type && s->has_migrations && s->has_populate)
		return "Dendrite v0.10.8 or later (userapi_* tables with server_name)";
	if (s->has_accounts && s->has_migrations && !s->has_populate)
		return "Dendrite v0.10.4 to v0.10.7, or an unfinished v0.10.8 upgrade (no server_name populate)";
	if (s->has_accounts && !s->has_migrations)
		return "userapi_* tables without db_migrations (not created by Dendrite?)";
	if (s->has_old_accounts)
		return "Dendrite before v0.10.4 (account_accounts tables)";
	if (s->has_goose)
		return "Dendrite before v0.9.0 (goose migrations)";
	return "not a Dendrite userapi database (no userapi_accounts table)";
}

static int check_readable(struct hs *h)
{
	const struct schema *s = &DEN(h)->s;
	if (s->has_accounts && s->has_server_name && s->has_account_type)
		return 0;
	if (!s->has_accounts && !s->has_old_accounts && !s->has_goose && hs_refuse_other_type(h) < 0)
		return -1;
	err_set(EX_REFUSED, "unsupported schema in %s", h->conf.label);
	err_detail("found: %s; needed: userapi_accounts with server_name and account_type (Dendrite v0.10.8+)",
		   layout(s));
	if (s->has_old_accounts || s->has_accounts)
		return err_hint("mxdba reads and writes the layout of Dendrite v0.10.8 and later; on this release use "
				"Dendrite's own create-account tool and its admin API");
	return err_hint("check that [database] userapi points at Dendrite's user_api.account_database");
}

static int check_writable(struct hs *h)
{
	const struct schema *s = &DEN(h)->s;
	const char *missing = NULL;
	if (check_readable(h) < 0)
		return -1;
	if (!s->has_migrations)
		missing = "no db_migrations table";
	else if (!s->has_populate)
		missing = "no 'userapi: server names populate' row in db_migrations";
	else if (s->has_old_accounts)
		missing = "an old account_accounts table next to userapi_accounts";
	if (!missing)
		return 0;
	err_set(EX_REFUSED, "refusing to write: the schema in %s is not one mxdba knows", h->conf.label);
	err_detail("found %s (%s); needed: a database migrated by Dendrite v0.10.8 or later", missing, layout(s));
	return err_hint("reads work; mxdba writes only a database Dendrite v0.10.8 or later finished migrating (an "
			"migration cut short, or tables made by hand, are not that): use Dendrite's admin API for writes");
}

/* A running Dendrite is worth a note where it matters: on PostgreSQL every
 * write (account changes take effect at once), on SQLite a long one (it
 * waits while mxdba holds the write lock; a short write next to a running
 * Dendrite is safe, see src/db/sqlite.c, and the /proc scan would be most of
 * a promote's cost). */
static void note_running(struct hs *h, enum hs_mode mode)
{
	char who[256];
	int lite = db_kind(h->db) == DB_SQLITE;
	if (!(mode == HS_WRITE_BULK || (mode == HS_WRITE && !lite)))
		return;
	if (dendrite_probe_running(h, h->db, who, sizeof(who)) != 1)
		return;
	if (mode == HS_WRITE_BULK && lite)
		warnx_("the homeserver seems to be running (%s); it waits while this holds the write lock, "
		       "so stop it first for a long batch or import", who);
	else
		warnx_("the homeserver seems to be running (%s); account changes take effect at once", who);
}

static int open_userapi(struct hs *h, enum hs_mode mode)
{
	int write = mode == HS_WRITE || mode == HS_WRITE_ONLINE || mode == HS_WRITE_BULK;
	h->priv = xcalloc(1, sizeof(struct dendrite));
	if (mode == HS_ROOMS)
		return 0;
	if (dendrite_db(h->cfg, COMP_USERAPI, &h->conf) < 0)
		return -1;
	if (!(h->db = db_open(h->conf.kind, h->conf.target, h->conf.label, !write, "dendrite")))
		return -1;
	if (detect(h) < 0)
		return -1;
	if (mode == HS_INSPECT)
		return 0;
	if ((write ? check_writable(h) : check_readable(h)) < 0)
		return -1;
	note_running(h, mode);
	return 0;
}

static void close_userapi(struct hs *h)
{
	if (!h->priv)
		return;
	dendrite_keys_forget(h);
	dendrite_rooms_close(h);
	free(h->priv);
	h->priv = NULL;
}

/* The Dendrite versions recorded in db_migrations, as JSON and as one line. */
static int versions(db *d, json_t *arr, char *line, size_t n)
{
	db_rows *r = db_query(d, "migration_versions", NULL, 0);
	size_t used = 0;
	int rc;
	line[0] = '\0';
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		const char *v = db_text(r, 0) ? db_text(r, 0) : "?";
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s?, s:s?}", "dendrite_version", v, "migrations",
						     (json_int_t)db_int(r, 1, NULL), "first", db_text(r, 2), "last",
						     db_text(r, 3)));
		if (used < n)
			used += (size_t)snprintf(line + used, n - used, "%s%s (%lld migrations, last %s)",
						 used ? ", " : "", v, db_int(r, 1, NULL), db_text(r, 3) ? db_text(r, 3) : "?");
	}
	db_rows_free(r);
	return rc;
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

static int report(struct hs *h, struct hs_report *r)
{
	const struct schema *s = &DEN(h)->s;
	int ret = 0;
	memset(r, 0, sizeof(*r));
	str_copy(r->component, sizeof(r->component), "userapi");
	r->writable = check_writable(h) == 0;
	if (!r->writable)
		ret = -1;
	r->layout = layout(s);
	r->versions_label = "dendrite";
	r->versions_key = "dendrite_versions";
	r->versions = json_array();
	if (s->has_migrations && versions(h->db, r->versions, r->versions_line, sizeof(r->versions_line)) < 0)
		ret = -1;
	if (!r->versions_line[0])
		str_copy(r->versions_line, sizeof(r->versions_line), "no db_migrations rows");
	if (s->has_accounts && s->has_server_name && s->has_account_type)
		counts(h, r);
	return ret;
}

/* SQLite: another process with the file (or its journal) open, from /proc. */
static int probe_sqlite(const char *path, char *who, size_t n)
{
	char real[PATH_MAX], wal[PATH_MAX + 8], jnl[PATH_MAX + 16];
	DIR *proc;
	struct dirent *e;
	int found = 0, denied = 0;
	pid_t self = getpid();
	size_t used = 0;
	if (!realpath(path, real))
		return -1;
	snprintf(wal, sizeof(wal), "%s-wal", real);
	snprintf(jnl, sizeof(jnl), "%s-journal", real);
	if (!(proc = opendir("/proc")))
		return -1;
	who[0] = '\0';
	while ((e = readdir(proc))) {
		char fddir[64], link[PATH_MAX + 64], target[PATH_MAX];
		DIR *fds;
		struct dirent *f;
		long pid = strtol(e->d_name, NULL, 10);
		if (pid <= 0 || pid == self)
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
		if (!(fds = opendir(fddir))) {
			denied |= errno == EACCES;
			continue;
		}
		while ((f = readdir(fds))) {
			ssize_t len;
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, f->d_name);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			if (!strcmp(target, real) || !strcmp(target, wal) || !strcmp(target, jnl)) {
				char comm[64] = "?", cpath[64];
				FILE *cf;
				snprintf(cpath, sizeof(cpath), "/proc/%ld/comm", pid);
				if ((cf = fopen(cpath, "r"))) {
					if (fgets(comm, sizeof(comm), cf))
						comm[strcspn(comm, "\n")] = '\0';
					fclose(cf);
				}
				if (used < n)
					used += (size_t)snprintf(who + used, n - used, "%spid %ld (%s)", found ? ", " : "",
								 pid, comm);
				found++;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		if (used < n)
			snprintf(who + used, n - used, " has the file open");
		return 1;
	}
	if (denied) {
		snprintf(who, n, "could not read every process's open files; run as root to be sure");
		return -1;
	}
	snprintf(who, n, "no other process has the file open");
	return 0;
}

int dendrite_probe_running(struct hs *h, db *d, char *who, size_t n)
{
	(void)h;
	db_rows *r;
	long long count;
	int rc;
	if (db_kind(d) == DB_SQLITE)
		return probe_sqlite(db_path(d), who, n);
	r = db_query(d, "other_sessions", NULL, 0);
	if (!r)
		return -1;
	rc = db_step(r);
	if (rc != 1) {
		db_rows_free(r);
		return -1;
	}
	count = db_int(r, 0, NULL);
	if (count > 0)
		snprintf(who, n, "%lld other session(s) on the database%s%s%s", count,
			 db_text(r, 1)[0] ? " [" : "", db_text(r, 1), db_text(r, 1)[0] ? "]" : "");
	else
		snprintf(who, n, "no other sessions on the database");
	db_rows_free(r);
	return count > 0;
}


/* Queued room maintenance: Dendrite's admin endpoints (v0.13.8). purgeRoom
 * answers when the roomserver's rows are gone (it tells the other
 * components itself); --no-purge is evacuateRoom (each local member's own
 * leave) alone: both in a row make Dendrite panic (apply_rooms.c). It has
 * no block, no history purge and no media cache purge. */
static const struct hs_admin_api dendrite_admin_api = {
	.delete_method = "POST",
	.delete_path = "/_dendrite/admin/purgeRoom/%s",
	.evacuate_path = "/_dendrite/admin/evacuateRoom/%s",
	.delete_options = HS_DEL_NO_PURGE,
};

const struct hs_profile hs_dendrite = {
	.name = "dendrite",
	.kind_user = ACCT_USER,
	.kind_admin = ACCT_ADMIN,
	.kind_is_native = 1,
	.display = "Dendrite",
	.version = "Dendrite v0.10.9–v0.13.8",
	.accounts_table = "userapi_accounts",
	.config_file = "dendrite.yaml",
	.notices_detail = "Dendrite creates and manages it (global.server_notices.local_part)",
	.usable_key = "password_usable_by_dendrite",
	.deactivated_null_note = " (Dendrite treats NULL as not active: password login fails)",
	.no_profile_note = "no userapi_profiles row: profile lookups fail for this account",
	.backup_name = "dendrite_userapi",
	.dump_options = "--table='userapi_*' --table='mxdba_*' --file=userapi-$(date +%F).dump",
	.hs_keys = "dendrite_config, server_notices_local_part",
	.db_keys = "default, userapi, roomserver, syncapi, mediaapi, keyserver",
	.config_key = dendrite_config_key,
	.config_finish = dendrite_config_finish,
	.config_free = dendrite_config_free,
	.from_option = "--from-dendrite",
	.config_template = dendrite_config_template,
	.databases = dendrite_databases,
	.open = open_userapi,
	.close = close_userapi,
	.report = report,
	.probe_running = dendrite_probe_running,
	.ready_path = "/_dendrite/monitor/up",
	.apply_parallel = { [DB_POSTGRES] = 2, [DB_SQLITE] = 1 },
	.admin_api = &dendrite_admin_api,
	.account_find = dendrite_account_find,
	.accounts_list = dendrite_accounts_list,
	.create_conflicts = dendrite_create_conflicts,
	.account_create = dendrite_account_create,
	.set_admin = dendrite_set_admin,
	.set_password_hash = dendrite_set_password_hash,
	.set_deactivated = dendrite_set_deactivated,
	.set_display_name = dendrite_set_display_name,
	.deactivate = dendrite_deactivate,
	.after_commit = dendrite_keys_settle,
	.threepids = dendrite_threepids,
	.threepid_owner = dendrite_threepid_owner,
	.threepid_add = dendrite_threepid_add,
	.threepid_remove = dendrite_threepid_remove,
	.revoke_tokens = dendrite_revoke_tokens,
	.profile_get = dendrite_profile_get,
	.devices = dendrite_devices,
	.check_new_localpart = dendrite_check_new_localpart,
	.check_modifiable = dendrite_check_modifiable,
	.check_admin_change = dendrite_check_admin_change,
	.check_reserved = dendrite_check_reserved,
	.password_scheme = dendrite_password_scheme,
	.describe_hash = dendrite_describe_hash,
	.check_scheme = dendrite_check_scheme,
	.rooms_open = dendrite_rooms_open,
	.rooms_of_user = dendrite_rooms_of_user,
	.room_known = dendrite_room_known,
	.members_of_room = dendrite_members_of_room,
	.membership_now = dendrite_membership_now,
	.room_names = dendrite_room_names,
	.report_rooms = dendrite_report_rooms,
	.report_media = dendrite_report_media,
	.token_mint = dendrite_token_mint,
	.token_drop = dendrite_token_drop,
	.bulk_set_admin = dendrite_bulk_set_admin,
	.bulk_taken = dendrite_bulk_taken,
	.bulk_create = dendrite_bulk_create,
	.checks = dendrite_checks,
};
