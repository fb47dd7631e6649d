/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba config init`: write a commented mxdba.ini (mode 0600), optionally
 * bound to the homeserver's own config (--from-dendrite PATH): the
 * homeserver's sections come from its profile. Never overwrites a file. */
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

/* one --from-PROFILE option per homeserver profile */
static const struct optspec init_opts[] = { { "--from-dendrite", 1 }, { "--from-synapse", 1 }, { 0, 0 } };

/* The profile the options name (--from-NAME), the first one by default; *FROM its path. */
static const struct hs_profile *chosen(const struct opts *o, const char **from)
{
	const struct hs_profile *p = hs_profile_find("dendrite");
	int n = 0;
	*from = NULL;
	for (int i = 0; init_opts[i].name; i++)
		if (opt(o, init_opts, init_opts[i].name)) {
			*from = opt(o, init_opts, init_opts[i].name);
			p = hs_profile_find(init_opts[i].name + 7);
			n++;
		}
	if (n > 1) {
		err_set(EX_USAGE, "give one of --from-dendrite and --from-synapse");
		return NULL;
	}
	return p;
}

static void write_common(FILE *f)
{
	fprintf(f, "[safety]\n; where SQLite backups go (before batch / user import, or a write with --backup);\n"
		   "; default: mxdba-backups/ beside the database file\n; backup_dir = /var/backups/mxdba\n"
		   "; how many backups to keep, newest first (1-1000)\n; backup_keep = 5\n\n"
		   "[server]\n; the homeserver's client API, for queued operations\n; url = http://localhost:8008\n"
		   "; the admin account queued server notices are sent as (`mxdba notice`)\n"
		   "; admin_user = @root:example.org\n");
}

/* Create OUT (never overwriting) and write the whole file. */
static int write_file(const char *out, const struct hs_profile *p, const char *from)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	if (fd < 0) {
		if (errno == EEXIST) {
			err_set(EX_CONFLICT, "%s already exists; not overwriting it", out);
			return err_hint("remove it first, or write elsewhere with -c FILE");
		}
		return err_set(EX_CONFIG, "cannot create %s: %s", out, strerror(errno));
	}
	f = fdopen(fd, "w");
	fprintf(f, "; mxdba configuration, written by `mxdba config init`.\n"
		   "; Every key is documented in the README (section Config). Unknown keys are errors.\n\n");
	if (p->config_template(f, from) < 0) {
		fclose(f);
		unlink(out);
		return -1;
	}
	write_common(f);
	if (fclose(f) != 0) {
		err_set(EX_CONFIG, "cannot write %s: %s", out, strerror(errno));
		unlink(out);
		return -1;
	}
	return 0;
}

int cmd_config_init(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	const struct hs_profile *p;
	const char *from, *out;
	char abs[PATH_MAX], key[64];
	int ret = -1;

	if (opts_parse(c, argc, argv, init_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "config init takes no arguments; the file is -c FILE or ./mxdba.ini");
		goto out;
	}
	out = c->config_path ? c->config_path : "mxdba.ini";
	if (!(p = chosen(&o, &from)))
		goto out;
	if (from && strchr(from, ','))
		snprintf(abs, sizeof(abs), "%s", from); /* a list of Synapse config files: kept as given */
	else if (from && !realpath(from, abs)) {
		err_set(EX_CONFIG, "cannot read %s: %s", from, strerror(errno));
		goto out;
	}
	if (write_file(out, p, from ? abs : NULL) < 0)
		goto out;
	snprintf(key, sizeof(key), "%s_config", p->name);
	if (g_json)
		out_json(json_pack("{s:s, s:s?}", "written", out, key, from ? abs : NULL));
	else
		out_line("wrote %s (mode 0600)%s", out, from ? "" : "; set server_name and [database] before use");
	ret = EX_OK;
out:
	return cmd_finish(c, NULL, &o, ret);
}
