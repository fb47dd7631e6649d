/* SPDX-License-Identifier: Apache-2.0 */
/* What the profiles' batch fast paths for promote/demote share: which IDs
 * a guarded UPDATE may stand for, the slow way for the others, and the
 * one-row loop of SQLite (cached one-row statements are faster there than
 * encoding the IDs as JSON and decoding them again; measured on both
 * homeservers' schemas). */
#include <string.h>

#include "core/err.h"
#include "hs_impl.h"

int hs_bulk_guarded_ok(struct hs *h, const struct mxid *id)
{
	char lower[MXID_MAX + 1];
	int ok;
	mxid_lower(lower, sizeof(lower), id->localpart);
	ok = !strcmp(lower, id->localpart) && hs_rules_reserved(h, id->localpart, id->full, "promote") == 0;
	err_clear();
	return ok;
}

int hs_bulk_admin_one(struct hs *h, struct hs_bulk_admin *b, int i)
{
	struct hs_account a;
	long long n;
	int rc;
	memset(&a, 0, sizeof(a));
	if ((rc = hs_account_find(h, &b->ids[i], &a)) < 0)
		return -1;
	rc = b->check(h, &b->ids[i], rc ? &a : NULL, b->user);
	if (rc > 0 && (rc = h->p->set_admin(h, &a, b->on, &n)) == 0) {
		if (n != 1) {
			err_set(EX_DB, "%s %s changed %lld rows, expected 1", b->on ? "promoting" : "demoting", a.user_id, n);
			err_detail("the account changed while mxdba ran");
			err_hint("run the batch again");
			rc = -1;
		} else
			rc = b->changed(i, a.user_id, b->user);
	}
	hs_account_clear(&a);
	return rc < 0 ? -1 : 0;
}

int hs_bulk_admin_rows(struct hs *h, struct hs_bulk_admin *b, hs_guarded_set_fn set)
{
	for (int i = 0; i < b->n; i++) {
		long long n = 0;
		b->failed = i;
		if (hs_bulk_guarded_ok(h, &b->ids[i])) {
			if (set(h, &b->ids[i], b->on, &n) < 0)
				return -1;
			if (n == 1) {
				if (b->changed(i, b->ids[i].full, b->user) < 0)
					return -1;
				continue;
			}
		}
		if (hs_bulk_admin_one(h, b, i) < 0)
			return -1;
	}
	b->failed = -1;
	return 0;
}
