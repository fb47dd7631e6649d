/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user import FILE`: create or update accounts from a CSV export in
 * one transaction, in four steps: parse the file, validate every line (bad
 * lines are all reported with their reason and nothing changes), hash the
 * cleartext passwords on every core before the write lock is taken, apply. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "core/csv.h"
#include "core/importrow.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"

#define MAX_BAD 50
#define MAX_FIELDS 16

struct irow {
	int lineno;
	struct mxid id;
	char *hash;     /* final bcrypt hash or NULL (unchanged / none) */
	char *password; /* cleartext in locked memory, wiped after hashing */
	int admin;      /* -1 unset */
	int deact;      /* -1 unset */
	char *display;  /* NULL unset */
};

enum on_conflict { ON_FAIL, ON_SKIP, ON_UPDATE };

struct import {
	struct ctx *c;
	struct hs *h;
	const char *path;
	FILE *f;
	int map[C_COUNT]; /* column of each field, -1 if absent */
	int lineno;
	struct irow *rows;
	int nrows, npw, nbad;
	enum on_conflict on;
	long long created, updated, skipped;
};

static void free_fields(char **fields, int from, int n)
{
	for (int i = from; i < n; i++) {
		sodium_memzero(fields[i], strlen(fields[i]));
		free(fields[i]);
	}
}

/* ---- parse ---- */

static int read_header(struct import *im)
{
	char *fields[MAX_FIELDS], why[256];
	int nf = csv_record(im->f, fields, MAX_FIELDS, &im->lineno, why, sizeof(why)), rc;
	if (nf <= 0) {
		for (int i = 0; i < C_COUNT; i++)
			im->map[i] = -1;
		return err_set(EX_USAGE, "%s:1: %s", im->path, nf == 0 ? "empty file: a header line is needed" : why);
	}
	rc = import_header(fields, nf, im->map, why, sizeof(why));
	free_fields(fields, 0, nf);
	if (rc < 0) {
		err_set(EX_USAGE, "%s:1: %s", im->path, why);
		return err_hint("columns: " IMPORT_COLUMNS);
	}
	return 0;
}

/* ---- validate ---- */

/* The reason line V (its fields by column) cannot be imported, in WHY ("" if it can). */
static int validate(struct import *im, const char *const *v, struct irow *r, char *why, size_t n)
{
	struct pw_scheme s;
	struct hs_account a;
	struct import_values iv;
	int rc;
	hs_password_scheme(im->c->cfg, &s);
	if (import_check(v, im->c->cfg->server_name, s.min, s.max, &iv, why, n) < 0)
		return 1;
	r->id = iv.id;
	r->admin = iv.admin;
	r->deact = iv.deact;
	/* a new account must pass the homeserver's localpart rules: say so now, for every line */
	if ((rc = hs_account_find(im->h, &r->id, &a)) < 0)
		return -1;
	if (rc == 1)
		hs_account_clear(&a);
	else if (hs_check_new_localpart(im->c->cfg, &r->id) < 0) {
		err_clear();
		return snprintf(why, n, "new account %.200s: localpart refused by %s's rules", r->id.full,
				hs_display(im->c->cfg));
	}
	return 0;
}

/* Keep line R: its values copied, a cleartext password into locked memory. */
static void keep(struct import *im, struct irow *r, const char *const *v)
{
	r->hash = *v[C_HASH] ? xstrdup(v[C_HASH]) : NULL;
	if (*v[C_PASSWORD]) {
		size_t n = strlen(v[C_PASSWORD]) + 1;
		r->password = sodium_malloc(n);
		memcpy(r->password, v[C_PASSWORD], n);
		im->npw++;
	}
	r->display = *v[C_DISPLAY] ? xstrdup(v[C_DISPLAY]) : NULL;
	im->rows = xrealloc(im->rows, sizeof(*im->rows) * (size_t)(im->nrows + 1));
	im->rows[im->nrows++] = *r;
}

/* Each refused line through the common error path; the summary comes last. */
static void refuse_line(struct import *im, int lineno, const char *why)
{
	if (im->nbad++ < MAX_BAD) {
		err_set(EX_USAGE, "%s:%d: %s", im->path, lineno, why);
		err_print();
	}
}

/* One record: 1 read (kept or refused), 0 end of file, -1 a database error. */
static int read_line(struct import *im)
{
	char *fields[MAX_FIELDS], why[300] = "";
	const char *v[C_COUNT];
	struct irow r = { 0 };
	int start = im->lineno + 1, nf = csv_record(im->f, fields, MAX_FIELDS, &im->lineno, why, sizeof(why)), rc = 0;
	if (nf == 0)
		return 0;
	r.lineno = start;
	r.admin = r.deact = -1;
	if (nf < 0) {
		refuse_line(im, start, why);
		return 1;
	}
	if (nf == 1 && !*fields[0]) {
		free(fields[0]);
		return 1; /* blank line */
	}
	for (int k = 0; k < C_COUNT; k++)
		v[k] = im->map[k] >= 0 && im->map[k] < nf ? fields[im->map[k]] : "";
	for (int k = 0; k < nf && !why[0]; k++)
		if (!text_is_clean(fields[k]))
			snprintf(why, sizeof(why), "control characters or invalid UTF-8");
	if (!why[0] && (rc = validate(im, v, &r, why, sizeof(why))) < 0) {
		free_fields(fields, 0, nf);
		return -1;
	}
	if (why[0])
		refuse_line(im, start, why);
	else
		keep(im, &r, v);
	free_fields(fields, 0, nf);
	return 1;
}

static int read_all(struct import *im)
{
	int rc;
	if (read_header(im) < 0)
		return -1;
	while ((rc = read_line(im)) > 0)
		;
	if (rc < 0)
		return -1;
	if (im->nbad) {
		err_set(EX_USAGE, "%d line(s) of %s refused (listed above%s)", im->nbad, im->path,
			im->nbad > MAX_BAD ? ", first 50" : "");
		return err_detail("nothing was imported");
	}
	return 0;
}

/* ---- hash ---- */

/* Cleartext passwords: hashed on every core, then wiped. */
static int hash_all(struct import *im)
{
	char **pw;
	char(*out)[HASH_MAX];
	struct pw_scheme s;
	int k = 0, rc;
	if (!im->npw)
		return 0;
	pw = xcalloc((size_t)im->npw, sizeof(char *));
	out = xcalloc((size_t)im->npw, HASH_MAX);
	for (int i = 0; i < im->nrows; i++)
		if (im->rows[i].password)
			pw[k++] = im->rows[i].password;
	hs_password_scheme(im->c->cfg, &s);
	rc = pw_hash_parallel(&s, pw, out, im->npw, "hashing");
	for (int i = 0, j = 0; i < im->nrows; i++)
		if (im->rows[i].password) {
			im->rows[i].hash = xstrdup(out[j++]);
			sodium_free(im->rows[i].password);
			im->rows[i].password = NULL;
		}
	sodium_memzero(out, (size_t)im->npw * HASH_MAX);
	free(out);
	free(pw);
	return rc;
}

/* ---- apply ---- */

static int update_values(struct import *im, const struct irow *r, const struct hs_account *a)
{
	struct ctx *c = im->c;
	struct hs *h = im->h;
	long long n;
	char od[8];
	snprintf(od, sizeof(od), "%d", a->deactivated);
	if (r->hash && (hs_set_password_hash(h, a, r->hash, &n) < 0 ||
			audit_write(c, h, a->user_id, "password_hash", a->password_hash, r->hash) < 0))
		return -1;
	if (r->admin >= 0 && (hs_set_admin(h, a, r->admin, &n) < 0 ||
			      audit_write(c, h, a->user_id, "admin", a->admin ? "1" : "0", r->admin ? "1" : "0") < 0))
		return -1;
	if (r->deact >= 0 && (hs_set_deactivated(h, a, r->deact, &n) < 0 ||
			      audit_write(c, h, a->user_id, "deactivated", a->deactivated < 0 ? NULL : od,
					  r->deact ? "1" : "0") < 0))
		return -1;
	if (r->display && (hs_set_display_name(h, a, r->display) < 0 ||
			   audit_write(c, h, a->user_id, "display_name", NULL, r->display) < 0))
		return -1;
	return 0;
}

/* An existing account: refused (--on-conflict fail), skipped, or updated. */
static int update_existing(struct import *im, struct irow *r, const struct hs_account *a)
{
	str_copy(r->id.full, sizeof(r->id.full), a->user_id);
	if (im->on == ON_FAIL) {
		err_set(EX_CONFLICT, "user %s already exists", r->id.full);
		return err_hint("use --on-conflict skip or --on-conflict update");
	}
	if (im->on == ON_SKIP) {
		im->skipped++;
		return 0;
	}
	if (a->guest)
		return err_set(EX_REFUSED, "refusing to update %s: it is a guest account", r->id.full);
	if (hs_check_modifiable(im->h, a, "update") < 0 ||
	    (r->admin >= 0 && hs_check_cached_write(im->h, "admin") < 0) ||
	    (r->deact >= 0 && hs_check_cached_write(im->h, "deactivated") < 0) || update_values(im, r, a) < 0)
		return -1;
	im->updated++;
	return 0;
}

static int create_new(struct import *im, const struct irow *r)
{
	struct hs_new_account na = { r->id, r->hash ? r->hash : "", r->admin == 1, r->deact == 1, r->display };
	if (hs_check_new_localpart(im->c->cfg, &r->id) < 0 ||
	    hs_check_reserved(im->h, r->id.localpart, r->id.full, "create") < 0 || hs_create_conflicts(im->h, &r->id) < 0 ||
	    hs_account_create(im->h, &na) < 0 ||
	    audit_write(im->c, im->h, r->id.full, "account", NULL, r->admin == 1 ? "created (admin)" : "created (user)") < 0)
		return -1;
	im->created++;
	return 0;
}

/* One row the general way: found and updated, or created. */
static int apply_one(struct import *im, struct irow *r)
{
	struct hs_account a;
	int rc = hs_account_find(im->h, &r->id, &a);
	if (rc == 1) {
		rc = update_existing(im, r, &a);
		hs_account_clear(&a);
	} else if (rc == 0)
		rc = create_new(im, r);
	return rc;
}

/* ---- the fast path: runs of new accounts created by the profile's
 * set-based statements (the general way for everything else, in file order) ---- */

#define CHUNK 1000

struct fast {
	struct hs_new_account a[CHUNK];
	struct irow *row[CHUNK];
	int n;
};

/* May row R (whose account is not taken) be created with the others? The
 * checks of create_new that need no database; not deactivated (the fast
 * statements create active accounts). */
static int plain_new(struct import *im, const struct irow *r)
{
	int ok = r->deact != 1 && hs_check_new_localpart(im->c->cfg, &r->id) == 0 &&
		 hs_check_reserved(im->h, r->id.localpart, r->id.full, "create") == 0;
	err_clear();
	return ok;
}

/* Create the collected rows, with their audit rows, in file order. */
static int fast_flush(struct import *im, struct fast *f)
{
	int rc = f->n ? hs_bulk_create(im->h, f->a, f->n) : 1;
	if (rc == 0)
		rc = err_set(EX_FAIL, "internal: the profile has no fast path for create");
	for (int i = 0; rc > 0 && i < f->n; i++)
		if (audit_write(im->c, im->h, f->row[i]->id.full, "account", NULL,
				f->row[i]->admin == 1 ? "created (admin)" : "created (user)") < 0)
			rc = -1;
	if (rc < 0 && f->n)
		err_prefix("%s:%d-%d: ", im->path, f->row[0]->lineno, f->row[f->n - 1]->lineno);
	im->created += rc > 0 ? f->n : 0;
	f->n = 0;
	return rc < 0 ? -1 : 0;
}

/* Rows FROM..FROM+N: 1 done, 0 the profile has no fast path, -1 + error. */
static int apply_chunk(struct import *im, struct fast *f, json_t *named, int from, int n)
{
	struct mxid *ids = xcalloc((size_t)n, sizeof(*ids));
	char *taken = xcalloc((size_t)n, 1);
	int rc;
	for (int i = 0; i < n; i++)
		ids[i] = im->rows[from + i].id;
	rc = hs_bulk_taken(im->h, ids, n, taken);
	for (int i = 0; rc > 0 && i < n; i++) {
		struct irow *r = &im->rows[from + i];
		char key[MXID_MAX + 1];
		mxid_lower(key, sizeof(key), r->id.localpart);
		if (!taken[i] && !json_object_get(named, key) && plain_new(im, r)) {
			struct hs_new_account na = { r->id, r->hash ? r->hash : "", r->admin == 1, 0, r->display };
			f->a[f->n] = na;
			f->row[f->n++] = r;
		} else if (fast_flush(im, f) < 0) {
			rc = -1;
		} else if (apply_one(im, r) < 0) {
			err_prefix("%s:%d: ", im->path, r->lineno);
			rc = -1;
		}
		json_object_set_new(named, key, json_true());
	}
	if (rc > 0 && fast_flush(im, f) < 0)
		rc = -1;
	free(ids);
	free(taken);
	return rc;
}

static int apply_all(struct import *im)
{
	struct progress *prog = progress_start("import", im->nrows);
	struct fast *f = xcalloc(1, sizeof(*f));
	json_t *named = json_object();
	int rc = 0, fast = 1;
	for (int i = 0; i < im->nrows && rc == 0;) {
		int n = im->nrows - i < CHUNK ? im->nrows - i : CHUNK;
		if (fast && (rc = apply_chunk(im, f, named, i, n)) != 0) {
			i += n;
			rc = rc < 0 ? -1 : 0;
		} else {
			fast = 0; /* no fast path: row by row */
			if ((rc = apply_one(im, &im->rows[i])) < 0)
				err_prefix("%s:%d: ", im->path, im->rows[i].lineno);
			i++;
		}
		if (rc < 0)
			err_detail_more("nothing was imported");
		progress_tick(prog, i);
	}
	progress_end(prog);
	json_decref(named);
	free(f);
	return rc;
}

static const struct optspec import_opts[] = { { "--on-conflict", 1 }, { 0, 0 } };

static int import_args(struct import *im, const struct opts *o)
{
	const char *onc;
	if (o->npos != 1) {
		err_set(EX_USAGE, "user import takes one FILE (CSV with a header line)");
		return err_hint("columns: user, password_hash or password, admin, display_name, deactivated");
	}
	if ((onc = opt(o, import_opts, "--on-conflict"))) {
		if (!strcmp(onc, "skip"))
			im->on = ON_SKIP;
		else if (!strcmp(onc, "update"))
			im->on = ON_UPDATE;
		else if (strcmp(onc, "fail"))
			return err_set(EX_USAGE, "--on-conflict must be skip, update or fail");
	}
	im->path = o->pos[0];
	if (!(im->f = strcmp(im->path, "-") ? fopen(im->path, "r") : stdin))
		return err_set(EX_USAGE, "cannot read %s: %s", im->path, strerror(errno));
	return 0;
}

static void import_free(struct import *im)
{
	for (int i = 0; i < im->nrows; i++) {
		if (im->rows[i].password)
			sodium_free(im->rows[i].password);
		free(im->rows[i].hash);
		free(im->rows[i].display);
	}
	free(im->rows);
	if (im->f && im->f != stdin)
		fclose(im->f);
}

int cmd_user_import(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct import im;
	int ret = -1;

	memset(&im, 0, sizeof(im));
	im.c = c;
	if (opts_parse(c, argc, argv, import_opts, &o) < 0 || import_args(&im, &o) < 0 || ctx_config(c) < 0 ||
	    !(im.h = ctx_hs(c, HS_WRITE_BULK)))
		goto out;
	if (read_all(&im) < 0 || hash_all(&im) < 0 || maybe_backup(c, im.h, 1) < 0 || write_begin(c, im.h) < 0 ||
	    apply_all(&im) < 0 || write_end(c, im.h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:I, s:I, s:I, s:b}", "created", (json_int_t)im.created, "updated",
				   (json_int_t)im.updated, "skipped", (json_int_t)im.skipped, "dry_run", c->dry_run));
	else
		out_line("%s: %lld created, %lld updated, %lld skipped (one transaction)",
			 c->dry_run ? "would import" : "imported", im.created, im.updated, im.skipped);
	dry_run_note(c);
	ret = EX_OK;
out:
	import_free(&im);
	return cmd_finish(c, im.h, &o, ret);
}
