/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml document walking for dendrite.yaml and appservice registration
 * files. Only reads; unknown keys are ignored (Dendrite has many). */
#include "dendrite_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/err.h"
#include "core/util.h"

static int load_doc(const char *path, yaml_document_t *doc)
{
	yaml_parser_t p;
	FILE *f = fopen(path, "rb");
	int ok;
	if (!f) {
		err_set(EX_CONFIG, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	ok = yaml_parser_load(&p, doc);
	if (!ok) {
		err_set(EX_CONFIG, "%s:%zu: YAML error: %s", path, p.problem_mark.line + 1,
			p.problem ? p.problem : "unknown");
	} else if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		err_set(EX_CONFIG, "%s: the YAML document is empty", path);
		ok = 0;
	}
	yaml_parser_delete(&p);
	fclose(f);
	return ok ? 0 : -1;
}

/* Child of mapping node N under KEY, or NULL. */
static yaml_node_t *get(yaml_document_t *d, yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(d, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, pr->value);
	}
	return NULL;
}

/* Scalar at a dotted PATH below N ("global.server_name"), or NULL. */
static const char *scalar(yaml_document_t *d, yaml_node_t *n, const char *path)
{
	char buf[128], *save = NULL, *part;
	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && n; part = strtok_r(NULL, ".", &save))
		n = get(d, n, part);
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static char *dup_nonempty(const char *s) { return s && *s ? xstrdup(s) : NULL; }

int dendrite_yaml_load(const char *path, struct dendrite_yaml *y)
{
	yaml_document_t doc;
	yaml_node_t *root, *files;
	const char *v;
	memset(y, 0, sizeof(*y));
	if (load_doc(path, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	y->server_name = dup_nonempty(scalar(&doc, root, "global.server_name"));
	y->db_global = dup_nonempty(scalar(&doc, root, "global.database.connection_string"));
	y->db_userapi = dup_nonempty(scalar(&doc, root, "user_api.account_database.connection_string"));
	y->db_roomserver = dup_nonempty(scalar(&doc, root, "room_server.database.connection_string"));
	y->db_syncapi = dup_nonempty(scalar(&doc, root, "sync_api.database.connection_string"));
	if ((v = scalar(&doc, root, "user_api.bcrypt_cost"))) {
		long cost;
		if (parse_int(v, 4, 31, &cost) < 0) {
			yaml_document_delete(&doc);
			dendrite_yaml_free(y);
			return err_set(EX_CONFIG, "%s: user_api.bcrypt_cost \"%s\" is not a whole number from 4 to 31", path, v);
		}
		y->bcrypt_cost = (int)cost;
	}
	v = scalar(&doc, root, "global.server_notices.enabled");
	y->notices_enabled = v && !strcmp(v, "true");
	y->notices_local_part = dup_nonempty(scalar(&doc, root, "global.server_notices.local_part"));
	files = get(&doc, get(&doc, root, "app_service_api"), "config_files");
	if (files && files->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = files->data.sequence.items.start; it < files->data.sequence.items.top; it++) {
			yaml_node_t *f = yaml_document_get_node(&doc, *it);
			if (!f || f->type != YAML_SCALAR_NODE)
				continue;
			y->as_files = xrealloc(y->as_files, sizeof(char *) * (size_t)(y->n_as_files + 1));
			y->as_files[y->n_as_files++] = xstrdup((const char *)f->data.scalar.value);
		}
	}
	yaml_document_delete(&doc);
	if (!y->server_name) {
		dendrite_yaml_free(y);
		return err_set(EX_CONFIG, "%s: no global.server_name (is this a dendrite.yaml?)", path);
	}
	return 0;
}

void dendrite_yaml_free(struct dendrite_yaml *y)
{
	free(y->server_name);
	free(y->db_global);
	free(y->db_userapi);
	free(y->db_roomserver);
	free(y->db_syncapi);
	free(y->notices_local_part);
	for (int i = 0; i < y->n_as_files; i++)
		free(y->as_files[i]);
	free(y->as_files);
	memset(y, 0, sizeof(*y));
}

int appservice_load(const char *path, struct as_reg *r)
{
	yaml_document_t doc;
	yaml_node_t *root, *users;
	memset(r, 0, sizeof(*r));
	if (load_doc(path, &doc) < 0)
		return err_hint("fix or remove it from app_service_api.config_files in dendrite.yaml");
	root = yaml_document_get_root_node(&doc);
	r->id = dup_nonempty(scalar(&doc, root, "id"));
	r->sender_localpart = dup_nonempty(scalar(&doc, root, "sender_localpart"));
	users = get(&doc, get(&doc, root, "namespaces"), "users");
	if (users && users->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = users->data.sequence.items.start; it < users->data.sequence.items.top; it++) {
			yaml_node_t *ns = yaml_document_get_node(&doc, *it);
			const char *ex = scalar(&doc, ns, "exclusive"), *re = scalar(&doc, ns, "regex");
			if (!re || !ex || strcmp(ex, "true"))
				continue;
			r->exclusive_users = xrealloc(r->exclusive_users, sizeof(char *) * (size_t)(r->n_exclusive + 1));
			r->exclusive_users[r->n_exclusive++] = xstrdup(re);
		}
	}
	yaml_document_delete(&doc);
	return 0;
}

void appservice_free(struct as_reg *r)
{
	free(r->id);
	free(r->sender_localpart);
	for (int i = 0; i < r->n_exclusive; i++)
		free(r->exclusive_users[i]);
	free(r->exclusive_users);
	memset(r, 0, sizeof(*r));
}
