/* SPDX-License-Identifier: Apache-2.0 */
/* The Dendrite v0.13.x profile: which databases to open, what schema is
 * there, whether the server seems to run, and account access. Writes only
 * userapi tables; roomserver and syncapi are opened read-only. */
#ifndef MXDBA_DENDRITE_H
#define MXDBA_DENDRITE_H
#include <stddef.h>
#include "core/config.h"
#include "core/mxid.h"
#include "db/db.h"

enum account_type { ACCT_USER = 1, ACCT_GUEST = 2, ACCT_ADMIN = 3, ACCT_APPSERVICE = 4 };

struct schema {
	int has_migrations;     /* db_migrations table */
	int has_populate;       /* 'userapi: server names populate' row */
	int has_accounts;       /* userapi_accounts */
	int has_old_accounts;   /* account_accounts (before v0.10.4) */
	int has_goose;          /* goose_db_version (before v0.9.0) */
	int has_server_name;    /* userapi_accounts.server_name */
	int has_account_type;   /* userapi_accounts.account_type */
};

struct hs {
	struct config *cfg;
	struct dbconf udc;
	db *user;
	struct schema s;
};

struct account {
	char localpart[MXID_MAX + 1];
	char server_name[MXID_MAX + 1];
	long long created_ts;
	char *password_hash; /* NULL if SQL NULL */
	char *appservice_id;
	int deactivated;     /* 0, 1, or -1 for NULL */
	int type;
};

/* Open the userapi database and detect its schema. WRITE (HS_WRITE): the
 * command will change it, so an unknown schema is refused; a running server
 * is noted on PostgreSQL (on SQLite a short write next to a running Dendrite
 * is safe, see sqlite.c, and the /proc scan would be most of a promote's
 * cost). HS_WRITE_BULK: the same, and on SQLite too a running server is
 * noted (a long batch holds the lock Dendrite waits for). HS_WRITE_ONLINE:
 * for work that needs the server up (queue apply), so no note. */
enum { HS_READ = 0, HS_WRITE = 1, HS_WRITE_ONLINE = 2, HS_WRITE_BULK = 3 };
struct hs *hs_open(struct config *cfg, int write);
/* Open and detect only, without the schema checks (for `check`). */
struct hs *hs_connect(struct config *cfg, int write);
void hs_close(struct hs *h);
/* Describe the layout in a sentence ("Dendrite v0.10.8+ (userapi_*, server_name)"). */
const char *hs_layout(const struct schema *s);
/* -1 + EX_REFUSED error when the schema is not one mxdba may write. */
int hs_check_writable(struct hs *h);
/* -1 + EX_REFUSED error when even reading accounts is not possible. */
int hs_check_readable(struct hs *h);

/* Is a homeserver using database D? 1 yes, 0 no, -1 could not tell.
 * WHO gets a short description (pids or session count). */
int hs_probe_running(db *d, char *who, size_t n);

/* Find an account as Dendrite does: lowercase localpart first, then exact.
 * 1 found (A filled; free with account_clear), 0 not found, -1 error. */
int hs_account_find(struct hs *h, const struct mxid *id, struct account *a);
/* The account in the current row of a statement that selects localpart,
 * server_name, created_ts, password_hash, appservice_id, is_deactivated,
 * account_type (account_get, accounts_get_many). */
void hs_account_from_row(const db_rows *r, struct account *a);
/* The same, for an account that must exist: 0 (ID's full form set to the
 * stored one), or -1 with EX_NOTFOUND or a database error. */
int hs_find_user(struct hs *h, struct mxid *id, struct account *a);
void account_clear(struct account *a);
/* Not found error for ID, with a hint. Returns -1. */
int hs_err_not_found(struct hs *h, const struct mxid *id);
const char *account_type_name(int type);
/* Localparts mxdba must not create or modify: appservice senders and exclusive
 * namespaces (from dendrite.yaml), the server-notices account. -1 + EX_REFUSED. */
int hs_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action);
#endif
