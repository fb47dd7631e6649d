/* SPDX-License-Identifier: Apache-2.0 */
/* The homeserver-profile interface. Everything that differs between
 * homeservers (Dendrite, Synapse, …) sits behind one table of functions,
 * struct hs_profile, the way SQLite's VFS puts file systems behind
 * sqlite3_vfs: a command holds an opaque struct hs and neutral data
 * (accounts, devices, memberships) and never asks which homeserver it talks
 * to. [homeserver] type picks the profile. A profile lives in its own folder
 * (src/hs/dendrite/) with its statements in sql/PROFILE/; an optional
 * operation is a NULL pointer with a generic fallback here.
 *
 * Functions returning int give 0 (or a count, or 1/0 for found/not found)
 * and -1 with the error recorded (core/err.h). */
#ifndef MXDBA_HS_H
#define MXDBA_HS_H
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "core/mxid.h"
#include "core/password.h"
#include "db/db.h"

struct hs; /* one homeserver: its profile, config and open databases */

/* How a command uses the homeserver (hs_open). */
enum hs_mode {
	HS_READ,         /* reads only: a readable schema is enough */
	HS_REPORT,       /* reads of the server's own tables (report): the account columns are not probed */
	HS_WRITE,        /* one short write: a known schema; a running server is noted where it matters */
	HS_WRITE_ONLINE, /* work that needs the server up (queue apply): no running-server note */
	HS_WRITE_BULK,   /* a long write (batch, import): a running server is always noted */
	HS_INSPECT,      /* `check`: open and detect only, read-only, no schema checks */
	HS_ROOMS,        /* memberships only: the account database is not opened */
};

/* ---- neutral data ---- */

/* What a deactivation removed (hs_deactivate). */
struct hs_deactivation {
	long long tokens;    /* access tokens revoked (Dendrite: devices, each one token) */
	long long devices;   /* devices deleted, with their keys (Dendrite: emptied once the userapi commits) */
	long long keys;      /* device, one-time and fallback keys, dehydrated devices */
	long long pushers, threepids;
	long long hash;      /* password hashes cleared (Synapse's deactivation deletes it) */
	long long data;      /* account data, push rules, ignored users, key backups, delayed events */
	long long bound;     /* 3PIDs bound at an identity server: left bound (that needs HTTP) */
};

struct hs_account {
	char user_id[2 * MXID_MAX + 4]; /* as stored */
	char localpart[MXID_MAX + 1];
	char server[MXID_MAX + 1];
	long long created_ms;
	char *password_hash; /* NULL: SQL NULL */
	char *appservice_id; /* NULL: none */
	int admin;
	int deactivated;     /* 0, 1, or -1 for SQL NULL */
	int locked;          /* 0, 1, or -1: the homeserver has no such flag */
	int shadow_banned;   /* 0, 1, or -1: the homeserver has no such flag */
	struct hs_ratelimit {
		int set;             /* an override exists (Synapse's ratelimit_override row) */
		long long per_second, burst; /* 0 and 0: no limit at all */
	} ratelimit;
	int guest;
	int appservice;      /* an appservice's own account */
	int kind;            /* the homeserver's own code for the kind (Dendrite: account_type), 0 if none */
	const char *kind_name; /* "user", "admin", "guest", "appservice" or "unknown" */
};
void hs_account_clear(struct hs_account *a);

/* A server's rate limit on one account's leaves: PER_SECOND a second once
 * BURST are spent (PER_SECOND 0: none after the burst); FROM names the
 * setting ("rc_message in homeserver.yaml"). */
struct hs_leave_limit {
	double per_second, burst;
	const char *from;
};

/* A row of `user list` (valid during the callback). */
struct hs_account_row {
	const char *user_id, *localpart, *server, *display_name;
	const char *kind_name; /* as in struct hs_account */
	int kind, admin;
	int deactivated; /* 0, 1, -1 NULL */
	long long created_ms;
};
typedef int (*hs_account_fn)(const struct hs_account_row *row, void *user);

struct hs_account_filter {
	int admins_only, deactivated_only, shadow_banned_only;
};

/* A new account (user create, user import, batch). */
struct hs_new_account {
	struct mxid id;
	const char *password_hash; /* "" for none (password login disabled) */
	int admin;
	int deactivated;
	const char *display_name; /* NULL: the homeserver's default (the localpart) */
};

struct hs_device {
	const char *device_id, *display_name, *ip, *user_agent;
	long long last_seen_ms, created_ms;
};
typedef int (*hs_device_fn)(const struct hs_device *d, void *user);

/* A third-party ID of a user (email, msisdn); times 0 where the homeserver keeps none. */
struct hs_threepid {
	const char *medium, *address;
	long long validated_ms, added_ms;
};
typedef int (*hs_threepid_fn)(const struct hs_threepid *t, void *user);

/* Membership states (--membership join,invite,…) as bit flags. */
enum { MS_JOIN = 1, MS_INVITE = 2, MS_LEAVE = 4, MS_BAN = 8, MS_KNOCK = 16, MS_ALL = 31 };
/* with rooms_of_user: the room names and aliases are wanted */
enum { MS_NAMES = 64 };
/* "join,invite" / "all" -> flags. -1 + EX_USAGE. */
int membership_parse(const char *list, unsigned *flags);
/* The flag of a state name ("leave_or_ban" matches both leave and ban). */
unsigned membership_flag(const char *state);

struct hs_membership {
	const char *room_id;
	const char *state;   /* join, invite, leave, ban, knock, leave_or_ban */
	int forgotten;
	int local;           /* members: the member is a user of this homeserver */
	const char *user_id; /* members: the member; rooms: the user */
	int pseudo_id;       /* the membership is under an MSC4014 pseudo ID */
	int have_names;      /* NAME and ALIAS came with the row */
	const char *name, *alias;
};
typedef int (*hs_membership_fn)(const struct hs_membership *m, void *user);

/* `report`: what is big and what is stuck, read-only, streamed. */
struct hs_room_stats {
	const char *room_id, *name, *alias, *version; /* name, alias: NULL when none */
	long long joined_members, joined_local_members, state_events, events, state_groups, state_group_rows,
		forward_extremities, event_bytes;
	long long last_event_ts; /* ms; -1: no event */
};
typedef int (*hs_room_stats_fn)(const struct hs_room_stats *r, void *user);
/* The numeric keys `report rooms --sort` takes (NULL-terminated; the first is the default). */
extern const char *const hs_room_sort_keys[];
struct hs_room_query {
	const char *sort;      /* one of hs_room_sort_keys */
	long long limit;       /* -1: every room */
	int no_local_members;  /* only rooms no local user is joined to */
};
struct hs_media_stats {
	const char *user_id;
	long long media_count, media_bytes;
};
typedef int (*hs_media_stats_fn)(const struct hs_media_stats *m, void *user);
struct hs_update {
	const char *name, *depends_on, *progress; /* depends_on: NULL when none; progress: its JSON */
	long long ordering;
	int blocked;                              /* its depends_on chain comes back to itself: never runs */
};
typedef int (*hs_update_fn)(const struct hs_update *u, void *user);
struct hs_table_size {
	const char *database, *table; /* the component ("synapse", "roomserver"), the table */
	long long rows, bytes;        /* bytes: -1 unknown (no dbstat) */
	int rows_estimated;           /* rows is the planner's estimate, not a count */
};
typedef int (*hs_table_size_fn)(const struct hs_table_size *t, void *user);
/* A registration token (Synapse's registration_tokens), as its admin API shows it. */
struct hs_reg_token {
	const char *token;
	long long uses_allowed;  /* -1: no limit */
	long long pending;       /* registrations that passed the token stage and are not finished */
	long long completed;     /* registrations finished with it */
	long long expiry_ms;     /* -1: never */
};
typedef int (*hs_reg_token_fn)(const struct hs_reg_token *t, void *user);
/* One registration that used a token: a user-interactive auth session the
 * server keeps (Synapse: 48 hours), which no admin API shows. */
struct hs_reg_use {
	const char *session_id;
	long long started_ms;
	const char *username;       /* the localpart asked for, NULL when none was given yet */
	const char *registered;     /* the user ID made, NULL while pending */
};
typedef int (*hs_reg_use_fn)(const struct hs_reg_use *u, void *user);

/* What `check` reports of the database mxdba writes. */
struct hs_report {
	char component[32]; /* "userapi" */
	const char *layout;
	const char *versions_label; /* "dendrite" */
	const char *versions_key;   /* "dendrite_versions" (JSON) */
	void *versions;             /* json_t array, owned by the caller after hs_report */
	char versions_line[512];
	long long accounts, admins, active_admins, deactivated, devices;
	int writable;
	/* more lines of the report: "label", "value" (JSON: the label as key) */
	char extra[4][2][160];
	int nextra;
};

/* A database of the homeserver, for `check`. */
struct hs_component {
	const char *name; /* "userapi" */
	struct dbconf conf;
	int read_only;    /* mxdba only reads it */
};

/* A run of `user promote`/`user demote` IDs (a batch's fast path). */
struct hs_bulk_admin {
	const struct mxid *ids; /* in line order */
	int n;
	int on;                 /* 1 promote, 0 demote */
	/* the check the command makes of ID's account A (NULL: not found):
	 * 1 change it, 0 leave it (already so, or named before), -1 refuse */
	int (*check)(struct hs *h, const struct mxid *id, const struct hs_account *a, void *user);
	/* ID number I (USER_ID) was changed: called in ID order */
	int (*changed)(int i, const char *user_id, void *user);
	void *user;
	int failed; /* the index of the ID whose check or write failed */
};

/* ---- doctor: what the homeserver's rows should never be ---- */

enum hs_severity {
	HS_NOTE,    /* worth knowing; nothing misbehaves */
	HS_WARNING, /* the server will misbehave (at its next start, for some users) */
	HS_ERROR,   /* the server misbehaves now */
};
/* What a check's statements take as $1 / ?1. */
enum hs_check_arg {
	HS_ARG_NONE,
	HS_ARG_SERVER,   /* [homeserver] server_name */
	HS_ARG_MIGRATION, /* the newest migration of mxdba's own tables this binary knows */
	HS_ARG_EXTREMITIES, /* the config's extremities_threshold */
	HS_ARG_STOPPED     /* 1 when the homeserver is seen stopped, else 0 (running or unknown) */
};
/* One check: a row in a table (the profile's `checks`, or hs/doctor.c's
 * for mxdba's own tables) and its named statements. FIND returns the rows
 * concerned as (total, item), the first few only: one set-based query.
 * FIX (none: report only) is up to three statements run in order in the
 * caller's write transaction; each row any of them returns (target, old
 * value, new value) is one audit row of FIELD. */
struct hs_check {
	const char *name;     /* --check NAME */
	enum hs_severity severity;
	const char *what;     /* what is wrong, after the count: "device(s) of accounts that do not exist" */
	const char *why;      /* what the server does with those rows */
	const char *repair;   /* what --fix does, or what to run once decided */
	const char *needs;    /* a table the check reads that may be missing (mxdba's own), or NULL */
	enum hs_check_arg arg;
	const char *find;
	const char *fix[3];
	const char *field;
	/* the cached value a running server keeps serving (hs_check_cached_write), or NULL */
	const char *cached;
	/* 1: its fix writes accounts, profiles or sessions, which another service
	 * may own (hs_accounts_writable) */
	int accounts;
};
/* The Ith of H's checks (the profile's, then mxdba's own), NULL past the last. */
const struct hs_check *hs_check_at(struct hs *h, int i);
/* Run C's FIND: *TOTAL rows concerned, the first MAX named in ITEMS
 * (malloc'd; *NITEMS of them). A missing NEEDS table counts 0. */
int hs_check_find(struct hs *h, const struct hs_check *c, long long *total, char **items, int max, int *nitems);
/* Run C's FIX in the open write transaction; FN(target, old, new) for
 * every row it repaired (the caller writes the audit row); *N their count. */
int hs_check_fix(struct hs *h, const struct hs_check *c,
		 int (*fn)(const char *target, const char *old, const char *new_value, void *), void *user, long long *n);

/* ---- room maintenance through the server's own admin API ---- */

/* The options of a room deletion a server may take (struct hs_admin_api.delete_options). */
enum hs_delete_option {
	HS_DEL_BLOCK = 1 << 0,         /* --block: no one may join the room again */
	HS_DEL_MESSAGE = 1 << 1,       /* --message, with --new-room-user: the room its members are moved to */
	HS_DEL_NO_PURGE = 1 << 2,      /* --no-purge: members removed, the room's data kept */
};
/* The endpoints queue apply calls for queued room maintenance (PATH formats:
 * %s the percent-escaped room id or job id, %lld a time in ms). NULL: the
 * server has no such endpoint. */
struct hs_admin_api {
	/* delete a room: METHOD DELETE_PATH with a JSON body of the options it takes */
	const char *delete_method, *delete_path;
	/* where the job a delete answered (its delete_id) is followed; NULL: the
	 * delete is done when it answers */
	const char *delete_status_path;
	/* --no-purge on a server whose delete is a purge only: its members' leaves (Dendrite's evacuateRoom) */
	const char *evacuate_path;
	unsigned delete_options;
	/* purge a room's history (POST, {purge_up_to_ts, delete_local_events}), its job followed at STATUS */
	const char *purge_history_path, *purge_history_status_path;
	/* purge the cache of remote media last used before a time (POST) */
	const char *purge_media_path;
};
/* The server's own record of a job on a room (Synapse's scheduled_tasks). */
struct hs_room_job {
	char id[64];
	char state[16]; /* scheduled, active, complete, failed */
	char error[320]; /* what the server recorded of a failure ("" none) */
};
enum hs_job_action { HS_JOB_DELETE, HS_JOB_PURGE_HISTORY };
/* A leftover row that makes the server's room deletion fail. */
struct hs_delete_blocker {
	char table[64];        /* where it is */
	long long consumers;   /* pending background updates that will still clear it (0: none will) */
	const char *check;     /* the doctor check that repairs it */
	const char *update;    /* the update that clears it, for the hint */
};

/* ---- the profile ---- */

struct hs_profile {
	const char *name;    /* [homeserver] type */
	int kind_user, kind_admin; /* struct hs_account.kind of a plain user and an admin */
	/* 1: the kind codes are the homeserver's own (Dendrite's account_type), shown
	 * beside the name; 0: mxdba's numbering only (kept in --json for scripts) */
	int kind_is_native;
	const char *display; /* "Dendrite", in messages */
	const char *version; /* "Dendrite v0.13.8", where a message names the release */
	const char *accounts_table; /* where accounts live, in messages ("userapi_accounts") */
	const char *config_file;    /* its own config file, in messages ("dendrite.yaml") */
	const char *notices_detail; /* who owns the server-notices account, in messages */
	/* `user show`: the JSON key saying whether the homeserver can verify the
	 * stored hash, what a NULL deactivated flag means, a missing profile row */
	const char *usable_key, *deactivated_null_note, *no_profile_note;
	/* its deactivation forgets each room it parts the user from (Synapse) */
	int deactivation_forgets;
	/* it case-folds the local part of an email address (Synapse, MSC2265) */
	int email_casefold;
	/* backups of the database mxdba writes: the SQLite copy's file name
	 * prefix, and the pg_dump options (its tables and mxdba's, the file) */
	const char *backup_name, *dump_options;

	/* config: the [homeserver] keys beyond type/server_name/base_dir and the
	 * [database] keys, for error messages ("known: …") */
	const char *hs_keys, *db_keys;
	/* a [homeserver] or [database] key: 1 taken, 0 not a key of this
	 * profile, -1 bad value (MSG gets why) */
	int (*config_key)(struct config *c, const char *section, const char *name, const char *value, char *msg,
			  size_t n);
	/* after the file: the homeserver's own config file merged (ini keys
	 * win), databases resolved, defaults set. -1 + EX_CONFIG error */
	int (*config_finish)(struct config *c);
	void (*config_free)(struct config *c);
	/* `config init --from-PROFILE PATH`: the option, and the body of the
	 * written mxdba.ini (FROM: absolute path of the homeserver's config, or NULL) */
	const char *from_option;
	int (*config_template)(FILE *f, const char *from);
	/* every database configured, the one mxdba writes first (`check`):
	 * how many (at most MAX), or -1 + error when none can be resolved */
	int (*databases)(const struct config *c, struct hs_component *out, int max);

	/* open the database mxdba writes, detect its schema, check it for MODE */
	int (*open)(struct hs *h, enum hs_mode mode);
	void (*close)(struct hs *h);
	int (*report)(struct hs *h, struct hs_report *r);
	/* is a homeserver using database D (H's own, or another of its
	 * databases with H NULL)? 1 yes, 0 no, -1 could not tell; WHO says why */
	int (*probe_running)(struct hs *h, db *d, char *who, size_t n);
	/* where queue apply asks whether the server is up ("/health") */
	const char *ready_path;
	/* queue apply's default --parallel, indexed by enum db_kind (PostgreSQL,
	 * SQLite): the fewest operations at once that reach 90% of the best
	 * throughput `make bench` measured on the real server (BENCHMARKS.md) */
	int apply_parallel[2];
	/* the endpoints of queued room maintenance */
	const struct hs_admin_api *admin_api;
	/* the newest job of ACTION on ROOM_ID the server recorded at or after
	 * SINCE_MS: 1 found (J), 0 none, -1 error. NULL: it keeps no record. */
	int (*room_job)(struct hs *h, const char *room_id, enum hs_job_action action, long long since_ms,
			struct hs_room_job *j);
	/* a row the server's own deletion of ROOM_ID is known to fail on: 1
	 * (B filled), 0 none, -1 error. NULL: none known. */
	int (*room_delete_blocker)(struct hs *h, const char *room_id, struct hs_delete_blocker *b);

	/* accounts */
	int (*account_find)(struct hs *h, const struct mxid *id, struct hs_account *a);
	int (*accounts_list)(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user);
	/* conflicts of a new account (EX_CONFLICT error), besides the account itself */
	int (*create_conflicts)(struct hs *h, const struct mxid *id);
	int (*account_create)(struct hs *h, const struct hs_new_account *a);
	int (*set_admin)(struct hs *h, const struct hs_account *a, int on, long long *changed);
	int (*set_password_hash)(struct hs *h, const struct hs_account *a, const char *hash, long long *changed);
	int (*set_deactivated)(struct hs *h, const struct hs_account *a, int on, long long *changed);
	int (*set_display_name)(struct hs *h, const struct hs_account *a, const char *name);
	/* Synapse's shadow-ban flag and per-user rate-limit override (NULL: none);
	 * RL NULL removes the override */
	int (*set_shadow_banned)(struct hs *h, const struct hs_account *a, int on, long long *changed);
	int (*set_ratelimit)(struct hs *h, const struct hs_account *a, const struct hs_ratelimit *rl, long long *changed);
	/* how fast the server lets A leave rooms through the client API, as
	 * queue apply does (NULL: no limit mxdba knows of); see hs_leave_limit */
	int (*leave_limit)(struct hs *h, const struct hs_account *a, struct hs_leave_limit *l);
	/* schedule the server's own rebuild of its user directory (NULL: none):
	 * FN gets each background update scheduled; one pending already is
	 * -1 + EX_CONFLICT */
	int (*user_dir_rebuild)(struct hs *h, int (*fn)(const char *update, void *user), void *user);
	/* deactivate A as the server's own deactivation does (its rooms aside:
	 * their leaves are queued): login refused, every token revoked, its
	 * devices, keys, pushers and 3PIDs deleted where the server deletes
	 * them; D says what went */
	int (*deactivate)(struct hs *h, const struct hs_account *a, struct hs_deactivation *d);
	/* what follows a commit of the main database in the homeserver's other
	 * databases (Dendrite: a deactivation's keys in the keyserver); NULL:
	 * nothing */
	int (*after_commit)(struct hs *h);
	/* the server's GDPR erasure of a deactivated A (NULL: it has none);
	 * *changed 0 when A was erased already */
	int (*erase)(struct hs *h, const struct hs_account *a, long long *changed);
	/* the homeserver's own lock flag (NULL: it has none) */
	int (*set_locked)(struct hs *h, const struct hs_account *a, int on, long long *changed);
	/* a write of WHAT (admin, deactivated, locked, tokens) that a running
	 * server would not see (it serves a cached value): refused, or with
	 * FORCE only warned about. NULL: the homeserver caches nothing */
	int (*check_cached_write)(struct hs *h, const char *what, int force);
	/* may mxdba change accounts at all (not owned by another service)? NULL: yes */
	int (*accounts_writable)(struct hs *h);
	/* can the homeserver send server notices at all? (NULL: yes) */
	int (*check_notices)(struct hs *h);
	/* every access token (device) of A revoked; *n: how many */
	int (*revoke_tokens)(struct hs *h, const struct hs_account *a, long long *n);
	int (*profile_get)(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url);
	int (*devices)(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user);
	/* the user's 3PIDs; the account owning MEDIUM ADDRESS (*owner malloc'd,
	 * NULL: none); add one (its owner checked first), remove one (*pushers:
	 * the email notification pushers that went with it) */
	int (*threepids)(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user);
	int (*threepid_owner)(struct hs *h, const char *medium, const char *address, char **owner);
	int (*threepid_add)(struct hs *h, const struct hs_account *a, const char *medium, const char *address);
	int (*threepid_remove)(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
			       long long *removed, long long *pushers);

	/* rules */
	int (*check_new_localpart)(const struct mxid *id);
	/* may A be changed at all (appservice accounts, reserved localparts)? */
	int (*check_modifiable)(struct hs *h, const struct hs_account *a, const char *action);
	/* may A's admin flag change (also: not a guest, a known kind)? */
	int (*check_admin_change)(struct hs *h, const struct hs_account *a, const char *verb);
	/* localparts mxdba must not create or modify (appservice namespaces, server notices) */
	int (*check_reserved)(struct hs *h, const char *localpart, const char *full, const char *action);
	/* how the homeserver hashes and checks passwords */
	void (*password_scheme)(const struct config *c, struct pw_scheme *s);
	/* the stored HASH described for people; 1 if the homeserver can verify it */
	int (*describe_hash)(const char *hash, char *buf, size_t n);
	/* refusal of --scheme S (EX_REFUSED / EX_USAGE), 0 if the homeserver takes it */
	int (*check_scheme)(const char *scheme);

	/* memberships (read-only); rooms_open opens their database(s) now */
	int (*rooms_open)(struct hs *h);
	int (*rooms_of_user)(struct hs *h, const char *user_id, unsigned flags, int include_forgotten,
			     hs_membership_fn fn, void *user, int *pseudo);
	int (*room_known)(struct hs *h, const char *room_id);
	int (*members_of_room)(struct hs *h, const char *room_id, unsigned flags, int local_only,
			       int include_forgotten, hs_membership_fn fn, void *user);
	/* the MS_* state of USER_ID in ROOM_ID now (0: none) */
	int (*membership_now)(struct hs *h, const char *room_id, const char *user_id);
	/* ROOM_ID's name and canonical alias (malloc'd, NULL when none), read on
	 * a connection of its own (a listing may be streaming on the main one) */
	int (*room_names)(struct hs *h, const char *room_id, char **name, char **alias);

	/* report: every room's weight (sorted and cut as Q says), local media
	 * per user (SORT "bytes" or "count"), the pending background updates */
	int (*report_rooms)(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user);
	int (*report_media)(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user);
	int (*report_updates)(struct hs *h, hs_update_fn fn, void *user);

	/* a token for queue apply: minted (in the caller's transaction) and dropped */
	int (*token_mint)(struct hs *h, const struct hs_account *a, const char *token, const char *device_id);
	int (*token_drop)(struct hs *h, const char *token);

	/* optional fast paths for many lines (NULL: the per-line path) */
	int (*bulk_set_admin)(struct hs *h, struct hs_bulk_admin *b);
	/* which of IDS are taken (TAKEN[i] = 1); then create them all */
	int (*bulk_taken)(struct hs *h, const struct mxid *ids, int n, char *taken);
	int (*bulk_create)(struct hs *h, const struct hs_new_account *a, int n);

	/* registration tokens (NULL: the homeserver has none): every one (TOKEN
	 * NULL) or one; a new one (a duplicate: -1 + EX_CONFLICT); one removed
	 * (*CHANGED 0 when there was none); the sessions that used one */
	int (*reg_tokens)(struct hs *h, const char *token, hs_reg_token_fn fn, void *user);
	int (*reg_token_create)(struct hs *h, const struct hs_reg_token *t);
	int (*reg_token_delete)(struct hs *h, const char *token, long long *changed);
	int (*reg_token_uses)(struct hs *h, const char *token, hs_reg_use_fn fn, void *user);

	/* doctor: the profile's checks (hs/PROFILE/doctor.c), ending with a NULL name */
	const struct hs_check *checks;
};

/* The profile of [homeserver] type NAME, or NULL. */
const struct hs_profile *hs_profile_find(const char *name);
/* Which homeserver made database D, for the refusal when [homeserver] type
 * names another: the type to set ("synapse"), with WHAT saying what was
 * found ("a Synapse database (schema_version 94)", "Dendrite's roomserver
 * database"); NULL when it is none mxdba knows (or could not tell). Leaves
 * no error behind. */
const char *hs_identify(db *d, char *what, size_t n);
/* The Ith profile (0, 1, …), NULL past the last: for listings. */
const struct hs_profile *hs_profile_at(int i);

/* What a command needs of a profile beyond the operations every profile has
 * (struct command.needs): the optional operations, by name. */
enum hs_need {
	HS_NEED_LOCK = 1 << 0, /* set_locked: the homeserver's own lock flag */
	HS_NEED_ROOM_REPORT = 1 << 1,  /* report_rooms */
	HS_NEED_MEDIA_REPORT = 1 << 2, /* report_media */
	HS_NEED_UPDATES = 1 << 3,      /* report_updates: the server's background updates */
	HS_NEED_PURGE_HISTORY = 1 << 4, /* admin_api->purge_history_path */
	HS_NEED_PURGE_MEDIA = 1 << 5,   /* admin_api->purge_media_path */
	HS_NEED_REG_TOKENS = 1 << 6,    /* reg_tokens and the rest: registration tokens */
	HS_NEED_SHADOW_BAN = 1 << 7,    /* set_shadow_banned (and user list --shadow-banned) */
	HS_NEED_RATELIMIT = 1 << 8,     /* set_ratelimit */
	HS_NEED_DIR_REBUILD = 1 << 9,   /* user_dir_rebuild */
	HS_NEED_ERASE = 1 << 10,        /* erase: GDPR erasure */
};
/* 1 if profile P has everything NEEDS names. */
int hs_profile_supports(const struct hs_profile *p, unsigned needs);
/* "dendrite" (, …): the known types, for messages. */
const char *hs_profile_names(void);
/* The hooks core/config.c calls for homeserver-specific keys. */
const struct config_hooks *hs_config_hooks(void);

/* ---- one homeserver ---- */

/* Open the homeserver of config C for MODE. NULL + error. */
struct hs *hs_open(struct config *c, enum hs_mode mode);
void hs_close(struct hs *h);
const struct hs_profile *hs_profile(const struct hs *h);
struct config *hs_config(const struct hs *h);
/* The database mxdba writes: accounts, and mxdba's own tables (store/). */
db *hs_db(struct hs *h);
/* Its label (password masked), for messages. */
const char *hs_db_label(const struct hs *h);

/* ---- operations (the profile's, with the generic parts) ---- */

/* ROOM_ID's name and canonical alias for people (malloc'd, NULL when the
 * database does not know them or cannot tell); never an error: names are a
 * courtesy, and a failure to read them is warned about once. */
void hs_room_names(struct hs *h, const char *room_id, char **name, char **alias);


int hs_report(struct hs *h, struct hs_report *r);
int hs_probe_running(struct hs *h, db *d, char *who, size_t n);
/* The databases of config C (the one mxdba writes first); free each conf. */
int hs_databases(const struct config *c, struct hs_component *out, int max);
/* Open COMP read-only and ask whether a homeserver uses it: 0 (*running
 * 1/0/-1, WHO why) or -1 + error when it cannot be opened. */
int hs_database_probe(const struct config *c, const struct hs_component *comp, int *running, char *who, size_t n);
/* The pg_dump command line that backs up the database mxdba writes
 * (password masked); malloc'd. */
char *hs_pg_dump_line(const struct hs *h);
/* The file name prefix of SQLite backups ("dendrite_userapi"). */
const char *hs_backup_name(const struct hs *h);

/* Find an account as the homeserver does. 1 found (A filled; clear with
 * hs_account_clear), 0 not found, -1 error. */
int hs_account_find(struct hs *h, const struct mxid *id, struct hs_account *a);
/* The same for an account that must exist: 0 (ID's full form set to the
 * stored one), or -1 with EX_NOTFOUND (hs_err_not_found) or a database error. */
int hs_find_user(struct hs *h, struct mxid *id, struct hs_account *a);
/* The not-found error for ID, with a hint. Returns -1. */
int hs_err_not_found(struct hs *h, const struct mxid *id);
int hs_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user);
int hs_admins_active(struct hs *h, long long *n);
int hs_create_conflicts(struct hs *h, const struct mxid *id);
int hs_account_create(struct hs *h, const struct hs_new_account *a);
int hs_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed);
int hs_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed);
int hs_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed);
int hs_set_display_name(struct hs *h, const struct hs_account *a, const char *name);
int hs_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d);
/* The writes that follow a commit in the homeserver's other databases
 * (write_end and a batch's end call it once the main transaction committed). */
int hs_after_commit(struct hs *h);
/* 3PIDs: see struct hs_profile.threepids. An email ADDRESS is canonical
 * already (hs_email_canonical). */
int hs_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user);
int hs_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner);
int hs_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address);
int hs_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
		       long long *removed, long long *pushers);
/* The form the homeserver stores an email address in (Synapse: trimmed,
 * the local part case-folded, the domain lower-cased; Dendrite: trimmed),
 * in BUF of N bytes. -1 + error (EX_USAGE) if it is no address. */
int hs_email_canonical(struct hs *h, const char *address, char *buf, size_t n);
/* See struct hs_profile.erase (HS_NEED_ERASE checked first). */
int hs_erase(struct hs *h, const struct hs_account *a, long long *changed);
/* The shadow-ban flag and the rate-limit override (RL NULL: removed); the
 * command checks HS_NEED_SHADOW_BAN / HS_NEED_RATELIMIT first. */
int hs_set_shadow_banned(struct hs *h, const struct hs_account *a, int on, long long *changed);
int hs_set_ratelimit(struct hs *h, const struct hs_account *a, const struct hs_ratelimit *rl, long long *changed);
/* How fast the server lets A leave rooms through the client API (queue
 * apply's leaves): 1 limited, L says to what and from where; 0 not limited,
 * or no limit mxdba knows of. */
int hs_leave_limit(struct hs *h, const struct hs_account *a, struct hs_leave_limit *l);
/* "messages_per_second=N burst_count=M", or NULL when RL has no override:
 * how the audit log writes it; and back (0, or -1 when TEXT is not that). */
const char *hs_ratelimit_text(const struct hs_ratelimit *rl, char *buf, size_t n);
/* See struct hs_profile.user_dir_rebuild (HS_NEED_DIR_REBUILD checked first). */
int hs_user_dir_rebuild(struct hs *h, int (*fn)(const char *update, void *user), void *user);
int hs_ratelimit_parse(const char *text, struct hs_ratelimit *rl);
/* The lock flag: -1 + EX_REFUSED when the homeserver has none. */
int hs_set_locked(struct hs *h, const struct hs_account *a, int on, long long *changed);
/* Before a write of WHAT (admin, deactivated, locked, tokens) a running
 * homeserver would not see: 0 go on, -1 + EX_REFUSED. --while-running
 * (hs_set_while_running) turns the refusal into a warning. */
int hs_check_cached_write(struct hs *h, const char *what);
/* 0, or -1 + EX_REFUSED when another service owns the accounts (Synapse with MAS). */
int hs_accounts_writable(struct hs *h);
/* Refusal (EX_REFUSED + hint) when the homeserver has no server notices configured. */
int hs_check_notices(struct hs *h);
void hs_set_while_running(struct hs *h, int yes);
int hs_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n);
int hs_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url);
int hs_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user);

/* The homeserver's registration rules for a new account's localpart. */
int hs_check_new_localpart(const struct config *c, const struct mxid *id);
/* The kind code (struct hs_account.kind) of an admin (ON) or a plain user. */
int hs_admin_kind(const struct hs *h, int on);
int hs_check_modifiable(struct hs *h, const struct hs_account *a, const char *action);
int hs_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb);
int hs_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action);
/* The password scheme of config C (a default one without a config). */
void hs_password_scheme(const struct config *c, struct pw_scheme *s);
int hs_describe_hash(const struct config *c, const char *hash, char *buf, size_t n);
int hs_check_scheme(const struct config *c, const char *scheme);
/* The homeserver's name for messages ("Dendrite"), of config C or the default. */
const char *hs_display(const struct config *c);
/* The release it names in messages ("Dendrite v0.13.8"). */
const char *hs_version(const struct config *c);

int hs_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten, hs_membership_fn fn,
		     void *user, int *pseudo);
/* Open the memberships' database(s) now, so their errors come before a write. */
int hs_rooms_open(struct hs *h);
int hs_room_known(struct hs *h, const char *room_id);
int hs_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only, int include_forgotten,
		       hs_membership_fn fn, void *user);
int hs_membership_now(struct hs *h, const char *room_id, const char *user_id);

int hs_report_rooms(struct hs *h, const struct hs_room_query *q, hs_room_stats_fn fn, void *user);
int hs_report_media(struct hs *h, const char *sort, long long limit, hs_media_stats_fn fn, void *user);
int hs_report_updates(struct hs *h, hs_update_fn fn, void *user);
/* Every table of every database of config C (each opened read-only on its
 * own), biggest first within a database; SQLite adds a row "(free pages)". */
int hs_report_tables(const struct config *c, hs_table_size_fn fn, void *user);

/* Registration tokens: see struct hs_profile.reg_tokens. */
int hs_reg_tokens(struct hs *h, const char *token, hs_reg_token_fn fn, void *user);
int hs_reg_token_create(struct hs *h, const struct hs_reg_token *t);
int hs_reg_token_delete(struct hs *h, const char *token, long long *changed);
int hs_reg_token_uses(struct hs *h, const char *token, hs_reg_use_fn fn, void *user);
/* Would the server accept T now (not expired, not used up)? Its own rule. */
int hs_reg_token_valid(const struct hs_reg_token *t, long long now_ms);

int hs_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id);
int hs_token_drop(struct hs *h, const char *token);
const char *hs_ready_path(const struct hs *h);
/* queue apply's default --parallel for H's server and backend */
int hs_apply_parallel(const struct hs *h);
const struct hs_admin_api *hs_admin_api(const struct hs *h);
/* See struct hs_profile.room_job; 0 when the profile keeps no record. */
int hs_room_job(struct hs *h, const char *room_id, enum hs_job_action action, long long since_ms,
		struct hs_room_job *j);
/* 1 if J is still to run or running (scheduled, active). */
int hs_room_job_running(const struct hs_room_job *j);
/* See struct hs_profile.room_delete_blocker; 0 when the profile knows none. */
int hs_room_delete_blocker(struct hs *h, const char *room_id, struct hs_delete_blocker *b);

/* Fast paths: 1 done, 0 the profile has none (take the per-line path), -1 error. */
int hs_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b);
int hs_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken);
int hs_bulk_create(struct hs *h, const struct hs_new_account *a, int n);
#endif
