/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite's part of mxdba.ini ([homeserver] dendrite_config and
 * server_notices_local_part, [database] default/userapi/roomserver/syncapi/mediaapi/keyserver),
 * what it takes from dendrite.yaml (ini keys win), and the mxdba.ini that
 * `config init` writes for it. */
#include "dendrite.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "hs/yaml.h"
#include "yaml.h"

const char *const dendrite_components[COMP_COUNT] = { "userapi", "roomserver", "syncapi", "mediaapi", "keyserver" };

static struct dendrite_conf *conf_of(struct config *c)
{
	if (!c->hs)
		c->hs = xcalloc(1, sizeof(struct dendrite_conf));
	return c->hs;
}

static void set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

int dendrite_config_key(struct config *c, const char *section, const char *name, const char *value, char *msg,
			size_t n)
{
	struct dendrite_conf *d = conf_of(c);
	if (!strcmp(section, "homeserver")) {
		if (!strcmp(name, "dendrite_config"))
			set_str(&d->yaml, config_path_of(c, value));
		else if (!strcmp(name, "server_notices_local_part"))
			set_str(&c->notices_local_part, xstrdup(value));
		else
			return 0;
		return 1;
	}
	if (!strcmp(name, "default")) {
		if (config_check_dsn(name, value, msg, n) < 0)
			return -1;
		set_str(&d->db_default, xstrdup(value));
		return 1;
	}
	for (int i = 0; i < COMP_COUNT; i++)
		if (!strcmp(name, dendrite_components[i])) {
			if (config_check_dsn(name, value, msg, n) < 0)
				return -1;
			set_str(&d->db_comp[i], xstrdup(value));
			return 1;
		}
	return 0;
}

static void take(char **dst, const char *v)
{
	if (!*dst && v)
		*dst = xstrdup(v);
}

/* The appservices of dendrite.yaml: their exclusive user namespaces and senders are reserved. */
static int take_appservices(struct config *c, const struct dendrite_yaml *y)
{
	for (int i = 0; i < y->n_as_files; i++) {
		struct as_reg r;
		char *file = y->as_files[i][0] == '/' ? xstrdup(y->as_files[i])
						     : xasprintf("%s/%s", c->base_dir, y->as_files[i]);
		int rc = appservice_load(file, &r);
		free(file);
		if (rc < 0)
			return err_hint("fix or remove it from app_service_api.config_files in dendrite.yaml");
		for (int k = 0; k < r.n_exclusive; k++)
			config_add_namespace(c, r.exclusive_users[k], r.id ? r.id : "?");
		if (r.sender_localpart)
			config_add_sender(c, r.sender_localpart);
		appservice_free(&r);
	}
	return 0;
}

/* Fill what mxdba.ini left unset from Dendrite's own config (ini keys win). */
static int merge_yaml(struct config *c, struct dendrite_conf *d)
{
	struct dendrite_yaml y;
	char *tmp, real[PATH_MAX];
	int rc;
	if (dendrite_yaml_load(d->yaml, &y) < 0) {
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
		tmp = xstrdup(d->yaml);
		c->base_dir = xstrdup(realpath(dirname(tmp), real) ? real : dirname(tmp));
		free(tmp);
	}
	take(&d->db_default, y.db_global);
	take(&d->db_comp[COMP_USERAPI], y.db_userapi);
	take(&d->db_comp[COMP_ROOMSERVER], y.db_roomserver);
	take(&d->db_comp[COMP_SYNCAPI], y.db_syncapi);
	take(&d->db_comp[COMP_MEDIAAPI], y.db_mediaapi);
	take(&d->db_comp[COMP_KEYSERVER], y.db_keyserver);
	if (!c->bcrypt_cost_set && y.bcrypt_cost)
		c->bcrypt_cost = y.bcrypt_cost;
	take(&c->notices_local_part, y.notices_local_part);
	rc = take_appservices(c, &y);
	dendrite_yaml_free(&y);
	if (rc < 0)
		return -1;
	for (int i = 0; i < COMP_COUNT; i++) {
		enum db_kind k;
		const char *v = d->db_comp[i] ? d->db_comp[i] : d->db_default;
		if (v && dsn_kind(v, &k) < 0)
			return err_set(EX_CONFIG, "%s: database string for %s is neither file: nor PostgreSQL", d->yaml,
				       dendrite_components[i]);
	}
	return 0;
}

int dendrite_config_finish(struct config *c)
{
	struct dendrite_conf *d = conf_of(c);
	if (d->yaml && merge_yaml(c, d) < 0)
		return -1;
	if (!c->server_name) {
		err_set(EX_CONFIG, "%s: missing required key server_name in [homeserver]", c->path);
		return err_hint("set it to Dendrite's global.server_name, e.g. `server_name = example.org`, "
				"or point dendrite_config at Dendrite's dendrite.yaml");
	}
	if (!c->notices_local_part)
		c->notices_local_part = xstrdup("_server");
	return 0;
}

void dendrite_config_free(struct config *c)
{
	struct dendrite_conf *d = c->hs;
	if (!d)
		return;
	free(d->yaml);
	free(d->db_default);
	for (int i = 0; i < COMP_COUNT; i++)
		free(d->db_comp[i]);
	free(d);
	c->hs = NULL;
}

int dendrite_configured(const struct config *c, enum dendrite_component comp)
{
	const struct dendrite_conf *d = c->hs;
	return d && (d->db_comp[comp] || d->db_default);
}

int dendrite_db(const struct config *c, enum dendrite_component comp, struct dbconf *out)
{
	const struct dendrite_conf *d = c->hs;
	const char *dsn = d ? (d->db_comp[comp] ? d->db_comp[comp] : d->db_default) : NULL;
	memset(out, 0, sizeof(*out));
	if (!dsn) {
		err_set(EX_CONFIG, "%s: no database configured for %s", c->path, dendrite_components[comp]);
		return err_hint("set `default` or `%s` in [database]", dendrite_components[comp]);
	}
	if (dbconf_resolve(c, dsn, dendrite_components[comp], out) < 0)
		return -1;
	out->from_default = d->db_comp[comp] == NULL;
	return 0;
}

int dendrite_databases(const struct config *c, struct hs_component *out, int max)
{
	int n = 0;
	for (int i = 0; i < COMP_COUNT && n < max; i++) {
		if (dendrite_db(c, (enum dendrite_component)i, &out[n].conf) < 0) {
			if (i == COMP_USERAPI)
				return -1;
			err_clear(); /* not configured: nothing to check */
			continue;
		}
		out[n].name = dendrite_components[i];
		out[n].read_only = i != COMP_USERAPI && i != COMP_KEYSERVER;
		n++;
	}
	return n;
}

int dendrite_config_template(FILE *f, const char *from)
{
	struct dendrite_yaml y = { 0 };
	if (from && dendrite_yaml_load(from, &y) < 0)
		return -1;
	fprintf(f, "[homeserver]\ntype = dendrite\n");
	if (from) {
		fprintf(f, "; Dendrite's own config: server_name, database strings, bcrypt_cost, the\n"
			   "; server-notices account and appservice namespaces come from it. Keys here win.\n"
			   "dendrite_config = %s\n"
			   "; server_name = %s\n"
			   "; relative SQLite paths (file:x.db) resolve against base_dir; default: the folder of dendrite_config\n"
			   "; base_dir = /var/lib/dendrite\n"
			   "; the server-notices account mxdba never touches (default _server, or dendrite.yaml's)\n"
			   "; server_notices_local_part = _server\n\n[database]\n"
			   "; taken from dendrite.yaml; set a key to override it\n", from, y.server_name);
	} else {
		fprintf(f, "; Dendrite's global.server_name\nserver_name = example.org\n"
			   "; or read it (and the databases) from Dendrite's config:\n"
			   "; dendrite_config = /etc/dendrite/dendrite.yaml\n"
			   "; relative SQLite paths (file:x.db) resolve against base_dir; default: this file's folder\n"
			   "; base_dir = /var/lib/dendrite\n"
			   "; the server-notices account mxdba never touches (default _server, or dendrite.yaml's)\n"
			   "; server_notices_local_part = _server\n\n[database]\n");
	}
	fprintf(f, "; used by every component without its own key:\n"
		   "; default = postgres://dendrite@localhost/dendrite?sslmode=disable\n"
		   "; userapi = file:dendrite_userapi.db\n"
		   "; roomserver = file:dendrite_roomserver.db\n"
		   "; syncapi = file:dendrite_syncapi.db\n"
		   "; mediaapi = file:dendrite_mediaapi.db\n"
		   "; keyserver = file:dendrite_keyserver.db\n\n"
		   "[passwords]\n; bcrypt cost for new hashes, 4-31 (default 10, or user_api.bcrypt_cost)\n"
		   "; bcrypt_cost = 10\n\n");
	dendrite_yaml_free(&y);
	return 0;
}
