/* SPDX-License-Identifier: Apache-2.0 */
/* Synapse's part of mxdba.ini ([homeserver] synapse_config and
 * server_notices_local_part, [database] default) and what it takes from
 * homeserver.yaml: one file, a folder of *.yaml (Debian's conf.d), or
 * several separated by commas, merged as Synapse merges its -c arguments (a
 * later file replaces whole top-level keys). Keys in mxdba.ini win. */
#include "synapse.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/err.h"
#include "core/util.h"
#include "hs/yaml.h"

static struct synapse_conf *conf_of(struct config *c)
{
	if (!c->hs) {
		struct synapse_conf *s = xcalloc(1, sizeof(*s));
		s->bcrypt_rounds = 12;
		s->rc_per_second = RC_MESSAGE_PER_SECOND;
		s->rc_burst = RC_MESSAGE_BURST;
		c->hs = s;
	}
	return c->hs;
}

static void set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

int synapse_config_key(struct config *c, const char *section, const char *name, const char *value, char *msg,
		       size_t n)
{
	struct synapse_conf *s = conf_of(c);
	if (!strcmp(section, "homeserver")) {
		if (!strcmp(name, "synapse_config")) {
			char *list = xstrdup(value), *save = NULL, *part, *joined = NULL;
			/* each of a comma list resolved against the ini's folder */
			for (part = strtok_r(list, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
				char *p = config_path_of(c, part + strspn(part, " ")), *j;
				j = joined ? xasprintf("%s,%s", joined, p) : xstrdup(p);
				free(joined);
				free(p);
				joined = j;
			}
			free(list);
			set_str(&s->yaml, joined ? joined : xstrdup(value));
		} else if (!strcmp(name, "server_notices_local_part"))
			set_str(&c->notices_local_part, xstrdup(value));
		else
			return 0;
		return 1;
	}
	if (strcmp(name, "default"))
		return 0;
	if (config_check_dsn(name, value, msg, n) < 0)
		return -1;
	set_str(&s->db, xstrdup(value));
	s->db_from = "mxdba.ini";
	return 1;
}

/* ---- homeserver.yaml ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_file(char ***files, int *n, char *path)
{
	*files = xrealloc(*files, sizeof(char *) * (size_t)(*n + 1));
	(*files)[(*n)++] = path;
}

/* The *.yaml files of folder DIR, sorted by name. */
static int folder_files(const char *dir, char ***files, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int k = 0;
	if (!d)
		return err_set(EX_CONFIG, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml") && e->d_name[0] != '.')
			add_file(&names, &k, xasprintf("%s/%s", dir, e->d_name));
	}
	closedir(d);
	if (k == 0) {
		free(names);
		return err_set(EX_CONFIG, "%s holds no *.yaml file", dir);
	}
	qsort(names, (size_t)k, sizeof(char *), cmp_str);
	for (int i = 0; i < k; i++)
		add_file(files, n, names[i]);
	free(names);
	return 0;
}

int synapse_yaml_files(const char *path, char ***files, int *n)
{
	char *list = xstrdup(path), *save = NULL, *part;
	int rc = 0;
	*files = NULL;
	*n = 0;
	for (part = strtok_r(list, ",", &save); part && rc == 0; part = strtok_r(NULL, ",", &save)) {
		struct stat st;
		if (stat(part, &st) < 0)
			rc = err_set(EX_CONFIG, "cannot read %s: %s", part, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = folder_files(part, files, n);
		else
			add_file(files, n, xstrdup(part));
	}
	free(list);
	return rc;
}

/* What mxdba reads of homeserver.yaml: each fact from the last file that
 * has its top-level key (Synapse's merge). */
struct syaml {
	char *server_name;
	char *db;        /* connection string */
	char *db_file;   /* the file the database came from */
	int bcrypt_rounds;
	int has_pw_config, passwords_off, policy, min_length, need_digit, need_symbol, need_lower, need_upper;
	char *pepper;
	int has_notices;
	char *notices_localpart;
	char **as_files;
	int n_as, has_as;
	char *client_url;
	int mas;         /* matrix_authentication_service.enabled (Synapse 1.136 on) */
	int dummy_threshold; /* dummy_events_threshold (0: not set) */
	int msc3861;     /* experimental_features.msc3861.enabled (before 1.157) */
	/* rc_message (has_rc), else the older top-level rc_messages_per_second and
	 * rc_message_burst_count (has_old_rc: 1 the rate, 2 the burst) */
	double rc_per_second, rc_burst, old_per_second, old_burst;
	int has_rc, has_old_rc;
};

static void syaml_free(struct syaml *y)
{
	free(y->server_name);
	free(y->db);
	free(y->db_file);
	free(y->pepper);
	free(y->notices_localpart);
	for (int i = 0; i < y->n_as; i++)
		free(y->as_files[i]);
	free(y->as_files);
	free(y->client_url);
	memset(y, 0, sizeof(*y));
}

static int yes(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") || !strcmp(v, "yes") ||
		     !strcmp(v, "on"));
}

/* A libpq conninfo value, quoted. */
static void conninfo_add(char **out, const char *key, const char *value)
{
	size_t n = strlen(value);
	char *q = xmalloc(2 * n + 3), *p = q, *joined;
	/* quoted only where libpq needs it: empty, blanks, quotes, backslashes */
	int plain = n && !strpbrk(value, " \t\n\r\f\v'\\");
	if (!plain)
		*p++ = '\'';
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	if (!plain)
		*p++ = '\'';
	*p = '\0';
	joined = *out ? xasprintf("%s %s=%s", *out, key, q) : xasprintf("%s=%s", key, q);
	free(*out);
	free(q);
	*out = joined;
}

/* database.args of psycopg2 -> a libpq connection string: every keyword
 * passed through (psycopg2's "database" is libpq's "dbname"), but the
 * connection pool's cp_* and Synapse's own allow_unsafe_locale. */
static char *psycopg2_conninfo(yaml_document_t *d, yaml_node_t *args)
{
	char *out = NULL;
	if (!args || args->type != YAML_MAPPING_NODE)
		return xstrdup("");
	for (yaml_node_pair_t *pr = args->data.mapping.pairs.start; pr < args->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(d, pr->key), *v = yaml_document_get_node(d, pr->value);
		const char *key;
		if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
			continue;
		key = (const char *)k->data.scalar.value;
		if (!strncmp(key, "cp_", 3) || !strcmp(key, "allow_unsafe_locale"))
			continue;
		conninfo_add(&out, !strcmp(key, "database") ? "dbname" : key, (const char *)v->data.scalar.value);
	}
	return out ? out : xstrdup("");
}

/* A database block ({name, args}) -> a connection string, or NULL + error. */
static char *database_dsn(yaml_document_t *d, yaml_node_t *block, const char *file, const char *base)
{
	const char *engine = hsy_scalar(d, block, "name");
	yaml_node_t *args = hsy_get(d, block, "args");
	if (engine && !strcmp(engine, "psycopg2"))
		return psycopg2_conninfo(d, args);
	if (engine && !strcmp(engine, "sqlite3")) {
		const char *path = hsy_scalar(d, args, "database");
		if (!path || !*path || !strcmp(path, ":memory:")) {
			err_set(EX_CONFIG, "%s: database.args.database is not a SQLite file", file);
			return NULL;
		}
		return path[0] == '/' ? xasprintf("file:%s", path) : xasprintf("file:%s/%s", base, path);
	}
	err_set(EX_CONFIG, "%s: database engine \"%s\" is not psycopg2 or sqlite3", file, engine ? engine : "");
	return NULL;
}

/* The store holding "main" in a databases: block. */
static yaml_node_t *main_store(yaml_document_t *d, yaml_node_t *dbs)
{
	if (!dbs || dbs->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = dbs->data.mapping.pairs.start; pr < dbs->data.mapping.pairs.top; pr++) {
		yaml_node_t *v = yaml_document_get_node(d, pr->value), *stores = hsy_get(d, v, "data_stores");
		if (!stores || stores->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = stores->data.sequence.items.start; it < stores->data.sequence.items.top; it++) {
			yaml_node_t *s = yaml_document_get_node(d, *it);
			if (s && s->type == YAML_SCALAR_NODE && !strcmp((const char *)s->data.scalar.value, "main"))
				return v;
		}
	}
	return NULL;
}

static void read_password_config(yaml_document_t *d, yaml_node_t *pc, struct syaml *y)
{
	yaml_node_t *pol = hsy_get(d, pc, "policy");
	const char *v;
	free(y->pepper);
	y->pepper = hsy_dup(hsy_scalar(d, pc, "pepper"));
	y->has_pw_config = 1;
	y->passwords_off = (v = hsy_scalar(d, pc, "enabled")) && !yes(v) && strcmp(v, "only_for_reauth");
	y->policy = yes(hsy_scalar(d, pol, "enabled"));
	y->min_length = (v = hsy_scalar(d, pol, "minimum_length")) ? atoi(v) : 0;
	y->need_digit = yes(hsy_scalar(d, pol, "require_digit"));
	y->need_symbol = yes(hsy_scalar(d, pol, "require_symbol"));
	y->need_lower = yes(hsy_scalar(d, pol, "require_lowercase"));
	y->need_upper = yes(hsy_scalar(d, pol, "require_uppercase"));
}

/* The client API's URL from the listeners: the first http listener serving "client". */
static char *client_url(yaml_document_t *d, yaml_node_t *ls)
{
	if (!ls || ls->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *it = ls->data.sequence.items.start; it < ls->data.sequence.items.top; it++) {
		yaml_node_t *l = yaml_document_get_node(d, *it), *res = hsy_get(d, l, "resources"), *binds;
		const char *type = hsy_scalar(d, l, "type"), *port = hsy_scalar(d, l, "port"), *host = "127.0.0.1";
		int client = 0;
		if (!type || strcmp(type, "http") || !port || !res || res->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *r = res->data.sequence.items.start; r < res->data.sequence.items.top; r++) {
			yaml_node_t *names = hsy_get(d, yaml_document_get_node(d, *r), "names");
			if (names && names->type == YAML_SEQUENCE_NODE)
				for (yaml_node_item_t *nm = names->data.sequence.items.start; nm < names->data.sequence.items.top;
				     nm++) {
					yaml_node_t *s = yaml_document_get_node(d, *nm);
					client |= s && s->type == YAML_SCALAR_NODE && !strcmp((const char *)s->data.scalar.value, "client");
				}
		}
		if (!client)
			continue;
		binds = hsy_get(d, l, "bind_addresses");
		if (binds && binds->type == YAML_SEQUENCE_NODE && binds->data.sequence.items.start < binds->data.sequence.items.top) {
			yaml_node_t *b = yaml_document_get_node(d, *binds->data.sequence.items.start);
			const char *a = b && b->type == YAML_SCALAR_NODE ? (const char *)b->data.scalar.value : "";
			if (*a && strcmp(a, "0.0.0.0") && strcmp(a, "::"))
				host = a;
		}
		return xasprintf("%s://%s%s%s:%s", yes(hsy_scalar(d, l, "tls")) ? "https" : "http", strchr(host, ':') ? "[" : "",
				 host, strchr(host, ':') ? "]" : "", port);
	}
	return NULL;
}

static void read_as_files(yaml_document_t *d, yaml_node_t *files, struct syaml *y)
{
	for (int i = 0; i < y->n_as; i++)
		free(y->as_files[i]);
	y->n_as = 0;
	y->has_as = 1;
	if (!files || files->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = files->data.sequence.items.start; it < files->data.sequence.items.top; it++) {
		yaml_node_t *f = yaml_document_get_node(d, *it);
		if (f && f->type == YAML_SCALAR_NODE)
			add_file(&y->as_files, &y->n_as, xstrdup((const char *)f->data.scalar.value));
	}
}

/* A rate of homeserver.yaml's KEY (V) into *OUT: a number, 0 or more. */
static int rate_value(const char *file, const char *key, const char *v, double *out)
{
	char *end;
	double d;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 0) || d > 1e12)
		return err_set(EX_CONFIG, "%s: %s \"%.40s\" is not a number of 0 or more", file, key,
			       text_is_clean(v) ? v : "(not clean text)");
	*out = d;
	return 0;
}

/* rc_message (a later file's replaces an earlier one's, as Synapse merges
 * top-level keys; a key left out takes Synapse's default), and the older keys. */
static int read_rc_message(const char *file, yaml_document_t *d, yaml_node_t *root, struct syaml *y)
{
	yaml_node_t *n = hsy_get(d, root, "rc_message");
	const char *v;
	int rc = 0;
	if (n) {
		y->has_rc = 1;
		y->rc_per_second = RC_MESSAGE_PER_SECOND;
		y->rc_burst = RC_MESSAGE_BURST;
		if ((v = hsy_scalar(d, n, "per_second")) && rate_value(file, "rc_message.per_second", v, &y->rc_per_second) < 0)
			rc = -1;
		if ((v = hsy_scalar(d, n, "burst_count")) && rate_value(file, "rc_message.burst_count", v, &y->rc_burst) < 0)
			rc = -1;
	}
	if ((v = hsy_scalar(d, root, "rc_messages_per_second"))) {
		y->has_old_rc |= 1;
		if (rate_value(file, "rc_messages_per_second", v, &y->old_per_second) < 0)
			rc = -1;
	}
	if ((v = hsy_scalar(d, root, "rc_message_burst_count"))) {
		y->has_old_rc |= 2;
		if (rate_value(file, "rc_message_burst_count", v, &y->old_burst) < 0)
			rc = -1;
	}
	return rc;
}

/* One file's top-level keys over what the earlier files gave. */
static int read_one(const char *file, const char *base, struct syaml *y)
{
	yaml_document_t doc;
	yaml_node_t *root, *n;
	const char *v;
	int rc = 0;
	if (hsy_load(file, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if ((v = hsy_scalar(&doc, root, "server_name"))) {
		free(y->server_name);
		y->server_name = hsy_dup(v);
	}
	n = hsy_get(&doc, root, "databases");
	if (n || (n = hsy_get(&doc, root, "database"))) {
		yaml_node_t *block = hsy_get(&doc, root, "databases") ? main_store(&doc, n) : n;
		char *dsn = block ? database_dsn(&doc, block, file, base) : NULL;
		if (!block)
			rc = err_set(EX_CONFIG, "%s: no store of databases: holds the main data store", file);
		if (dsn) {
			free(y->db);
			free(y->db_file);
			y->db = dsn;
			y->db_file = xstrdup(file);
		} else
			rc = -1;
	}
	if ((v = hsy_scalar(&doc, root, "bcrypt_rounds"))) {
		long r;
		if (parse_int(v, 4, 31, &r) < 0)
			rc = err_set(EX_CONFIG, "%s: bcrypt_rounds \"%.40s\" is not a whole number from 4 to 31", file,
				     text_is_clean(v) ? v : "(not clean text)");
		y->bcrypt_rounds = (int)r;
	}
	if ((n = hsy_get(&doc, root, "password_config")))
		read_password_config(&doc, n, y);
	if ((v = hsy_scalar(&doc, root, "dummy_events_threshold"))) {
		long t;
		if (parse_int(v, 1, 1000000, &t) < 0)
			rc = err_set(EX_CONFIG, "%s: dummy_events_threshold \"%.40s\" is not a whole number from 1", file,
				     text_is_clean(v) ? v : "(not clean text)");
		y->dummy_threshold = (int)t;
	}
	if (read_rc_message(file, &doc, root, y) < 0)
		rc = -1;
	if ((n = hsy_get(&doc, root, "server_notices"))) {
		free(y->notices_localpart);
		y->notices_localpart = hsy_dup(hsy_scalar(&doc, n, "system_mxid_localpart"));
		y->has_notices = 1;
	}
	if ((n = hsy_get(&doc, root, "app_service_config_files")))
		read_as_files(&doc, n, y);
	if ((n = hsy_get(&doc, root, "listeners"))) {
		free(y->client_url);
		y->client_url = client_url(&doc, n);
	}
	if ((n = hsy_get(&doc, root, "matrix_authentication_service")))
		y->mas = yes(hsy_scalar(&doc, n, "enabled"));
	if ((n = hsy_get(&doc, root, "experimental_features"))) {
		yaml_node_t *m = hsy_get(&doc, n, "msc3861");
		y->msc3861 = m && yes(hsy_scalar(&doc, m, "enabled"));
	}
	yaml_document_delete(&doc);
	return rc;
}

static int read_yaml(const char *path, const char *base, struct syaml *y)
{
	char **files;
	int n, rc;
	memset(y, 0, sizeof(*y));
	rc = synapse_yaml_files(path, &files, &n);
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = read_one(files[i], base, y);
		free(files[i]);
	}
	free(files);
	if (rc == 0 && !y->server_name)
		rc = err_set(EX_CONFIG, "%s: no server_name (is this Synapse's homeserver.yaml?)", path);
	if (rc < 0)
		syaml_free(y);
	return rc;
}

static void take(char **dst, const char *v)
{
	if (!*dst && v)
		*dst = xstrdup(v);
}

/* The appservices: their exclusive user namespaces and senders are reserved. */
static int take_appservices(struct config *c, const struct syaml *y)
{
	for (int i = 0; i < y->n_as; i++) {
		struct as_reg r;
		char *file = y->as_files[i][0] == '/' ? xstrdup(y->as_files[i])
						     : xasprintf("%s/%s", c->base_dir, y->as_files[i]);
		int rc = appservice_load(file, &r);
		free(file);
		if (rc < 0)
			return err_hint("fix or remove it from app_service_config_files in homeserver.yaml");
		for (int k = 0; k < r.n_exclusive; k++)
			config_add_namespace(c, r.exclusive_users[k], r.id ? r.id : "?");
		if (r.sender_localpart)
			config_add_sender(c, r.sender_localpart);
		appservice_free(&r);
	}
	return 0;
}

/* Synapse resolves relative paths against its working directory; the usual
 * one is the folder of (the first) homeserver.yaml. */
static char *yaml_folder(const char *path)
{
	char *first = xstrndup(path, strcspn(path, ",")), *dir, real[PATH_MAX];
	struct stat st;
	if (stat(first, &st) == 0 && S_ISDIR(st.st_mode))
		dir = xstrdup(realpath(first, real) ? real : first);
	else {
		char *tmp = xstrdup(first);
		dir = xstrdup(realpath(dirname(tmp), real) ? real : dirname(tmp));
		free(tmp);
	}
	free(first);
	return dir;
}

static void take_passwords(struct config *c, struct synapse_conf *s, const struct syaml *y)
{
	if (y->bcrypt_rounds)
		s->bcrypt_rounds = y->bcrypt_rounds;
	if (!c->bcrypt_cost_set)
		c->bcrypt_cost = s->bcrypt_rounds;
	take(&s->pepper, y->pepper);
	s->passwords_off = y->passwords_off || ((y->mas || y->msc3861) && !y->has_pw_config);
	s->policy = y->policy;
	s->min_length = y->min_length;
	s->need_digit = y->need_digit;
	s->need_symbol = y->need_symbol;
	s->need_lower = y->need_lower;
	s->need_upper = y->need_upper;
}

/* The rate Synapse limits messages (and leaves) at: rc_message if it is
 * there, else the older keys, else its defaults (as conf_of set them). */
static void take_rc_message(struct synapse_conf *s, const struct syaml *y)
{
	s->rc_from_yaml = y->has_rc || y->has_old_rc;
	if (y->has_rc) {
		s->rc_per_second = y->rc_per_second;
		s->rc_burst = y->rc_burst;
		return;
	}
	if (y->has_old_rc & 1)
		s->rc_per_second = y->old_per_second;
	if (y->has_old_rc & 2)
		s->rc_burst = y->old_burst;
}

static int merge_yaml(struct config *c, struct synapse_conf *s)
{
	struct syaml y;
	int rc;
	if (!c->base_dir)
		c->base_dir = yaml_folder(s->yaml);
	if (read_yaml(s->yaml, c->base_dir, &y) < 0) {
		err_detail("[homeserver] synapse_config in %s", c->path);
		return -1;
	}
	if (!c->server_name) {
		c->server_name_from = "homeserver.yaml";
		take(&c->server_name, y.server_name);
	}
	if (!s->db && y.db) {
		s->db = xstrdup(y.db);
		s->db_from = "homeserver.yaml";
	}
	take_passwords(c, s, &y);
	if (y.has_notices)
		take(&c->notices_local_part, y.notices_localpart);
	take(&c->server_url, y.client_url);
	s->mas = y.mas || y.msc3861;  /* the key of 1.136 on, or the experimental one before it */
	if (y.dummy_threshold)
		c->extremities_threshold = y.dummy_threshold;
	take_rc_message(s, &y);
	rc = take_appservices(c, &y);
	syaml_free(&y);
	return rc;
}

int synapse_config_finish(struct config *c)
{
	struct synapse_conf *s = conf_of(c);
	if (s->yaml && merge_yaml(c, s) < 0)
		return -1;
	if (!s->yaml && !c->bcrypt_cost_set)
		c->bcrypt_cost = s->bcrypt_rounds;
	if (!c->server_name) {
		err_set(EX_CONFIG, "%s: missing required key server_name in [homeserver]", c->path);
		return err_hint("set it to Synapse's server_name, e.g. `server_name = example.org`, "
				"or point synapse_config at Synapse's homeserver.yaml");
	}
	return 0;
}

void synapse_config_free(struct config *c)
{
	struct synapse_conf *s = c->hs;
	if (!s)
		return;
	free(s->yaml);
	free(s->db);
	free(s->pepper);
	free(s->client_url);
	free(s);
	c->hs = NULL;
}

int synapse_databases(const struct config *c, struct hs_component *out, int max)
{
	const struct synapse_conf *s = c->hs;
	if (max < 1)
		return 0;
	if (!s || !s->db) {
		err_set(EX_CONFIG, "%s: no database configured", c->path);
		return err_hint("set `default` in [database], or point synapse_config at Synapse's homeserver.yaml");
	}
	if (dbconf_resolve(c, s->db, "synapse", &out[0].conf) < 0)
		return -1;
	out[0].name = "synapse";
	out[0].read_only = 0;
	return 1;
}

int synapse_config_template(FILE *f, const char *from)
{
	struct syaml y = { 0 };
	if (from) {
		char *base = yaml_folder(from);
		int rc = read_yaml(from, base, &y);
		free(base);
		if (rc < 0)
			return -1;
	}
	fprintf(f, "[homeserver]\ntype = synapse\n");
	if (from)
		fprintf(f, "; Synapse's own config (a file, a folder of *.yaml, or several separated by commas):\n"
			   "; server_name, the database, bcrypt_rounds, password_config (pepper, policy), the\n"
			   "; server-notices account, appservice namespaces and the client listener come from it.\n"
			   "; Keys here win.\nsynapse_config = %s\n; server_name = %s\n"
			   "; relative SQLite paths resolve against base_dir; default: the folder of synapse_config\n"
			   "; base_dir = /var/lib/matrix-synapse\n\n[database]\n"
			   "; taken from homeserver.yaml; set it to override\n; default = %s\n\n",
			from, y.server_name, y.db && !strncmp(y.db, "file:", 5) ? y.db : "postgres://synapse@localhost/synapse");
	else
		fprintf(f, "; Synapse's server_name\nserver_name = example.org\n"
			   "; or read it (and the database) from Synapse's config:\n"
			   "; synapse_config = /etc/matrix-synapse/homeserver.yaml,/etc/matrix-synapse/conf.d\n\n"
			   "[database]\n; default = postgres://synapse@localhost/synapse\n; default = file:/var/lib/matrix-synapse/homeserver.db\n\n");
	fprintf(f, "[passwords]\n; bcrypt cost for new hashes, 4-31 (default 12, or bcrypt_rounds)\n; bcrypt_cost = 12\n\n");
	syaml_free(&y);
	return 0;
}
