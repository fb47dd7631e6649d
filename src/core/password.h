/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords: reading them (prompt, stdin, file, random) into locked memory,
 * Dendrite's length rules, bcrypt ($2a$, via libxcrypt) and argon2id (via
 * libsodium). Passwords are never taken from argv, never printed except a
 * generated one (once), and wiped with pw_free. */
#ifndef MXDBA_PASSWORD_H
#define MXDBA_PASSWORD_H
#include <stddef.h>

#define PW_MIN 8
#define PW_MAX 72 /* bcrypt (and so Dendrite v0.13.8) refuses longer ones */
#define HASH_MAX 256

enum pw_source { PW_NONE, PW_PROMPT, PW_STDIN, PW_FILE, PW_RANDOM, PW_HASH };

/* Once at start-up: libsodium, and no core dumps of a process holding secrets. */
int pw_init(void);
/* Read a password from SRC (FILE for PW_FILE). CONFIRM: a prompt asks twice.
 * Returns locked memory (free with pw_free) or NULL + error. */
char *pw_read(enum pw_source src, const char *file, int confirm, const char *prompt);
void pw_free(char *pw);
/* Dendrite's rules for a new password. -1 + EX_USAGE error. */
int pw_check_new(const char *pw);

/* bcrypt $2a$ at COST into OUT (HASH_MAX). -1 + error. */
int bcrypt_hash(const char *pw, int cost, char *out);
/* Hash N passwords with bcrypt at COST on every core (worker threads), a
 * progress bar labelled LABEL on a terminal. OUT[i] gets HASH_MAX bytes. */
int bcrypt_hash_parallel(char *const *pw, char (*out)[HASH_MAX], int n, int cost, const char *label);
/* argon2id (libsodium defaults: interactive limits) into OUT. */
int argon2id_hash(const char *pw, char *out);
/* 1 match, 0 mismatch, -1 the hash is not one mxdba can check (error set). */
int hash_verify(const char *pw, const char *hash);
/* 1 if H is a bcrypt hash Dendrite can verify ($2a$/$2b$/$2y$, cost 4-31, 60 chars). */
int hash_is_bcrypt(const char *h);
/* Human description of a stored hash: "none", "bcrypt $2a$ cost 10", …;
 * *dendrite_ok says whether Dendrite v0.13.8 can verify it. */
void hash_describe(const char *hash, char *buf, size_t n, int *dendrite_ok);
#endif
