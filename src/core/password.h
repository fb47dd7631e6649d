/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords: reading them (prompt, stdin, file, random) into locked memory,
 * a homeserver's rules (struct pw_scheme, from its profile), bcrypt (via
 * libxcrypt) and argon2id (via libsodium). Passwords are never taken from argv, never printed except a
 * generated one (once), and wiped with pw_free. */
#ifndef MXDBA_PASSWORD_H
#define MXDBA_PASSWORD_H
#include <stddef.h>

#define HASH_MAX 256

enum pw_source { PW_NONE, PW_PROMPT, PW_STDIN, PW_FILE, PW_RANDOM, PW_HASH };

/* How a homeserver hashes and checks passwords (filled by its profile). */
struct pw_scheme {
	const char *server;          /* "Dendrite": messages name the homeserver */
	const char *prefix;          /* the bcrypt variant written: "$2a$" */
	int cost;                    /* bcrypt cost of new hashes */
	size_t min, max;             /* a new password's length (bytes, or characters with CHARS) */
	int chars;                   /* MIN and MAX count Unicode characters */
	const char *max_detail;      /* why a longer one is refused */
	const char *bad_hash_detail; /* what the server does with a hash it cannot verify */
	/* what is hashed: the password normalised to NFKC (NFKC), with PEPPER
	 * appended (NULL: none), cut to 72 bytes (bcrypt's input) */
	int nfkc;
	const char *pepper;
	/* a password policy (Synapse's password_config.policy): each a rule when set */
	int need_digit, need_symbol, need_lower, need_upper;
	const char *policy_source;   /* where the policy comes from, in messages */
	const char *disabled;        /* non-NULL: password logins are off, and why */
};

/* Once at start-up: libsodium, and no core dumps of a process holding secrets. */
int pw_init(void);
/* Read a password from SRC (FILE for PW_FILE). CONFIRM: a prompt asks twice.
 * Returns locked memory (free with pw_free) or NULL + error. */
char *pw_read(enum pw_source src, const char *file, int confirm, const char *prompt);
void pw_free(char *pw);
/* The homeserver's rules for a new password. -1 + EX_USAGE error. */
int pw_check_new(const struct pw_scheme *s, const char *pw);
/* A new hash of PW as the homeserver writes them, into OUT (HASH_MAX). */
int pw_hash(const struct pw_scheme *s, const char *pw, char *out);
/* PW against the stored HASH: 1 match, 0 mismatch, -1 a hash mxdba cannot
 * check (error set, with what the homeserver does with it). */
int pw_verify(const struct pw_scheme *s, const char *pw, const char *hash);
/* Hash N passwords as S says on every core (worker threads), a progress bar
 * labelled LABEL on a terminal. OUT[i] gets HASH_MAX bytes. */
int pw_hash_parallel(const struct pw_scheme *s, char *const *pw, char (*out)[HASH_MAX], int n, const char *label);

/* bcrypt with PREFIX ("$2a$", "$2b$") at COST into OUT (HASH_MAX). -1 + error. */
int bcrypt_hash(const char *pw, const char *prefix, int cost, char *out);
/* argon2id (libsodium defaults: interactive limits) into OUT. */
int argon2id_hash(const char *pw, char *out);
/* 1 match, 0 mismatch, -1 the hash is not bcrypt or argon2id (error set). */
int hash_verify(const char *pw, const char *hash);
/* 1 if H is a bcrypt hash ($2a$/$2b$/$2y$, cost 4-31, 60 chars). */
int hash_is_bcrypt(const char *h);
/* What a stored hash is, in words ("bcrypt $2a$ cost 10", "argon2id",
 * "none", "NULL", "unknown scheme"). */
enum hash_kind { HASH_NULL, HASH_NONE, HASH_BCRYPT, HASH_ARGON2ID, HASH_UNKNOWN };
enum hash_kind hash_kind(const char *hash, char *buf, size_t n);
#endif
