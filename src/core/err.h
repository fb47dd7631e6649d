/* SPDX-License-Identifier: Apache-2.0 */
/* Errors and exit codes. One pending error per process: a failing function
 * records message / DETAIL / HINT (PostgreSQL's message style) and returns -1; main prints it
 * once and exits with its code. Never put a password in an error. */
#ifndef MXDBA_ERR_H
#define MXDBA_ERR_H

enum exit_code {
	EX_OK = 0,
	EX_FAIL = 1,      /* internal or unexpected failure */
	EX_USAGE = 2,     /* bad command line or argument */
	EX_CONFIG = 3,    /* config file missing, unreadable or invalid */
	EX_NOTFOUND = 4,  /* user (or other object) does not exist */
	EX_CONFLICT = 5,  /* object already exists */
	EX_REFUSED = 6,   /* refused by a safety rule (schema, account kind, confirmation) */
	EX_DB = 7,        /* database could not be opened or a statement failed */
	EX_MISMATCH = 8,  /* password does not match (verify-password) */
	EX_SERVER = 9,    /* the homeserver's HTTP API did not answer, or answered garbage */
	EX_QUEUE = 10,    /* queue apply ran, but some queued operations failed */
	EX_FINDINGS = 11, /* doctor found errors (warnings and notes alone exit 0) */
};

/* Record an error (replaces any pending one). printf-style. Returns -1. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add the DETAIL / HINT line to the pending error. Return -1. */
int err_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append TEXT to the DETAIL line ("; " between). */
void err_detail_more(const char *text);
int err_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the pending error's message (e.g. "line 12: "). */
void err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The pending error's exit code, or EX_FAIL if none is pending. */
int err_code(void);
int err_pending(void);
/* Print the pending error to stderr as message/DETAIL/HINT and clear it. */
void err_print(void);
void err_clear(void);

/* Messages on stderr: warnings always (unless -q), info unless -q, debug with -v. */
extern int g_verbosity; /* -1 quiet, 0 normal, 1+ verbose */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void infox(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debugx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
