/* SPDX-License-Identifier: Apache-2.0 */
/* Deactivation as Synapse's own (the admin API's deactivate, without its
 * HTTP parts): the steps of handlers/deactivate_account.py in its order,
 * each a named statement of sql/synapse/BACKEND/deactivate.sql. The room
 * parts (leaves, rejected invites and knocks) are queued by the command,
 * never written here. What Synapse writes for its running processes only
 * (the device-list and deleted-pusher streams, a task deleting to-device
 * messages, the users_pending_deactivation row its parter removes again)
 * is not written: a stopped server has no one to tell. */
#include "synapse.h"

#include "core/err.h"
#include "core/util.h"

enum count { C_NONE, C_DEVICES, C_KEYS, C_PUSHERS, C_THREEPIDS, C_HASH, C_DATA };

/* One step: its statement, the table a release may lack (NULL: every
 * release of mxdba's range has it), what its rows count as. */
static const struct step {
	const char *stmt, *table;
	enum count count;
} steps[] = {
	{ "deact_delayed_events", "delayed_events", C_DATA },
	{ "deact_threepids", NULL, C_THREEPIDS },
	{ "deact_device_auth_providers", NULL, C_NONE },
	{ "deact_device_keys", NULL, C_KEYS },
	{ "deact_one_time_keys", NULL, C_KEYS },
	{ "deact_dehydrated_device", NULL, C_KEYS },
	{ "deact_fallback_keys", NULL, C_KEYS },
	{ "deact_device_inbox", NULL, C_NONE },
	{ "deact_devices", NULL, C_DEVICES },
	{ "deact_password", NULL, C_HASH },
	{ "deact_pushers", NULL, C_PUSHERS },
	{ "deact_account_data", NULL, C_DATA },
	{ "deact_room_account_data", NULL, C_DATA },
	{ "deact_ignored_users", NULL, C_DATA },
	{ "deact_push_rules", NULL, C_DATA },
	{ "deact_push_rules_enable", NULL, C_DATA },
	{ "deact_push_rules_stream", NULL, C_NONE },
	{ "deact_thread_subscriptions", "thread_subscriptions", C_DATA },
	{ "deact_room_keys", NULL, C_DATA },
	{ "deact_room_keys_versions", NULL, C_NONE },
};

static long long *counter(struct hs_deactivation *d, enum count c)
{
	switch (c) {
	case C_DEVICES:
		return &d->devices;
	case C_KEYS:
		return &d->keys;
	case C_PUSHERS:
		return &d->pushers;
	case C_THREEPIDS:
		return &d->threepids;
	case C_HASH:
		return &d->hash;
	case C_DATA:
		return &d->data;
	default:
		return NULL;
	}
}

static int run_steps(struct hs *h, const struct hs_account *a, struct hs_deactivation *d)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		long long n = 0, *c = counter(d, steps[i].count);
		int have = steps[i].table ? db_table_exists(h->db, steps[i].table) : 1;
		if (have < 0)
			return -1;
		if (!have)
			continue;
		if (db_exec(h->db, steps[i].stmt, &u, 1, &n) < 0)
			return -1;
		if (c)
			*c += n;
	}
	return 0;
}

int synapse_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	long long n;
	if (synapse_accounts_writable(h) < 0 || db_count(h->db, "deact_bound_threepids", &u, 1, &d->bound) < 0 ||
	    run_steps(h, a, d) < 0 || synapse_revoke_tokens(h, a, &d->tokens) < 0 ||
	    synapse_set_deactivated(h, a, 1, &n) < 0)
		return -1;
	return 0;
}

/* The admin API's erase: true: the profile row deleted, the user marked
 * erased (Synapse then serves its events redacted to later joiners). */
int synapse_erase(struct hs *h, const struct hs_account *a, long long *changed)
{
	db_arg u = DB_ARG_TEXT(a->user_id);
	long long gone;
	if (synapse_accounts_writable(h) < 0 || db_exec(h->db, "erase_profile", &u, 1, &gone) < 0 ||
	    db_exec(h->db, "erase_mark", &u, 1, changed) < 0)
		return -1;
	return 0;
}

/* Reactivation's own part (activate_account): not erased any more, and a
 * profile row again if erasure took it (blank, as Synapse makes it). */
int synapse_unerase(struct hs *h, const struct hs_account *a)
{
	db_arg u[2] = { DB_ARG_TEXT(a->user_id), DB_ARG_TEXT(a->localpart) };
	return db_exec(h->db, "unerase_mark", u, 1, NULL) < 0 || db_exec(h->db, "unerase_profile", u, 2, NULL) < 0 ? -1 : 0;
}
