/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the Synapse profile (src/hs/synapse/): its settings from
 * mxdba.ini and homeserver.yaml, the schema facts it detects, the state of
 * an open homeserver, and the functions its files share. Synapse keeps
 * everything in one database; mxdba writes users, profiles, access and
 * refresh tokens, and its own tables. Statements: sql/synapse/. */
#ifndef MXDBA_SYNAPSE_H
#define MXDBA_SYNAPSE_H
#include "hs/hs_impl.h"

/* Schema versions mxdba knows (schema_version.version): Synapse 1.98 to
 * 1.163, each step tested against a real release (tests/releases). */
#define SYNAPSE_SCHEMA_MIN 83
#define SYNAPSE_SCHEMA_MAX 94

/* The settings of [homeserver] and [database] for Synapse (config->hs). */
struct synapse_conf {
	char *yaml;          /* [homeserver] synapse_config: a file, a folder of *.yaml, or a comma list */
	char *db;            /* [database] default (or from homeserver.yaml), as a connection string */
	char *db_from;       /* where db came from, in messages */
	int bcrypt_rounds;   /* bcrypt_rounds (default 12) */
	char *pepper;        /* password_config.pepper */
	int passwords_off;   /* password_config.enabled: false */
	int policy, min_length, need_digit, need_symbol, need_lower, need_upper; /* password_config.policy */
	int mas;             /* matrix_authentication_service.enabled, or experimental_features.msc3861.enabled */
	char *client_url;    /* from listeners: the first http listener with the client resource */
	double rc_per_second, rc_burst; /* rc_message: what limits a user's messages and leaves */
	int rc_from_yaml;    /* read from homeserver.yaml (else Synapse's defaults, 0.2 and 10) */
};
/* rc_message when homeserver.yaml says nothing (Synapse's RatelimitConfig) */
#define RC_MESSAGE_PER_SECOND 0.2
#define RC_MESSAGE_BURST 10.0
#define SCONF(c) ((struct synapse_conf *)(c)->hs)

struct synapse_schema {
	int has_users, has_version;
	long version, compat;   /* schema_version.version, schema_compat_version.compat_version */
	int upgraded;
	char missing[256];      /* columns the schema number promises that are not there */
	int has_stats;          /* user_stats_current */
	int has_deltas;         /* applied_schema_deltas */
	int has_suspended;      /* users.suspended (schema 85, Synapse 1.107) */
	int shape;              /* 1 + the row of schema.c's shapes this database matches; 0: none */
	int shape_read;         /* shape was looked for (on the first layout) */
	char first_user[512];   /* the name of the first user Synapse would read */
};

/* The open homeserver's own state (hs->priv). */
struct synapse {
	struct synapse_schema s;
	int running;     /* probed before the database was opened (SQLite) or on it (PostgreSQL) */
	int writable;    /* h->db was opened for writing */
	db *rooms;       /* memberships are read here: h->db when it reads only, else a second,
			  * read-only connection (a write may happen while a listing streams) */
	db *names;       /* room names for people (hs_room_names): a connection of its own */
	char who[256];
};
#define SYN(h) ((struct synapse *)(h)->priv)

/* How mxdba may use a schema, as Synapse decides what its code runs on. */
enum synapse_fit {
	SYN_FIT_OLDER,    /* below SYNAPSE_SCHEMA_MIN: refused */
	SYN_FIT_KNOWN,    /* MIN to MAX: read and written */
	SYN_FIT_NEWER,    /* above MAX, compat at or below it: read and written as MAX, with a warning */
	SYN_FIT_TOO_NEW,  /* compat above MAX: read where the columns are there, writes refused */
};

/* schema.c */
int synapse_schema_detect(struct hs *h, struct synapse_schema *s, int columns);
enum synapse_fit synapse_schema_fit(const struct synapse_schema *s);
const char *synapse_schema_releases(long schema, char *buf, size_t n);
/* The schema in words, releases included; may read the database the first
 * time, so call it before err_set. */
const char *synapse_schema_layout(struct hs *h, char *buf, size_t n);

/* maintenance.c: queued room maintenance */
extern const struct hs_admin_api synapse_admin_api;
int synapse_room_job(struct hs *h, const char *room_id, enum hs_job_action action, long long since_ms,
		     struct hs_room_job *j);
int synapse_room_delete_blocker(struct hs *h, const char *room_id, struct hs_delete_blocker *b);

/* report.c */
int synapse_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user);
int synapse_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user);
int synapse_report_updates(struct hs *h, hs_update_fn fn, void *user);
int synapse_set_shadow_banned(struct hs *h, const struct hs_account *a, int on, long long *changed);
int synapse_user_dir_rebuild(struct hs *h, int (*fn)(const char *update, void *user), void *user);
int synapse_leave_limit(struct hs *h, const struct hs_account *a, struct hs_leave_limit *l);
int synapse_set_ratelimit(struct hs *h, const struct hs_account *a, const struct hs_ratelimit *rl, long long *changed);
/* tokens.c: registration tokens */
int synapse_reg_tokens(struct hs *h, const char *token, hs_reg_token_fn fn, void *user);
int synapse_reg_token_create(struct hs *h, const struct hs_reg_token *t);
int synapse_reg_token_delete(struct hs *h, const char *token, long long *changed);
int synapse_reg_token_uses(struct hs *h, const char *token, hs_reg_use_fn fn, void *user);

/* config.c */
int synapse_config_key(struct config *c, const char *section, const char *name, const char *value, char *msg,
		       size_t n);
int synapse_config_finish(struct config *c);
void synapse_config_free(struct config *c);
int synapse_config_template(FILE *f, const char *from);
int synapse_databases(const struct config *c, struct hs_component *out, int max);
/* The homeserver.yaml files of PATH (a file, a folder of *.yaml, a comma list), in Synapse's order. */
int synapse_yaml_files(const char *path, char ***files, int *n);

int synapse_check_notices(struct hs *h);

/* bulk.c: the batch fast paths */
int synapse_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b);
int synapse_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken);
int synapse_bulk_create(struct hs *h, const struct hs_new_account *a, int n);

/* profile.c */
/* The connection memberships are read on (opened on first need), or NULL + error. */
db *synapse_rooms_db(struct hs *h);
int synapse_rooms_open(struct hs *h);

/* rooms.c: memberships, read from local_current_membership (a local user's
 * rooms) and current_state_events (a room's members, remote ones too) */
int synapse_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten,
			  hs_membership_fn fn, void *user, int *pseudo);
int synapse_room_known(struct hs *h, const char *room_id);
int synapse_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only,
			    int include_forgotten, hs_membership_fn fn, void *user);
int synapse_membership_now(struct hs *h, const char *room_id, const char *user_id);
int synapse_room_names(struct hs *h, const char *room_id, char **name, char **alias);

/* probe.c */
/* SQLite: does another process hold SQLite's locks on PATH or its -shm? Run
 * before this process opens PATH (closing a descriptor drops its own locks). */
int synapse_probe_file(const char *path, char *who, size_t n);
int synapse_probe_running(struct hs *h, db *d, char *who, size_t n);

/* accounts.c */
int synapse_account_find(struct hs *h, const struct mxid *id, struct hs_account *a);
int synapse_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user);
int synapse_create_conflicts(struct hs *h, const struct mxid *id);
int synapse_account_create(struct hs *h, const struct hs_new_account *a);
int synapse_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed);
int synapse_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed);
int synapse_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed);
int synapse_set_locked(struct hs *h, const struct hs_account *a, int on, long long *changed);
int synapse_set_display_name(struct hs *h, const struct hs_account *a, const char *name);
int synapse_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url);
/* -1 + EX_REFUSED when accounts belong to MAS (matrix_authentication_service). */
int synapse_accounts_writable(struct hs *h);

/* devices.c */
int synapse_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d);
int synapse_erase(struct hs *h, const struct hs_account *a, long long *changed);
int synapse_unerase(struct hs *h, const struct hs_account *a);
int synapse_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n);
int synapse_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user);
int synapse_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id);
int synapse_token_drop(struct hs *h, const char *token);

/* rules.c */
int synapse_check_new_localpart(const struct mxid *id);
int synapse_check_modifiable(struct hs *h, const struct hs_account *a, const char *action);
int synapse_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb);
int synapse_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action);
void synapse_password_scheme(const struct config *c, struct pw_scheme *s);
int synapse_describe_hash(const char *hash, char *buf, size_t n);
int synapse_check_scheme(const char *scheme);
int synapse_check_cached_write(struct hs *h, const char *what, int force);
/* doctor.c */
extern const struct hs_check synapse_checks[]; /* ends with a NULL name */
int synapse_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user);
int synapse_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner);
int synapse_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address);
int synapse_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
			        long long *removed, long long *pushers);

#endif
