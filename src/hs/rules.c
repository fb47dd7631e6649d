/* SPDX-License-Identifier: Apache-2.0 */
/* Rules that hold for every homeserver, in each one's words: the Matrix
 * grammar for the localpart of a new account, and the accounts mxdba leaves
 * alone (appservice senders and exclusive namespaces, the server-notices
 * account) as the profile's config lists them. */
#include "hs_impl.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int hs_rules_new_localpart(const struct mxid *id, const char *server)
{
	const char *p;
	int digits_only = 1;
	for (p = id->localpart; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_-+=./", *p);
		if (*p >= 'A' && *p <= 'Z') {
			err_set(EX_USAGE, "localpart \"%s\" has uppercase letters", id->localpart);
			err_detail("%s only accepts lowercase localparts for new accounts", server);
			return err_hint("use the lowercase form");
		}
		if (!ok && (unsigned char)*p >= 0x80) {
			err_set(EX_USAGE, "localpart \"%s\" contains non-ASCII characters, which %s refuses",
				id->localpart, server);
			return err_detail("allowed characters: a-z 0-9 _ - + = . /");
		}
		if (!ok) {
			err_set(EX_USAGE, "localpart \"%s\" contains '%c', which %s refuses", id->localpart, *p, server);
			return err_detail("allowed characters: a-z 0-9 _ - + = . /");
		}
		if (!(*p >= '0' && *p <= '9'))
			digits_only = 0;
	}
	if (id->localpart[0] == '_') {
		err_set(EX_USAGE, "localpart \"%s\" starts with '_'", id->localpart);
		return err_detail("%s reserves localparts starting with '_' (e.g. the server-notices account)", server);
	}
	if (digits_only) {
		err_set(EX_USAGE, "localpart \"%s\" is all digits", id->localpart);
		return err_detail("all-digit localparts are reserved for guest accounts");
	}
	return 0;
}

int hs_rules_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	const struct config *c = h->cfg;
	if (config_is_sender(c, localpart)) {
		err_set(EX_REFUSED, "refusing to %s %s: it is an appservice sender (sender_localpart)", action, full);
		return err_hint("change the appservice's registration file instead");
	}
	for (int i = 0; i < c->n_as; i++) {
		regex_t re;
		int match;
		if (regcomp(&re, c->as_regex[i], REG_EXTENDED | REG_NOSUB) != 0) {
			err_set(EX_REFUSED, "cannot check %s against appservice %s's namespace \"%s\"", full,
				c->as_owner[i], c->as_regex[i]);
			err_detail("the regex is not valid POSIX ERE; mxdba refuses rather than guess");
			return err_hint("manage this account through the appservice, or fix the regex in its registration file");
		}
		match = regexec(&re, full, 0, NULL, 0) == 0;
		regfree(&re);
		if (match) {
			err_set(EX_REFUSED, "refusing to %s %s: it is in appservice %s's exclusive namespace", action, full,
				c->as_owner[i]);
			err_detail("namespace regex \"%s\" from the appservice registration in %s", c->as_regex[i],
				   h->p->config_file);
			return err_hint("accounts in an exclusive namespace belong to the appservice");
		}
	}
	if (c->notices_local_part && !strcmp(localpart, c->notices_local_part)) {
		err_set(EX_REFUSED, "refusing to %s %s: it is the server-notices account", action, full);
		err_detail("%s", h->p->notices_detail);
		return err_hint("it is not a login account; for an admin create one: mxdba user create @root:%s --admin",
				c->server_name ? c->server_name : "example.org");
	}
	return 0;
}

int hs_rules_describe_bcrypt(const char *hash, const char *server, const char *null_note, char *buf, size_t n)
{
	char kind[64];
	switch (hash_kind(hash, kind, sizeof(kind))) {
	case HASH_NULL:
		snprintf(buf, n, "NULL (%s)", null_note);
		return 0;
	case HASH_BCRYPT:
		snprintf(buf, n, "%s", kind);
		return 1;
	case HASH_NONE:
		snprintf(buf, n, "%s", kind);
		return 0;
	default:
		snprintf(buf, n, "%s (%s cannot verify it)", kind, server);
		return 0;
	}
}

int hs_rules_check_bcrypt_only(const char *scheme, const char *server, const char *server_version)
{
	if (!strcmp(scheme, "bcrypt"))
		return 0;
	if (!strcmp(scheme, "argon2id")) {
		err_set(EX_REFUSED, "refusing to store an argon2id hash on %s", server);
		err_detail("%s verifies only bcrypt: the user could no longer log in", server_version);
		return err_hint("leave out --scheme (bcrypt is the default)");
	}
	return err_set(EX_USAGE, "unknown --scheme %s (known: bcrypt, argon2id)", scheme);
}
