/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba batch [FILE|-]`: many mxdba commands, one per line, in one
 * transaction on one connection. All or nothing: the first failing line is
 * named and everything is rolled back. Three steps: read (every line
 * checked before the database is touched), assign passwords
 * (--random-password lines get a password hashed up front on every core,
 * written to the 0600 --passwords-out file; passwords are never read
 * here), run. Runs of plain `user promote` and `user create` lines go
 * through the profile's fast paths (src/hs/hs.h) with the commands' own
 * checks and audit rows. */
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
#include "store/store.h"

#define MAX_LINE 65536
#define BULK_LINES 1000

struct bline {
	int lineno;
	int argc;
	char **argv;
	const struct command *cmd;
	int used;    /* words taken by the command name */
	int random;  /* index of the password slot, or -1 */
	int no_bulk; /* run through the command itself, not many at a time */
};

struct secret_slot {
	char user[2 * MXID_MAX + 4];
	char *pw; /* inside the locked arena */
	char hash[HASH_MAX];
};

struct batch {
	struct ctx *c;
	const char *path, *out_path;
	struct bline *lines;
	int nlines, nrandom;
	struct secret_slot *slots;
	char *arena;
	size_t arena_len;
	struct hs *h;
	json_t *counts;
	struct progress *prog;
};

/* group and sub-command (NULL: a one-word command) */
static const char *const batchable[][2] = {
	{ "user", "create" }, { "user", "promote" },  { "user", "demote" }, { "user", "passwd" },
	{ "user", "deactivate" }, { "user", "reactivate" }, { "user", "lock" }, { "user", "unlock" },
	{ "user", "shadow-ban" }, { "user", "unshadow-ban" }, { "user", "ratelimit set" }, { "user", "ratelimit clear" },
	{ "user", "3pid add" }, { "user", "3pid remove" },
	{ "evacuate", NULL }, { "notice", NULL }, { "queue", "cancel" }, { "audit", "undo" },
};

static const struct command *lookup(int argc, char **argv, int *used)
{
	for (const struct command *c = commands; c->group; c++) {
		int words = command_words(c, argc, argv);
		if (!words)
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

/* The audit row's command for line L of the batch file PATH (malloc'd). */
static char *line_command(const char *path, const struct bline *l)
{
	char *words = cmdline_join(l->argc, l->argv), *cmd = xasprintf("batch %s:%d: %s", path, l->lineno, words);
	free(words);
	return cmd;
}

static void count(struct batch *b, const char *name, int n)
{
	json_object_set_new(b->counts, name, json_integer(json_integer_value(json_object_get(b->counts, name)) + n));
}

/* ---- read ---- */

/* Check one line's words and note a --random-password. -1 + error. */
static int prepare(struct batch *b, struct bline *l)
{
	l->random = -1;
	if (!(l->cmd = lookup(l->argc, l->argv, &l->used))) {
		err_set(EX_USAGE, "\"%.40s%s%.40s\" cannot be used in a batch", l->argv[0], l->argc > 1 ? " " : "",
			l->argc > 1 ? l->argv[1] : "");
		return err_hint("a batch takes: user create|promote|demote|passwd|deactivate|reactivate|lock|unlock|shadow-ban|"
				"unshadow-ban, user ratelimit set|clear, user 3pid add|remove, evacuate, notice, queue cancel, "
				"audit undo");
	}
	for (int i = l->used; i < l->argc; i++) {
		if (is_global_option(l->argv[i])) {
			err_set(EX_USAGE, "global option %s inside a batch line", l->argv[i]);
			return err_hint("put global options (-c, --dry-run, --json, --csv, --yes, …) on the `mxdba batch` command line");
		}
		if (!strcmp(l->argv[i], "--password-stdin") || !strcmp(l->argv[i], "--password-file")) {
			err_set(EX_USAGE, "%s cannot be used in a batch: passwords are never read there", l->argv[i]);
			return err_hint("use --random-password (with --passwords-out FILE) or --password-hash HASH");
		}
		if (!strcmp(l->argv[i], "--random-password")) {
			if (!b->out_path) {
				err_set(EX_USAGE, "--random-password in a batch needs --passwords-out FILE");
				return err_hint("mxdba batch --passwords-out new-passwords.csv FILE");
			}
			l->random = b->nrandom++;
		}
	}
	return 0;
}

/* One line of the file (LEN bytes in BUF): its words kept as a new line. 0 or -1 + error. */
static int read_line(struct batch *b, char *buf, ssize_t len, int lineno)
{
	char *tok[MAX_TOKENS];
	struct bline *l;
	int n;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if ((size_t)len != strlen(buf))
		return err_set(EX_USAGE, "the line contains a NUL byte");
	if (len > MAX_LINE)
		return err_set(EX_USAGE, "the line is longer than %d bytes", MAX_LINE);
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	if (!text_is_clean(buf))
		return err_set(EX_USAGE, "the line has control characters or invalid UTF-8");
	if (split_words(buf, tok, MAX_TOKENS, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	b->lines = xrealloc(b->lines, sizeof(*b->lines) * (size_t)(b->nlines + 1));
	l = &b->lines[b->nlines++];
	memset(l, 0, sizeof(*l));
	l->lineno = lineno;
	l->argc = n;
	l->argv = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		l->argv[i] = xstrdup(tok[i]);
	return prepare(b, l);
}

/* Every line of IN, checked before the database is touched. */
static int read_lines(struct batch *b, FILE *in)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;
	while (rc == 0 && (len = getline(&buf, &cap, in)) >= 0)
		if ((rc = read_line(b, buf, len, ++lineno)) < 0)
			err_prefix("%s:%d: ", b->path, lineno);
	free(buf);
	if (rc < 0)
		return -1;
	if (ferror(in))
		return err_set(EX_USAGE, "cannot read batch file %s", b->path);
	if (b->nlines == 0)
		return err_set(EX_USAGE, "the batch %s has no commands", b->path);
	return 0;
}

/* ---- assign passwords ---- */

/* The account line L names, for the password file. */
static void slot_user(struct batch *b, const struct bline *l, struct secret_slot *s)
{
	int upos = l->used + (l->argc > l->used && !strcmp(l->argv[0], "evacuate") ? 1 : 0);
	struct mxid id;
	for (int w = upos; w < l->argc; w++)
		if (l->argv[w][0] != '-') {
			if (mxid_parse(l->argv[w], b->c->cfg->server_name, &id) == 0)
				str_copy(s->user, sizeof(s->user), id.full);
			err_clear();
			return;
		}
}

/* Random passwords for every slot, hashed on every core. */
static int hash_slots(struct batch *b)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	char **pw = xcalloc((size_t)b->nrandom, sizeof(char *));
	char(*out)[HASH_MAX] = xcalloc((size_t)b->nrandom, HASH_MAX);
	struct pw_scheme s;
	int rc;
	for (int i = 0; i < b->nrandom; i++) {
		for (int k = 0; k < 24; k++)
			b->slots[i].pw[k] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
		b->slots[i].pw[24] = '\0';
		pw[i] = b->slots[i].pw;
	}
	hs_password_scheme(b->c->cfg, &s);
	rc = pw_hash_parallel(&s, pw, out, b->nrandom, "hashing");
	for (int i = 0; i < b->nrandom; i++)
		memcpy(b->slots[i].hash, out[i], HASH_MAX);
	sodium_memzero(out, (size_t)b->nrandom * HASH_MAX);
	free(pw);
	free(out);
	return rc;
}

/* --random-password becomes --password-hash HASH on line L. */
static void use_hash(struct bline *l, const char *hash)
{
	for (int w = 0; w < l->argc; w++)
		if (!strcmp(l->argv[w], "--random-password")) {
			char **v = xrealloc(l->argv, sizeof(char *) * (size_t)(l->argc + 2));
			memmove(v + w + 2, v + w + 1, sizeof(char *) * (size_t)(l->argc - w));
			free(v[w]);
			v[w] = xstrdup("--password-hash");
			v[w + 1] = xstrdup(hash);
			l->argv = v;
			l->argc++;
			return;
		}
}

static int assign_passwords(struct batch *b)
{
	if (!b->nrandom)
		return 0;
	b->slots = xcalloc((size_t)b->nrandom, sizeof(*b->slots));
	b->arena_len = (size_t)b->nrandom * 32;
	b->arena = xmalloc(b->arena_len);
	sodium_mlock(b->arena, b->arena_len);
	for (int i = 0; i < b->nlines; i++) {
		int k = b->lines[i].random;
		if (k < 0)
			continue;
		b->slots[k].pw = b->arena + (size_t)k * 32;
		slot_user(b, &b->lines[i], &b->slots[k]);
	}
	if (hash_slots(b) < 0)
		return -1;
	for (int i = 0; i < b->nlines; i++)
		if (b->lines[i].random >= 0)
			use_hash(&b->lines[i], b->slots[b->lines[i].random].hash);
	return 0;
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

/* ---- run: audit rows of the fast paths ---- */

/* Audit rows of many changes: on SQLite one cached INSERT each (no round
 * trips to save), on PostgreSQL one INSERT for all of them. */
struct audit_sink {
	struct batch *b;
	const char *field;
	int each;       /* write each row at once */
	json_t *rows;   /* [target, command, old, new] */
	int line;       /* the line whose command CMD is */
	char *cmd;
};

static int sink_add(struct audit_sink *s, int line, const char *target, const char *old_value, const char *new_value)
{
	struct ctx *c = s->b->c;
	if (s->line != line || !s->cmd) {
		free(s->cmd);
		s->cmd = line_command(s->b->path, &s->b->lines[line]);
		s->line = line;
	}
	if (c->dry_run)
		return 0;
	if (s->each)
		return audit_insert(hs_db(s->b->h), now_ms(), os_user_name(), s->cmd, target, s->field, old_value,
				    new_value);
	json_array_append_new(s->rows, json_pack("[s, s, s?, s]", target, s->cmd, old_value, new_value));
	return 0;
}

static int sink_flush(struct audit_sink *s)
{
	long long n = 0;
	char *text;
	int rc = 0;
	free(s->cmd);
	s->cmd = NULL;
	if (json_array_size(s->rows)) {
		text = json_dumps(s->rows, JSON_COMPACT);
		rc = text ? audit_insert_many(hs_db(s->b->h), now_ms(), os_user_name(), text, s->field, &n) : -1;
		free(text);
		if (rc == 0 && n != (long long)json_array_size(s->rows))
			rc = err_set(EX_DB, "writing the audit rows changed %lld rows, expected %zu", n,
				     json_array_size(s->rows));
	}
	json_decref(s->rows);
	s->rows = NULL;
	return rc;
}

/* ---- run: plain `user promote` lines, many at a time ---- */

static int bulk_promotable(const struct bline *l)
{
	if (l->no_bulk || l->argc < 3 || strcmp(l->argv[0], "user") || strcmp(l->argv[1], "promote"))
		return 0;
	for (int i = 2; i < l->argc; i++)
		if (l->argv[i][0] == '-')
			return 0;
	return 1;
}

struct promote_run {
	struct audit_sink sink;
	int *line_of; /* the line of each ID */
};

/* The check `user promote` makes (the same function). */
static int promote_check(struct hs *h, const struct mxid *id, const struct hs_account *a, void *user)
{
	(void)user;
	if (!a) {
		hs_err_not_found(h, id);
		return err_detail("nothing was changed (all users of one command are changed together or not at all)");
	}
	return admin_change_check(h, a, 1);
}

static int promote_changed(int i, const char *user_id, void *user)
{
	struct promote_run *r = user;
	return sink_add(&r->sink, r->line_of[i], user_id, "0", "1");
}

/* The IDs of lines FROM..TO, parsed; *LINE_OF their lines. -1 + error (*AT the line). */
static struct mxid *promote_ids(struct batch *b, int from, int to, int *n, int **line_of, int *at)
{
	struct mxid *ids;
	int k = 0;
	*n = 0;
	for (int i = from; i < to; i++)
		*n += b->lines[i].argc - 2;
	ids = xcalloc((size_t)*n, sizeof(*ids));
	*line_of = xcalloc((size_t)*n, sizeof(int));
	for (*at = from; *at < to; (*at)++)
		for (int w = 2; w < b->lines[*at].argc; w++, k++) {
			(*line_of)[k] = *at;
			if (mxid_parse(b->lines[*at].argv[w], b->c->cfg->server_name, &ids[k]) < 0)
				return ids;
		}
	*at = -1;
	return ids;
}

/* Lines FROM..TO through the profile's fast path: 1 done, 0 the profile has
 * none, -1 + error (named by line). */
static int promote_lines(struct batch *b, int from, int to)
{
	struct promote_run r = { { b, "admin", db_kind(hs_db(b->h)) == DB_SQLITE, json_array(), -1, NULL }, NULL };
	struct hs_bulk_admin bulk = { NULL, 0, 1, promote_check, promote_changed, &r, -1 };
	int at, rc = -1;
	struct mxid *ids = promote_ids(b, from, to, &bulk.n, &r.line_of, &at);
	bulk.ids = ids;
	if (at < 0 && hs_check_cached_write(b->h, "admin") == 0 && write_begin(b->c, b->h) == 0) {
		rc = hs_bulk_set_admin(b->h, &bulk);
		if (rc >= 0 && ((rc > 0 && sink_flush(&r.sink) < 0) || write_end(b->c, b->h) < 0))
			rc = -1;
		at = rc < 0 && bulk.failed >= 0 ? r.line_of[bulk.failed] : -1;
	}
	if (rc < 0 && at >= 0)
		err_prefix("%s:%d: ", b->path, b->lines[at].lineno);
	if (r.sink.rows)
		sink_flush(&r.sink);
	free(ids);
	free(r.line_of);
	return rc;
}

/* ---- run: plain `user create` lines, many at a time ----
 * A create line is taken here only when every check that needs no database
 * passes and its localpart is free; the first line that is not so ends the
 * run and goes through `user create` itself, which gives its exact error
 * (the batch is then rolled back) or runs it. So the fast path never has to
 * reproduce an error message, only to be conservative. */

/* The account of a create line, if it has only --admin, --display-name N,
 * --password-hash H or --no-password, and passes the checks `user create`
 * makes before it looks at the database. */
static int parse_create(struct batch *b, const struct bline *l, struct hs_new_account *a)
{
	const char *user = NULL;
	int nopw = 0;
	memset(a, 0, sizeof(*a));
	if (l->no_bulk || l->argc < 3 || strcmp(l->argv[0], "user") || strcmp(l->argv[1], "create"))
		return 0;
	for (int i = 2; i < l->argc; i++) {
		const char *w = l->argv[i];
		if (!strcmp(w, "--admin"))
			a->admin = 1;
		else if (!strcmp(w, "--no-password"))
			nopw = 1;
		else if ((!strcmp(w, "--display-name") || !strcmp(w, "--password-hash")) && i + 1 < l->argc) {
			const char **dst = w[2] == 'd' ? &a->display_name : &a->password_hash;
			if (*dst)
				return 0;
			*dst = l->argv[++i];
		} else if (w[0] != '-' && !user)
			user = w;
		else
			return 0;
	}
	if (!user || nopw == (a->password_hash != NULL))
		return 0; /* no user, or not exactly one of --password-hash / --no-password */
	if ((a->password_hash && !hash_is_bcrypt(a->password_hash)) ||
	    (a->display_name && (!text_is_clean(a->display_name) || strlen(a->display_name) > 256)))
		return 0;
	if (mxid_parse(user, b->c->cfg->server_name, &a->id) < 0 || hs_check_new_localpart(b->c->cfg, &a->id) < 0 ||
	    hs_check_reserved(b->h, a->id.localpart, a->id.full, "create") < 0) {
		err_clear();
		return 0;
	}
	if (!a->password_hash)
		a->password_hash = "";
	return 1;
}

/* Of the N lines parsed into A, how many may be created now: up to the
 * first whose localpart is taken or named earlier in the run. */
static int free_prefix(struct batch *b, struct hs_new_account *a, int n)
{
	struct mxid *ids = xcalloc((size_t)n, sizeof(*ids));
	char *taken = xcalloc((size_t)n, 1);
	json_t *named = json_object();
	int rc, k = 0;
	for (int i = 0; i < n; i++)
		ids[i] = a[i].id;
	rc = hs_bulk_taken(b->h, ids, n, taken);
	for (; rc > 0 && k < n && !taken[k] && !json_object_get(named, a[k].id.localpart); k++)
		json_object_set_new(named, a[k].id.localpart, json_true());
	json_decref(named);
	free(ids);
	free(taken);
	return rc < 0 ? -1 : rc == 0 ? 0 : k;
}

/* Lines from FROM on: how many were created here (0: let `user create`
 * run line FROM). -1 + error on a database failure. */
static int create_lines(struct batch *b, int from)
{
	struct hs_new_account *a = xcalloc(BULK_LINES, sizeof(*a));
	struct audit_sink sink = { b, "account", 0, json_array(), -1, NULL };
	int n = 0, ret = -1;
	while (from + n < b->nlines && n < BULK_LINES && parse_create(b, &b->lines[from + n], &a[n]))
		n++;
	if (n && (n = free_prefix(b, a, n)) < 0)
		goto out;
	ret = 0;
	if (n == 0)
		goto out;
	for (int i = 0; i < n; i++)
		sink_add(&sink, from + i, a[i].id.full, NULL, a[i].admin ? "created (admin)" : "created (user)");
	ret = -1;
	if (write_begin(b->c, b->h) < 0 || hs_bulk_create(b->h, a, n) <= 0 || sink_flush(&sink) < 0 ||
	    write_end(b->c, b->h) < 0) {
		if (!err_pending())
			err_set(EX_FAIL, "internal: the profile has no fast path for create");
		err_prefix("%s:%d-%d: ", b->path, b->lines[from].lineno, b->lines[from + n - 1].lineno);
		goto out;
	}
	ret = n;
out:
	if (sink.rows)
		sink_flush(&sink);
	free(a);
	return ret;
}

/* ---- run ---- */

/* Line I through its own command. */
static int run_line(struct batch *b, int i)
{
	struct ctx *c = b->c;
	struct bline *l = &b->lines[i];
	char *saved = c->cmdline, name[64];
	int rc;
	c->batch_line = l->lineno;
	c->cmd = l->cmd;
	c->cmdline = line_command(b->path, l);
	rc = l->cmd->fn(c, l->argc - l->used, l->argv + l->used);
	free(c->cmdline);
	c->cmdline = saved;
	if (rc < 0 || rc != EX_OK || err_pending() || db_batch_failed(hs_db(b->h))) {
		if (!err_pending())
			err_set(EX_FAIL, "the command failed");
		err_prefix("%s:%d: ", b->path, l->lineno);
		return -1;
	}
	command_name(l->cmd, name, sizeof(name));
	if (!strcmp(l->argv[0], "evacuate")) /* counted as "evacuate user" / "evacuate room" */
		snprintf(name, sizeof(name), "evacuate %.20s", l->argv[1]);
	count(b, name, 1);
	return 0;
}

/* Line I, or a run of lines from I through a fast path: how many lines were done, or -1. */
static int run_from(struct batch *b, int i)
{
	int j = i, done;
	if (bulk_promotable(&b->lines[i])) {
		while (j < b->nlines && j - i < BULK_LINES && bulk_promotable(&b->lines[j]))
			j++;
		if ((done = promote_lines(b, i, j)) < 0)
			return -1;
		if (done > 0) {
			count(b, "user promote", j - i);
			return j - i;
		}
		for (int k = i; k < j; k++)
			b->lines[k].no_bulk = 1;
	}
	if ((done = create_lines(b, i)) != 0) {
		if (done > 0)
			count(b, "user create", done);
		return done;
	}
	b->lines[i].no_bulk = 1;
	return run_line(b, i) < 0 ? -1 : 1;
}

static int run_all(struct batch *b)
{
	struct ctx *c = b->c;
	b->prog = progress_start("batch", b->nlines);
	for (int i = 0; i < b->nlines;) {
		int done = run_from(b, i);
		if (done < 0) {
			err_detail_more("nothing was changed: the whole batch was rolled back");
			return -1;
		}
		i += done;
		progress_tick(b->prog, i);
	}
	progress_end(b->prog);
	b->prog = NULL;
	(void)c;
	return 0;
}

/* Open the one connection and the one transaction; asked once here
 * (committed state), not on each of 100,000 lines. */
static int begin_batch(struct batch *b, int dry)
{
	struct ctx *c = b->c;
	if (!(b->h = ctx_hs(c, HS_WRITE_BULK)))
		return -1;
	c->dry_run = dry;
	if (maybe_backup(c, b->h, 1) < 0 || migrate_pending(hs_db(b->h)) < 0 || db_batch_begin(hs_db(b->h)) < 0)
		return -1;
	c->backed_up = 1; /* once, before the batch: not again for each line */
	c->batch_hs = b->h;
	c->dry_run = 0;   /* the batch decides: commit or roll back at the end */
	if (dry)
		c->yes = 1;
	g_out_muted = 1;
	return 0;
}

/* Commit (the password file first: it is removed again if the commit fails). */
static int end_batch(struct batch *b, int dry)
{
	int wrote = 0;
	g_out_muted = 0;
	if (!dry && b->out_path) {
		if (write_passwords(b->out_path, b->slots, b->nrandom) < 0)
			return -1;
		wrote = 1;
	}
	b->c->batch_hs = NULL;
	if (db_batch_end(hs_db(b->h), !dry) < 0) {
		if (wrote)
			unlink(b->out_path); /* the commit failed: those passwords were never stored */
		return -1;
	}
	migrations_note(b->c, b->h);
	return dry ? 0 : hs_after_commit(b->h);
}

static void report(struct batch *b, int dry)
{
	const char *k;
	json_t *v;
	if (g_json) {
		out_json(json_pack("{s:i, s:O, s:b, s:s?}", "lines", b->nlines, "commands", b->counts, "dry_run", dry,
				   "passwords_out", !dry && b->out_path ? b->out_path : NULL));
		return;
	}
	json_object_foreach(b->counts, k, v)
		out_line("%-16s %lld", k, (long long)json_integer_value(v));
	out_line("%s %d line(s) in one transaction", dry ? "would run" : "ran", b->nlines);
	if (!dry && b->out_path)
		out_line("new passwords written to %s (mode 0600)", b->out_path);
}

static void batch_free(struct batch *b)
{
	struct ctx *c = b->c;
	g_out_muted = 0;
	progress_end(b->prog);
	if (b->h && c->batch_hs) {
		c->batch_hs = NULL;
		db_batch_end(hs_db(b->h), 0);
	}
	ctx_hs_done(c, b->h);
	c->batch_line = 0;
	if (b->arena) {
		sodium_memzero(b->arena, b->arena_len);
		sodium_munlock(b->arena, b->arena_len);
		free(b->arena);
	}
	if (b->slots) {
		sodium_memzero(b->slots, sizeof(*b->slots) * (size_t)b->nrandom);
		free(b->slots);
	}
	for (int i = 0; i < b->nlines; i++) {
		for (int w = 0; w < b->lines[i].argc; w++)
			free(b->lines[i].argv[w]);
		free(b->lines[i].argv);
	}
	free(b->lines);
	json_decref(b->counts);
}

static const struct optspec batch_opts[] = { { "--passwords-out", 1 }, { 0, 0 } };

int cmd_batch(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct batch b;
	FILE *in = NULL;
	int ret = -1, dry = c->dry_run;

	memset(&b, 0, sizeof(b));
	b.c = c;
	b.counts = json_object();
	if (opts_parse(c, argc, argv, batch_opts, &o) < 0)
		goto out;
	if (o.npos > 1) {
		err_set(EX_USAGE, "batch takes one FILE (or - for standard input)");
		goto out;
	}
	b.out_path = opt(&o, batch_opts, "--passwords-out");
	b.path = o.npos ? o.pos[0] : "-";
	if (!(in = strcmp(b.path, "-") ? fopen(b.path, "r") : stdin)) {
		err_set(EX_USAGE, "cannot read batch file %s: %s", b.path, strerror(errno));
		goto out;
	}
	if (ctx_config(c) < 0 || read_lines(&b, in) < 0 || assign_passwords(&b) < 0 || begin_batch(&b, dry) < 0 ||
	    run_all(&b) < 0 || end_batch(&b, dry) < 0)
		goto out;
	report(&b, dry);
	c->dry_run = dry;
	dry_run_note(c);
	ret = EX_OK;
out:
	c->dry_run = dry;
	if (in && in != stdin)
		fclose(in);
	batch_free(&b);
	b.h = NULL;
	return cmd_finish(c, NULL, &o, ret);
}
