/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse's rules: the localparts it registers, the accounts mxdba leaves
 * alone (appservice users, namespaces and senders, the server-notices
 * account), how it hashes and checks passwords (bcrypt $2b$ at
 * bcrypt_rounds over NFKC(password) + pepper, cut to 72 bytes; the
 * password_config policy), and the values a running Synapse caches. */
#include "synapse.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

int synapse_check_new_localpart(const struct mxid *id) { return hs_rules_new_localpart(id, "Synapse"); }

int synapse_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	return hs_rules_reserved(h, localpart, full, action);
}

int synapse_check_modifiable(struct hs *h, const struct hs_account *a, const char *action)
{
	if (a->appservice) {
		err_set(EX_REFUSED, "refusing to %s %s: it is an appservice account (users.appservice_id)", action, a->user_id);
		err_detail("appservice %s registered it and acts for it with its as_token",
			   a->appservice_id ? a->appservice_id : "(unknown)");
		return err_hint("change it through the appservice instead");
	}
	return hs_rules_reserved(h, a->localpart, a->user_id, action);
}

int synapse_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb)
{
	if (synapse_check_modifiable(h, a, verb) < 0)
		return -1;
	if (a->guest)
		return err_set(EX_REFUSED, "refusing to %s %s: it is a guest account (users.is_guest)", verb, a->user_id);
	return 0;
}

void synapse_password_scheme(const struct config *c, struct pw_scheme *s)
{
	const struct synapse_conf *sc = c ? c->hs : NULL;
	s->server = "Synapse";
	s->prefix = "$2b$";
	s->cost = c ? c->bcrypt_cost : 12;
	s->chars = 1;
	s->min = 1;
	s->max = 512; /* Synapse refuses longer ones on registration and password change */
	s->max_detail = "Synapse refuses passwords over 512 characters";
	s->bad_hash_detail = "Synapse cannot verify such a hash: password logins of this account fail";
	s->nfkc = 1;
	if (!sc)
		return;
	s->pepper = sc->pepper;
	if (sc->policy) {
		if (sc->min_length > 1)
			s->min = (size_t)sc->min_length;
		s->need_digit = sc->need_digit;
		s->need_symbol = sc->need_symbol;
		s->need_lower = sc->need_lower;
		s->need_upper = sc->need_upper;
		s->policy_source = "homeserver.yaml (password_config.policy)";
	}
	if (sc->mas)
		s->disabled = "its accounts belong to the Matrix Authentication Service (use `mas-cli manage set-password`)";
	else if (sc->passwords_off)
		s->disabled = "password_config.enabled is false in homeserver.yaml";
}

int synapse_describe_hash(const char *hash, char *buf, size_t n)
{
	return hs_rules_describe_bcrypt(hash, "Synapse", "no password: password login refused", buf, n);
}

int synapse_check_scheme(const char *scheme) { return hs_rules_check_bcrypt_only(scheme, "Synapse", "Synapse (1.98 to 1.163)"); }

/* A running Synapse serves admin, deactivated, locked and deleted tokens
 * from its caches until every process restarts (hot entries never expire). */
int synapse_check_cached_write(struct hs *h, const char *what, int force)
{
	struct synapse *sy = SYN(h);
	if (sy->running != 1)
		return 0;
	if (force) {
		warnx_("Synapse is running (%s): it keeps serving the cached %s until every Synapse process restarts",
		       sy->who, what);
		return 0;
	}
	err_set(EX_REFUSED, "refusing to change %s while Synapse runs", what);
	err_detail("%s; a running Synapse serves %s from its cache and would not see the change until every "
		   "Synapse process restarts", sy->who, what);
	return err_hint("stop Synapse first; or use its admin API (PUT /_synapse/admin/v2/users/USER); or add "
			"--while-running to write anyway and restart every Synapse process after");
}

/* Synapse sends server notices only with server_notices configured (it
 * then owns the system_mxid_localpart account and the notice rooms). */
int synapse_check_notices(struct hs *h)
{
	if (h->cfg->notices_local_part && *h->cfg->notices_local_part)
		return 0;
	err_set(EX_REFUSED, "this Synapse sends no server notices: server_notices is not configured");
	err_detail("no server_notices.system_mxid_localpart in %s, and no server_notices_local_part in [homeserver]",
		   SCONF(h->cfg)->yaml ? SCONF(h->cfg)->yaml : "mxdba.ini");
	return err_hint("add to homeserver.yaml `server_notices: {system_mxid_localpart: notices}` and restart "
			"Synapse, then queue the notice again");
}
