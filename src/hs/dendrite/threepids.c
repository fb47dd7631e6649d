/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite 3PIDs (userapi_threepids, keyed by the address and medium), as
 * its account 3PID endpoints save and remove them: no times kept, an
 * address in use by another account refused. Dendrite caches neither. */
#include "dendrite.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/util.h"

int dendrite_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user)
{
	db_arg k[2] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(a->server) };
	db_rows *r = db_query(h->db, "threepids_list", k, 2);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct hs_threepid t = { db_text(r, 0), db_text(r, 1), 0, 0 };
		if (fn(&t, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int dendrite_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner)
{
	db_arg k[2] = { DB_ARG_TEXT(medium), DB_ARG_TEXT(address) };
	*owner = NULL;
	return db_scalar(h->db, "threepid_owner", k, 2, owner) < 0 ? -1 : 0;
}

int dendrite_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address)
{
	db_arg t[4] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(medium), DB_ARG_TEXT(address), DB_ARG_TEXT(a->server) };
	return db_exec_one(h->db, "threepid_insert", t, 4, "adding the 3PID");
}

int dendrite_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
			     long long *removed, long long *pushers)
{
	db_arg t[4] = { DB_ARG_TEXT(a->localpart), DB_ARG_TEXT(medium), DB_ARG_TEXT(address), DB_ARG_TEXT(a->server) };
	(void)pushers; /* Dendrite keeps no email pusher with a 3PID (hs_threepid_remove set it to 0) */
	return db_exec(h->db, "threepid_delete", t, 4, removed);
}
