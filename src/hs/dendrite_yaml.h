/* SPDX-License-Identifier: Apache-2.0 */
/* Reading Dendrite's own dendrite.yaml (libyaml) and its appservice
 * registration files, for the facts mxdba needs: server name, database
 * strings, bcrypt cost, server-notices account, exclusive user namespaces. */
#ifndef MXDBA_DENDRITE_YAML_H
#define MXDBA_DENDRITE_YAML_H

struct dendrite_yaml {
	char *server_name;
	char *db_global, *db_userapi, *db_roomserver, *db_syncapi;
	int bcrypt_cost; /* 0 if unset */
	int notices_enabled;
	char *notices_local_part;
	char **as_files; /* appservice registration files, as written */
	int n_as_files;
};

/* Parse PATH. -1 + EX_CONFIG error naming the file (and line for syntax errors). */
int dendrite_yaml_load(const char *path, struct dendrite_yaml *y);
void dendrite_yaml_free(struct dendrite_yaml *y);

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
