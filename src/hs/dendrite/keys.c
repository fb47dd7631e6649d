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
#include "core/util.h"

struct key_drop {
	char *user_id, *localpart, *server;
	char **devices; /* the devices this deactivation deleted */
	int n;
	struct key_drop *next;
};

static db *keyserver(struct hs *h)
{
	struct dendrite *d = DEN(h);
	if (!d->keys)
		d->keys = dendrite_open_component(h->cfg, COMP_KEYSERVER, "keyserver_has_device_keys", "key server", 0);
	return d->keys;
}

static void drop_free(struct key_drop *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->devices[i]);
	free(k->devices);
	free(k->user_id);
	free(k->localpart);
	free(k->server);
	free(k);
}

void dendrite_keys_forget(struct hs *h)
{
	struct dendrite *d = DEN(h);
	struct key_drop *k, *next;
	for (k = d->drops; k; k = next) {
		next = k->next;
		drop_free(k);
	}
	d->drops = NULL;
}

static void add_device(char ***list, int *n, const char *id)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp((*list)[i], id))
			return;
	*list = xrealloc(*list, sizeof(**list) * (size_t)(*n + 1));
	(*list)[(*n)++] = xstrdup(id);
}

/* The devices of A in the userapi database (before they are deleted). */
static int devices_of(struct hs *h, const char *localpart, const char *server, char ***list, int *n)
{
	db_arg args[2] = { DB_ARG_TEXT(localpart), DB_ARG_TEXT(server) };
	db_rows *r = db_query(h->db, "devices_list", args, 2);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1)
		add_device(list, n, db_text(r, 0));
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int dendrite_keys_drop_later(struct hs *h, const struct hs_account *a, long long *keys)
{
	struct dendrite *d = DEN(h);
	struct key_drop *k;
	db_arg u = DB_ARG_TEXT(a->user_id);
	char *v = NULL;
	int rc;
	const struct dendrite_conf *dc = DCONF(h->cfg);
	db *ks;
	if (!dc->db_comp[COMP_KEYSERVER] && !dc->db_default) {
		warnx_("no [database] keyserver (nor dendrite_config naming key_server.database): the keys of %s's "
		       "deleted devices stay in the key server, where other users' clients still find them; set it and "
		       "run `mxdba user deactivate %s` again to empty them", a->user_id, a->user_id);
		return 0;
	}
	if (!(ks = keyserver(h)))
		return err_hint("a deactivation empties the deleted devices' keys there as Dendrite's does; nothing was "
				"changed");
	if ((rc = db_scalar(ks, "device_keys_count", &u, 1, &v)) < 0)
		return -1;
	*keys = rc == 1 && v ? atoll(v) : 0;
	free(v);
	k = xcalloc(1, sizeof(*k));
	k->user_id = xstrdup(a->user_id);
	k->localpart = xstrdup(a->localpart);
	k->server = xstrdup(a->server);
	if (devices_of(h, a->localpart, a->server, &k->devices, &k->n) < 0) {
		drop_free(k);
		return -1;
	}
	k->next = d->drops;
	d->drops = k;
	return 0;
}

/* The gone devices of K: those deleted, and any other with live keys the
 * userapi no longer has (a run cut short, a device deleted elsewhere). */
static int gone_devices(struct hs *h, db *ks, struct key_drop *k, char ***list, int *n)
{
	char **still = NULL;
	int nstill = 0, rc = 0;
	db_arg u = DB_ARG_TEXT(k->user_id);
	db_rows *r;
	for (int i = 0; i < k->n; i++)
		add_device(list, n, k->devices[i]);
	if (devices_of(h, k->localpart, k->server, &still, &nstill) < 0 || !(r = db_query(ks, "device_keys_live", &u, 1)))
		rc = -1;
	else {
		while ((rc = db_step(r)) == 1) {
			int kept = 0;
			for (int i = 0; i < nstill && !kept; i++)
				kept = !strcmp(still[i], db_text(r, 0));
			if (!kept)
				add_device(list, n, db_text(r, 0));
		}
		db_rows_free(r);
	}
	for (int i = 0; i < nstill; i++)
		free(still[i]);
	free(still);
	return rc < 0 ? -1 : 0;
}

/* As Dendrite's key server cleans up after a device deletion: the rows of
 * each gone device deleted (device key, one-time keys, signatures on it),
 * then an empty device key for each, numbered on from the user's highest
 * remaining stream position, and the user's key change recorded. (Dendrite
 * also deletes the empty keys of devices deleted long before; mxdba leaves
 * those, so that running a deactivation again changes nothing.) */
static int empty_keys(db *ks, const char *user_id, char **devices, int n)
{
	long long now = (long long)time(NULL);
	db_arg u = DB_ARG_TEXT(user_id);
	for (int i = 0; i < n; i++) {
		db_arg a[2] = { DB_ARG_TEXT(user_id), DB_ARG_TEXT(devices[i]) };
		if (db_exec(ks, "device_key_sigs_delete", a, 2, NULL) < 0 || db_exec(ks, "one_time_keys_delete", a, 2, NULL) < 0 ||
		    db_exec(ks, "device_key_delete", a, 2, NULL) < 0)
			return -1;
	}
	for (int i = 0; i < n; i++) {
		db_arg a[3] = { DB_ARG_TEXT(user_id), DB_ARG_TEXT(devices[i]), DB_ARG_INT(now) };
		if (db_exec(ks, "device_key_empty", a, 3, NULL) < 0)
			return -1;
	}
	return n ? db_exec(ks, "key_change_mark", &u, 1, NULL) : 0;
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
		char **gone = NULL;
		int n = 0;
		rc = gone_devices(h, ks, k, &gone, &n) < 0 || empty_keys(ks, k->user_id, gone, n) < 0 ? -1 : 0;
		for (int i = 0; i < n; i++)
			free(gone[i]);
		free(gone);
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
