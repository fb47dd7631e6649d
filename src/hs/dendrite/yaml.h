/* SPDX-License-Identifier: Apache-2.0 */
/* Reading Dendrite's own dendrite.yaml (libyaml), for the facts mxdba
 * needs: server name, database strings, bcrypt cost, the server-notices
 * account, the appservice registration files. */
#ifndef MXDBA_DENDRITE_YAML_H
#define MXDBA_DENDRITE_YAML_H

struct dendrite_yaml {
	char *server_name;
	char *db_global, *db_userapi, *db_roomserver, *db_syncapi, *db_mediaapi, *db_keyserver;
	int bcrypt_cost; /* 0 if unset */
	int notices_enabled;
	char *notices_local_part;
	char **as_files; /* appservice registration files, as written */
	int n_as_files;
};

/* Parse PATH. -1 + EX_CONFIG error naming the file (and line for syntax errors). */
int dendrite_yaml_load(const char *path, struct dendrite_yaml *y);
void dendrite_yaml_free(struct dendrite_yaml *y);

#endif
