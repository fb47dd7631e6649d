/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba check`: connect to each component database read-only, detect the
 * schema and Dendrite version, count accounts, and probe for a running
 * server. Changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/dendrite.h"

static const struct optspec check_opts[] = { { 0, 0 } };

static const char *running_word(int r) { return r == 1 ? "running" : r == 0 ? "not running" : "unknown"; }

/* versions recorded in db_migrations, as JSON and as one line */
static int versions(db *d, json_t *arr, char *line, size_t n)
{
	db_rows *r = db_query(d, "migration_versions", NULL, 0);
	size_t used = 0;
	int rc;
	line[0] = '\0';
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		const char *v = db_text(r, 0) ? db_text(r, 0) : "?";
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s?, s:s?}", "dendrite_version", v, "migrations",
						     (json_int_t)db_int(r, 1, NULL), "first", db_text(r, 2), "last",
						     db_text(r, 3)));
		if (used < n)
			used += (size_t)snprintf(line + used, n - used, "%s%s (%lld migrations, last %s)",
						 used ? ", " : "", v, db_int(r, 1, NULL), db_text(r, 3) ? db_text(r, 3) : "?");
	}
	db_rows_free(r);
	return rc;
}

static int check_userapi(struct ctx *c)
{
	struct hs *h;
	json_t *o, *vers;
	char who[256], vline[512] = "";
	long long stats[4] = { 0 }, devices = 0;
	int running, writable, ret = EX_OK;
	db_rows *r;
	/* read-only: check never writes */
	if (!(h = hs_connect(c->cfg, 0))) {
		struct dbconf dc;
		if (g_json && config_db(c->cfg, COMP_USERAPI, &dc) == 0) {
			out_json(json_pack("{s:s, s:s, s:s, s:b}", "component", "userapi", "backend",
					   dc.kind == DB_SQLITE ? "sqlite" : "postgres", "database", dc.label, "reachable", 0));
			dbconf_free(&dc);
		}
		return -1;
	}
	running = hs_probe_running(h->user, who, sizeof(who));
	writable = hs_check_writable(h) == 0;
	if (!writable)
		ret = -1;
	vers = json_array();
	if (h->s.has_migrations && versions(h->user, vers, vline, sizeof(vline)) < 0)
		ret = -1;
	if (h->s.has_accounts && h->s.has_server_name && h->s.has_account_type) {
		if ((r = db_query(h->user, "accounts_stats", NULL, 0)) && db_step(r) == 1)
			for (int i = 0; i < 4; i++)
				stats[i] = db_int(r, i, NULL);
		db_rows_free(r);
		{
			char *v = NULL;
			if (db_scalar(h->user, "devices_count", NULL, 0, &v) == 1 && v)
				devices = strtoll(v, NULL, 10);
			free(v);
		}
	}
	if (g_json) {
		o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:b}", "component",
			      "userapi", "backend", db_backend_name(h->user), "database", h->udc.label, "reachable", 1,
			      "layout", hs_layout(&h->s), "dendrite_versions", vers, "accounts", (json_int_t)stats[0],
			      "admins", (json_int_t)stats[1], "active_admins", (json_int_t)stats[3], "deactivated",
			      (json_int_t)stats[2], "devices", (json_int_t)devices, "server", running_word(running),
			      "server_detail", who, "writable", writable);
		out_json(o);
	} else {
		json_decref(vers);
		printf("userapi     %s  %s\n", db_backend_name(h->user), h->udc.label);
		out_kv("layout", "%s", hs_layout(&h->s));
		out_kv("dendrite", "%s", vline[0] ? vline : "no db_migrations rows");
		out_kv("accounts", "%lld (admins %lld, active admins %lld, deactivated %lld); devices %lld", stats[0],
		       stats[1], stats[3], stats[2], devices);
		out_kv("homeserver", "%s (%s)", running_word(running), who);
		out_kv("writes", "%s", writable ? "allowed" : "refused (see the error below)");
		if (db_kind(h->user) == DB_POSTGRES) {
			char *line = pg_dump_line(h->udc.label);
			out_kv("backup", "%s", line);
			free(line);
		}
		if (stats[3] == 0 && writable)
			out_kv("note", "no active admin: create one with `mxdba user create USER --admin`");
	}
	hs_close(h);
	return ret;
}

static int check_other(struct ctx *c, enum component comp)
{
	struct dbconf dc;
	db *d;
	char who[256];
	int running;
	if (config_db(c->cfg, comp, &dc) < 0) {
		err_clear();
		return EX_OK; /* not configured: nothing to check */
	}
	d = db_open(dc.kind, dc.target, dc.label, 1);
	if (!d) {
		if (g_json)
			out_json(json_pack("{s:s, s:s, s:s, s:b}", "component", component_names[comp], "backend",
					   dc.kind == DB_SQLITE ? "sqlite" : "postgres", "database", dc.label, "reachable", 0));
		else
			printf("%-11s %s  %s\n  unreachable\n", component_names[comp],
			       dc.kind == DB_SQLITE ? "sqlite" : "postgres", dc.label);
		dbconf_free(&dc);
		return -1;
	}
	running = hs_probe_running(d, who, sizeof(who));
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "component", component_names[comp], "backend",
				   db_backend_name(d), "database", dc.label, "reachable", 1, "server",
				   running_word(running), "server_detail", who, "read_only", 1));
	else {
		printf("%-11s %s  %s\n", component_names[comp], db_backend_name(d), dc.label);
		out_kv("homeserver", "%s (%s)", running_word(running), who);
		out_kv("access", "read-only");
	}
	db_close(d);
	dbconf_free(&dc);
	return EX_OK;
}

int cmd_check(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	int ret;
	if (opts_parse(c, argc, argv, check_opts, &o) < 0)
		return free(o.pos), -1;
	if (o.npos) {
		free(o.pos);
		return err_set(EX_USAGE, "check takes no arguments");
	}
	free(o.pos);
	if (ctx_config(c) < 0)
		return -1;
	if (!g_json)
		printf("config      %s (server_name %s)\n", c->cfg->path, c->cfg->server_name);
	ret = check_userapi(c);
	if (ret < 0) {
		/* report the userapi problem now, then the other components */
		int code = err_code();
		err_print();
		for (int i = COMP_ROOMSERVER; i < COMP_COUNT; i++) {
			if (check_other(c, (enum component)i) < 0)
				err_print();
		}
		return code;
	}
	for (int i = COMP_ROOMSERVER; i < COMP_COUNT; i++)
		if (check_other(c, (enum component)i) < 0)
			return -1;
	return EX_OK;
}
