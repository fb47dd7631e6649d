/* SPDX-License-Identifier: Apache-2.0 */
/* `user import`'s CSV rows as data: the header's columns and each line's
 * fields checked on their own (no database). The command adds what needs
 * the homeserver (does the account exist, would its rules take the
 * localpart). Fuzzed with the CSV reader by tests/fuzz/fuzz_csv.c. */
#ifndef MXDBA_IMPORTROW_H
#define MXDBA_IMPORTROW_H
#include <stddef.h>

#include "core/mxid.h"

enum import_col { C_USER, C_HASH, C_PASSWORD, C_ADMIN, C_DISPLAY, C_DEACT, C_COUNT };
#define IMPORT_COLUMNS "user, password_hash, password, admin, display_name, deactivated"
/* The longest display_name taken, in bytes. */
#define IMPORT_MAX_DISPLAY 256

/* Map the header's NF FIELDS to MAP (the field of each column, -1 absent).
 * 0, or -1 with WHY: an unknown or repeated column, no user column. */
int import_header(char *const *fields, int nf, int map[C_COUNT], char *why, size_t n);

/* One line's values, checked. */
struct import_values {
	struct mxid id;
	int admin, deact; /* 1, 0, or -1 unset */
};
/* V holds each column's text ("" when absent). 0 with OUT, or -1 with WHY:
 * not clean text, not a local user ID, both or a bad password/hash, a
 * password outside PWMIN..PWMAX bytes, a bad flag, a long display name. */
int import_check(const char *const *v, const char *server_name, size_t pwmin, size_t pwmax,
		 struct import_values *out, char *why, size_t n);
#endif
