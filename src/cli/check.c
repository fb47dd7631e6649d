/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba check`: connect to each of the homeserver's databases read-only,
 * detect the schema and the homeserver's version, count accounts, and
 * probe for a running server. Changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"

#define MAX_DBS 8

static const struct optspec check_opts[] = { { 0, 0 } };

static const char *running_word(int r) { return r == 1 ? "running" : r == 0 ? "not running" : "unknown"; }
static const char *backend_word(enum db_kind k) { return k == DB_SQLITE ? "sqlite" : "postgres"; }

static void unreachable(const struct hs_component *d)
{
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:s, s:b}", "component", d->name, "backend", backend_word(d->conf.kind),
				   "database", d->conf.label, "reachable", 0));
	else if (d->read_only)
		printf("%-11s %s  %s\n  unreachable\n", d->name, backend_word(d->conf.kind), d->conf.label);
}

static void report_json(struct hs *h, struct hs_report *r, int running, const char *who)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:b}", "component",
			      r->component, "backend", db_backend_name(hs_db(h)), "database", hs_db_label(h), "reachable",
			      1, "layout", r->layout, r->versions_key, r->versions, "accounts", (json_int_t)r->accounts,
			      "admins", (json_int_t)r->admins, "active_admins", (json_int_t)r->active_admins,
			      "deactivated", (json_int_t)r->deactivated, "devices", (json_int_t)r->devices, "server",
			      running_word(running), "server_detail", who, "writable", r->writable);
	for (int i = 0; i < r->nextra; i++)
		json_object_set_new(o, r->extra[i][0], json_string(r->extra[i][1]));
	out_json(o);
}

static void report_human(struct hs *h, struct hs_report *r, int running, const char *who)
{
	json_decref(r->versions);
	printf("%-11s %s  %s\n", r->component, db_backend_name(hs_db(h)), hs_db_label(h));
	out_kv("layout", "%s", r->layout);
	out_kv(r->versions_label, "%s", r->versions_line);
	out_kv("accounts", "%lld (admins %lld, active admins %lld, deactivated %lld); devices %lld", r->accounts,
	       r->admins, r->active_admins, r->deactivated, r->devices);
	out_kv("homeserver", "%s (%s)", running_word(running), who);
	for (int i = 0; i < r->nextra; i++)
		out_kv(r->extra[i][0], "%s", r->extra[i][1]);
	out_kv("writes", "%s", r->writable ? "allowed" : "refused (see the error below)");
	if (db_kind(hs_db(h)) == DB_POSTGRES) {
		char *line = hs_pg_dump_line(h);
		out_kv("backup", "%s", line);
		free(line);
	}
	if (r->active_admins == 0 && r->writable)
		out_kv("note", "no active admin: create one with `mxdba user create USER --admin`");
}

/* The database mxdba writes: schema, counts, running server, writability. */
static int check_main(struct ctx *c, const struct hs_component *d)
{
	struct hs *h = hs_open(c->cfg, HS_INSPECT); /* read-only: check never writes */
	struct hs_report r;
	char who[256];
	int running, ret;
	if (!h) {
		unreachable(d);
		return -1;
	}
	running = hs_probe_running(h, hs_db(h), who, sizeof(who));
	ret = hs_report(h, &r);
	if (g_json)
		report_json(h, &r, running, who);
	else
		report_human(h, &r, running, who);
	hs_close(h);
	return ret;
}

/* Another database (read-only for mxdba): reachable, and is a server on it? */
static int check_other(struct ctx *c, const struct hs_component *d)
{
	char who[256];
	int running;
	if (hs_database_probe(c->cfg, d, &running, who, sizeof(who)) < 0) {
		unreachable(d);
		return -1;
	}
	if (g_json)
		out_json(json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "component", d->name, "backend",
				   backend_word(d->conf.kind), "database", d->conf.label, "reachable", 1, "server",
				   running_word(running), "server_detail", who, "read_only", 1));
	else {
		printf("%-11s %s  %s\n", d->name, backend_word(d->conf.kind), d->conf.label);
		out_kv("homeserver", "%s (%s)", running_word(running), who);
		out_kv("access", "read-only");
	}
	return 0;
}

int cmd_check(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs_component dbs[MAX_DBS];
	int n, ret = EX_OK, code = 0;
	if (opts_parse(c, argc, argv, check_opts, &o) < 0)
		return cmd_finish(c, NULL, &o, -1);
	if (o.npos)
		return cmd_finish(c, NULL, &o, err_set(EX_USAGE, "check takes no arguments"));
	free(o.pos);
	if (ctx_config(c) < 0)
		return -1;
	if (!g_json)
		printf("config      %s (server_name %s)\n", c->cfg->path, c->cfg->server_name);
	if ((n = hs_databases(c->cfg, dbs, MAX_DBS)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if ((i == 0 ? check_main(c, &dbs[i]) : check_other(c, &dbs[i])) < 0) {
			/* report the problem now, then the other databases */
			if (!code)
				code = err_code();
			err_print();
			ret = -1;
		}
		dbconf_free(&dbs[i].conf);
	}
	return ret < 0 ? code : EX_OK;
}
