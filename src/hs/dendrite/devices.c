/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite devices: a userapi_devices row is a device and its access token
 * at once (Dendrite checks no deactivation on a token: deleting the row is
 * how a token is revoked). Lock-out, listing, and the short-lived devices
 * queue apply mints. */
#include "dendrite.h"

#include "core/err.h"
#include "core/util.h"

int dendrite_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n)
{
	db_arg k[2] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	return db_exec(h->db, "devices_delete_all", k, 2, n);
}

/* Deactivated (password logins refused) and every device gone (tokens
 * dead), as Dendrite's PerformAccountDeactivation does in the userapi
 * database (its pusher deletion passes no server name and removes none);
 * the devices' keys follow in the keyserver database once this commits
 * (keys.c). */
int dendrite_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d)
{
	long long n;
	if (dendrite_keys_drop_later(h, a, &d->keys) < 0 || dendrite_set_deactivated(h, a, 1, &n) < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "locking the account changed %lld rows, expected 1", n);
	if (dendrite_revoke_tokens(h, a, &d->tokens) < 0)
		return -1;
	d->devices = d->tokens;
	return 0;
}

int dendrite_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user)
{
	db_arg args[2] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	db_rows *r = db_query(h->db, "devices_list", args, 2);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_device d = { db_text(r, 0), db_text(r, 1), db_text(r, 2), db_text(r, 3),
				       db_int(r, 4, NULL), db_int(r, 5, NULL) };
		if (fn(&d, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int dendrite_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id)
{
	db_arg d[5] = { DB_ARG_TEXT(token), DB_ARG_TEXT(device_id), DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server),
			DB_ARG_INT(now_ms()) };
	long long n;
	if (db_exec(h->db, "device_mint", d, 5, &n) < 0)
		return -1;
	if (n != 1)
		return err_set(EX_DB, "minting a device for %s inserted %lld rows", a->user_id, n);
	return 0;
}

int dendrite_token_drop(struct hs *h, const char *token)
{
	db_arg t = DB_ARG_TEXT(token);
	return db_exec(h->db, "device_delete_by_token", &t, 1, NULL);
}
