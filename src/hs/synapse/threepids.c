/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse 3PIDs (user_threepids), as its admin API's user update writes
 * them: an address validated and added now; removing an email removes its
 * notification pusher too. Synapse caches neither table (a running pusher
 * keeps sending until the next start; the command warns). */
#include "synapse.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

int synapse_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	db_rows *r = db_query(h->db, "threepids_list", &u, 1);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_threepid t = { db_text(r, 0), db_text(r, 1), db_int(r, 2, NULL), db_int(r, 3, NULL) };
		if (fn(&t, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int synapse_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner)
{
	db_arg k[2] = { DB_ARG_TEXT(medium), DB_ARG_TEXT(address) };
	*owner = NULL;
	return db_scalar(h->db, "threepid_owner", k, 2, owner) < 0 ? -1 : 0;
}

int synapse_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address)
{
	db_arg t[4] = { DB_ARG_TEXT(a->user_id), DB_ARG_TEXT(medium), DB_ARG_TEXT(address), DB_ARG_INT(now_ms()) };
	if (synapse_accounts_writable(h) < 0)
		return -1;
	return db_exec_one(h->db, "threepid_insert", t, 4, "adding the 3PID");
}

int synapse_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
			    long long *removed, long long *pushers)
{
	db_arg t[3] = { DB_ARG_TEXT(a->user_id), DB_ARG_TEXT(medium), DB_ARG_TEXT(address) };
	db_arg p[2] = { DB_ARG_TEXT(a->user_id), DB_ARG_TEXT(address) };
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "threepid_delete", t, 3, removed) < 0)
		return -1;
	if (*removed && !strcmp(medium, "email") && db_exec(h->db, "threepid_pusher_delete", p, 2, pushers) < 0)
		return -1;
	return 0;
}
