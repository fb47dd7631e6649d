/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/hs: the struct behind the opaque struct hs, shared by the
 * generic layer (hs.c) and the profiles. Commands never include this. */
#ifndef MXDBA_HS_IMPL_H
#define MXDBA_HS_IMPL_H
#include "hs.h"

struct hs {
	const struct hs_profile *p;
	struct config *cfg;
	enum hs_mode mode;
	int while_running;  /* --while-running: cached writes warned about, not refused */
	struct dbconf conf; /* the database mxdba writes */
	db *db;             /* open unless the profile opened none (memberships only) */
	void *priv;         /* the profile's own state */
};

/* The Matrix grammar for a new account's localpart; SERVER names the
 * homeserver in messages. -1 + EX_USAGE. */
int hs_rules_new_localpart(const struct mxid *id, const char *server);
/* Appservice senders and exclusive namespaces, the server-notices account,
 * from the config (profile's config_file and notices_detail in messages). */
int hs_rules_reserved(struct hs *h, const char *localpart, const char *full, const char *action);
/* A stored hash in words for `user show`: 1 when SERVER can verify it;
 * NULL_NOTE says what SERVER does with a NULL hash. */
int hs_rules_describe_bcrypt(const char *hash, const char *server, const char *null_note, char *buf, size_t n);
/* --scheme for a homeserver that verifies bcrypt only (SERVER_VERSION names it in the refusal). */
int hs_rules_check_bcrypt_only(const char *scheme, const char *server, const char *server_version);

/* The database H opened is not the configured homeserver's: when it is
 * another's (hs_identify), refuse naming it and the type to set (-1 +
 * EX_REFUSED); 0 when it is no other homeserver's mxdba knows. */
int hs_refuse_other_type(struct hs *h);

/* report.c: the rows of a profile's room or media report statement (the
 * columns in the order of struct hs_room_stats / hs_media_stats) to FN;
 * R is freed. 0, or -1 (a database error, or FN's). */
int hs_report_room_rows(db_rows *r, hs_room_stats_fn fn, void *user);
int hs_report_media_rows(db_rows *r, hs_media_stats_fn fn, void *user);

/* Batch fast paths (bulk.c). May ID's guarded UPDATE stand for the check
 * of `user promote`/`demote`: a lowercase, unreserved localpart? */
int hs_bulk_guarded_ok(struct hs *h, const struct mxid *id);
/* ID number I of B the slow way: looked up, checked as the command checks
 * it, changed with the profile's set_admin, reported. */
int hs_bulk_admin_one(struct hs *h, struct hs_bulk_admin *b, int i);
/* The profile's guarded one-row UPDATE: changes ID's flag to ON only where
 * the command's check would (*N = 1), else leaves it (*N = 0). */
typedef int (*hs_guarded_set_fn)(struct hs *h, const struct mxid *id, int on, long long *n);
/* Every ID of B in order: the guarded SET first, the slow way when it
 * changed nothing. */
int hs_bulk_admin_rows(struct hs *h, struct hs_bulk_admin *b, hs_guarded_set_fn set);

/* The profiles (one line each in hs.c's table). */
extern const struct hs_profile hs_dendrite;
extern const struct hs_profile hs_synapse;
#endif
