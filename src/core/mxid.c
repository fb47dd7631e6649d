/* SPDX-License-Identifier: Apache-2.0 */
/* User ID parsing and validation. Pure functions; no database access. */
#include "mxid.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "util.h"

int mxid_parse(const char *in, const char *server_name, struct mxid *out)
{
	const char *local = in, *colon;
	size_t llen;
	memset(out, 0, sizeof(*out));
	if (!in || !*in)
		return err_set(EX_USAGE, "empty user ID");
	if (strlen(in) > MXID_MAX + 1) {
		err_set(EX_USAGE, "user ID is %zu bytes long; Matrix allows at most %d", strlen(in), MXID_MAX);
		return err_hint("check the argument; user IDs look like @alice:%s", server_name);
	}
	if (!text_is_clean(in)) {
		err_set(EX_USAGE, "user ID contains control characters or invalid UTF-8");
		return err_hint("user IDs look like @alice:%s or just alice", server_name);
	}
	if (in[0] == '@') {
		local = in + 1;
		colon = strchr(local, ':');
		if (!colon) {
			err_set(EX_USAGE, "user ID \"%s\" has no server part", in);
			return err_hint("write @%s:%s, or just the localpart %s", local, server_name, local);
		}
		if (strcmp(colon + 1, server_name)) {
			err_set(EX_USAGE, "user %s is not local to this homeserver", in);
			err_detail("[homeserver] server_name is %s", server_name);
			return err_hint("mxdba only manages local accounts; check the ID or [homeserver] server_name");
		}
		llen = (size_t)(colon - local);
	} else {
		if (strchr(in, ':') || strchr(in, '@')) {
			err_set(EX_USAGE, "\"%s\" is neither a user ID nor a localpart", in);
			return err_hint("write @alice:%s or just alice", server_name);
		}
		llen = strlen(in);
	}
	if (llen == 0)
		return err_set(EX_USAGE, "user ID \"%s\" has an empty localpart", in);
	if (llen + strlen(server_name) + 2 > MXID_MAX) {
		err_set(EX_USAGE, "user ID @%.*s:%s is longer than %d bytes", (int)(llen > 40 ? 40 : llen), local,
			server_name, MXID_MAX);
		return err_detail("homeservers refuse user IDs over %d bytes", MXID_MAX);
	}
	memcpy(out->localpart, local, llen);
	str_copy(out->server, sizeof(out->server), server_name);
	/* fits: llen + strlen(server_name) + 2 <= MXID_MAX was checked above */
	out->full[0] = '@';
	memcpy(out->full + 1, local, llen);
	out->full[llen + 1] = ':';
	str_copy(out->full + llen + 2, sizeof(out->full) - llen - 2, server_name);
	return 0;
}

/* A room ID: '!', an opaque part, and ":server" up to room version 11;
 * from version 12 the opaque part alone (the create event's hash, 43
 * characters). Never parsed for a server name. */
int roomid_check(const char *in)
{
	const char *colon = in ? strchr(in, ':') : NULL;
	if (!in || in[0] != '!' || !in[1] || colon == in + 1 || (colon && !colon[1]) || strlen(in) > 255 ||
	    !text_is_clean(in) || strpbrk(in, " \t")) {
		if (in && !text_is_clean(in))
			err_set(EX_USAGE, "a room ID with control characters or invalid UTF-8 is not a room ID");
		else
			err_set(EX_USAGE, "\"%.300s\" is not a room ID", in ? in : "");
		return err_hint("room IDs look like !abcdef:example.org, or since room version 12 !<43 characters> "
				"(aliases such as #room:server are not accepted)");
	}
	return 0;
}

void mxid_lower(char *dst, size_t n, const char *localpart)
{
	str_copy(dst, n, localpart);
	for (char *p = dst; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}
