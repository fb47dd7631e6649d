/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba config init`: write a commented mxdba.ini (mode 0600), optionally
 * bound to Dendrite's own dendrite.yaml. Never overwrites a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/dendrite_yaml.h"

static const struct optspec init_opts[] = { { "--from-dendrite", 1 }, { 0, 0 } };

int cmd_config_init(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct dendrite_yaml y = { 0 };
	const char *from, *out;
	char abs[PATH_MAX];
	FILE *f;
	int fd, ret = -1;

	if (opts_parse(c, argc, argv, init_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "config init takes no arguments; the file is -c FILE or ./mxdba.ini");
		goto out;
	}
	out = c->config_path ? c->config_path : "mxdba.ini";
	from = opt(&o, init_opts, "--from-dendrite");
	if (from) {
		if (!realpath(from, abs)) {
			err_set(EX_CONFIG, "cannot read %s: %s", from, strerror(errno));
			goto out;
		}
		if (dendrite_yaml_load(abs, &y) < 0)
			goto out;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			err_set(EX_CONFLICT, "%s already exists; not overwriting it", out);
			err_hint("remove it first, or write elsewhere with -c FILE");
		} else
			err_set(EX_CONFIG, "cannot create %s: %s", out, strerror(errno));
		goto out;
	}
	f = fdopen(fd, "w");
	fprintf(f, "; mxdba configuration, written by `mxdba config init`.\n"
		   "; Every key is documented in the README (section Config). Unknown keys are errors.\n\n"
		   "[homeserver]\ntype = dendrite\n");
	if (from) {
		fprintf(f, "; Dendrite's own config: server_name, database strings, bcrypt_cost, the\n"
			   "; server-notices account and appservice namespaces come from it. Keys here win.\n"
			   "dendrite_config = %s\n"
			   "; server_name = %s\n"
			   "; relative SQLite paths (file:x.db) resolve against base_dir; default: the folder of dendrite_config\n"
			   "; base_dir = /var/lib/dendrite\n"
			   "; the server-notices account mxdba never touches (default _server, or dendrite.yaml's)\n"
			   "; server_notices_local_part = _server\n\n[database]\n"
			   "; taken from dendrite.yaml; set a key to override it\n", abs, y.server_name);
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
		   "; syncapi = file:dendrite_syncapi.db\n\n"
		   "[passwords]\n; bcrypt cost for new hashes, 4-31 (default 10, or user_api.bcrypt_cost)\n"
		   "; bcrypt_cost = 10\n\n"
		   "[safety]\n; where SQLite backups go (before batch / user import, or a write with --backup);\n"
		   "; default: mxdba-backups/ beside the userapi file\n; backup_dir = /var/backups/mxdba\n"
		   "; how many backups to keep, newest first (1-1000)\n; backup_keep = 5\n\n"
		   "[server]\n; the homeserver's client API, for queued operations\n; url = http://localhost:8008\n"
		   "; the admin account queued server notices are sent as (`mxdba notice`)\n"
		   "; admin_user = @root:example.org\n");
	if (fclose(f) != 0) {
		err_set(EX_CONFIG, "cannot write %s: %s", out, strerror(errno));
		unlink(out);
		goto out;
	}
	if (g_json)
		out_json(json_pack("{s:s, s:s?}", "written", out, "dendrite_config", from ? abs : NULL));
	else
		out_line("wrote %s (mode 0600)%s", out, from ? "" : "; set server_name and [database] before use");
	ret = EX_OK;
out:
	dendrite_yaml_free(&y);
	free(o.pos);
	return ret;
}
