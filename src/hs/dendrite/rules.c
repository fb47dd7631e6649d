/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite's rules: which localparts it registers, which accounts mxdba
 * must leave alone (appservice accounts and namespaces, the server-notices
 * account), and how it hashes and checks passwords (bcrypt $2a$ at
 * user_api.bcrypt_cost, 8 to 72 bytes). */
#include "dendrite.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

int dendrite_check_new_localpart(const struct mxid *id)
{
	const char *p;
	int digits_only = 1;
	for (p = id->localpart; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_-+=./", *p);
		if (*p >= 'A' && *p <= 'Z') {
			err_set(EX_USAGE, "localpart \"%s\" has uppercase letters", id->localpart);
			err_detail("Dendrite only accepts lowercase localparts for new accounts");
			return err_hint("use the lowercase form");
		}
		if (!ok && (unsigned char)*p >= 0x80) {
			err_set(EX_USAGE, "localpart \"%s\" contains non-ASCII characters, which Dendrite refuses",
				id->localpart);
			return err_detail("allowed characters: a-z 0-9 _ - + = . /");
		}
		if (!ok) {
			err_set(EX_USAGE, "localpart \"%s\" contains '%c', which Dendrite refuses", id->localpart, *p);
			return err_detail("allowed characters: a-z 0-9 _ - + = . /");
		}
		if (!(*p >= '0' && *p <= '9'))
			digits_only = 0;
	}
	if (id->localpart[0] == '_') {
		err_set(EX_USAGE, "localpart \"%s\" starts with '_'", id->localpart);
		return err_detail("Dendrite reserves localparts starting with '_' (e.g. the server-notices account)");
	}
	if (digits_only) {
		err_set(EX_USAGE, "localpart \"%s\" is all digits", id->localpart);
		return err_detail("all-digit localparts are reserved for guest accounts");
	}
	return 0;
}

/* Accounts mxdba must not modify: appservice accounts (type 4) and reserved localparts. */
int dendrite_check_modifiable(struct hs *h, const struct hs_account *a, const char *action)
{
	if (a->kind == ACCT_APPSERVICE) {
		err_set(EX_REFUSED, "refusing to %s %s: it is an appservice account (account_type 4)", action, a->user_id);
		err_detail("appservice %s authenticates with its as_token; type 4 exempts it from rate limits",
			   a->appservice_id ? a->appservice_id : "(unknown)");
		return err_hint("change the appservice's registration file instead");
	}
	return dendrite_check_reserved(h, a->localpart, a->user_id, action);
}

int dendrite_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb)
{
	if (dendrite_check_modifiable(h, a, verb) < 0)
		return -1;
	if (a->kind == ACCT_GUEST)
		return err_set(EX_REFUSED, "refusing to %s %s: it is a guest account (account_type 2)", verb, a->user_id);
	if (a->kind != ACCT_USER && a->kind != ACCT_ADMIN)
		return err_set(EX_REFUSED, "refusing to %s %s: unknown account_type %d", verb, a->user_id, a->kind);
	return 0;
}

void dendrite_password_scheme(const struct config *c, struct pw_scheme *s)
{
	s->server = "Dendrite";
	s->prefix = "$2a$";
	s->cost = c ? c->bcrypt_cost : 10;
	s->min = 8;
	s->max = 72; /* bcrypt (and so Dendrite v0.13.8) refuses longer ones */
	s->max_detail = "bcrypt uses only 72 bytes and Dendrite v0.13.8 refuses longer passwords, so the account could "
			"never log in";
	s->bad_hash_detail = "Dendrite answers such a login with HTTP 500; reset it with `mxdba user passwd`";
}

int dendrite_describe_hash(const char *hash, char *buf, size_t n)
{
	char kind[64];
	switch (hash_kind(hash, kind, sizeof(kind))) {
	case HASH_NULL:
		snprintf(buf, n, "NULL (Dendrite cannot read it: logins fail with 500)");
		return 0;
	case HASH_BCRYPT:
		snprintf(buf, n, "%s", kind);
		return 1;
	case HASH_NONE:
		snprintf(buf, n, "%s", kind);
		return 0;
	default:
		snprintf(buf, n, "%s (Dendrite cannot verify it)", kind);
		return 0;
	}
}

int dendrite_check_scheme(const char *scheme)
{
	if (!strcmp(scheme, "bcrypt"))
		return 0;
	if (!strcmp(scheme, "argon2id")) {
		err_set(EX_REFUSED, "refusing to store an argon2id hash on Dendrite");
		err_detail("Dendrite v0.13.8 verifies only bcrypt: the user could no longer log in");
		return err_hint("leave out --scheme (bcrypt is the default)");
	}
	return err_set(EX_USAGE, "unknown --scheme %s (known: bcrypt, argon2id)", scheme);
}

int dendrite_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	const struct config *c = h->cfg;
	for (int i = 0; i < c->n_senders; i++)
		if (!strcmp(localpart, c->as_senders[i])) {
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
			err_detail("namespace regex \"%s\" from the appservice registration in dendrite.yaml", c->as_regex[i]);
			return err_hint("accounts in an exclusive namespace belong to the appservice");
		}
	}
	if (!strcmp(localpart, c->notices_local_part)) {
		err_set(EX_REFUSED, "refusing to %s %s: it is the server-notices account", action, full);
		err_detail("Dendrite creates and manages it (global.server_notices.local_part)");
		return err_hint("it is not a login account; for an admin create one: mxdba user create @root:%s --admin",
				c->server_name ? c->server_name : "example.org");
	}
	return 0;
}
