/* SPDX-License-Identifier: Apache-2.0 */
/* What the profiles' batch fast paths for promote/demote share: which IDs
 * a guarded UPDATE may stand for, and the slow way for the others. */
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
