/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba user import FILE`: create or update accounts from a CSV export in
 * one transaction. Every line is checked before anything is written; bad
 * lines are all reported with their reason and nothing changes. Cleartext
 * passwords are hashed on every core before the write lock is taken. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/mxid.h"
#include "core/output.h"
#include "core/util.h"
#include "hs/dendrite.h"

#define MAX_BAD 50

enum col { C_USER, C_HASH, C_PASSWORD, C_ADMIN, C_DISPLAY, C_DEACT, C_COUNT };
static const char *const col_names[C_COUNT] = { "user", "password_hash", "password", "admin", "display_name",
						"deactivated" };

struct irow {
	int lineno;
	struct mxid id;
	char *hash;     /* final bcrypt hash or NULL (unchanged / none) */
	char *password; /* cleartext, wiped after hashing */
	int admin;      /* -1 unset */
	int deact;      /* -1 unset */
	char *display;  /* NULL unset */
};

/* One CSV record (RFC 4180: quotes, doubled quotes, CRLF) from F into FIELDS.
 * Returns the field count, 0 at EOF, -1 on a malformed record. *lineno advances. */
static int csv_record(FILE *f, char **fields, int max, int *lineno, char *why, size_t whylen)
{
	size_t cap = 256, len = 0;
	char *cur = xmalloc(cap);
	int n = 0, quoted = 0, ch, any = 0, was_quoted = 0;
	(*lineno)++;
	for (;;) {
		ch = fgetc(f);
		if (ch == EOF && !any) {
			free(cur);
			return 0;
		}
		any = 1;
		if (ch == '\0') {
			snprintf(why, whylen, "NUL byte");
			goto bad;
		}
		if (quoted) {
			if (ch == EOF) {
				snprintf(why, whylen, "unterminated quoted field");
				goto bad;
			}
			if (ch == '"') {
				int next = fgetc(f);
				if (next == '"')
					ch = '"';
				else {
					if (next != EOF)
						ungetc(next, f);
					quoted = 0;
					continue;
				}
			} else if (ch == '\n')
				(*lineno)++;
		} else if (ch == '"' && len == 0 && !was_quoted) {
			quoted = was_quoted = 1;
			continue;
		} else if (ch == ',' || ch == '\n' || ch == EOF) {
			if (len > 0 && cur[len - 1] == '\r' && ch != ',')
				len--;
			if (n >= max) {
				snprintf(why, whylen, "more than %d fields", max);
				goto bad;
			}
			cur[len] = '\0';
			fields[n++] = xstrdup(cur);
			len = 0;
			was_quoted = 0;
			if (ch != ',')
				break;
			continue;
		}
		if (len + 2 >= cap) {
			if (cap > 1 << 20) {
				snprintf(why, whylen, "field longer than 1 MiB");
				goto bad;
			}
			cur = xrealloc(cur, cap *= 2);
		}
		cur[len++] = (char)ch;
	}
	free(cur);
	return n;
bad:
	free(cur);
	for (int i = 0; i < n; i++)
		free(fields[i]);
	while (ch != EOF && ch != '\n')
		ch = fgetc(f);
	return -1;
}

static int parse_bool(const char *v, int *out)
{
	if (!*v) {
		*out = -1;
		return 0;
	}
	if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "t"))
		*out = 1;
	else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "f"))
		*out = 0;
	else
		return -1;
	return 0;
}

static const struct optspec import_opts[] = { { "--on-conflict", 1 }, { 0, 0 } };

int cmd_user_import(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct irow *rows = NULL;
	int nrows = 0, nbad = 0, lineno = 0, map[C_COUNT], ret = -1, nf, npw = 0;
	long long created = 0, updated = 0, skipped = 0;
	enum { ON_FAIL, ON_SKIP, ON_UPDATE } on = ON_FAIL;
	const char *path, *onc;
	char *fields[16], why[256];
	FILE *f = NULL;
	struct hs *h = NULL;
	struct progress *prog = NULL;

	if (opts_parse(c, argc, argv, import_opts, &o) < 0)
		goto out;
	if (o.npos != 1) {
		err_set(EX_USAGE, "user import takes one FILE (CSV with a header line)");
		err_hint("columns: user, password_hash or password, admin, display_name, deactivated");
		goto out;
	}
	if ((onc = opt(&o, import_opts, "--on-conflict"))) {
		if (!strcmp(onc, "skip"))
			on = ON_SKIP;
		else if (!strcmp(onc, "update"))
			on = ON_UPDATE;
		else if (strcmp(onc, "fail")) {
			err_set(EX_USAGE, "--on-conflict must be skip, update or fail");
			goto out;
		}
	}
	path = o.pos[0];
	if (!(f = strcmp(path, "-") ? fopen(path, "r") : stdin)) {
		err_set(EX_USAGE, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, HS_WRITE_BULK)))
		goto out;
	/* header */
	for (int i = 0; i < C_COUNT; i++)
		map[i] = -1;
	if ((nf = csv_record(f, fields, 16, &lineno, why, sizeof(why))) <= 0) {
		err_set(EX_USAGE, "%s:1: %s", path, nf == 0 ? "empty file: a header line is needed" : why);
		goto out;
	}
	for (int i = 0; i < nf; i++) {
		int k;
		for (k = 0; k < C_COUNT; k++)
			if (!strcmp(fields[i], col_names[k]))
				break;
		if (k == C_COUNT || map[k] >= 0) {
			err_set(EX_USAGE, "%s:1: %s column \"%.40s\"", path, k == C_COUNT ? "unknown" : "duplicate",
				fields[i]);
			err_hint("columns: user, password_hash, password, admin, display_name, deactivated");
			for (int j = i; j < nf; j++)
				free(fields[j]);
			goto out;
		}
		map[k] = i;
		free(fields[i]);
	}
	if (map[C_USER] < 0) {
		err_set(EX_USAGE, "%s:1: the header has no user column", path);
		goto out;
	}
	/* every line, checked before anything is written */
	for (;;) {
		struct irow r = { 0 };
		char reason[300] = "";
		int start = lineno + 1;
		const char *v[C_COUNT];
		nf = csv_record(f, fields, 16, &lineno, why, sizeof(why));
		if (nf == 0)
			break;
		r.lineno = start;
		r.admin = r.deact = -1;
		if (nf < 0)
			snprintf(reason, sizeof(reason), "%s", why);
		else if (nf == 1 && !*fields[0]) {
			free(fields[0]);
			continue; /* blank line */
		} else if (nf != map[C_USER] + 1 && nf < 1)
			snprintf(reason, sizeof(reason), "no fields");
		if (!reason[0]) {
			for (int k = 0; k < C_COUNT; k++)
				v[k] = map[k] >= 0 && map[k] < nf ? fields[map[k]] : "";
			for (int k = 0; k < nf && !reason[0]; k++)
				if (!text_is_clean(fields[k]))
					snprintf(reason, sizeof(reason), "control characters or invalid UTF-8");
			if (reason[0])
				;
			else if (mxid_parse(v[C_USER], c->cfg->server_name, &r.id) < 0) {
				snprintf(reason, sizeof(reason), "user: %s", "not a local user ID or localpart");
				err_clear();
			} else if (*v[C_HASH] && *v[C_PASSWORD])
				snprintf(reason, sizeof(reason), "both password and password_hash are set");
			else if (*v[C_HASH] && !hash_is_bcrypt(v[C_HASH]))
				snprintf(reason, sizeof(reason),
					 "password_hash is not a bcrypt hash ($2a$/$2b$/$2y$, cost 04-31, 60 characters)");
			else if (*v[C_PASSWORD] && (strlen(v[C_PASSWORD]) < PW_MIN || strlen(v[C_PASSWORD]) > PW_MAX))
				snprintf(reason, sizeof(reason), "password must be %d to %d bytes", PW_MIN, PW_MAX);
			else if (parse_bool(v[C_ADMIN], &r.admin) < 0 || parse_bool(v[C_DEACT], &r.deact) < 0)
				snprintf(reason, sizeof(reason), "admin and deactivated take true/false/1/0/yes/no");
			else if (strlen(v[C_DISPLAY]) > 256)
				snprintf(reason, sizeof(reason), "display_name is longer than 256 bytes");
			if (!reason[0]) {
				/* a new account must pass Dendrite's localpart rules: say so now, for every line */
				struct account a;
				int rc = hs_account_find(h, &r.id, &a);
				if (rc < 0)
					goto out;
				if (rc == 1)
					account_clear(&a);
				else if (mxid_check_new(&r.id) < 0) {
					snprintf(reason, sizeof(reason), "new account %.200s: localpart refused by Dendrite's rules",
						 r.id.full);
					err_clear();
				}
			}
			if (!reason[0]) {
				r.hash = *v[C_HASH] ? xstrdup(v[C_HASH]) : NULL;
				if (*v[C_PASSWORD]) {
					size_t n = strlen(v[C_PASSWORD]) + 1;
					r.password = sodium_malloc(n);
					memcpy(r.password, v[C_PASSWORD], n);
					npw++;
				}
				r.display = *v[C_DISPLAY] ? xstrdup(v[C_DISPLAY]) : NULL;
			}
			for (int k = 0; k < nf; k++) {
				sodium_memzero(fields[k], strlen(fields[k]));
				free(fields[k]);
			}
		}
		if (reason[0]) {
			if (nbad < MAX_BAD) {
				/* each refused line through the common error path; the summary comes last */
				err_set(EX_USAGE, "%s:%d: %s", path, start, reason);
				err_print();
			}
			nbad++;
			continue;
		}
		rows = xrealloc(rows, sizeof(*rows) * (size_t)(nrows + 1));
		rows[nrows++] = r;
	}
	if (nbad) {
		err_set(EX_USAGE, "%d line(s) of %s refused (listed above%s)", nbad, path, nbad > MAX_BAD ? ", first 50" : "");
		err_detail("nothing was imported");
		goto out;
	}
	/* cleartext passwords: hashed on every core, then wiped */
	if (npw) {
		char **pw = xcalloc((size_t)npw, sizeof(char *));
		char(*out)[HASH_MAX] = xcalloc((size_t)npw, HASH_MAX);
		int k = 0, rc;
		for (int i = 0; i < nrows; i++)
			if (rows[i].password)
				pw[k++] = rows[i].password;
		rc = bcrypt_hash_parallel(pw, out, npw, c->cfg->bcrypt_cost, "hashing");
		for (int i = 0, j = 0; i < nrows; i++)
			if (rows[i].password) {
				rows[i].hash = xstrdup(out[j++]);
				sodium_free(rows[i].password);
				rows[i].password = NULL;
			}
		sodium_memzero(out, (size_t)npw * HASH_MAX);
		free(out);
		free(pw);
		if (rc < 0)
			goto out;
	}
	if (maybe_backup(c, h, 1) < 0 || write_begin(c, h) < 0)
		goto out;
	prog = progress_start("import", nrows);
	for (int i = 0; i < nrows; i++) {
		struct irow *r = &rows[i];
		struct account a;
		long long n;
		int rc = hs_account_find(h, &r->id, &a);
		if (rc < 0)
			goto line_fail;
		if (rc == 1) {
			snprintf(r->id.full, sizeof(r->id.full), "@%s:%s", a.localpart, a.server_name);
			if (on == ON_FAIL) {
				account_clear(&a);
				err_set(EX_CONFLICT, "user %s already exists", r->id.full);
				err_hint("use --on-conflict skip or --on-conflict update");
				goto line_fail;
			}
			if (on == ON_SKIP) {
				account_clear(&a);
				skipped++;
				continue;
			}
			if (a.type == ACCT_APPSERVICE || a.type == ACCT_GUEST ||
			    hs_check_reserved(h, a.localpart, r->id.full, "update") < 0) {
				if (!err_pending())
					err_set(EX_REFUSED, "refusing to update %s: it is a%s account", r->id.full,
						a.type == ACCT_GUEST ? " guest" : "n appservice");
				account_clear(&a);
				goto line_fail;
			}
			{
				db_arg k[2] = { DB_ARG_TEXT(a.localpart), DB_ARG_TEXT(a.server_name) };
				db_arg hsh[3] = { DB_ARG_TEXT(r->hash ? r->hash : ""), k[0], k[1] };
				db_arg typ[4] = { DB_ARG_INT(r->admin == 1 ? ACCT_ADMIN : ACCT_USER), k[0], k[1],
						  DB_ARG_INT(a.type) };
				db_arg dea[3] = { DB_ARG_INT(r->deact), k[0], k[1] };
				db_arg dis[3] = { DB_ARG_TEXT(r->display ? r->display : ""), k[0], k[1] };
				char ot[8], nt[8], od[8];
				int bad;
				snprintf(ot, sizeof(ot), "%d", a.type);
				snprintf(nt, sizeof(nt), "%d", r->admin == 1 ? ACCT_ADMIN : ACCT_USER);
				snprintf(od, sizeof(od), "%d", a.deactivated);
				bad = (r->hash && (db_exec(h->user, "account_set_password", hsh, 3, &n) < 0 ||
						   audit_write(c, h, r->id.full, "password_hash", a.password_hash, r->hash) < 0)) ||
				      (r->admin >= 0 && (db_exec(h->user, "account_set_type", typ, 4, &n) < 0 ||
							 audit_write(c, h, r->id.full, "account_type", ot, nt) < 0)) ||
				      (r->deact >= 0 && (db_exec(h->user, "account_set_deactivated", dea, 3, &n) < 0 ||
							 audit_write(c, h, r->id.full, "is_deactivated",
								     a.deactivated < 0 ? NULL : od, r->deact ? "1" : "0") < 0)) ||
				      (r->display && (db_exec(h->user, "profile_set_display_name", dis, 3, &n) < 0 ||
						      audit_write(c, h, r->id.full, "display_name", NULL, r->display) < 0));
				account_clear(&a); /* the arguments above point into it */
				if (bad)
					goto line_fail;
			}
			updated++;
		} else {
			db_arg acc[6], prof[3];
			db_arg k[2] = { DB_ARG_TEXT(r->id.localpart), DB_ARG_TEXT(r->id.server) };
			char *other = NULL;
			if (mxid_check_new(&r->id) < 0 || hs_check_reserved(h, r->id.localpart, r->id.full, "create") < 0)
				goto line_fail;
			if ((rc = db_scalar(h->user, "account_other_server", k, 2, &other)) != 0 ||
			    (free(other), other = NULL, rc = db_scalar(h->user, "profile_exists", k, 2, &other)) != 0) {
				free(other);
				if (rc == 1) {
					err_set(EX_CONFLICT, "localpart %s is taken (another server_name, or a leftover profile)",
						r->id.localpart);
				}
				goto line_fail;
			}
			acc[0] = k[0];
			acc[1] = k[1];
			acc[2] = DB_ARG_INT(now_ms());
			acc[3] = DB_ARG_TEXT(r->hash ? r->hash : "");
			acc[4] = DB_ARG_INT(r->admin == 1 ? ACCT_ADMIN : ACCT_USER);
			acc[5] = DB_ARG_INT(r->deact == 1);
			prof[0] = k[0];
			prof[1] = k[1];
			prof[2] = DB_ARG_TEXT(r->display ? r->display : r->id.localpart);
			if (db_exec_one(h->user, "account_insert_import", acc, 6, "inserting the account") < 0 ||
			    db_exec_one(h->user, "profile_insert", prof, 3, "inserting the profile") < 0)
				goto line_fail;
			if (audit_write(c, h, r->id.full, "account", NULL, r->admin == 1 ? "created (admin)" : "created (user)") < 0)
				goto line_fail;
			created++;
		}
		progress_tick(prog, i + 1);
		continue;
line_fail:
		err_prefix("%s:%d: ", path, r->lineno);
		err_detail_more("nothing was imported");
		goto out;
	}
	progress_end(prog);
	prog = NULL;
	if (write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:I, s:I, s:I, s:b}", "created", (json_int_t)created, "updated", (json_int_t)updated,
				   "skipped", (json_int_t)skipped, "dry_run", c->dry_run));
	else
		out_line("%s: %lld created, %lld updated, %lld skipped (one transaction)",
			 c->dry_run ? "would import" : "imported", created, updated, skipped);
	dry_run_note(c);
	ret = EX_OK;
out:
	progress_end(prog);
	if (h)
		db_rollback(h->user);
	ctx_hs_done(c, h);
	for (int i = 0; i < nrows; i++) {
		if (rows[i].password)
			sodium_free(rows[i].password);
		free(rows[i].hash);
		free(rows[i].display);
	}
	free(rows);
	if (f && f != stdin)
		fclose(f);
	free(o.pos);
	return ret;
}
