/* SPDX-License-Identifier: Apache-2.0 */
/* The key server's part of a Dendrite deactivation. Dendrite's device
 * deletion asks its key server to drop the deleted devices' keys: each one
 * gets an empty device key (what /keys/query and the device-list stream
 * read as "gone"), its one-time keys and the signatures on it are deleted,
 * and the user's key change is recorded. Those tables live in the keyserver
 * database ([database] keyserver, key_server.database), a second database
 * on SQLite, so they are written in a transaction of their own once the
 * userapi transaction has committed (hs_after_commit). It is opened and
 * counted before, so a deactivation that cannot reach it changes nothing;
 * and the step is idempotent (every gone device with live keys), so a run
 * cut short between the two commits is finished by running the deactivation
 * again. Statements: sql/dendrite/{backend}/keys.sql. */
#include "dendrite.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/idlist.h"
#include "core/util.h"

struct key_drop {
	struct hs_account who;  /* its names only */
	struct idlist devices;  /* the devices this deactivation deleted */
	struct key_drop *next;
};

static db *keyserver(struct hs *h)
{
	struct dendrite *d = DEN(h);
	if (!d->keys)
		d->keys = dendrite_open_component(h->cfg, COMP_KEYSERVER, "keyserver_has_device_keys", "key server", 0);
	return d->keys;
}

void dendrite_keys_forget(struct hs *h)
{
	struct dendrite *d = DEN(h);
	struct key_drop *k, *next;
	for (k = d->drops; k; k = next) {
		next = k->next;
		idlist_free(&k->devices);
		free(k);
	}
	d->drops = NULL;
}

static int listed(const struct idlist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->ids[i], id))
			return 1;
	return 0;
}

static void add_device(struct idlist *l, const char *id)
{
	if (!listed(l, id))
		idlist_add(l, id);
}

static int collect_device(const struct hs_device *dv, void *user)
{
	add_device(user, dv->device_id);
	return 0;
}

int dendrite_keys_drop_later(struct hs *h, const struct hs_account *a, long long *keys)
{
	struct dendrite *d = DEN(h);
	struct key_drop *k;
	db_arg u = DB_ARG_TEXT(a->user_id);
	db *ks;
	if (!dendrite_configured(h->cfg, COMP_KEYSERVER)) {
		warnx_("no [database] keyserver (nor dendrite_config naming key_server.database): the keys of %s's "
		       "deleted devices stay in the key server, where other users' clients still find them; set it and "
		       "run `mxdba user deactivate %s` again to empty them", a->user_id, a->user_id);
		return 0;
	}
	if (!(ks = keyserver(h)))
		return err_hint("a deactivation empties the deleted devices' keys there as Dendrite's does; nothing was "
				"changed");
	if (db_count(ks, "device_keys_count", &u, 1, keys) < 0)
		return -1;
	k = xcalloc(1, sizeof(*k));
	str_copy(k->who.user_id, sizeof(k->who.user_id), a->user_id);
	str_copy(k->who.localpart, sizeof(k->who.localpart), a->localpart);
	str_copy(k->who.server, sizeof(k->who.server), a->server);
	k->next = d->drops;
	d->drops = k; /* freed by forget, whatever happens next */
	return dendrite_devices(h, &k->who, collect_device, &k->devices);
}

/* The gone devices of K (into GONE): those deleted, and any other with live
 * keys the userapi no longer has (a run cut short, a device deleted
 * elsewhere). */
static int gone_devices(struct hs *h, db *ks, const struct key_drop *k, struct idlist *gone)
{
	struct idlist still = { 0 };
	db_arg u = DB_ARG_TEXT(k->who.user_id);
	db_rows *r;
	int rc = -1;
	for (size_t i = 0; i < k->devices.n; i++)
		add_device(gone, k->devices.ids[i]);
	if (dendrite_devices(h, &k->who, collect_device, &still) == 0 && (r = db_query(ks, "device_keys_live", &u, 1))) {
		while ((rc = db_step(r)) == 1)
			if (!listed(&still, db_text(r, 0)))
				add_device(gone, db_text(r, 0));
		db_rows_free(r);
	}
	idlist_free(&still);
	return rc < 0 ? -1 : 0;
}

/* As Dendrite's key server cleans up after a device deletion: the rows of
 * each gone device deleted (device key, one-time keys, signatures on it),
 * then an empty device key for each, numbered on from the user's highest
 * remaining stream position, and the user's key change recorded. (Dendrite
 * also deletes the empty keys of devices deleted long before; mxdba leaves
 * those, so that running a deactivation again changes nothing.) */
static int empty_keys(db *ks, const char *user_id, const struct idlist *gone)
{
	long long now = (long long)time(NULL);
	db_arg u = DB_ARG_TEXT(user_id);
	for (size_t i = 0; i < gone->n; i++) {
		db_arg a[2] = { DB_ARG_TEXT(user_id), DB_ARG_TEXT(gone->ids[i]) };
		if (db_exec(ks, "device_key_sigs_delete", a, 2, NULL) < 0 || db_exec(ks, "one_time_keys_delete", a, 2, NULL) < 0 ||
		    db_exec(ks, "device_key_delete", a, 2, NULL) < 0)
			return -1;
	}
	for (size_t i = 0; i < gone->n; i++) {
		db_arg a[3] = { DB_ARG_TEXT(user_id), DB_ARG_TEXT(gone->ids[i]), DB_ARG_INT(now) };
		if (db_exec(ks, "device_key_empty", a, 3, NULL) < 0)
			return -1;
	}
	return gone->n ? db_exec(ks, "key_change_mark", &u, 1, NULL) : 0;
}

int dendrite_keys_settle(struct hs *h)
{
	struct dendrite *d = DEN(h);
	struct key_drop *k;
	db *ks = d->keys;
	int rc = 0;
	if (!d->drops || !ks)
		return 0;
	if (db_begin(ks, 1) < 0)
		rc = -1;
	for (k = d->drops; k && rc == 0; k = k->next) {
		struct idlist gone = { 0 };
		rc = gone_devices(h, ks, k, &gone) < 0 || empty_keys(ks, k->who.user_id, &gone) < 0 ? -1 : 0;
		idlist_free(&gone);
	}
	if (rc == 0 && db_commit(ks) < 0)
		rc = -1;
	if (rc < 0) {
		db_rollback(ks);
		err_detail("the account(s) are deactivated and their devices gone; their keys are still in %s", db_label(ks));
		err_hint("run the same `mxdba user deactivate` again: it empties the keys of every gone device");
	}
	dendrite_keys_forget(h);
	return rc;
}
