/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the Dendrite v0.13.x profile (src/hs/dendrite/): its
 * components and settings, the schema facts it detects, and the functions
 * its files share. mxdba writes only userapi tables; the roomserver and
 * syncapi databases are opened read-only. Statements: sql/dendrite/. */
#ifndef MXDBA_DENDRITE_H
#define MXDBA_DENDRITE_H
#include "hs/hs_impl.h"

enum dendrite_component { COMP_USERAPI, COMP_ROOMSERVER, COMP_SYNCAPI, COMP_MEDIAAPI, COMP_KEYSERVER, COMP_COUNT };
extern const char *const dendrite_components[COMP_COUNT];

/* userapi_accounts.account_type */
enum account_type { ACCT_USER = 1, ACCT_GUEST = 2, ACCT_ADMIN = 3, ACCT_APPSERVICE = 4 };

/* The settings of [homeserver] and [database] for Dendrite (config->hs). */
struct dendrite_conf {
	char *yaml; /* [homeserver] dendrite_config */
	char *db_default;
	char *db_comp[COMP_COUNT];
};
#define DCONF(c) ((struct dendrite_conf *)(c)->hs)

struct schema {
	int has_migrations;   /* db_migrations table */
	int has_populate;     /* 'userapi: server names populate' row */
	int has_accounts;     /* userapi_accounts */
	int has_old_accounts; /* account_accounts (before v0.10.4) */
	int has_goose;        /* goose_db_version (before v0.9.0) */
	int has_server_name;  /* userapi_accounts.server_name */
	int has_account_type; /* userapi_accounts.account_type */
};

/* The open homeserver's own state (hs->priv). */
struct dendrite {
	struct schema s;
	db *rs;           /* roomserver, opened read-only on first need */
	db *sync;         /* syncapi, when its names cannot be joined on rs */
	int names_tried;  /* rooms_join_names ran */
	int names_joined; /* room names come with rs's membership rows */
	int sync_tried;   /* room_names tried to open sync */
	db *media;        /* mediaapi, opened read-only by report media */
	db *keys;         /* keyserver, opened read-write by a deactivation (keys.c) */
	struct key_drop *drops; /* the deactivated users whose device keys go once the userapi commits */
};
#define DEN(h) ((struct dendrite *)(h)->priv)

/* config.c */
int dendrite_config_key(struct config *c, const char *section, const char *name, const char *value, char *msg,
			size_t n);
int dendrite_config_finish(struct config *c);
void dendrite_config_free(struct config *c);
int dendrite_config_template(FILE *f, const char *from);
int dendrite_databases(const struct config *c, struct hs_component *out, int max);
/* 1 when component COMP has a database (its own key, or default). */
int dendrite_configured(const struct config *c, enum dendrite_component comp);
/* The database of component COMP. -1 + EX_CONFIG when none is configured. */
int dendrite_db(const struct config *c, enum dendrite_component comp, struct dbconf *out);

/* rooms.c: open component COMP (READONLY: read-only), checked by
 * CHECK_STMT (WHAT names it in the refusal); the roomserver connection for
 * a report, with *NAMES 1 when the sync API's tables can be joined on it */
db *dendrite_open_component(const struct config *c, enum dendrite_component comp, const char *check_stmt,
			     const char *what, int readonly);

/* keys.c: a deactivation of A notes its devices (and counts A's keys in
 * *KEYS) before they are deleted; once the userapi commits, settle empties
 * their keys in the keyserver database (one transaction); forget drops the
 * notes (a dry run, a rollback) */
int dendrite_keys_drop_later(struct hs *h, const struct hs_account *a, long long *keys);
int dendrite_keys_settle(struct hs *h);
void dendrite_keys_forget(struct hs *h);
db *dendrite_report_db(struct hs *h, int *names);

/* report.c */
int dendrite_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user);
int dendrite_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user);

/* profile.c */
int dendrite_probe_running(struct hs *h, db *d, char *who, size_t n);

/* accounts.c */
int dendrite_account_find(struct hs *h, const struct mxid *id, struct hs_account *a);
/* The account in the current row of a statement that selects localpart,
 * server_name, created_ts, password_hash, appservice_id, is_deactivated,
 * account_type (account_get, accounts_get_many). */
void dendrite_account_from_row(const db_rows *r, struct hs_account *a);
/* The name of an account_type ("user", "admin", "guest", "appservice", "unknown"). */
const char *dendrite_kind_name(int type);
int dendrite_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user);
int dendrite_create_conflicts(struct hs *h, const struct mxid *id);
int dendrite_account_create(struct hs *h, const struct hs_new_account *a);
int dendrite_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed);
int dendrite_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed);
int dendrite_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed);
int dendrite_set_display_name(struct hs *h, const struct hs_account *a, const char *name);
int dendrite_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url);

/* devices.c */
int dendrite_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d);
int dendrite_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n);
int dendrite_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user);
int dendrite_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id);
int dendrite_token_drop(struct hs *h, const char *token);

/* rules.c */
int dendrite_check_new_localpart(const struct mxid *id);
int dendrite_check_modifiable(struct hs *h, const struct hs_account *a, const char *action);
int dendrite_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb);
int dendrite_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action);
void dendrite_password_scheme(const struct config *c, struct pw_scheme *s);
int dendrite_describe_hash(const char *hash, char *buf, size_t n);
int dendrite_check_scheme(const char *scheme);

/* rooms.c */
int dendrite_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten,
			   hs_membership_fn fn, void *user, int *pseudo);
int dendrite_room_known(struct hs *h, const char *room_id);
int dendrite_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only,
			     int include_forgotten, hs_membership_fn fn, void *user);
int dendrite_membership_now(struct hs *h, const char *room_id, const char *user_id);
int dendrite_room_names(struct hs *h, const char *room_id, char **name, char **alias);
int dendrite_rooms_open(struct hs *h);
void dendrite_rooms_close(struct hs *h);

/* bulk.c */
int dendrite_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b);
int dendrite_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken);
int dendrite_bulk_create(struct hs *h, const struct hs_new_account *a, int n);
/* doctor.c */
extern const struct hs_check dendrite_checks[]; /* ends with a NULL name */
int dendrite_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user);
int dendrite_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner);
int dendrite_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address);
int dendrite_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
			         long long *removed, long long *pushers);

#endif
