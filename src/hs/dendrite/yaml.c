/* SPDX-License-Identifier: Apache-2.0 */
/* Dendrite's own dendrite.yaml: the facts mxdba needs from it. */
#include "yaml.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "hs/yaml.h"

int dendrite_yaml_load(const char *path, struct dendrite_yaml *y)
{
	yaml_document_t doc;
	yaml_node_t *root, *files;
	const char *v;
	memset(y, 0, sizeof(*y));
	if (hsy_load(path, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	y->server_name = hsy_dup(hsy_scalar(&doc, root, "global.server_name"));
	y->db_global = hsy_dup(hsy_scalar(&doc, root, "global.database.connection_string"));
	y->db_userapi = hsy_dup(hsy_scalar(&doc, root, "user_api.account_database.connection_string"));
	y->db_roomserver = hsy_dup(hsy_scalar(&doc, root, "room_server.database.connection_string"));
	y->db_syncapi = hsy_dup(hsy_scalar(&doc, root, "sync_api.database.connection_string"));
	y->db_mediaapi = hsy_dup(hsy_scalar(&doc, root, "media_api.database.connection_string"));
	y->db_keyserver = hsy_dup(hsy_scalar(&doc, root, "key_server.database.connection_string"));
	if ((v = hsy_scalar(&doc, root, "user_api.bcrypt_cost"))) {
		long cost;
		if (parse_int(v, 4, 31, &cost) < 0) {
			/* said before the document (which holds V) is freed */
			err_set(EX_CONFIG, "%s: user_api.bcrypt_cost \"%.40s\" is not a whole number from 4 to 31", path,
				text_is_clean(v) ? v : "(not clean text)");
			yaml_document_delete(&doc);
			dendrite_yaml_free(y);
			return -1;
		}
		y->bcrypt_cost = (int)cost;
	}
	v = hsy_scalar(&doc, root, "global.server_notices.enabled");
	y->notices_enabled = v && !strcmp(v, "true");
	y->notices_local_part = hsy_dup(hsy_scalar(&doc, root, "global.server_notices.local_part"));
	files = hsy_get(&doc, hsy_get(&doc, root, "app_service_api"), "config_files");
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
	free(y->db_mediaapi);
	free(y->db_keyserver);
	free(y->notices_local_part);
	for (int i = 0; i < y->n_as_files; i++)
		free(y->as_files[i]);
	free(y->as_files);
	memset(y, 0, sizeof(*y));
}

