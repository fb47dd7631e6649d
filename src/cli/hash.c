/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba hash`: print a password hash (bcrypt or argon2id) for use
 * elsewhere. Needs no database; reads bcrypt_cost from the config if there is one. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"

static const struct optspec hash_opts[] = { { "--scheme", 1 },         { "--cost", 1 },
					    { "--password-stdin", 0 }, { "--password-file", 1 },
					    { 0, 0 } };

int cmd_hash(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	enum pw_source src;
	const char *file, *scheme, *costs;
	struct pw_scheme s;
	char hash[HASH_MAX] = "";
	char *pw = NULL;
	long cost = 10;
	int argon, ret = -1;

	if (opts_parse(c, argc, argv, hash_opts, &o) < 0 || pw_source(c, &o, hash_opts, 0, &src, &file) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "hash takes no arguments (the password is never read from the command line)");
		err_hint("use the prompt, --password-stdin or --password-file FILE");
		goto out;
	}
	scheme = opt(&o, hash_opts, "--scheme");
	if (scheme && strcmp(scheme, "bcrypt") && strcmp(scheme, "argon2id")) {
		err_set(EX_USAGE, "unknown --scheme %s (known: bcrypt, argon2id)", scheme);
		goto out;
	}
	argon = scheme && !strcmp(scheme, "argon2id");
	if ((costs = opt(&o, hash_opts, "--cost"))) {
		if (argon) {
			err_set(EX_USAGE, "--cost applies to bcrypt only");
			goto out;
		}
		if (parse_int(costs, 4, 31, &cost) < 0) {
			err_set(EX_USAGE, "--cost %s is not a whole number from 4 to 31", costs);
			goto out;
		}
	} else if (c->config_path || getenv("MXDBA_CONFIG")) {
		if (ctx_config(c) < 0)
			goto out;
		cost = c->cfg->bcrypt_cost;
	}
	hs_password_scheme(c->cfg, &s);
	s.cost = (int)cost;
	if (!(pw = pw_read(src, file, 1, "Password: ")) || pw_check_new(&s, pw) < 0)
		goto out;
	if ((argon ? argon2id_hash(pw, hash) : pw_hash(&s, pw, hash)) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:s}", "scheme", argon ? "argon2id" : "bcrypt", "hash", hash));
	else
		printf("%s\n", hash);
	if (argon && hs_check_scheme(c->cfg, "argon2id") < 0) {
		err_clear();
		warnx_("%s verifies only bcrypt hashes; do not store this one in its database", hs_version(c->cfg));
	}
	ret = EX_OK;
out:
	pw_free(pw);
	sodium_memzero(hash, sizeof(hash));
	return cmd_finish(c, NULL, &o, ret);
}
