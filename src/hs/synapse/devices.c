/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse devices and tokens: devices rows (what `user show` lists, with
 * the last IP, user agent and time Synapse records from user_ips), access
 * tokens and refresh tokens (revoking them is what logs a user out: a
 * deactivated user's old token still works), and the short-lived tokens
 * queue apply mints: a negative id (Synapse's counter never reaches one)
 * and no device. */
#include "synapse.h"

#include "core/err.h"
#include "core/util.h"

#define MINT_VALID_MS (2LL * 3600 * 1000) /* a minted token dies by itself even if never dropped */

int synapse_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	long long refresh;
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "tokens_delete_all", &u, 1, n) < 0)
		return -1;
	return db_exec(h->db, "refresh_tokens_delete_all", &u, 1, &refresh);
}

int synapse_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	db_rows *r = db_query(h->db, "devices_list", &u, 1);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_device d = { db_text(r, 0), db_text(r, 1), db_text(r, 2), db_text(r, 3), db_int(r, 4, NULL), 0 };
		if (fn(&d, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int synapse_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id)
{
	long long now = now_ms(), n;
	db_arg t[4] = { DB_ARG_TEXT(a->user_id), DB_ARG_TEXT(token), DB_ARG_INT(now + MINT_VALID_MS), DB_ARG_INT(now) };
	(void)device_id; /* Synapse takes a token without a device; none is made */
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "token_mint", t, 4, &n) < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "minting a token for %s inserted %lld rows", a->user_id, n);
	return 0;
}

int synapse_token_drop(struct hs *h, const char *token)
{
	db_arg t = DB_ARG_TEXT(token);
	return db_exec(h->db, "token_delete", &t, 1, NULL);
}
