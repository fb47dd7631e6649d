/* SPDX-License-Identifier: Apache-2.0 */
/* `user import`'s CSV rows checked as data (importrow.h). */
#include "importrow.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/password.h"
#include "core/util.h"

static const char *const col_names[C_COUNT] = { "user", "password_hash", "password", "admin", "display_name",
						"deactivated" };

int import_header(char *const *fields, int nf, int map[C_COUNT], char *why, size_t n)
{
	for (int i = 0; i < C_COUNT; i++)
		map[i] = -1;
	for (int i = 0; i < nf; i++) {
		int k;
		for (k = 0; k < C_COUNT; k++)
			if (!strcmp(fields[i], col_names[k]))
				break;
		if (k == C_COUNT || map[k] >= 0) {
			snprintf(why, n, "%s column \"%.40s\"", k == C_COUNT ? "unknown" : "duplicate",
				 text_is_clean(fields[i]) ? fields[i] : "(not clean text)");
			return -1;
		}
		map[k] = i;
	}
	if (map[C_USER] < 0) {
		snprintf(why, n, "the header has no user column");
		return -1;
	}
	return 0;
}

/* "", 1/true/yes/t, 0/false/no/f (any case): *OUT -1, 1 or 0; -1 otherwise. */
static int parse_bool(const char *v, int *out)
{
	if (!*v)
		*out = -1;
	else if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "t"))
		*out = 1;
	else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "f"))
		*out = 0;
	else
		return -1;
	return 0;
}

int import_check(const char *const *v, const char *server_name, size_t pwmin, size_t pwmax,
		 struct import_values *out, char *why, size_t n)
{
	size_t pwlen = strlen(v[C_PASSWORD]);
	for (int k = 0; k < C_COUNT; k++)
		if (!text_is_clean(v[k]))
			return snprintf(why, n, "control characters or invalid UTF-8"), -1;
	if (mxid_parse(v[C_USER], server_name, &out->id) < 0) {
		err_clear();
		return snprintf(why, n, "user: not a local user ID or localpart"), -1;
	}
	if (*v[C_HASH] && *v[C_PASSWORD])
		return snprintf(why, n, "both password and password_hash are set"), -1;
	if (*v[C_HASH] && !hash_is_bcrypt(v[C_HASH]))
		return snprintf(why, n, "password_hash is not a bcrypt hash ($2a$/$2b$/$2y$, cost 04-31, 60 characters)"),
		       -1;
	if (*v[C_PASSWORD] && (pwlen < pwmin || pwlen > pwmax))
		return snprintf(why, n, "password must be %zu to %zu bytes", pwmin, pwmax), -1;
	if (parse_bool(v[C_ADMIN], &out->admin) < 0 || parse_bool(v[C_DEACT], &out->deact) < 0)
		return snprintf(why, n, "admin and deactivated take true/false/1/0/yes/no"), -1;
	if (strlen(v[C_DISPLAY]) > IMPORT_MAX_DISPLAY)
		return snprintf(why, n, "display_name is longer than %d bytes", IMPORT_MAX_DISPLAY), -1;
	return 0;
}
