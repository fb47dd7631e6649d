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

int dendrite_check_new_localpart(const struct mxid *id) { return hs_rules_new_localpart(id, "Dendrite"); }

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
	return hs_rules_describe_bcrypt(hash, "Dendrite", "Dendrite cannot read it: logins fail with 500", buf, n);
}

int dendrite_check_scheme(const char *scheme) { return hs_rules_check_bcrypt_only(scheme, "Dendrite", "Dendrite v0.13.8"); }

int dendrite_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	return hs_rules_reserved(h, localpart, full, action);
}
