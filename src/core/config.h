/* SPDX-License-Identifier: Apache-2.0 */
/* mxdba.ini: search order, parsing (inih), validation, and resolution of each
 * homeserver component's database. Errors name the file and line. */
#ifndef MXDBA_CONFIG_H
#define MXDBA_CONFIG_H
#include "db/db.h"

enum component { COMP_USERAPI, COMP_ROOMSERVER, COMP_SYNCAPI, COMP_COUNT };
extern const char *const component_names[COMP_COUNT];

struct config {
	char *path;        /* the file that was read */
	char *dir;         /* its directory */
	char *hs_type;     /* "dendrite" */
	char *server_name;
	char *base_dir;    /* relative SQLite paths resolve here; default: config dir */
	char *db_default;
	char *db_comp[COMP_COUNT];
	int bcrypt_cost;   /* 4..31, default 10 */
	int bcrypt_cost_set;
	char *server_url;  /* [server] url, default http://localhost:8008 */
	char *notice_admin; /* [server] admin_user: sends server notices */
	char *backup_dir;   /* [safety] backup_dir; default: <userapi file's folder>/mxdba-backups */
	int backup_keep;    /* [safety] backup_keep, default 5 */
	char *notices_local_part; /* server-notices account, default _server */
	char *dendrite_config;    /* [homeserver] dendrite_config: Dendrite's own YAML */
	/* exclusive appservice user namespaces (regex, owning appservice id) and senders */
	char **as_regex, **as_owner;
	int n_as;
	char **as_senders;
	int n_senders;
	/* where each value came from, for `check` */
	const char *server_name_from; /* "mxdba.ini" or "dendrite.yaml" */
};

/* One component's database, resolved. */
struct dbconf {
	enum db_kind kind;
	char *target; /* conninfo (PG) or absolute file path (SQLite) */
	char *label;  /* what messages show: password masked */
	int from_default;
};

/* Find and read the config: EXPLICIT (-c) if given, else $MXDBA_CONFIG,
 * ./mxdba.ini, /etc/mxdba/mxdba.ini. NULL + error (EX_CONFIG) on failure. */
struct config *config_load(const char *explicit_path);
/* Parse one named file (no search). */
struct config *config_parse_file(const char *path);
void config_free(struct config *c);

/* Resolve COMP's database. 0 on success; -1 + EX_CONFIG error if none is configured. */
int config_db(const struct config *c, enum component comp, struct dbconf *out);
void dbconf_free(struct dbconf *dc);

/* DSN with any password replaced by ****; malloc'd. */
char *dsn_mask(const char *dsn);
/* 1 if the DSN carries a password. */
int dsn_has_password(const char *dsn);
/* Classify a [database] string: 0 ok (kind set), -1 unknown form. */
int dsn_kind(const char *dsn, enum db_kind *kind);
/* Path of a `file:` string, resolved against BASE when relative; malloc'd. */
char *sqlite_path(const char *dsn, const char *base);
#endif
