/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite profile: schema detection (Dendrite v0.13.8: the db_migrations
 * rows of userapi/storage/{postgres,sqlite3}/deltas and the tables they rename), server-running
 * probe, account lookup. Never writes roomserver or syncapi tables. */
#include "dendrite.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
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
	struct schema *s = &h->s;
	db_arg a[1];
	db_rows *r = db_query(h->user, "schema_facts", NULL, 0);
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
		return rc < 0 ? -1 : err_set(EX_DB, "internal: schema_facts returned no row on %s", h->udc.label);
	if (s->has_migrations) {
		a[0] = DB_ARG_TEXT("userapi: server names populate");
		if ((s->has_populate = exists(h->user, "migration_exists", a, 1)) < 0)
			return -1;
	}
	return 0;
}

const char *hs_layout(const struct schema *s)
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

int hs_check_readable(struct hs *h)
{
	const struct schema *s = &h->s;
	if (s->has_accounts && s->has_server_name && s->has_account_type)
		return 0;
	err_set(EX_REFUSED, "unsupported schema in %s", h->udc.label);
	err_detail("found: %s; needed: userapi_accounts with server_name and account_type (Dendrite v0.10.8+)",
		   hs_layout(s));
	if (s->has_old_accounts)
		return err_hint("this database predates v0.10.4; start Dendrite v0.13.x once to migrate it, then run mxdba");
	return err_hint("check that [database] userapi points at Dendrite's user_api.account_database");
}

int hs_check_writable(struct hs *h)
{
	const struct schema *s = &h->s;
	const char *missing = NULL;
	if (hs_check_readable(h) < 0)
		return -1;
	if (!s->has_migrations)
		missing = "no db_migrations table";
	else if (!s->has_populate)
		missing = "no 'userapi: server names populate' row in db_migrations";
	else if (s->has_old_accounts)
		missing = "an old account_accounts table next to userapi_accounts";
	if (!missing)
		return 0;
	err_set(EX_REFUSED, "refusing to write: the schema in %s is not one mxdba knows", h->udc.label);
	err_detail("found %s (%s); needed: a database migrated by Dendrite v0.10.8 or later", missing, hs_layout(s));
	return err_hint("start Dendrite v0.13.x once so it finishes its migrations, stop it, and run mxdba again");
}

struct hs *hs_connect(struct config *cfg, int write)
{
	struct hs *h = xcalloc(1, sizeof(*h));
	h->cfg = cfg;
	if (config_db(cfg, COMP_USERAPI, &h->udc) < 0)
		goto fail;
	h->user = db_open(h->udc.kind, h->udc.target, h->udc.label, !write);
	if (!h->user)
		goto fail;
	if (detect(h) < 0)
		goto fail;
	return h;
fail:
	hs_close(h);
	return NULL;
}

struct hs *hs_open(struct config *cfg, int write)
{
	struct hs *h = hs_connect(cfg, write);
	if (!h)
		return NULL;
	if ((write ? hs_check_writable(h) : hs_check_readable(h)) < 0)
		goto fail;
	if (write == HS_WRITE_BULK || (write == HS_WRITE && db_kind(h->user) == DB_POSTGRES)) {
		char who[256];
		if (hs_probe_running(h->user, who, sizeof(who)) == 1) {
			if (write == HS_WRITE_BULK && db_kind(h->user) == DB_SQLITE)
				warnx_("the homeserver seems to be running (%s); it waits while this holds the write lock, "
				       "so stop it first for a long batch or import", who);
			else
				warnx_("the homeserver seems to be running (%s); account changes take effect at once", who);
		}
	}
	return h;
fail:
	hs_close(h);
	return NULL;
}

void hs_close(struct hs *h)
{
	if (!h)
		return;
	db_close(h->user);
	dbconf_free(&h->udc);
	free(h);
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

int hs_probe_running(db *d, char *who, size_t n)
{
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

void hs_account_from_row(const db_rows *r, struct account *a)
{
	int isnull;
	str_copy(a->localpart, sizeof(a->localpart), db_text(r, 0));
	str_copy(a->server_name, sizeof(a->server_name), db_text(r, 1));
	a->created_ts = db_int(r, 2, NULL);
	a->password_hash = db_text(r, 3) ? xstrdup(db_text(r, 3)) : NULL;
	a->appservice_id = db_text(r, 4) ? xstrdup(db_text(r, 4)) : NULL;
	a->deactivated = (int)db_int(r, 5, &isnull);
	if (isnull)
		a->deactivated = -1;
	a->type = (int)db_int(r, 6, NULL);
}

static int account_get(struct hs *h, const char *localpart, const char *server, struct account *a)
{
	db_arg args[2] = { DB_ARG_TEXT(localpart), DB_ARG_TEXT(server) };
	db_rows *r = db_query(h->user, "account_get", args, 2);
	int rc;
	if (!r)
		return -1;
	if ((rc = db_step(r)) == 1)
		hs_account_from_row(r, a);
	db_rows_free(r);
	return rc;
}

int hs_account_find(struct hs *h, const struct mxid *id, struct account *a)
{
	char lower[MXID_MAX + 1];
	int rc;
	memset(a, 0, sizeof(*a));
	mxid_lower(lower, sizeof(lower), id->localpart);
	rc = account_get(h, lower, id->server, a);
	if (rc == 0 && strcmp(lower, id->localpart))
		rc = account_get(h, id->localpart, id->server, a);
	return rc;
}

int hs_find_user(struct hs *h, struct mxid *id, struct account *a)
{
	int rc = hs_account_find(h, id, a);
	if (rc == 0)
		hs_err_not_found(h, id);
	if (rc <= 0)
		return -1;
	snprintf(id->full, sizeof(id->full), "@%s:%s", a->localpart, a->server_name);
	return 0;
}

void account_clear(struct account *a)
{
	free(a->password_hash);
	free(a->appservice_id);
	memset(a, 0, sizeof(*a));
}

int hs_err_not_found(struct hs *h, const struct mxid *id)
{
	err_set(EX_NOTFOUND, "user %s not found in userapi_accounts", id->full);
	err_detail("database %s, server_name %s", h->udc.label, h->cfg->server_name);
	return err_hint("list accounts with `mxdba user list`, or check [homeserver] server_name");
}

const char *account_type_name(int type)
{
	switch (type) {
	case ACCT_USER:
		return "user";
	case ACCT_GUEST:
		return "guest";
	case ACCT_ADMIN:
		return "admin";
	case ACCT_APPSERVICE:
		return "appservice";
	default:
		return "unknown";
	}
}

int hs_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	const struct config *c = h->cfg;
	for (int i = 0; i < c->n_senders; i++)
		if (!strcmp(localpart, c->as_senders[i])) {
			err_set(EX_REFUSED, "refusing to %s %s: it is an appservice sender (sender_localpart)", action, full);
			return err_hint("change the appservice's registration file instead");
		}
	for (int i = 0; i < c->n_as; i++) {
		regex_t re;
		int match;
		if (regcomp(&re, c->as_regex[i], REG_EXTENDED | REG_NOSUB) != 0) {
			err_set(EX_REFUSED, "cannot check %s against appservice %s's namespace \"%s\"", full,
				c->as_owner[i], c->as_regex[i]);
			err_detail("the regex is not valid POSIX ERE; mxdba refuses rather than guess");
			return err_hint("manage this account through the appservice, or fix the regex in its registration file");
		}
		match = regexec(&re, full, 0, NULL, 0) == 0;
		regfree(&re);
		if (match) {
			err_set(EX_REFUSED, "refusing to %s %s: it is in appservice %s's exclusive namespace", action, full,
				c->as_owner[i]);
			err_detail("namespace regex \"%s\" from the appservice registration in dendrite.yaml", c->as_regex[i]);
			return err_hint("accounts in an exclusive namespace belong to the appservice");
		}
	}
	if (!strcmp(localpart, c->notices_local_part)) {
		err_set(EX_REFUSED, "refusing to %s %s: it is the server-notices account", action, full);
		err_detail("Dendrite creates and manages it (global.server_notices.local_part)");
		return err_hint("it is not a login account; for an admin create one: mxdba user create @root:%s --admin",
				c->server_name ? c->server_name : "example.org");
	}
	return 0;
}
