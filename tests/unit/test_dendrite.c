/* SPDX-License-Identifier: Apache-2.0 */
/* The Dendrite profile through the homeserver interface (src/hs/hs.h),
 * against fixture databases: tests/fixtures' userapi and roomserver schemas
 * in fresh SQLite files. Accounts, rules, memberships, tokens and the fast
 * paths, each checked against the rows it leaves. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"
#include "hs/hs.h"
#include "store/store.h"
#include "unit.h"

static char *dir;

/* Run the SQL of FILE (or TEXT) on the SQLite database PATH. */
static int sql_file(const char *path, const char *file, const char *text)
{
	sqlite3 *d;
	char *buf = NULL, *err = NULL;
	int rc;
	if (file) {
		FILE *f = fopen(file, "r");
		long n;
		if (!f)
			return -1;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = xcalloc((size_t)n + 1, 1);
		if (fread(buf, 1, (size_t)n, f) != (size_t)n)
			n = -1;
		fclose(f);
		text = buf;
	}
	sqlite3_open(path, &d);
	rc = sqlite3_exec(d, text, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", path, err);
	sqlite3_free(err);
	sqlite3_close(d);
	free(buf);
	return rc == SQLITE_OK ? 0 : -1;
}

static long long scalar(const char *file, const char *query)
{
	sqlite3 *d;
	sqlite3_stmt *st;
	long long v = -1;
	char *path = xasprintf("%s/%s", dir, file);
	sqlite3_open(path, &d);
	if (sqlite3_prepare_v2(d, query, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(d);
	free(path);
	return v;
}

static struct config *setup(void)
{
	char *u = xasprintf("%s/u.db", dir), *r = xasprintf("%s/r.db", dir), *ini = xasprintf("%s/mxdba.ini", dir);
	FILE *f;
	struct config *c;
	CHECK(sql_file(u, "tests/fixtures/userapi-sqlite.sql", NULL) == 0);
	CHECK(sql_file(r, "tests/fixtures/roomserver-sqlite.sql", NULL) == 0);
	CHECK(sql_file(u, NULL,
		       "INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash, appservice_id,"
		       " is_deactivated, account_type) VALUES ('alice', 'example.org', 1, '', NULL, 0, 1),"
		       " ('Legacy', 'example.org', 2, '', NULL, 0, 1), ('root', 'example.org', 3, '', NULL, 0, 3),"
		       " ('bridge', 'example.org', 4, '', 'irc', 0, 4), ('1234', 'example.org', 5, '', NULL, 0, 2),"
		       " ('dave', 'old.example.org', 6, '', NULL, 0, 1);"
		       "INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url) VALUES"
		       " ('alice', 'example.org', 'Alice', ''), ('ghost', 'example.org', 'ghost', '');") == 0);
	CHECK(sql_file(r, NULL,
		       "INSERT INTO roomserver_rooms (room_nid, room_id, room_version, state_snapshot_nid) VALUES"
		       " (1, '!a:example.org', '10', 1), (2, '!b:example.org', '10', 1);"
		       "INSERT INTO roomserver_event_state_keys (event_state_key_nid, event_state_key) VALUES"
		       " (11, '@alice:example.org'), (12, '@carl:other.org');"
		       "INSERT INTO roomserver_event_json (event_nid, event_json) VALUES"
		       " (10, '{\"content\":{\"membership\":\"ban\"}}');"
		       "INSERT INTO roomserver_membership (room_nid, target_nid, sender_nid, membership_nid, event_nid,"
		       " target_local, forgotten) VALUES (1, 11, 11, 3, 0, 1, 0), (2, 11, 11, 1, 10, 1, 0),"
		       " (1, 12, 12, 2, 0, 0, 0);") == 0);
	f = fopen(ini, "w");
	fprintf(f, "[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\nuserapi = file:u.db\n"
		   "roomserver = file:r.db\n[passwords]\nbcrypt_cost = 4\n");
	fclose(f);
	chmod(ini, 0600);
	c = config_parse_file(ini, hs_config_hooks());
	CHECK(c != NULL);
	free(u);
	free(r);
	free(ini);
	return c;
}

static int find(struct hs *h, const char *user, struct hs_account *a)
{
	struct mxid id;
	if (mxid_parse(user, "example.org", &id) < 0)
		return -1;
	return hs_account_find(h, &id, a);
}

static void test_accounts(struct hs *h)
{
	struct hs_account a;
	struct mxid id;
	long long n;
	CHECK(find(h, "alice", &a) == 1);
	CHECK_STR(a.user_id, "@alice:example.org");
	CHECK(!a.admin && !a.guest && !a.appservice && a.deactivated == 0 && a.locked == -1);
	CHECK_STR(a.kind_name, "user");
	/* an admin, promoted from its own row: the write is guarded by the kind */
	CHECK(db_begin(hs_db(h), 1) == 0);
	CHECK(hs_set_admin(h, &a, 1, &n) == 0 && n == 1);
	CHECK(hs_set_admin(h, &a, 1, &n) == 0 && n == 0); /* already an admin: no row */
	CHECK(hs_set_password_hash(h, &a, "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy", &n) == 0 && n == 1);
	CHECK(db_commit(hs_db(h)) == 0);
	hs_account_clear(&a);
	CHECK(scalar("u.db", "SELECT account_type FROM userapi_accounts WHERE localpart = 'alice'") == 3);
	/* Dendrite's look-up: lowercase first, then the exact localpart */
	CHECK(find(h, "LEGACY", &a) == 0);
	CHECK(find(h, "Legacy", &a) == 1 && !strcmp(a.localpart, "Legacy"));
	hs_account_clear(&a);
	CHECK(find(h, "nobody", &a) == 0);
	/* kinds */
	CHECK(find(h, "bridge", &a) == 1 && a.appservice && !strcmp(a.appservice_id, "irc"));
	CHECK(hs_check_modifiable(h, &a, "promote") < 0 && err_code() == EX_REFUSED);
	err_clear();
	hs_account_clear(&a);
	CHECK(find(h, "1234", &a) == 1 && a.guest);
	CHECK(hs_check_admin_change(h, &a, "promote") < 0 && err_code() == EX_REFUSED);
	err_clear();
	hs_account_clear(&a);
	/* a new account: conflicts first, then both rows */
	CHECK(mxid_parse("dave", "example.org", &id) == 0);
	CHECK(hs_create_conflicts(h, &id) < 0 && err_code() == EX_CONFLICT); /* under old.example.org */
	err_clear();
	CHECK(mxid_parse("ghost", "example.org", &id) == 0);
	CHECK(hs_create_conflicts(h, &id) < 0 && err_code() == EX_CONFLICT); /* a leftover profile */
	err_clear();
	{
		struct hs_new_account na = { { "erin", "example.org", "@erin:example.org" }, "", 0, 1, NULL };
		CHECK(hs_create_conflicts(h, &na.id) == 0);
		CHECK(db_begin(hs_db(h), 1) == 0 && hs_account_create(h, &na) == 0 && db_commit(hs_db(h)) == 0);
	}
	CHECK(scalar("u.db", "SELECT is_deactivated FROM userapi_accounts WHERE localpart = 'erin'") == 1);
	CHECK(scalar("u.db", "SELECT count(*) FROM userapi_profiles WHERE localpart = 'erin' AND display_name = 'erin'") == 1);
	{
		long long active;
		CHECK(hs_admins_active(h, &active) == 0 && active == 2); /* root and alice */
	}
}

static void test_rules(struct hs *h)
{
	struct mxid id;
	CHECK(mxid_parse("Upper", "example.org", &id) == 0);
	CHECK(hs_check_new_localpart(hs_config(h), &id) < 0);
	err_clear();
	CHECK(mxid_parse("_svc", "example.org", &id) == 0);
	CHECK(hs_check_new_localpart(hs_config(h), &id) < 0);
	err_clear();
	CHECK(mxid_parse("ok.name-1", "example.org", &id) == 0);
	CHECK(hs_check_new_localpart(hs_config(h), &id) == 0);
	CHECK(hs_check_reserved(h, "_server", "@_server:example.org", "create") < 0 && err_code() == EX_REFUSED);
	err_clear();
	CHECK(hs_check_reserved(h, "alice", "@alice:example.org", "create") == 0);
	CHECK(hs_check_scheme(hs_config(h), "argon2id") < 0 && err_code() == EX_REFUSED);
	err_clear();
	CHECK(hs_check_scheme(hs_config(h), "bcrypt") == 0);
	CHECK(hs_admin_kind(h, 1) == 3 && hs_admin_kind(h, 0) == 1);
	CHECK_STR(hs_ready_path(h), "/_dendrite/monitor/up");
}

struct seen {
	char rooms[8][64], states[8][16];
	int n;
};

static int collect(const struct hs_membership *m, void *user)
{
	struct seen *s = user;
	if (s->n < 8) {
		str_copy(s->rooms[s->n], 64, m->room_id);
		str_copy(s->states[s->n++], 16, m->state);
	}
	return 0;
}

static void test_rooms(struct hs *h)
{
	struct seen s = { 0 };
	int pseudo;
	CHECK(hs_rooms_open(h) == 0);
	CHECK(hs_rooms_of_user(h, "@alice:example.org", MS_ALL, 0, collect, &s, &pseudo) == 0);
	CHECK(s.n == 2 && !strcmp(s.rooms[0], "!a:example.org") && !strcmp(s.states[0], "join"));
	CHECK(!strcmp(s.rooms[1], "!b:example.org") && !strcmp(s.states[1], "ban")); /* told apart by the event */
	memset(&s, 0, sizeof(s));
	CHECK(hs_rooms_of_user(h, "@alice:example.org", MS_LEAVE, 0, collect, &s, &pseudo) == 0 && s.n == 0);
	memset(&s, 0, sizeof(s));
	CHECK(hs_members_of_room(h, "!a:example.org", MS_ALL, 1, 0, collect, &s) == 0 && s.n == 1); /* local only */
	CHECK(hs_membership_now(h, "!a:example.org", "@alice:example.org") == MS_JOIN);
	CHECK(hs_membership_now(h, "!a:example.org", "@carl:other.org") == MS_INVITE);
	CHECK(hs_membership_now(h, "!a:example.org", "@nobody:example.org") == 0);
	CHECK(hs_room_known(h, "!zzz:example.org") < 0 && err_code() == EX_NOTFOUND);
	err_clear();
}

static void test_tokens(struct hs *h)
{
	struct hs_account a;
	struct hs_deactivation gone;
	CHECK(find(h, "alice", &a) == 1);
	CHECK(db_begin(hs_db(h), 1) == 0);
	CHECK(hs_token_mint(h, &a, "tok-1", "MXDBATEST") == 0);
	CHECK(db_commit(hs_db(h)) == 0);
	CHECK(scalar("u.db", "SELECT count(*) FROM userapi_devices WHERE access_token = 'tok-1'") == 1);
	CHECK(db_begin(hs_db(h), 1) == 0 && hs_token_drop(h, "tok-1") == 0 && db_commit(hs_db(h)) == 0);
	CHECK(scalar("u.db", "SELECT count(*) FROM userapi_devices") == 0);
	CHECK(db_begin(hs_db(h), 1) == 0 && hs_token_mint(h, &a, "tok-2", "MXDBA2") == 0);
	CHECK(hs_deactivate(h, &a, &gone) == 0 && gone.tokens == 1 && gone.devices == 1 && db_commit(hs_db(h)) == 0);
	CHECK(scalar("u.db", "SELECT is_deactivated FROM userapi_accounts WHERE localpart = 'alice'") == 1);
	CHECK(scalar("u.db", "SELECT count(*) FROM userapi_devices") == 0);
	hs_account_clear(&a);
}

static int check_any(struct hs *h, const struct mxid *id, const struct hs_account *a, void *user)
{
	(void)user;
	if (!a) {
		hs_err_not_found(h, id);
		return -1;
	}
	return hs_check_admin_change(h, a, "promote") < 0 ? -1 : !a->admin;
}

static int changed(int i, const char *user_id, void *user)
{
	int *n = user;
	(void)i;
	(void)user_id;
	(*n)++;
	return 0;
}

static void test_bulk(struct hs *h)
{
	struct mxid ids[3];
	char taken[3];
	int nchanged = 0;
	struct hs_bulk_admin b = { ids, 3, 1, check_any, changed, &nchanged, -1 };
	CHECK(mxid_parse("erin", "example.org", &ids[0]) == 0);
	CHECK(mxid_parse("ERIN", "example.org", &ids[1]) == 0); /* the same account again: skipped */
	CHECK(mxid_parse("root", "example.org", &ids[2]) == 0); /* an admin already */
	CHECK(db_begin(hs_db(h), 1) == 0 && hs_bulk_set_admin(h, &b) == 1 && db_commit(hs_db(h)) == 0);
	CHECK(nchanged == 1 && b.failed == -1);
	CHECK(scalar("u.db", "SELECT account_type FROM userapi_accounts WHERE localpart = 'erin'") == 3);
	/* a refusal names the ID that failed */
	CHECK(mxid_parse("bridge", "example.org", &ids[2]) == 0);
	CHECK(db_begin(hs_db(h), 1) == 0 && hs_bulk_set_admin(h, &b) < 0 && b.failed == 2);
	err_clear();
	db_rollback(hs_db(h));
	/* creates: which are taken, then all at once */
	CHECK(mxid_parse("new1", "example.org", &ids[0]) == 0);
	CHECK(mxid_parse("ghost", "example.org", &ids[1]) == 0);
	CHECK(mxid_parse("alice", "example.org", &ids[2]) == 0);
	CHECK(hs_bulk_taken(h, ids, 3, taken) == 1 && !taken[0] && taken[1] && taken[2]);
	{
		struct hs_new_account na[1] = { { ids[0], "", 1, 0, "New One" } };
		CHECK(db_begin(hs_db(h), 1) == 0 && hs_bulk_create(h, na, 1) == 1 && db_commit(hs_db(h)) == 0);
	}
	CHECK(scalar("u.db", "SELECT account_type FROM userapi_accounts WHERE localpart = 'new1'") == 3);
}

static void test_report(struct config *c)
{
	struct hs *h = hs_open(c, HS_INSPECT);
	struct hs_report r;
	struct hs_component dbs[4];
	int n = hs_databases(c, dbs, 4), running;
	char who[256];
	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(hs_report(h, &r) == 0 && r.writable && r.accounts >= 7);
	CHECK(strstr(r.layout, "v0.10.8 or later") != NULL);
	json_decref(r.versions);
	CHECK(n == 2 && !strcmp(dbs[1].name, "roomserver") && dbs[1].read_only);
	CHECK(hs_database_probe(c, &dbs[1], &running, who, sizeof(who)) == 0 && running == 0);
	for (int i = 0; i < n; i++)
		dbconf_free(&dbs[i].conf);
	hs_close(h);
}

int main(void)
{
	struct config *c;
	struct hs *h;
	if (!(dir = unit_mkdtemp("mxdba-unit-dendrite")) || pw_init() < 0)
		return 1;
	c = setup();
	if (!c)
		UNIT_END();
	h = hs_open(c, HS_WRITE);
	CHECK(h != NULL);
	if (h) {
		CHECK(migrate_pending(hs_db(h)) == 4);
		test_accounts(h);
		test_rules(h);
		test_rooms(h);
		test_tokens(h);
		test_bulk(h);
		hs_close(h);
	}
	test_report(c);
	config_free(c);
	{
		char *rm = xasprintf("rm -rf '%s'", dir);
		CHECK(system(rm) == 0);
		free(rm);
	}
	UNIT_END();
}
