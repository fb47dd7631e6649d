/* SPDX-License-Identifier: Apache-2.0 */
/* Reading YAML files (libyaml) for the homeserver profiles: their own config
 * files and appservice registration files. */
#ifndef MXDBA_HS_YAML_H
#define MXDBA_HS_YAML_H
#include <yaml.h>

/* Parse PATH into DOC (delete with yaml_document_delete). -1 + EX_CONFIG
 * error naming the file (and line for syntax errors). */
int hsy_load(const char *path, yaml_document_t *doc);
/* Child of mapping node N under KEY, or NULL. */
yaml_node_t *hsy_get(yaml_document_t *d, yaml_node_t *n, const char *key);
/* Scalar at a dotted PATH below N ("global.server_name"), or NULL. */
const char *hsy_scalar(yaml_document_t *d, yaml_node_t *n, const char *path);
/* A malloc'd copy of S, or NULL when S is NULL or empty. */
char *hsy_dup(const char *s);

/* An appservice's exclusive user namespaces (regexes) and sender localpart. */
struct as_reg {
	char *id;
	char *sender_localpart;
	char **exclusive_users;
	int n_exclusive;
};
int appservice_load(const char *path, struct as_reg *r);
void appservice_free(struct as_reg *r);
#endif
