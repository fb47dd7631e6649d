/* SPDX-License-Identifier: Apache-2.0 */
/* INI config reader. Unknown sections and keys are errors (a typo must not
 * silently fall back to a default that points at the wrong database). */
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
#include "hs/dendrite_yaml.h"
#include "util.h"

const char *const component_names[COMP_COUNT] = { "userapi", "roomserver", "syncapi" };

struct parse_ctx {
	struct config *c;
	const char *path;
	FILE *f;
	int line;
	char section[64];
	int err_line;
	char err[512];
	/* line where each key was set, for duplicate detection */
	struct seen {
		char key[96];
		int line;
	} seen[64];
	int nseen;
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
	/* section headers are checked here: inih does not report empty sections */
	{
		char *p = str + strspn(str, " \t");
		if (*p == '[') {
			char *end = strchr(p, ']');
			if (end) {
				size_t n = (size_t)(end - p - 1);
				char name[64];
				if (n >= sizeof(name))
					n = sizeof(name) - 1;
				memcpy(name, p + 1, n);
				name[n] = '\0';
				if (strcmp(name, "homeserver") && strcmp(name, "database") && strcmp(name, "passwords") &&
				    strcmp(name, "server") && strcmp(name, "safety"))
					ctx_error(x, "unknown section [%s] (known: [homeserver], [database], [passwords], [server], "
						     "[safety])", name);
			}
		}
	}
	return str;
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

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *x = user;
	struct config *c = x->c;
	char key[96];
	snprintf(key, sizeof(key), "%s.%s", section, name);
	for (int i = 0; i < x->nseen; i++)
		if (!strcmp(x->seen[i].key, key)) {
			ctx_error(x, "key %s in [%s] is set twice (first on line %d)", name, section, x->seen[i].line);
			return 0;
		}
	if (x->nseen < (int)ARRAY_LEN(x->seen)) {
		snprintf(x->seen[x->nseen].key, sizeof(x->seen[0].key), "%s", key);
		x->seen[x->nseen++].line = x->line;
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
	if (!strcmp(section, "homeserver")) {
		if (!strcmp(name, "type")) {
			if (strcmp(value, "dendrite")) {
				ctx_error(x, "homeserver type \"%s\" is not supported (supported: dendrite)", value);
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
			if (value[0] == '/')
				set_str(&c->base_dir, value);
			else {
				free(c->base_dir);
				c->base_dir = xasprintf("%s/%s", c->dir, value);
			}
		} else if (!strcmp(name, "server_notices_local_part")) {
			set_str(&c->notices_local_part, value);
		} else if (!strcmp(name, "dendrite_config")) {
			if (value[0] == '/')
				set_str(&c->dendrite_config, value);
			else {
				free(c->dendrite_config);
				c->dendrite_config = xasprintf("%s/%s", c->dir, value);
			}
		} else {
			ctx_error(x, "unknown key %s in [homeserver] (known: type, server_name, base_dir, "
				     "dendrite_config, server_notices_local_part)", name);
			return 0;
		}
	} else if (!strcmp(section, "database")) {
		enum db_kind k;
		char **dst = NULL;
		if (!strcmp(name, "default"))
			dst = &c->db_default;
		for (int i = 0; i < COMP_COUNT; i++)
			if (!strcmp(name, component_names[i]))
				dst = &c->db_comp[i];
		if (!dst) {
			ctx_error(x, "unknown key %s in [database] (known: default, userapi, roomserver, syncapi)", name);
			return 0;
		}
		if (dsn_kind(value, &k) < 0) {
			char *m = dsn_mask(value);
			ctx_error(x, "database %s \"%s\" is neither a file: path (SQLite) nor a PostgreSQL "
				     "connection string", name, m);
			free(m);
			return 0;
		}
		set_str(dst, value);
	} else if (!strcmp(section, "passwords")) {
		long v;
		if (strcmp(name, "bcrypt_cost")) {
			ctx_error(x, "unknown key %s in [passwords] (known: bcrypt_cost)", name);
			return 0;
		}
		if (parse_int(value, 4, 31, &v) < 0) {
			ctx_error(x, "bcrypt_cost \"%s\" is not a whole number from 4 to 31", value);
			return 0;
		}
		c->bcrypt_cost = (int)v;
		c->bcrypt_cost_set = 1;
	} else if (!strcmp(section, "safety")) {
		long v;
		if (!strcmp(name, "backup_dir")) {
			free(c->backup_dir);
			c->backup_dir = value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", c->dir, value);
		} else if (!strcmp(name, "backup_keep")) {
			if (parse_int(value, 1, 1000, &v) < 0) {
				ctx_error(x, "backup_keep \"%s\" is not a whole number from 1 to 1000", value);
				return 0;
			}
			c->backup_keep = (int)v;
		} else {
			ctx_error(x, "unknown key %s in [safety] (known: backup_dir, backup_keep)", name);
			return 0;
		}
	} else if (!strcmp(section, "server")) {
		if (!strcmp(name, "admin_user")) {
			if (value[0] != '@' || !strchr(value, ':')) {
				ctx_error(x, "admin_user \"%s\" must be a full user ID like @root:example.org", value);
				return 0;
			}
			set_str(&c->notice_admin, value);
			return 1;
		}
		if (strcmp(name, "url")) {
			ctx_error(x, "unknown key %s in [server] (known: url, admin_user)", name);
			return 0;
		}
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
			ctx_error(x, "server url \"%s\" must start with http:// or https://", value);
			return 0;
		}
		set_str(&c->server_url, value);
	} else {
		/* already reported by the reader */
		ctx_error(x, "unknown section [%s]", section);
		return 0;
	}
	return 1;
}

static void take(char **dst, char *v)
{
	if (!*dst && v)
		*dst = xstrdup(v);
}

/* Fill what mxdba.ini left unset from Dendrite's own config (ini keys win). */
static int merge_dendrite(struct config *c)
{
	struct dendrite_yaml y;
	char *tmp, real[PATH_MAX];
	if (dendrite_yaml_load(c->dendrite_config, &y) < 0) {
		err_detail("[homeserver] dendrite_config in %s", c->path);
		return -1;
	}
	if (!c->server_name) {
		c->server_name_from = "dendrite.yaml";
		take(&c->server_name, y.server_name);
	}
	/* Dendrite resolves relative paths against its working directory; the
	 * usual one is the folder of dendrite.yaml */
	if (!c->base_dir) {
		tmp = xstrdup(c->dendrite_config);
		c->base_dir = xstrdup(realpath(dirname(tmp), real) ? real : dirname(tmp));
		free(tmp);
	}
	take(&c->db_default, y.db_global);
	take(&c->db_comp[COMP_USERAPI], y.db_userapi);
	take(&c->db_comp[COMP_ROOMSERVER], y.db_roomserver);
	take(&c->db_comp[COMP_SYNCAPI], y.db_syncapi);
	if (!c->bcrypt_cost_set && y.bcrypt_cost)
		c->bcrypt_cost = y.bcrypt_cost;
	take(&c->notices_local_part, y.notices_local_part);
	for (int i = 0; i < y.n_as_files; i++) {
		struct as_reg r;
		char *file = y.as_files[i][0] == '/' ? xstrdup(y.as_files[i])
						     : xasprintf("%s/%s", c->base_dir, y.as_files[i]);
		int rc = appservice_load(file, &r);
		free(file);
		if (rc < 0) {
			dendrite_yaml_free(&y);
			return -1;
		}
		for (int k = 0; k < r.n_exclusive; k++) {
			c->as_regex = xrealloc(c->as_regex, sizeof(char *) * (size_t)(c->n_as + 1));
			c->as_owner = xrealloc(c->as_owner, sizeof(char *) * (size_t)(c->n_as + 1));
			c->as_regex[c->n_as] = xstrdup(r.exclusive_users[k]);
			c->as_owner[c->n_as++] = xstrdup(r.id ? r.id : "?");
		}
		if (r.sender_localpart) {
			c->as_senders = xrealloc(c->as_senders, sizeof(char *) * (size_t)(c->n_senders + 1));
			c->as_senders[c->n_senders++] = xstrdup(r.sender_localpart);
		}
		appservice_free(&r);
	}
	dendrite_yaml_free(&y);
	for (int i = 0; i < COMP_COUNT; i++) {
		enum db_kind k;
		const char *v = c->db_comp[i] ? c->db_comp[i] : c->db_default;
		if (v && dsn_kind(v, &k) < 0)
			return err_set(EX_CONFIG, "%s: database string for %s is neither file: nor PostgreSQL",
				       c->dendrite_config, component_names[i]);
	}
	return 0;
}

struct config *config_parse_file(const char *path)
{
	struct parse_ctx x;
	struct config *c;
	struct stat st;
	char *tmp;
	int rc;

	memset(&x, 0, sizeof(x));
	x.path = path;
	x.f = fopen(path, "r");
	if (!x.f) {
		err_set(EX_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
		err_hint("pass an existing file with -c FILE, or create mxdba.ini (see README)");
		return NULL;
	}
	if (fstat(fileno(x.f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(x.f);
		err_set(EX_CONFIG, "config file %s is not a regular file", path);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	tmp = xstrdup(path);
	{
		/* an absolute directory, so relative SQLite paths stay valid and readable in messages */
		char real[PATH_MAX];
		c->dir = xstrdup(realpath(dirname(tmp), real) ? real : dirname(tmp));
	}
	free(tmp);
	c->bcrypt_cost = 10;
	c->backup_keep = 5;
	x.c = c;

	ini_use_stack = 0;
	ini_max_line = 4096;
	ini_allow_multiline = 0;
	ini_allow_no_value = 0;
	ini_stop_on_first_error = 1;
	rc = ini_parse_stream(reader, &x, handler, &x);
	fclose(x.f);
	if (rc != 0 || x.err_line) {
		int line = x.err_line ? x.err_line : rc;
		if (rc < 0)
			err_set(EX_CONFIG, "%s: cannot parse the config (out of memory or unreadable)", path);
		else
			err_set(EX_CONFIG, "%s:%d: %s", path, line, x.err[0] ? x.err : "syntax error (expected [section] or key = value)");
		config_free(c);
		return NULL;
	}
	if (!c->hs_type) {
		err_set(EX_CONFIG, "%s: missing required key type in [homeserver]", path);
		err_hint("add `type = dendrite` under [homeserver]");
		goto fail;
	}
	c->server_name_from = "mxdba.ini";
	if (c->dendrite_config && merge_dendrite(c) < 0)
		goto fail;
	if (!c->server_name) {
		err_set(EX_CONFIG, "%s: missing required key server_name in [homeserver]", path);
		err_hint("set it to Dendrite's global.server_name, e.g. `server_name = example.org`, "
			 "or point dendrite_config at Dendrite's dendrite.yaml");
		goto fail;
	}
	if (!c->base_dir)
		c->base_dir = xstrdup(c->dir);
	if (!c->server_url)
		c->server_url = xstrdup("http://localhost:8008");
	if (!c->notices_local_part)
		c->notices_local_part = xstrdup("_server");

	/* a password readable by others is worth a warning, not a refusal */
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		int haspw = c->db_default && dsn_has_password(c->db_default);
		for (int i = 0; i < COMP_COUNT; i++)
			haspw |= c->db_comp[i] && dsn_has_password(c->db_comp[i]);
		if (haspw)
			warnx_("%s holds a database password and is readable by group or others (mode %03o); "
			       "run `chmod 600 %s`", path, (unsigned)(st.st_mode & 0777), path);
	}
	return c;
fail:
	config_free(c);
	return NULL;
}

struct config *config_load(const char *explicit_path)
{
	const char *env = getenv("MXDBA_CONFIG");
	if (explicit_path)
		return config_parse_file(explicit_path);
	if (env && *env)
		return config_parse_file(env);
	if (access("mxdba.ini", F_OK) == 0)
		return config_parse_file("mxdba.ini");
	if (access("/etc/mxdba/mxdba.ini", F_OK) == 0)
		return config_parse_file("/etc/mxdba/mxdba.ini");
	err_set(EX_CONFIG, "no config file found");
	err_detail("looked for -c FILE, $MXDBA_CONFIG, ./mxdba.ini and /etc/mxdba/mxdba.ini");
	err_hint("write an mxdba.ini with [homeserver] type, server_name and a [database] section (see README)");
	return NULL;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->hs_type);
	free(c->server_name);
	free(c->base_dir);
	free(c->db_default);
	for (int i = 0; i < COMP_COUNT; i++)
		free(c->db_comp[i]);
	free(c->server_url);
	free(c->notice_admin);
	free(c->backup_dir);
	free(c->notices_local_part);
	free(c->dendrite_config);
	for (int i = 0; i < c->n_as; i++) {
		free(c->as_regex[i]);
		free(c->as_owner[i]);
	}
	free(c->as_regex);
	free(c->as_owner);
	for (int i = 0; i < c->n_senders; i++)
		free(c->as_senders[i]);
	free(c->as_senders);
	free(c);
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

int config_db(const struct config *c, enum component comp, struct dbconf *out)
{
	const char *dsn = c->db_comp[comp] ? c->db_comp[comp] : c->db_default;
	memset(out, 0, sizeof(*out));
	if (!dsn) {
		err_set(EX_CONFIG, "%s: no database configured for %s", c->path, component_names[comp]);
		return err_hint("set `default` or `%s` in [database]", component_names[comp]);
	}
	out->from_default = c->db_comp[comp] == NULL;
	if (dsn_kind(dsn, &out->kind) < 0)
		return err_set(EX_CONFIG, "%s: database for %s is not a known form", c->path, component_names[comp]);
	if (out->kind == DB_SQLITE) {
		out->target = sqlite_path(dsn, c->base_dir);
		if (!out->target)
			return err_set(EX_CONFIG, "%s: SQLite string for %s has no path", c->path, component_names[comp]);
		out->label = xasprintf("file:%s", out->target);
	} else {
		out->target = xstrdup(dsn);
		out->label = dsn_mask(dsn);
	}
	return 0;
}

void dbconf_free(struct dbconf *dc)
{
	free(dc->target);
	free(dc->label);
	memset(dc, 0, sizeof(*dc));
}
