/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba batch [FILE|-]`: many mxdba commands, one per line, in one
 * transaction on one connection. All or nothing: the first failing line is
 * named and everything is rolled back. Passwords are never read here:
 * --random-password (hashed up front on every core, written to the 0600
 * --passwords-out file) or --password-hash. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "core/words.h"
#include "db/migrate.h"
#include "hs/dendrite.h"

#define MAX_LINE 65536

struct bline {
	int lineno;
	int argc;
	char **argv;
	const struct command *cmd;
	int used;   /* words taken by the command name */
	int random; /* index of the hash slot, or -1 */
	int no_bulk; /* run through the command itself, not many at a time */
};

struct secret_slot {
	char user[2 * MXID_MAX + 4];
	char *pw;   /* inside the locked arena */
	char hash[HASH_MAX];
};

/* group and sub-command (NULL: a one-word command) */
static const char *const batchable[][2] = { { "user", "create" },  { "user", "promote" }, { "user", "demote" },
					    { "user", "passwd" },  { "evacuate", NULL },   { "notice", NULL },
					    { "queue", "cancel" }, { "audit", "undo" } };

static const struct command *lookup(int argc, char **argv, int *used)
{
	for (const struct command *c = commands; c->group; c++) {
		int words = c->name ? 2 : 1;
		if (argc < words || strcmp(argv[0], c->group) || (c->name && strcmp(argv[1], c->name)))
			continue;
		for (size_t i = 0; i < ARRAY_LEN(batchable); i++)
			if (!strcmp(c->group, batchable[i][0]) &&
			    (c->name && batchable[i][1] ? !strcmp(c->name, batchable[i][1]) : c->name == batchable[i][1])) {
				*used = words;
				return c;
			}
		return NULL;
	}
	return NULL;
}

/* The audit row's command for line B of the batch file PATH (malloc'd). */
static char *line_command(const char *path, const struct bline *b)
{
	char *words = cmdline_join(b->argc, b->argv), *cmd = xasprintf("batch %s:%d: %s", path, b->lineno, words);
	free(words);
	return cmd;
}

/* Check one line's words and note a --random-password. -1 + error. */
static int prepare(struct ctx *c, struct bline *b, int *nrandom, int have_out)
{
	b->random = -1;
	if (!(b->cmd = lookup(b->argc, b->argv, &b->used))) {
		err_set(EX_USAGE, "\"%.40s%s%.40s\" cannot be used in a batch", b->argv[0], b->argc > 1 ? " " : "",
			b->argc > 1 ? b->argv[1] : "");
		return err_hint("a batch takes: user create|promote|demote|passwd, evacuate, notice, queue cancel, audit undo");
	}
	for (int i = b->used; i < b->argc; i++) {
		if (is_global_option(b->argv[i])) {
			err_set(EX_USAGE, "global option %s inside a batch line", b->argv[i]);
			return err_hint("put global options (-c, --dry-run, --json, --csv, --yes, …) on the `mxdba batch` command line");
		}
		if (!strcmp(b->argv[i], "--password-stdin") || !strcmp(b->argv[i], "--password-file")) {
			err_set(EX_USAGE, "%s cannot be used in a batch: passwords are never read there", b->argv[i]);
			return err_hint("use --random-password (with --passwords-out FILE) or --password-hash HASH");
		}
		if (!strcmp(b->argv[i], "--random-password")) {
			if (!have_out) {
				err_set(EX_USAGE, "--random-password in a batch needs --passwords-out FILE");
				return err_hint("mxdba batch --passwords-out new-passwords.csv FILE");
			}
			b->random = (*nrandom)++;
		}
	}
	(void)c;
	return 0;
}

/* Random passwords for every slot, hashed on every core. */
static int hash_all(struct secret_slot *slots, int n, int cost)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	char **pw = xcalloc((size_t)n, sizeof(char *));
	char (*out)[HASH_MAX] = xcalloc((size_t)n, HASH_MAX);
	int rc;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 24; k++)
			slots[i].pw[k] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
		slots[i].pw[24] = '\0';
		pw[i] = slots[i].pw;
	}
	rc = bcrypt_hash_parallel(pw, out, n, cost, "hashing");
	for (int i = 0; i < n; i++)
		memcpy(slots[i].hash, out[i], HASH_MAX);
	free(pw);
	free(out);
	return rc;
}

static int write_passwords(const char *path, struct secret_slot *slots, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	if (fd < 0) {
		err_set(EX_USAGE, "cannot create --passwords-out %s: %s", path, strerror(errno));
		return err_hint(errno == EEXIST ? "it exists already; mxdba never overwrites a password file" : "check the path");
	}
	f = fdopen(fd, "w");
	fprintf(f, "user_id,password\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s,%s\n", slots[i].user, slots[i].pw);
	if (fflush(f) != 0 || fsync(fd) != 0) {
		fclose(f);
		unlink(path);
		return err_set(EX_FAIL, "cannot write %s: %s", path, strerror(errno));
	}
	fclose(f);
	return 0;
}

/* ---- plain `user promote` lines, many at a time ----
 * Runs of consecutive plain promote lines skip the general command path
 * (option parsing, a transaction savepoint and a command line per line).
 * On PostgreSQL they would otherwise cost three round trips per line (look
 * up, update, audit): they are checked together instead: one query finds all
 * their accounts, each line is checked in order exactly as `user promote`
 * checks it (same errors, named by line), then one UPDATE and one audit
 * INSERT cover every account that changes, with their row counts checked. */

#define BULK_LINES 1000

static int bulk_promotable(const struct bline *b)
{
	if (b->argc < 3 || strcmp(b->argv[0], "user") || strcmp(b->argv[1], "promote"))
		return 0;
	for (int i = 2; i < b->argc; i++)
		if (b->argv[i][0] == '-')
			return 0;
	return 1;
}

static int add_key(json_t *keys, json_t *seen, const char *k)
{
	json_t *v;
	if (json_object_get(seen, k))
		return 0;
	if (!(v = json_string(k)))
		return err_set(EX_USAGE, "user ID \"%.64s\" is not valid UTF-8", k);
	json_object_set_new(seen, k, json_true());
	return json_array_append_new(keys, v) == 0 ? 0 : err_set(EX_FAIL, "internal: out of memory");
}

/* The check `user promote` makes of the account ID names (A; NULL: not
 * found), with its errors: 1 to change it, 0 to skip it (an admin already,
 * or named before), -1 + error. FULL (N bytes) gets the account's ID. */
static int promote_check(struct hs *h, const struct mxid *id, const struct account *a, char *full, size_t n)
{
	if (!a) {
		hs_err_not_found(h, id);
		err_detail("nothing was changed (all users of one command are changed together or not at all)");
		return -1;
	}
	snprintf(full, n, "@%s:%s", a->localpart, a->server_name);
	if (type_change_allowed(h, a, full, "promote") < 0)
		return -1;
	return a->type == ACCT_USER;
}

/* Promote LOCALPART if it is of type 1 (user), with its audit row: *N is
 * the number of rows changed (0: it was not of type 1 or not there). The
 * write transaction is begun on first use (*BEGAN). -1 + error. */
static int promote_one(struct ctx *c, struct hs *h, const struct bline *b, const char *path, const char *localpart,
		       const char *server, const char *full, int *began, long long *n)
{
	char oldv[8], newv[8];
	db_arg up[4] = { DB_ARG_INT(ACCT_ADMIN), DB_ARG_TEXT(localpart), DB_ARG_TEXT(server), DB_ARG_INT(ACCT_USER) };
	if (!*began && write_begin(c, h) < 0)
		return -1;
	*began = 1;
	if (db_exec(h->user, "account_set_type", up, 4, n) < 0)
		return -1;
	if (*n != 1)
		return 0;
	if (!c->cmdline)
		c->cmdline = line_command(path, b);
	snprintf(oldv, sizeof(oldv), "%d", ACCT_USER);
	snprintf(newv, sizeof(newv), "%d", ACCT_ADMIN);
	return audit_write(c, h, full, "account_type", oldv, newv);
}

/* SQLite: there are no round trips to save, and the cached one-row
 * statements are faster than encoding the accounts as JSON and decoding
 * them again (measured: the JSON lookup and audit array cost more than the
 * UPDATEs themselves). Each account is promoted and audited in turn.
 * `user promote` changes exactly the accounts of type 1 (user) that are not
 * reserved by the configuration, so for a lowercase, unreserved localpart
 * the UPDATE guarded by account_type = 1 is the check itself: one row
 * changed means promoted from 1. Anything else (no row changed, uppercase,
 * reserved) is looked up and checked as `user promote` does, for its exact
 * error, or to skip an account that is already an admin. */
static int promote_lines_lite(struct ctx *c, struct hs *h, struct bline *lines, int from, int to, const char *path)
{
	int ret = -1, began = 0, at;
	char *saved = c->cmdline;
	c->cmdline = NULL;
	for (at = from; at < to; at++) {
		for (int w = 2; w < lines[at].argc; w++) {
			struct mxid id;
			struct account a;
			char full[2 * MXID_MAX + 4], lower[MXID_MAX + 1];
			long long n;
			int rc;
			if (mxid_parse(lines[at].argv[w], c->cfg->server_name, &id) < 0)
				goto out;
			mxid_lower(lower, sizeof(lower), id.localpart);
			if (!strcmp(lower, id.localpart) && hs_check_reserved(h, id.localpart, id.full, "promote") == 0) {
				if (promote_one(c, h, &lines[at], path, id.localpart, id.server, id.full, &began, &n) < 0)
					goto out;
				if (n == 1)
					continue;
			}
			err_clear();
			if ((rc = hs_account_find(h, &id, &a)) < 0)
				goto out;
			rc = promote_check(h, &id, rc ? &a : NULL, full, sizeof(full));
			if (rc <= 0) {
				account_clear(&a);
				if (rc < 0)
					goto out;
				continue;
			}
			rc = promote_one(c, h, &lines[at], path, a.localpart, a.server_name, full, &began, &n);
			account_clear(&a);
			if (rc < 0)
				goto out;
			if (n != 1) {
				err_set(EX_DB, "promoting %s changed %lld rows, expected 1", full, n);
				err_detail("the account changed while mxdba ran");
				err_hint("run the batch again");
				goto out;
			}
		}
		free(c->cmdline);
		c->cmdline = NULL;
	}
	at = -1;
	if (began) {
		began = 0;
		if (write_end(c, h) < 0)
			goto out;
	}
	ret = 0;
out:
	if (began)
		db_rollback(h->user);
	if (ret < 0 && at >= 0 && at < to)
		err_prefix("%s:%d: ", path, lines[at].lineno);
	free(c->cmdline);
	c->cmdline = saved;
	return ret;
}

static int bulk_promote(struct ctx *c, struct hs *h, struct bline *lines, int from, int to, const char *path)
{
	json_t *fast = json_array(), *seen = json_object(), *promoted = json_object(), *keys = json_array();
	json_t *keys_seen = json_object(), *index = json_object(), *changed = json_array(), *audit = json_array();
	struct account *acc = NULL;
	char *s = NULL;
	int nacc = 0, nslow = 0, ret = -1, rc, at = from, began = 0, nids = 0, k = 0;
	char *is_fast;
	struct mxid *ids;
	db_rows *r;

	for (int i = from; i < to; i++)
		nids += lines[i].argc - 2;
	ids = xcalloc((size_t)nids, sizeof(*ids));
	is_fast = xcalloc((size_t)nids, 1);
	/* 1. every ID parsed; the fast ones: lowercase, not reserved, the first
	 * of the run to name that account (as for one `user promote`, the
	 * UPDATE guarded by account_type = 1 is then the whole check) */
	for (at = from; at < to; at++)
		for (int w = 2; w < lines[at].argc; w++, k++) {
			char lower[MXID_MAX + 1];
			if (mxid_parse(lines[at].argv[w], c->cfg->server_name, &ids[k]) < 0)
				goto out;
			mxid_lower(lower, sizeof(lower), ids[k].localpart);
			if (!json_object_get(seen, lower) && !strcmp(lower, ids[k].localpart) &&
			    hs_check_reserved(h, lower, ids[k].full, "promote") == 0) {
				if (add_key(fast, keys_seen, lower) < 0)
					goto out;
				is_fast[k] = 1;
			}
			err_clear();
			json_object_set_new(seen, lower, json_true());
		}
	at = -1;
	if (write_begin(c, h) < 0)
		goto out;
	began = 1;
	/* 2. one UPDATE promotes them all and says which it changed */
	if (json_array_size(fast)) {
		s = json_dumps(fast, JSON_COMPACT);
		db_arg a[4] = { DB_ARG_TEXT(s), DB_ARG_TEXT(c->cfg->server_name), DB_ARG_INT(ACCT_ADMIN),
				DB_ARG_INT(ACCT_USER) };
		if (!s || !(r = db_query(h->user, "accounts_set_type_returning", a, 4)))
			goto out;
		while ((rc = db_step(r)) == 1)
			json_object_set_new(promoted, db_text(r, 0), json_true());
		db_rows_free(r);
		free(s);
		s = NULL;
		if (rc < 0)
			goto out;
	}
	/* 3. the rest (not changed, uppercase, reserved, named again) looked up in
	 * one query, to be checked as `user promote` checks them */
	json_object_clear(keys_seen);
	for (k = 0; k < nids; k++) {
		char lower[MXID_MAX + 1];
		mxid_lower(lower, sizeof(lower), ids[k].localpart);
		if (is_fast[k] && json_object_get(promoted, lower))
			continue;
		is_fast[k] = 0;
		if (add_key(keys, keys_seen, lower) < 0 ||
		    (strcmp(lower, ids[k].localpart) && add_key(keys, keys_seen, ids[k].localpart) < 0))
			goto out;
	}
	if (json_array_size(keys)) {
		s = json_dumps(keys, JSON_COMPACT);
		db_arg a[2] = { DB_ARG_TEXT(s), DB_ARG_TEXT(c->cfg->server_name) };
		if (!s || !(r = db_query(h->user, "accounts_get_many", a, 2)))
			goto out;
		acc = xcalloc(json_array_size(keys), sizeof(*acc));
		while ((rc = db_step(r)) == 1 && nacc < (int)json_array_size(keys)) {
			hs_account_from_row(r, &acc[nacc]);
			json_object_set_new(index, acc[nacc].localpart, json_integer(nacc));
			nacc++;
		}
		db_rows_free(r);
		free(s);
		s = NULL;
		if (rc < 0)
			goto out;
	}
	/* 4. every ID in order: the audit row of each change, the errors named by line */
	k = 0;
	for (at = from; at < to; at++) {
		char *cmd = NULL;
		for (int w = 2; w < lines[at].argc; w++) {
			const struct mxid *id = &ids[k];
			char full[2 * MXID_MAX + 4];
			if (!cmd)
				cmd = line_command(path, &lines[at]);
			if (is_fast[k++]) {
				json_array_append_new(audit, json_pack("[s, s, i, i]", id->full, cmd, ACCT_USER, ACCT_ADMIN));
				continue;
			}
			{
				char lower[MXID_MAX + 1];
				json_t *ix;
				struct account *a;
				int rc2;
				mxid_lower(lower, sizeof(lower), id->localpart);
				if (!(ix = json_object_get(index, lower)) && strcmp(lower, id->localpart))
					ix = json_object_get(index, id->localpart);
				a = ix ? &acc[json_integer_value(ix)] : NULL;
				if ((rc2 = promote_check(h, id, a, full, sizeof(full))) < 0)
					goto line_failed;
				if (rc2 == 0)
					continue;
				a->type = ACCT_ADMIN; /* so that naming it again skips it */
				json_array_append_new(changed, json_string(a->localpart));
				json_array_append_new(audit, json_pack("[s, s, i, i]", full, cmd, ACCT_USER, ACCT_ADMIN));
				nslow++;
			}
		}
		free(cmd);
		continue;
line_failed:
		free(cmd);
		goto out;
	}
	at = -1;
	/* 5. the accounts found by a second look (an uppercase ID naming a lowercase
	 * account), then the audit rows of all, in line order */
	if (nslow) {
		long long n;
		s = json_dumps(changed, JSON_COMPACT);
		db_arg a[4] = { DB_ARG_TEXT(s), DB_ARG_TEXT(c->cfg->server_name), DB_ARG_INT(ACCT_ADMIN),
				DB_ARG_INT(ACCT_USER) };
		if (!s || db_exec(h->user, "accounts_set_type_many", a, 4, &n) < 0)
			goto out;
		free(s);
		s = NULL;
		if (n != nslow) {
			err_set(EX_DB, "promoting the accounts of lines %d-%d changed %lld rows, expected %d",
				lines[from].lineno, lines[to - 1].lineno, n, nslow);
			err_detail("an account changed while mxdba ran");
			err_hint("run the batch again");
			goto out;
		}
	}
	if (json_array_size(audit)) {
		long long n;
		s = json_dumps(audit, JSON_COMPACT);
		db_arg a[4] = { DB_ARG_INT(now_ms()), DB_ARG_TEXT(os_user_name()), DB_ARG_TEXT(s),
				DB_ARG_TEXT("account_type") };
		if (!s || db_exec(h->user, "audit_insert_many", a, 4, &n) < 0)
			goto out;
		if (n != (long long)json_array_size(audit)) {
			err_set(EX_DB, "writing the audit rows of lines %d-%d changed %lld rows, expected %zu",
				lines[from].lineno, lines[to - 1].lineno, n, json_array_size(audit));
			goto out;
		}
	}
	began = 0;
	if (write_end(c, h) < 0)
		goto out;
	ret = 0;
out:
	if (began)
		db_rollback(h->user);
	if (ret < 0 && at >= 0 && at < to)
		err_prefix("%s:%d: ", path, lines[at].lineno);
	if (acc)
		for (int i = 0; i < nacc; i++)
			account_clear(&acc[i]);
	free(acc);
	free(ids);
	free(is_fast);
	free(s);
	json_decref(fast);
	json_decref(seen);
	json_decref(promoted);
	json_decref(keys);
	json_decref(keys_seen);
	json_decref(index);
	json_decref(changed);
	json_decref(audit);
	return ret;
}

/* ---- plain `user create` lines, many at a time ----
 * A create line is taken here only when every check that needs no database
 * passes and its localpart is free; the first line that is not so ends the
 * run and goes through `user create` itself, which gives its exact error
 * (the batch is then rolled back) or runs it. So the fast path never has to
 * reproduce an error message, only to be conservative. */

struct create_line {
	struct mxid id;
	int admin;
	const char *display, *hash; /* hash "" with --no-password */
};

/* The words of a create line, if it has only --admin, --display-name N,
 * --password-hash H or --no-password, and passes the checks `user create`
 * makes before it looks at the database. */
static int parse_create(struct ctx *c, struct hs *h, const struct bline *b, struct create_line *cl)
{
	const char *user = NULL;
	int nopw = 0;
	memset(cl, 0, sizeof(*cl));
	if (b->argc < 3 || strcmp(b->argv[0], "user") || strcmp(b->argv[1], "create"))
		return 0;
	for (int i = 2; i < b->argc; i++) {
		const char *a = b->argv[i];
		if (!strcmp(a, "--admin"))
			cl->admin = 1;
		else if (!strcmp(a, "--no-password"))
			nopw = 1;
		else if ((!strcmp(a, "--display-name") || !strcmp(a, "--password-hash")) && i + 1 < b->argc) {
			const char **dst = a[2] == 'd' ? &cl->display : &cl->hash;
			if (*dst)
				return 0;
			*dst = b->argv[++i];
		} else if (a[0] != '-' && !user)
			user = a;
		else
			return 0;
	}
	if (!user || nopw == (cl->hash != NULL))
		return 0; /* no user, or not exactly one of --password-hash / --no-password */
	if (cl->hash && !hash_is_bcrypt(cl->hash))
		return 0;
	if (cl->display && (!text_is_clean(cl->display) || strlen(cl->display) > 256))
		return 0;
	if (mxid_parse(user, c->cfg->server_name, &cl->id) < 0 || mxid_check_new(&cl->id) < 0 ||
	    hs_check_reserved(h, cl->id.localpart, cl->id.full, "create") < 0) {
		err_clear();
		return 0;
	}
	if (!cl->hash)
		cl->hash = "";
	return 1;
}

/* Lines from FROM on: how many were created here (0: let `user create` run
 * line FROM). -1 + error on a database failure. */
static int bulk_create(struct ctx *c, struct hs *h, struct bline *lines, int from, int nlines, const char *path)
{
	struct create_line *cl = xcalloc(BULK_LINES, sizeof(*cl));
	json_t *keys = json_array(), *taken = json_object(), *accs = json_array(), *profs = json_array();
	json_t *audit = json_array();
	char *keys_s = NULL, *accs_s = NULL, *profs_s = NULL, *aud_s = NULL;
	int n = 0, ret = -1, rc, began = 0;
	db_rows *r;

	while (from + n < nlines && n < BULK_LINES && parse_create(c, h, &lines[from + n], &cl[n]))
		json_array_append_new(keys, json_string(cl[n++].id.localpart));
	if (n == 0) {
		ret = 0;
		goto out;
	}
	keys_s = json_dumps(keys, JSON_COMPACT);
	{
		db_arg a[2] = { DB_ARG_TEXT(keys_s), DB_ARG_TEXT(c->cfg->server_name) };
		if (!(r = db_query(h->user, "accounts_taken_many", a, 2)))
			goto out;
	}
	while ((rc = db_step(r)) == 1)
		json_object_set_new(taken, db_text(r, 0), json_true());
	db_rows_free(r);
	if (rc < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		char *cmd;
		const char *lp = cl[i].id.localpart;
		if (json_object_get(taken, lp)) {
			n = i; /* `user create` says why */
			break;
		}
		json_object_set_new(taken, lp, json_true()); /* named again further down: that line fails */
		json_array_append_new(accs, json_pack("[s, s, i]", lp, cl[i].hash, cl[i].admin ? ACCT_ADMIN : ACCT_USER));
		json_array_append_new(profs, json_pack("[s, s]", lp, cl[i].display ? cl[i].display : lp));
		cmd = line_command(path, &lines[from + i]);
		json_array_append_new(audit, json_pack("[s, s, n, s]", cl[i].id.full, cmd,
						       cl[i].admin ? "created (admin)" : "created (user)"));
		free(cmd);
	}
	if (n == 0) {
		ret = 0;
		goto out;
	}
	accs_s = json_dumps(accs, JSON_COMPACT);
	profs_s = json_dumps(profs, JSON_COMPACT);
	aud_s = json_dumps(audit, JSON_COMPACT);
	if (!accs_s || !profs_s || !aud_s || (int)json_array_size(accs) != n || (int)json_array_size(audit) != n) {
		err_set(EX_FAIL, "internal: cannot encode the accounts of lines %d-%d", lines[from].lineno,
			lines[from + n - 1].lineno);
		goto out;
	}
	if (write_begin(c, h) < 0)
		goto out;
	began = 1;
	{
		long long k;
		db_arg a[3] = { DB_ARG_TEXT(accs_s), DB_ARG_TEXT(c->cfg->server_name), DB_ARG_INT(now_ms()) };
		db_arg p[2] = { DB_ARG_TEXT(profs_s), DB_ARG_TEXT(c->cfg->server_name) };
		db_arg au[4] = { DB_ARG_INT(now_ms()), DB_ARG_TEXT(os_user_name()), DB_ARG_TEXT(aud_s),
				 DB_ARG_TEXT("account") };
		const char *what = "inserting the accounts";
		if (db_exec(h->user, "accounts_insert_many", a, 3, &k) < 0 || k != n ||
		    (what = "inserting the profiles", db_exec(h->user, "profiles_insert_many", p, 2, &k) < 0) || k != n ||
		    (what = "writing the audit rows", db_exec(h->user, "audit_insert_many", au, 4, &k) < 0) || k != n) {
			if (!err_pending())
				err_set(EX_DB, "%s of lines %d-%d changed %lld rows, expected %d", what, lines[from].lineno,
					lines[from + n - 1].lineno, k, n);
			goto out;
		}
	}
	began = 0;
	if (write_end(c, h) < 0)
		goto out;
	ret = n;
out:
	if (began)
		db_rollback(h->user);
	free(cl);
	free(keys_s);
	free(accs_s);
	free(profs_s);
	free(aud_s);
	json_decref(keys);
	json_decref(taken);
	json_decref(accs);
	json_decref(profs);
	json_decref(audit);
	return ret;
}

static const struct optspec batch_opts[] = { { "--passwords-out", 1 }, { 0, 0 } };

int cmd_batch(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct bline *lines = NULL;
	struct secret_slot *slots = NULL;
	char *arena = NULL;
	const char *path, *out_path;
	FILE *in = NULL;
	char *buf = NULL;
	size_t cap = 0, arena_len = 0;
	ssize_t len;
	int nlines = 0, nrandom = 0, lineno = 0, ret = -1, dry, wrote = 0;
	struct hs *h = NULL;
	struct progress *prog = NULL;
	json_t *counts = json_object();

	if (opts_parse(c, argc, argv, batch_opts, &o) < 0)
		goto out;
	if (o.npos > 1) {
		err_set(EX_USAGE, "batch takes one FILE (or - for standard input)");
		goto out;
	}
	out_path = opt(&o, batch_opts, "--passwords-out");
	path = o.npos ? o.pos[0] : "-";
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		err_set(EX_USAGE, "cannot read batch file %s: %s", path, strerror(errno));
		goto out;
	}
	if (ctx_config(c) < 0)
		goto out;
	/* phase 1: read and check every line before touching the database */
	while ((len = getline(&buf, &cap, in)) >= 0) {
		char *tok[MAX_TOKENS];
		int n;
		lineno++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if ((size_t)len != strlen(buf)) {
			err_set(EX_USAGE, "%s:%d: the line contains a NUL byte", path, lineno);
			goto out;
		}
		if (len > MAX_LINE) {
			err_set(EX_USAGE, "%s:%d: the line is longer than %d bytes", path, lineno, MAX_LINE);
			goto out;
		}
		for (char *p = buf; *p; p++)
			if (*p == '\t')
				*p = ' ';
		if (!text_is_clean(buf)) {
			err_set(EX_USAGE, "%s:%d: the line has control characters or invalid UTF-8", path, lineno);
			goto out;
		}
		if (split_words(buf, tok, MAX_TOKENS, &n) < 0) {
			err_prefix("%s:%d: ", path, lineno);
			goto out;
		}
		if (n == 0)
			continue;
		lines = xrealloc(lines, sizeof(*lines) * (size_t)(nlines + 1));
		lines[nlines].lineno = lineno;
		lines[nlines].argc = n;
		lines[nlines].argv = xcalloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; i < n; i++)
			lines[nlines].argv[i] = xstrdup(tok[i]);
		nlines++;
		if (prepare(c, &lines[nlines - 1], &nrandom, out_path != NULL) < 0) {
			err_prefix("%s:%d: ", path, lineno);
			goto out;
		}
	}
	if (ferror(in)) {
		err_set(EX_USAGE, "cannot read batch file %s", path);
		goto out;
	}
	if (nlines == 0) {
		err_set(EX_USAGE, "the batch %s has no commands", path);
		goto out;
	}
	/* phase 2: passwords for --random-password, hashed on every core */
	dry = c->dry_run;
	if (nrandom) {
		slots = xcalloc((size_t)nrandom, sizeof(*slots));
		arena_len = (size_t)nrandom * 32;
		arena = xmalloc(arena_len);
		sodium_mlock(arena, arena_len);
		for (int i = 0, k = 0; i < nlines; i++) {
			struct bline *b = &lines[i];
			struct mxid id;
			int upos = b->used + (b->argc > b->used && !strcmp(b->argv[0], "evacuate") ? 1 : 0);
			if (b->random < 0)
				continue;
			slots[k].pw = arena + (size_t)k * 32;
			/* the account named on the line, for the password file */
			for (int w = upos; w < b->argc; w++)
				if (b->argv[w][0] != '-') {
					if (mxid_parse(b->argv[w], c->cfg->server_name, &id) == 0)
						snprintf(slots[k].user, sizeof(slots[k].user), "%s", id.full);
					err_clear();
					break;
				}
			k++;
		}
		if (hash_all(slots, nrandom, c->cfg->bcrypt_cost) < 0)
			goto out;
		for (int i = 0; i < nlines; i++)
			for (int w = 0; w < lines[i].argc && lines[i].random >= 0; w++)
				if (!strcmp(lines[i].argv[w], "--random-password")) {
					/* --random-password becomes --password-hash HASH */
					char **v = xrealloc(lines[i].argv, sizeof(char *) * (size_t)(lines[i].argc + 2));
					memmove(v + w + 2, v + w + 1, sizeof(char *) * (size_t)(lines[i].argc - w));
					free(v[w]);
					v[w] = xstrdup("--password-hash");
					v[w + 1] = xstrdup(slots[lines[i].random].hash);
					lines[i].argv = v;
					lines[i].argc++;
					break;
				}
	}
	/* phase 3: every line in one transaction */
	if (!(h = ctx_hs(c, HS_WRITE_BULK)))
		goto out;
	c->dry_run = dry;
	/* asked once here (committed state), not on each of 100,000 lines */
	if (maybe_backup(c, h, 1) < 0 || migrate_pending(h->user) < 0 || db_batch_begin(h->user) < 0)
		goto out;
	c->backed_up = 1; /* once, before the batch: not again for each line */
	c->batch_hs = h;
	c->dry_run = 0; /* the batch decides: commit or roll back at the end */
	if (dry)
		c->yes = 1;
	g_out_muted = 1;
	prog = progress_start("batch", nlines);
	for (int i = 0; i < nlines; i++) {
		struct bline *b = &lines[i];
		char name[64];
		int rc;
		if (bulk_promotable(b)) {
			int j = i;
			while (j < nlines && j - i < BULK_LINES && bulk_promotable(&lines[j]))
				j++;
			if ((db_kind(h->user) == DB_SQLITE ? promote_lines_lite : bulk_promote)(c, h, lines, i, j, path) < 0) {
				err_detail_more("nothing was changed: the whole batch was rolled back");
				goto out;
			}
			json_object_set_new(counts, "user promote",
					    json_integer(json_integer_value(json_object_get(counts, "user promote")) + j - i));
			progress_tick(prog, j);
			i = j - 1;
			continue;
		}
		if (!b->no_bulk && !strcmp(b->argv[0], "user") && b->argc > 1 && !strcmp(b->argv[1], "create")) {
			int done = bulk_create(c, h, lines, i, nlines, path);
			if (done < 0) {
				err_detail_more("nothing was changed: the whole batch was rolled back");
				goto out;
			}
			if (done > 0) {
				json_object_set_new(counts, "user create",
						    json_integer(json_integer_value(json_object_get(counts, "user create")) + done));
				progress_tick(prog, i + done);
				i += done - 1;
				continue;
			}
			b->no_bulk = 1; /* this line goes through `user create` itself */
		}
		char *saved = c->cmdline;
		c->batch_line = b->lineno;
		c->cmd = b->cmd;
		c->cmdline = line_command(path, b);
		rc = b->cmd->fn(c, b->argc - b->used, b->argv + b->used);
		free(c->cmdline);
		c->cmdline = saved;
		if (rc < 0 || rc != EX_OK || err_pending() || db_batch_failed(h->user)) {
			if (!err_pending())
				err_set(EX_FAIL, "the command failed");
			err_prefix("%s:%d: ", path, b->lineno);
			err_detail_more("nothing was changed: the whole batch was rolled back");
			goto out;
		}
		command_name(b->cmd, name, sizeof(name));
		if (!strcmp(b->argv[0], "evacuate")) /* counted as "evacuate user" / "evacuate room" */
			snprintf(name, sizeof(name), "evacuate %.20s", b->argv[1]);
		json_object_set_new(counts, name, json_integer(json_integer_value(json_object_get(counts, name)) + 1));
		progress_tick(prog, i + 1);
	}
	progress_end(prog);
	prog = NULL;
	g_out_muted = 0;
	if (!dry && out_path) {
		if (write_passwords(out_path, slots, nrandom) < 0)
			goto out;
		wrote = 1;
	}
	c->batch_hs = NULL;
	if (db_batch_end(h->user, !dry) < 0)
		goto out;
	wrote = 0;
	if (g_json)
		out_json(json_pack("{s:i, s:O, s:b, s:s?}", "lines", nlines, "commands", counts, "dry_run", dry,
				   "passwords_out", !dry && out_path ? out_path : NULL));
	else {
		const char *k;
		json_t *v;
		json_object_foreach(counts, k, v)
			out_line("%-16s %lld", k, (long long)json_integer_value(v));
		out_line("%s %d line(s) in one transaction", dry ? "would run" : "ran", nlines);
		if (!dry && out_path)
			out_line("new passwords written to %s (mode 0600)", out_path);
	}
	c->dry_run = dry;
	dry_run_note(c);
	ret = EX_OK;
out:
	g_out_muted = 0;
	progress_end(prog);
	if (wrote)
		unlink(out_path); /* the commit failed: those passwords were never stored */
	if (h) {
		if (c->batch_hs) {
			c->batch_hs = NULL;
			db_batch_end(h->user, 0);
		}
		ctx_hs_done(c, h);
	}
	c->batch_line = 0;
	if (arena) {
		sodium_memzero(arena, arena_len);
		sodium_munlock(arena, arena_len);
		free(arena);
	}
	if (slots) {
		sodium_memzero(slots, sizeof(*slots) * (size_t)nrandom);
		free(slots);
	}
	for (int i = 0; i < nlines; i++) {
		for (int w = 0; w < lines[i].argc; w++)
			free(lines[i].argv[w]);
		free(lines[i].argv);
	}
	free(lines);
	free(buf);
	if (in && in != stdin)
		fclose(in);
	json_decref(counts);
	free(o.pos);
	return ret;
}
