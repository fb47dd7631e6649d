/* SPDX-License-Identifier: Apache-2.0 */
/* The database layer on a real SQLite file: named statements (a profile's
 * and the common ones), transactions, row counts, streaming, batch mode;
 * and mxdba's own tables on top of it (src/store/): migrations, audit rows,
 * the queue and the minted-token registry. */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"
#include "db/db.h"
#include "store/store.h"
#include "unit.h"

static char *dir;

static db *fresh(const char *name, const char *schema)
{
	char *path = xasprintf("%s/%s", dir, name);
	sqlite3 *s;
	db *d;
	sqlite3_open(path, &s);
	sqlite3_exec(s, schema, NULL, NULL, NULL);
	sqlite3_close(s);
	d = db_open(DB_SQLITE, path, path, 0, "dendrite");
	free(path);
	return d;
}

static int count_rows(const struct audit_row *r, void *user)
{
	(void)r;
	(*(int *)user)++;
	return 0;
}

static void test_statements_and_transactions(db *d)
{
	char *v = NULL;
	long long n;
	db_arg a = DB_ARG_TEXT("mxdba_audit");
	/* a common statement through a profile's connection */
	CHECK(db_scalar(d, "table_exists", &a, 1, &v) == 0 && v == NULL);
	/* an unknown name is an internal error, not a crash */
	CHECK(db_exec(d, "no_such_statement", NULL, 0, &n) < 0 && err_code() == EX_FAIL);
	err_clear();
	/* migrations apply inside the caller's transaction: a rollback leaves nothing */
	CHECK(migrate_pending(d) == 4);
	{
		int applied;
		CHECK(db_begin(d, 1) == 0 && migrate_apply_in_tx(d, 0, 0, &applied) == 0 && applied == 4);
		CHECK(db_rollback(d) == 0);
		CHECK(migrate_pending(d) == 4);
		CHECK(db_begin(d, 1) == 0 && migrate_apply_in_tx(d, 0, 0, &applied) == 0 && db_commit(d) == 0);
		CHECK(migrate_pending(d) == 0);
	}
	/* nested transactions are refused */
	CHECK(db_begin(d, 1) == 0);
	CHECK(db_begin(d, 1) < 0);
	err_clear();
	CHECK(db_rollback(d) == 0);
	CHECK(db_rollback(d) == 0); /* nothing open: a no-op */
}

static void test_store(db *d)
{
	struct audit_row r;
	struct queue_row rows[4];
	struct minted m = { "secret-token", "MXDBAX", "alice", "example.org" }, *list;
	int queued, seen = 0, n;
	long long changed;
	char *state = NULL;
	CHECK(db_begin(d, 1) == 0);
	CHECK(audit_insert(d, 1000, "op", "user promote alice", "@alice:example.org", "admin", "0", "1") == 0);
	CHECK(audit_insert_many(d, 2000, "op", "[[\"@b:example.org\",\"batch f:1\",null,\"created (user)\"]]", "account",
				&changed) == 0 && changed == 1);
	CHECK(queue_insert(d, "leave", "@alice:example.org", "!r:example.org", "", 1, "op", NULL, &queued) == 0 && queued);
	CHECK(queue_insert(d, "leave", "@alice:example.org", "!r:example.org", "", 2, "op", NULL, &queued) == 0 && !queued);
	CHECK(minted_insert(d, &m, 3) == 0);
	CHECK(db_commit(d) == 0);
	CHECK(audit_list(d, "", 0, count_rows, &seen) == 0 && seen == 2);
	seen = 0;
	CHECK(audit_list(d, "@alice:example.org", 0, count_rows, &seen) == 0 && seen == 1);
	CHECK(audit_get(d, 2, &r) == 1 && !strcmp(r.field, "account") && r.old_value == NULL);
	audit_row_free(&r);
	CHECK(audit_get(d, 99, &r) == 0);
	CHECK((n = queue_pending(d, 0, 4, 1, 0, rows)) == 1 && !strcmp(rows[0].room_id, "!r:example.org"));
	queue_rows_free(rows, n > 0 ? n : 0);
	CHECK(db_begin(d, 1) == 0 && queue_finish(d, 1, "done", 200, NULL, NULL, 5) == 0 && db_commit(d) == 0);
	CHECK(queue_state(d, 1, &state) == 1 && !strcmp(state, "done"));
	free(state);
	CHECK(db_begin(d, 1) == 0 && queue_cancel(d, 1, 6, &changed) == 0 && changed == 0 && db_commit(d) == 0);
	CHECK((n = minted_list(d, &list)) == 1 && !strcmp(list[0].token, "secret-token"));
	minted_free(list, n > 0 ? n : 0);
	CHECK(db_begin(d, 1) == 0 && minted_delete(d, "secret-token") == 0 && db_commit(d) == 0);
	CHECK(minted_list(d, &list) == 0);
	minted_free(list, 0);
}

/* Batch mode: commands mark spans; one failure rolls the whole batch back. */
static void test_batch(db *d)
{
	int seen = 0;
	CHECK(db_batch_begin(d) == 0);
	CHECK(db_begin(d, 1) == 0 && audit_insert(d, 1, "op", "c", "t", "admin", "0", "1") == 0 && db_commit(d) == 0);
	CHECK(db_begin(d, 1) == 0 && db_rollback(d) == 0);
	CHECK(db_batch_failed(d));
	CHECK(db_batch_end(d, 1) < 0); /* asked to commit a failed batch: rolled back */
	err_clear();
	CHECK(audit_list(d, "t", 0, count_rows, &seen) == 0 && seen == 0);
}

/* The pid holding a lock on SQLite's shared range of PATH, asked from
 * another process (a process never conflicts with its own locks); 0: none. */
static long lock_holder_seen_by_a_child(const char *path)
{
	int p[2];
	long pid = -1;
	pid_t child;
	if (pipe(p) < 0)
		return -1;
	if ((child = fork()) == 0) {
		struct flock fl;
		int fd = open(path, O_RDONLY);
		long got = -1;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 0x40000002L;
		fl.l_len = 510;
		if (fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0)
			got = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
		if (write(p[1], &got, sizeof(got)) != (ssize_t)sizeof(got))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (child > 0 && read(p[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		pid = -1;
	close(p[0]);
	if (child > 0)
		waitpid(child, NULL, 0);
	return pid;
}

/* A second connection to a WAL database (a write connection and a read-only
 * one on Synapse's one file) must not take away the first one's locks: a
 * close() of any descriptor of the file drops them all, and then another
 * process's last close deletes the WAL with the first one's commits in it. */
static void test_a_second_connection_keeps_the_first_ones_locks(void)
{
	char *path = xasprintf("%s/wal.db", dir);
	sqlite3 *s;
	db *w, *r;
	char *v = NULL;
	db_arg a = DB_ARG_TEXT("x");
	sqlite3_open(path, &s);
	sqlite3_exec(s, "PRAGMA journal_mode=WAL; CREATE TABLE x (a);", NULL, NULL, NULL);
	sqlite3_close(s);
	w = db_open(DB_SQLITE, path, path, 0, "dendrite");
	CHECK(w && db_scalar(w, "table_exists", &a, 1, &v) == 1);
	free(v);
	CHECK(lock_holder_seen_by_a_child(path) == getpid());
	r = db_open(DB_SQLITE, path, path, 1, "dendrite");
	CHECK(r != NULL);
	CHECK(lock_holder_seen_by_a_child(path) == getpid());
	db_close(r);
	CHECK(lock_holder_seen_by_a_child(path) == getpid());
	db_close(w);
	CHECK(lock_holder_seen_by_a_child(path) == 0);
	free(path);
}

int main(void)
{
	db *d;
	if (!(dir = unit_mkdtemp("mxdba-unit-db")))
		return 1;
	d = fresh("t.db", "CREATE TABLE x (a);");
	CHECK(d != NULL);
	if (d) {
		test_statements_and_transactions(d);
		test_store(d);
		test_batch(d);
		db_close(d);
	}
	test_a_second_connection_keeps_the_first_ones_locks();
	/* a file that is not there is never created */
	CHECK(db_open(DB_SQLITE, "/nonexistent/x.db", "x", 0, NULL) == NULL && err_code() == EX_DB);
	err_clear();
	{
		char *rm = xasprintf("rm -rf '%s'", dir);
		CHECK(system(rm) == 0);
		free(rm);
	}
	UNIT_END();
}
