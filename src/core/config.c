/* SPDX-License-Identifier: Apache-2.0 */
/* INI config reader. Unknown sections and keys are errors (a typo must not
 * silently fall back to a default that points at the wrong database). The
 * file is read whole first, then its keys are checked in line order, so the
 * homeserver profile named by [homeserver] type checks its own keys wherever
 * type stands; the first error by line is the one reported. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "util.h"

#define MAX_KEYS 64

struct entry {
	char section[64], name[96];
	char *value;
	int line;
};

struct parse_ctx {
	struct config *c;
	const struct config_hooks *hooks;
	const char *path;
	FILE *f;
	int line;
	int err_line; /* the first error found (0: none) and its message */
	char err[512];
	struct entry keys[MAX_KEYS];
	int nkeys;
	int has_password; /* a [database] value carries a password */
};

static void ctx_error(struct parse_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctx_error(struct parse_ctx *x, const char *fmt, ...)
{
	va_list ap;
	if (x->err_line)
		return; /* keep the first */
	x->err_line = x->line;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
}

static int known_section(const char *name)
{
	static const char *const known[] = { "homeserver", "database", "passwords", "server", "safety" };
	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (!strcmp(name, known[i]))
			return 1;
	return 0;
}

/* Section headers are checked here: inih does not report empty sections. */
static void check_section(struct parse_ctx *x, const char *line)
{
	const char *p = line + strspn(line, " \t"), *end;
	char name[64];
	size_t n;
	if (*p != '[' || !(end = strchr(p, ']')))
		return;
	n = (size_t)(end - p - 1);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	if (!known_section(name))
		ctx_error(x, "unknown section [%s] (known: [homeserver], [database], [passwords], [server], [safety])",
			  name);
}

/* ini reader: one line per call, so x->line is the line being handled. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;
	size_t len;
	if (!fgets(str, num, x->f))
		return NULL;
	x->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(x->f)) {
		int ch;
		ctx_error(x, "line is longer than %d bytes", num - 3);
		while ((ch = fgetc(x->f)) != EOF && ch != '\n')
			;
		str[0] = '\0';
		return str;
	}
	if (memchr(str, '\0', len) != NULL && strlen(str) != len)
		ctx_error(x, "line contains a NUL byte");
	check_section(x, str);
	return str;
}

/* inih handler: the line's form is checked, the key kept for later. */
static int collect(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *x = user;
	struct entry *e;
	for (int i = 0; i < x->nkeys; i++)
		if (!strcmp(x->keys[i].section, section) && !strcmp(x->keys[i].name, name)) {
			ctx_error(x, "key %s in [%s] is set twice (first on line %d)", name, section, x->keys[i].line);
			return 0;
		}
	if (!*section) {
		ctx_error(x, "key %s is outside any section", name);
		return 0;
	}
	if (!text_is_clean(value)) {
		ctx_error(x, "value of %s contains control characters or invalid UTF-8", name);
		return 0;
	}
	if (!*value) {
		ctx_error(x, "key %s in [%s] has an empty value", name, section);
		return 0;
	}
	if (x->nkeys >= MAX_KEYS) {
		ctx_error(x, "more than %d keys", MAX_KEYS);
		return 0;
	}
	e = &x->keys[x->nkeys++];
	str_copy(e->section, sizeof(e->section), section);
	str_copy(e->name, sizeof(e->name), name);
	e->value = xstrdup(value);
	e->line = x->line;
	return 1;
}

static int valid_server_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(".-:[]", *s)))
			return 0;
	return 1;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

char *config_path_of(const struct config *c, const char *value)
{
	return value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", c->dir, value);
}

/* A key the profile owns: ask it; an unknown key names the known ones. */
static int profile_key(struct parse_ctx *x, const struct entry *e)
{
	struct config *c = x->c;
	char msg[400] = "";
	int rc;
	if (!c->profile)
		return 1; /* no valid type: that is the error reported */
	rc = x->hooks->key(c, e->section, e->name, e->value, msg, sizeof(msg));
	if (rc < 0)
		ctx_error(x, "%s", msg);
	else if (rc == 0 && !strcmp(e->section, "homeserver"))
		ctx_error(x, "unknown key %s in [homeserver] (known: type, server_name, base_dir, %s)", e->name,
			  x->hooks->keys(c->profile, "homeserver"));
	else if (rc == 0)
		ctx_error(x, "unknown key %s in [%s] (known: %s)", e->name, e->section,
			  x->hooks->keys(c->profile, e->section));
	return rc > 0;
}

static int homeserver_key(struct parse_ctx *x, const struct entry *e)
{
	struct config *c = x->c;
	const char *name = e->name, *value = e->value;
	if (!strcmp(name, "type")) {
		if (!c->profile) {
			ctx_error(x, "homeserver type \"%s\" is not supported (supported: %s)", value, x->hooks->types());
			return 0;
		}
		set_str(&c->hs_type, value);
	} else if (!strcmp(name, "server_name")) {
		if (!valid_server_name(value)) {
			ctx_error(x, "server_name \"%s\" is not a valid server name (letters, digits, . - : [ ])", value);
			return 0;
		}
		set_str(&c->server_name, value);
	} else if (!strcmp(name, "base_dir")) {
		free(c->base_dir);
		c->base_dir = config_path_of(c, value);
	} else
		return profile_key(x, e);
	return 1;
}

static int passwords_key(struct parse_ctx *x, const struct entry *e)
{
	long v;
	if (strcmp(e->name, "bcrypt_cost")) {
		ctx_error(x, "unknown key %s in [passwords] (known: bcrypt_cost)", e->name);
		return 0;
	}
	if (parse_int(e->value, 4, 31, &v) < 0) {
		ctx_error(x, "bcrypt_cost \"%s\" is not a whole number from 4 to 31", e->value);
		return 0;
	}
	x->c->bcrypt_cost = (int)v;
	x->c->bcrypt_cost_set = 1;
	return 1;
}

static int safety_key(struct parse_ctx *x, const struct entry *e)
{
	long v;
	if (!strcmp(e->name, "backup_dir")) {
		free(x->c->backup_dir);
		x->c->backup_dir = config_path_of(x->c, e->value);
	} else if (!strcmp(e->name, "backup_keep")) {
		if (parse_int(e->value, 1, 1000, &v) < 0) {
			ctx_error(x, "backup_keep \"%s\" is not a whole number from 1 to 1000", e->value);
			return 0;
		}
		x->c->backup_keep = (int)v;
	} else {
		ctx_error(x, "unknown key %s in [safety] (known: backup_dir, backup_keep)", e->name);
		return 0;
	}
	return 1;
}

static int server_key(struct parse_ctx *x, const struct entry *e)
{
	const char *value = e->value;
	if (!strcmp(e->name, "admin_user")) {
		if (value[0] != '@' || !strchr(value, ':')) {
			ctx_error(x, "admin_user \"%s\" must be a full user ID like @root:example.org", value);
			return 0;
		}
		set_str(&x->c->notice_admin, value);
		return 1;
	}
	if (strcmp(e->name, "url")) {
		ctx_error(x, "unknown key %s in [server] (known: url, admin_user)", e->name);
		return 0;
	}
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
		ctx_error(x, "server url \"%s\" must start with http:// or https://", value);
		return 0;
	}
	set_str(&x->c->server_url, value);
	return 1;
}

/* Check and apply one key (its line made current, for errors). 1 ok, 0 error. */
static int apply_key(struct parse_ctx *x, const struct entry *e)
{
	x->line = e->line;
	if (!strcmp(e->section, "homeserver"))
		return homeserver_key(x, e);
	if (!strcmp(e->section, "database")) {
		x->has_password |= dsn_has_password(e->value);
		return profile_key(x, e);
	}
	if (!strcmp(e->section, "passwords"))
		return passwords_key(x, e);
	if (!strcmp(e->section, "safety"))
		return safety_key(x, e);
	if (!strcmp(e->section, "server"))
		return server_key(x, e);
	ctx_error(x, "unknown section [%s]", e->section); /* already reported by the reader */
	return 0;
}

/* Read PATH into X: its keys in X->keys, the first error of form in X->err. */
static int read_file(struct parse_ctx *x, const char *path, struct stat *st)
{
	int rc;
	x->path = path;
	if (!(x->f = fopen(path, "r"))) {
		err_set(EX_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
		return err_hint("pass an existing file with -c FILE, or create mxdba.ini (see README)");
	}
	if (fstat(fileno(x->f), st) == 0 && !S_ISREG(st->st_mode)) {
		fclose(x->f);
		return err_set(EX_CONFIG, "config file %s is not a regular file", path);
	}
	ini_use_stack = 0;
	ini_max_line = 4096;
	ini_allow_multiline = 0;
	ini_allow_no_value = 0;
	ini_stop_on_first_error = 1;
	rc = ini_parse_stream(reader, x, collect, x);
	fclose(x->f);
	if (rc < 0)
		return err_set(EX_CONFIG, "%s: cannot parse the config (out of memory or unreadable)", path);
	if (rc > 0 && !x->err_line) {
		x->err_line = rc;
		snprintf(x->err, sizeof(x->err), "syntax error (expected [section] or key = value)");
	}
	return 0;
}

/* Every key in line order, stopping at the first error; an error of form
 * found while reading wins if it comes first. */
static int apply_keys(struct parse_ctx *x)
{
	int form_line = x->err_line;
	char form_msg[sizeof(x->err)];
	memcpy(form_msg, x->err, sizeof(form_msg));
	for (int i = 0; i < x->nkeys; i++)
		if (!strcmp(x->keys[i].section, "homeserver") && !strcmp(x->keys[i].name, "type"))
			x->c->profile = x->hooks->profile(x->keys[i].value);
	x->err_line = 0;
	for (int i = 0; i < x->nkeys && (!form_line || x->keys[i].line < form_line); i++)
		if (!apply_key(x, &x->keys[i]))
			break;
	if (!x->err_line && form_line) {
		x->err_line = form_line;
		memcpy(x->err, form_msg, sizeof(form_msg));
	}
	if (x->err_line)
		return err_set(EX_CONFIG, "%s:%d: %s", x->path, x->err_line, x->err);
	return 0;
}

/* After the keys: the profile merges the homeserver's own config, then the
 * defaults, then the warning about a readable password. */
static int finish(struct parse_ctx *x, const struct stat *st)
{
	struct config *c = x->c;
	const char *types = x->hooks->types();
	if (!c->hs_type) {
		err_set(EX_CONFIG, "%s: missing required key type in [homeserver]", x->path);
		if (strchr(types, ','))
			return err_hint("add `type = TYPE` under [homeserver] (TYPE: %s)", types);
		return err_hint("add `type = %s` under [homeserver]", types);
	}
	if (x->hooks->finish(c) < 0)
		return -1;
	if (!c->base_dir)
		c->base_dir = xstrdup(c->dir);
	if (!c->server_url)
		c->server_url = xstrdup("http://localhost:8008");
	/* a password readable by others is worth a warning, not a refusal */
	if (x->has_password && (st->st_mode & (S_IRGRP | S_IROTH)))
		warnx_("%s holds a database password and is readable by group or others (mode %03o); "
		       "run `chmod 600 %s`", x->path, (unsigned)(st->st_mode & 0777), x->path);
	return 0;
}

struct config *config_parse_file(const char *path, const struct config_hooks *hooks)
{
	struct parse_ctx x;
	struct stat st;
	char *tmp, real[PATH_MAX];
	int rc;

	memset(&x, 0, sizeof(x));
	memset(&st, 0, sizeof(st));
	x.hooks = hooks;
	if (read_file(&x, path, &st) < 0)
		return NULL;
	x.c = xcalloc(1, sizeof(*x.c));
	x.c->path = xstrdup(path);
	tmp = xstrdup(path);
	/* an absolute directory, so relative SQLite paths stay valid and readable in messages */
	x.c->dir = xstrdup(realpath(dirname(tmp), real) ? real : dirname(tmp));
	free(tmp);
	x.c->bcrypt_cost = 10;
	x.c->extremities_threshold = 10;
	x.c->backup_keep = 5;
	x.c->server_name_from = "mxdba.ini";
	x.c->hs_free = hooks->free;
	rc = apply_keys(&x);
	if (rc == 0)
		rc = finish(&x, &st);
	for (int i = 0; i < x.nkeys; i++)
		free(x.keys[i].value);
	if (rc < 0) {
		config_free(x.c);
		return NULL;
	}
	return x.c;
}

struct config *config_load(const char *explicit_path, const struct config_hooks *hooks)
{
	const char *env = getenv("MXDBA_CONFIG");
	if (explicit_path)
		return config_parse_file(explicit_path, hooks);
	if (env && *env)
		return config_parse_file(env, hooks);
	if (access("mxdba.ini", F_OK) == 0)
		return config_parse_file("mxdba.ini", hooks);
	if (access("/etc/mxdba/mxdba.ini", F_OK) == 0)
		return config_parse_file("/etc/mxdba/mxdba.ini", hooks);
	err_set(EX_CONFIG, "no config file found");
	err_detail("looked for -c FILE, $MXDBA_CONFIG, ./mxdba.ini and /etc/mxdba/mxdba.ini");
	err_hint("write an mxdba.ini with [homeserver] type, server_name and a [database] section (see README)");
	return NULL;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	if (c->hs_free)
		c->hs_free(c); /* the profile's own settings: it knows their shape */
	free(c->path);
	free(c->dir);
	free(c->hs_type);
	free(c->server_name);
	free(c->base_dir);
	free(c->server_url);
	free(c->notice_admin);
	free(c->backup_dir);
	free(c->notices_local_part);
	free_list(c->as_regex, c->n_as);
	free_list(c->as_owner, c->n_as);
	free_list(c->as_senders, c->n_senders);
	free(c);
}

void config_add_namespace(struct config *c, const char *regex, const char *owner)
{
	c->as_regex = xrealloc(c->as_regex, sizeof(char *) * (size_t)(c->n_as + 1));
	c->as_owner = xrealloc(c->as_owner, sizeof(char *) * (size_t)(c->n_as + 1));
	c->as_regex[c->n_as] = xstrdup(regex);
	c->as_owner[c->n_as++] = xstrdup(owner);
}

int config_is_sender(const struct config *c, const char *localpart)
{
	for (int i = 0; i < c->n_senders; i++)
		if (!strcmp(localpart, c->as_senders[i]))
			return 1;
	return 0;
}

void config_add_sender(struct config *c, const char *localpart)
{
	c->as_senders = xrealloc(c->as_senders, sizeof(char *) * (size_t)(c->n_senders + 1));
	c->as_senders[c->n_senders++] = xstrdup(localpart);
}

int config_check_dsn(const char *name, const char *value, char *msg, size_t n)
{
	enum db_kind k;
	char *m;
	if (dsn_kind(value, &k) == 0)
		return 1;
	m = dsn_mask(value);
	snprintf(msg, n, "database %s \"%s\" is neither a file: path (SQLite) nor a PostgreSQL connection string", name,
		 m);
	free(m);
	return -1;
}

int dbconf_resolve(const struct config *c, const char *dsn, const char *what, struct dbconf *out)
{
	memset(out, 0, sizeof(*out));
	if (dsn_kind(dsn, &out->kind) < 0)
		return err_set(EX_CONFIG, "%s: database for %s is not a known form", c->path, what);
	if (out->kind == DB_SQLITE) {
		out->target = sqlite_path(dsn, c->base_dir);
		if (!out->target)
			return err_set(EX_CONFIG, "%s: SQLite string for %s has no path", c->path, what);
		out->label = xasprintf("file:%s", out->target);
	} else {
		out->target = xstrdup(dsn);
		out->label = dsn_mask(dsn);
	}
	return 0;
}

int dsn_kind(const char *dsn, enum db_kind *kind)
{
	if (!strncmp(dsn, "file:", 5)) {
		if (!dsn[5])
			return -1;
		*kind = DB_SQLITE;
		return 0;
	}
	if (!strncmp(dsn, "postgres://", 11) || !strncmp(dsn, "postgresql://", 13) || strchr(dsn, '=')) {
		*kind = DB_POSTGRES;
		return 0;
	}
	return -1;
}

char *sqlite_path(const char *dsn, const char *base)
{
	const char *p = dsn + 5; /* after file: */
	size_t n;
	if (!strncmp(p, "//", 2)) {
		/* file://host/path: keep the path (host must be empty or localhost) */
		const char *slash = strchr(p + 2, '/');
		p = slash ? slash : p + strlen(p);
	}
	n = strcspn(p, "?#"); /* Dendrite drops any query part */
	if (n == 0)
		return NULL;
	if (p[0] == '/')
		return xstrndup(p, n);
	return xasprintf("%s/%.*s", base, (int)n, p);
}

int dsn_has_password(const char *dsn)
{
	char *m = dsn_mask(dsn);
	int has = strcmp(m, dsn) != 0;
	free(m);
	return has;
}

/* Replace the value after "password=" (kv or URI query) with ****. */
static void mask_kv(char *s)
{
	char *p = s;
	while ((p = strstr(p, "password="))) {
		char *v = p + 9, *end;
		if (p != s && !strchr(" ?&", p[-1])) {
			p = v;
			continue;
		}
		if (*v == '\'') {
			end = v + 1;
			while (*end && *end != '\'')
				end += (*end == '\\' && end[1]) ? 2 : 1;
			if (*end)
				end++;
		} else {
			end = v + strcspn(v, " &");
		}
		if (end == v) {
			p = v;
			continue;
		}
		memmove(v + 4, end, strlen(end) + 1);
		memcpy(v, "****", 4);
		p = v + 4;
	}
}

char *dsn_mask(const char *dsn)
{
	/* "****" can be longer than the value it replaces (by 3 at most, and every
	 * replaced value needs at least 10 bytes around it): twice the length is enough */
	char *s = xmalloc(2 * strlen(dsn) + 16);
	strcpy(s, dsn);
	if (strstr(s, "://")) {
		/* any URI: user:password@ (also in strings mxdba refuses, which are echoed in errors) */
		char *auth = strstr(s, "://") + 3;
		char *at = strchr(auth, '@');
		char *slash = strchr(auth, '/');
		if (at && (!slash || at < slash)) {
			char *colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon && at > colon + 1) {
				memmove(colon + 5, at, strlen(at) + 1);
				memcpy(colon + 1, "****", 4);
			}
		}
	}
	if (strncmp(s, "file:", 5))
		mask_kv(s);
	return s;
}

void dbconf_free(struct dbconf *dc)
{
	free(dc->target);
	free(dc->label);
	memset(dc, 0, sizeof(*dc));
}
