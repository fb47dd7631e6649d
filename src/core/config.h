/* SPDX-License-Identifier: Apache-2.0 */
/* mxdba.ini: search order, parsing (inih), validation of the keys every
 * homeserver shares, and connection-string helpers. Keys that belong to one
 * homeserver ([homeserver] dendrite_config, the [database] keys, …) are
 * handed to the homeserver profile through struct config_hooks, so this file
 * knows no homeserver. Errors name the file and line. */
#ifndef MXDBA_CONFIG_H
#define MXDBA_CONFIG_H
#include <stddef.h>


struct hs_profile; /* opaque here: src/hs/hs.h */

/* The database engines mxdba speaks (src/db/ implements them). */
enum db_kind { DB_POSTGRES, DB_SQLITE };

struct config {
	char *path;        /* the file that was read */
	char *dir;         /* its directory */
	char *hs_type;     /* [homeserver] type */
	const struct hs_profile *profile; /* the profile of hs_type */
	void *hs;          /* the profile's own settings (its config_key/config_finish) */
	void (*hs_free)(struct config *c); /* frees them */
	char *server_name;
	const char *server_name_from; /* "mxdba.ini", or the homeserver's config file name */
	char *base_dir;    /* relative SQLite paths resolve here; default: config dir */
	int bcrypt_cost;   /* 4..31, default 10 */
	int bcrypt_cost_set;
	char *server_url;  /* [server] url, default http://localhost:8008 */
	char *notice_admin; /* [server] admin_user: sends server notices */
	char *backup_dir;   /* [safety] backup_dir; default: <database file's folder>/mxdba-backups */
	int backup_keep;    /* [safety] backup_keep, default 5 */
	int extremities_threshold; /* forward extremities a room may have before the server acts (Synapse's
				    * dummy_events_threshold, default 10) */
	/* accounts mxdba never creates or modifies, filled by the profile: the
	 * server-notices account, exclusive appservice user namespaces (regex,
	 * owning appservice id) and appservice senders */
	char *notices_local_part;
	char **as_regex, **as_owner;
	int n_as;
	char **as_senders;
	int n_senders;
};

/* How config.c reaches the homeserver profiles without knowing them. */
struct config_hooks {
	/* the profile of [homeserver] type TYPE, or NULL */
	const struct hs_profile *(*profile)(const char *type);
	/* the known types, for messages ("dendrite") */
	const char *(*types)(void);
	/* the profile's extra keys of SECTION ("dendrite_config, …"), for messages */
	const char *(*keys)(const struct hs_profile *p, const char *section);
	/* a key of SECTION this file does not know: 1 taken, 0 unknown, -1 bad value (MSG: why) */
	int (*key)(struct config *c, const char *section, const char *name, const char *value, char *msg, size_t n);
	/* after the whole file: the homeserver's own config merged, defaults set. -1 + error */
	int (*finish)(struct config *c);
	void (*free)(struct config *c);
};

/* Find and read the config: EXPLICIT (-c) if given, else $MXDBA_CONFIG,
 * ./mxdba.ini, /etc/mxdba/mxdba.ini. NULL + error (EX_CONFIG) on failure. */
struct config *config_load(const char *explicit_path, const struct config_hooks *hooks);
/* Parse one named file (no search). */
struct config *config_parse_file(const char *path, const struct config_hooks *hooks);
void config_free(struct config *c);
/* Add a reserved appservice namespace / sender (profiles, while finishing). */
void config_add_namespace(struct config *c, const char *regex, const char *owner);
void config_add_sender(struct config *c, const char *localpart);
/* Is LOCALPART an appservice's sender_localpart? */
int config_is_sender(const struct config *c, const char *localpart);
/* Is VALUE of [database] key NAME a connection string mxdba knows (file: or
 * PostgreSQL)? 1 yes; -1 no, with the message in MSG (password masked). */
int config_check_dsn(const char *name, const char *value, char *msg, size_t n);
/* Resolve a path from the config (absolute, or relative to its folder); malloc'd. */
char *config_path_of(const struct config *c, const char *value);

/* One database, resolved. */
struct dbconf {
	enum db_kind kind;
	char *target; /* conninfo (PG) or absolute file path (SQLite) */
	char *label;  /* what messages show: password masked */
	int from_default;
};
/* Resolve the connection string DSN (a file: path resolved against C's
 * base_dir, or a PostgreSQL string) into OUT. WHAT names it in errors.
 * -1 + EX_CONFIG error. */
int dbconf_resolve(const struct config *c, const char *dsn, const char *what, struct dbconf *out);
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
