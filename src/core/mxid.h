/* SPDX-License-Identifier: Apache-2.0 */
/* Matrix user IDs: parsing `@local:server` or a bare localpart, and
 * room IDs. Which localparts a homeserver registers is its profile's rule. */
#ifndef MXDBA_MXID_H
#define MXDBA_MXID_H
#include <stddef.h>

#define MXID_MAX 254 /* the whole @local:server, in bytes (Dendrite's limit; Matrix allows 255) */

struct mxid {
	char localpart[MXID_MAX + 1];
	char server[MXID_MAX + 1];
	char full[2 * MXID_MAX + 4]; /* room for both parts even when an old row is long */
};

/* Parse IN (a full ID or a bare localpart, which gets SERVER_NAME). The
 * server part must be SERVER_NAME. Lenient about the localpart's characters
 * (existing accounts may predate today's rules). -1 + EX_USAGE error. */
int mxid_parse(const char *in, const char *server_name, struct mxid *out);
/* LOCALPART with ASCII letters lowered into DST (N bytes): the form
 * homeservers look an account up by first. */
void mxid_lower(char *dst, size_t n, const char *localpart);
/* A room ID `!opaque:server`. 0 or -1 + EX_USAGE error. */
int roomid_check(const char *in);
#endif
