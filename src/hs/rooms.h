/* SPDX-License-Identifier: Apache-2.0 */
/* Memberships from Dendrite's roomserver database (read-only): membership
 * filters, streaming of a user's rooms (including MSC4014 pseudo-ID rooms)
 * and of a room's members, and room names from the sync API. */
#ifndef MXDBA_ROOMS_H
#define MXDBA_ROOMS_H
#include "core/config.h"
#include "db/db.h"

enum {
	MS_JOIN = 1,
	MS_INVITE = 2,
	MS_LEAVE = 4,
	MS_BAN = 8,
	MS_KNOCK = 16,
	MS_ALL = 31,
};

/* "join,invite" / "all" -> flags. -1 + EX_USAGE. */
int membership_parse(const char *list, unsigned *flags);
/* Flag of a state name from the SQL ("leave_or_ban" matches both). */
unsigned membership_flag(const char *state);
/* Bit mask over Dendrite's membership_nid values for FLAGS. */
long long membership_nid_mask(unsigned flags);

/* Open component COMP read-only and check it holds roomserver (or syncapi)
 * tables. NULL + error. OPTIONAL (syncapi): NULL without an error when unset. */
db *rooms_open_roomserver(struct config *c);
db *rooms_open_syncapi(struct config *c);

struct room_row {
	const char *room_id;
	const char *state;    /* join, invite, leave, ban, knock, leave_or_ban */
	int forgotten;
	int local;            /* members: target is local */
	const char *user_id;  /* members: the member; rooms: the user */
	int pseudo_id;        /* the membership is under an MSC4014 pseudo ID */
	int have_names;       /* rooms: NAME and ALIAS came with the row (joined) */
	const char *name, *alias;
};
typedef int (*room_fn)(const struct room_row *row, void *user);

/* Stream USER_ID's rooms whose state is in FLAGS. FN returning <0 stops.
 * *pseudo gets how many pseudo-ID rooms were found. 0 or -1. */
int rooms_of_user(db *rs, const char *user_id, unsigned flags, int include_forgotten, room_fn fn, void *user,
		  int *pseudo);
/* Make room names come with rooms_of_user's rows when the sync API tables
 * can be joined on the roomserver connection RS (SQLite: the syncapi file is
 * attached read-only; PostgreSQL: both components share one database).
 * 1 joined, 0 not possible (use room_name_alias), -1 error. */
int rooms_join_names(db *rs, struct config *c);
/* 0 if ROOM_ID is in roomserver_rooms, else -1 + EX_NOTFOUND (or a DB error). */
int room_known(db *rs, const char *room_id);
/* Stream ROOM_ID's members. 0, -1 (error), or EX_NOTFOUND error if no such room. */
int members_of_room(db *rs, const char *room_id, unsigned flags, int local_only, int include_forgotten, room_fn fn,
		    void *user);
/* Current membership_nid of USER_ID in ROOM_ID (0 if none), or -1. */
int membership_now(db *rs, const char *room_id, const char *user_id);
/* Name and canonical alias of ROOM_ID from the sync API (malloc'd or NULL). */
int room_name_alias(db *sync, const char *room_id, char **name, char **alias);
#endif
