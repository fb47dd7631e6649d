/* SPDX-License-Identifier: Apache-2.0 */
/* Option parsing, config loading and confirmation shared by all commands. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/hs.h"
#include "store/store.h"
#include <pwd.h>
#include <stdlib.h>

int command_words(const struct command *c, int argc, char **argv)
{
	const char *p = c->name;
	int used = 1;
	if (argc < 1 || strcmp(argv[0], c->group))
		return 0;
	while (p && *p) {
		size_t len = strcspn(p, " ");
		if (used >= argc || strlen(argv[used]) != len || strncmp(argv[used], p, len))
			return 0;
		used++;
		p += len + (p[len] == ' ');
	}
	return used;
}

const char *command_name(const struct command *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
	return buf;
}

static void usage_hint(struct ctx *c)
{
	char name[64];
	if (c->cmd)
		err_hint("see `mxdba %s --help`", command_name(c->cmd, name, sizeof(name)));
}

int opts_parse(struct ctx *c, int argc, char **argv, const struct optspec *spec, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int k, found = -1;
		size_t nlen;
		const char *eq;
		if (!strcmp(a, "--")) {
			while (++i < argc)
				o->pos[o->npos++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			o->pos[o->npos++] = argv[i];
			continue;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; spec && spec[k].name; k++)
			if (strlen(spec[k].name) == nlen && !strncmp(spec[k].name, a, nlen))
				found = k;
		if (found < 0) {
			err_set(EX_USAGE, "unknown option %.*s", (int)(nlen > 64 ? 64 : nlen), a);
			usage_hint(c);
			return -1;
		}
		if (!spec[found].has_arg) {
			if (eq) {
				err_set(EX_USAGE, "option %s takes no value", spec[found].name);
				usage_hint(c);
				return -1;
			}
			o->val[found] = "";
		} else if (eq) {
			o->val[found] = eq + 1;
		} else if (i + 1 < argc) {
			o->val[found] = argv[++i];
		} else {
			err_set(EX_USAGE, "option %s needs a value", spec[found].name);
			usage_hint(c);
			return -1;
		}
	}
	return 0;
}

const char *opt(const struct opts *o, const struct optspec *spec, const char *name)
{
	for (int k = 0; spec[k].name; k++)
		if (!strcmp(spec[k].name, name))
			return o->val[k];
	return NULL;
}

int ctx_config(struct ctx *c)
{
	if (c->cfg)
		return 0;
	c->cfg = config_load(c->config_path, hs_config_hooks());
	return c->cfg ? 0 : -1;
}

int ctx_needs(struct ctx *c, unsigned needs, const char *command)
{
	if (ctx_config(c) < 0)
		return -1;
	if (hs_profile_supports(c->cfg->profile, needs))
		return 0;
	err_set(EX_REFUSED, "%s is not available on %s", command, c->cfg->profile->display);
	return err_hint("`mxdba help %s` names the homeservers it works on", command);
}

struct hs *ctx_hs(struct ctx *c, enum hs_mode mode)
{
	if (ctx_config(c) < 0)
		return NULL;
	struct hs *h;
	if (c->batch_hs)
		return c->batch_hs;
	if ((h = hs_open(c->cfg, mode)))
		hs_set_while_running(h, c->while_running);
	return h;
}

void ctx_hs_done(struct ctx *c, struct hs *h)
{
	if (h && h != c->batch_hs)
		hs_close(h);
}

int confirm(struct ctx *c, const char *question)
{
	char answer[16] = "";
	ssize_t n;
	int fd;
	if (c->yes || c->dry_run)
		return 0;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err_set(EX_REFUSED, "confirmation needed: %s", question);
		return err_hint("there is no terminal to ask; add --yes to confirm");
	}
	if (dprintf(fd, "%s Continue? [y/N] ", question) < 0) {
		close(fd);
		return err_set(EX_REFUSED, "cannot ask for confirmation on the terminal");
	}
	n = read(fd, answer, sizeof(answer) - 1);
	close(fd);
	if (n > 0 && (answer[0] == 'y' || answer[0] == 'Y'))
		return 0;
	return err_set(EX_REFUSED, "cancelled: %s", question);
}

int pw_source(struct ctx *c, const struct opts *o, const struct optspec *spec, int allow_random,
	      enum pw_source *src, const char **file)
{
	int n = 0;
	*src = PW_PROMPT;
	*file = NULL;
	if (opt(o, spec, "--password-stdin")) {
		*src = PW_STDIN;
		n++;
	}
	if ((*file = opt(o, spec, "--password-file"))) {
		*src = PW_FILE;
		n++;
	}
	if (allow_random && opt(o, spec, "--random-password")) {
		*src = PW_RANDOM;
		n++;
	}
	if (allow_random && opt(o, spec, "--password-hash")) {
		*file = opt(o, spec, "--password-hash");
		*src = PW_HASH;
		n++;
		if (!hash_is_bcrypt(*file)) {
			err_set(EX_USAGE, "--password-hash is not a bcrypt hash %s can verify", hs_display(c->cfg));
			err_detail("expected $2a$, $2b$ or $2y$, a cost from 04 to 31 and 60 characters in all");
			return err_hint("a Synapse export works only without a pepper; make one with `mxdba hash`");
		}
	}
	if (n > 1) {
		err_set(EX_USAGE, "give only one of --password-stdin, --password-file%s",
			allow_random ? ", --random-password, --password-hash" : "");
		return -1;
	}
	return 0;
}

void dry_run_note(struct ctx *c)
{
	if (c->dry_run && !g_json)
		infox("dry run: rolled back, nothing was changed");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Delete the oldest backups (NAME-*.db) in DIR beyond KEEP. */
static void prune(const char *dir, const char *name, int keep)
{
	size_t len = strlen(name);
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int n = 0;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, name, len) && e->d_name[len] == '-' && strstr(e->d_name, ".db")) {
			names = xrealloc(names, sizeof(char *) * (size_t)(n + 1));
			names[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), cmp_str); /* names sort by time */
	for (int i = 0; i < n; i++) {
		if (i < n - keep) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			unlink(p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
}

int maybe_backup(struct ctx *c, struct hs *h, int bulk)
{
	char stamp[64], *dir, *path, *tmp;
	struct timespec ts;
	struct tm tm;
	if (c->backed_up || c->dry_run || c->no_backup || (!bulk && !c->backup))
		return 0;
	if (db_kind(hs_db(h)) == DB_POSTGRES) {
		char *line = hs_pg_dump_line(h);
		if (c->backup) {
			err_set(EX_USAGE, "--backup copies SQLite files; this database is PostgreSQL");
			err_hint("back it up first with: %s", line);
			free(line);
			return -1;
		}
		infox("no automatic backup on PostgreSQL; for one, run first: %s", line);
		free(line);
		return 0;
	}
	if (c->cfg->backup_dir)
		dir = xstrdup(c->cfg->backup_dir);
	else {
		tmp = xstrdup(db_path(hs_db(h)));
		dir = xasprintf("%s/mxdba-backups", dirname(tmp));
		free(tmp);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(EX_DB, "cannot create backup folder %s: %s", dir, strerror(errno));
		err_hint("set [safety] backup_dir, or give --no-backup to go on without a backup");
		free(dir);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	path = xasprintf("%s/%s-%s.%03ldZ.db", dir, hs_backup_name(h), stamp, ts.tv_nsec / 1000000);
	if (db_backup(hs_db(h), path) < 0) {
		unlink(path);
		err_hint("free space or set [safety] backup_dir; --no-backup goes on without one");
		free(path);
		free(dir);
		return -1;
	}
	chmod(path, 0600);
	infox("backed up %s to %s", hs_db_label(h), path);
	prune(dir, hs_backup_name(h), c->cfg->backup_keep);
	c->backed_up = 1;
	free(path);
	free(dir);
	return 0;
}

int write_begin(struct ctx *c, struct hs *h)
{
	int applied;
	(void)os_user_name(); /* the passwd lookup before the lock, not while holding it */
	if (maybe_backup(c, h, 0) < 0)
		return -1;
	if (db_begin(hs_db(h), 1) < 0)
		return -1;
	/* announced by write_end, once the transaction's fate is known: a refused command applies none */
	if (migrate_apply_in_tx(hs_db(h), 0, c->dry_run, &applied) < 0) {
		db_rollback(hs_db(h));
		return -1;
	}
	c->migrations_applied += applied;
	return 0;
}

void migrations_note(struct ctx *c, struct hs *h)
{
	if (c->migrations_applied)
		infox("%s mxdba's own migration(s) (%d) in %s", c->dry_run ? "would apply" : "applied",
		      c->migrations_applied, db_label(hs_db(h)));
	c->migrations_applied = 0;
}

int write_end(struct ctx *c, struct hs *h)
{
	int batch = db_batch_active(hs_db(h)), rc = c->dry_run ? db_rollback(hs_db(h)) : db_commit(hs_db(h));
	if (rc == 0 && !batch) { /* a batch does both once it commits (end_batch) */
		migrations_note(c, h);
		if (!c->dry_run)
			rc = hs_after_commit(h);
	}
	return rc;
}

int cmd_finish(struct ctx *c, struct hs *h, struct opts *o, int ret)
{
	if (h && hs_db(h))
		db_rollback(hs_db(h)); /* nothing open after a commit: a no-op */
	ctx_hs_done(c, h);
	if (o) {
		free(o->pos);
		o->pos = NULL;
	}
	return ret;
}

const char *os_user_name(void)
{
	static char name[64];
	if (!name[0]) {
		struct passwd *pw = getpwuid(getuid());
		snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "?");
	}
	return name;
}

int audit_write(struct ctx *c, struct hs *h, const char *target, const char *field, const char *old,
		const char *new_value)
{
	if (c->dry_run)
		return 0; /* rolled back anyway; and a PostgreSQL sequence would advance */
	return audit_insert(hs_db(h), now_ms(), os_user_name(), c->cmdline ? c->cmdline : "?", target, field, old,
			    new_value);
}

char *cmdline_join(int argc, char **argv)
{
	size_t cap = 64, len = 0;
	char *out = xmalloc(cap);
	out[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		char *clean;
		size_t n;
		if (i > 0 && !strcmp(argv[i - 1], "--password-hash"))
			w = "****"; /* not a password, but a secret all the same */
		clean = xstrdup(w);
		for (char *p = clean; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		n = strlen(clean) + 3;
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = xrealloc(out, cap);
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", clean);
		free(clean);
		if (len > 4000)
			break; /* the audit log records what was done, not megabytes of it */
	}
	return out;
}

void listing_end(struct listing *l, int ok, const char *what)
{
	table_end_count(l->t, ok, l->n, what);
	jw_free(&l->jw);
}

json_t *ratelimit_json(const struct hs_ratelimit *rl)
{
	if (!rl->set)
		return json_null();
	return json_pack("{s:I, s:I}", "messages_per_second", (json_int_t)rl->per_second, "burst_count",
			 (json_int_t)rl->burst);
}
