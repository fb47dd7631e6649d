/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba doctor [--fix] [--check NAME,…] [--list]`: run the homeserver
 * profile's checks and mxdba's own (src/hs/doctor.c and the profiles'
 * doctor.c: one row per check), report one finding per line, and with
 * --fix repair the findings that have one right answer in one audited
 * transaction (a SQLite backup first). Read-only without --fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"

#define MAX_CHECKS 64
#define MAX_ITEMS 5

static const struct optspec doctor_opts[] = { { "--fix", 0 }, { "--check", 1 }, { "--list", 0 }, { 0, 0 } };

struct finding {
	const struct hs_check *check;
	long long found, total, fixed; /* found by the first look, left, repaired */
	char *items[MAX_ITEMS];
	int nitems;
};

static const char *severity_word(enum hs_severity s)
{
	return s == HS_ERROR ? "error" : s == HS_WARNING ? "warning" : "note";
}

/* SEL[i] = 1 for every check of H that the comma-separated LIST names
 * (NULL: all of them); an unknown name is refused. */
static int select_checks(struct hs *h, const char *list, char *sel, int max)
{
	for (int i = 0; i < max && hs_check_at(h, i); i++)
		sel[i] = list == NULL;
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int found = -1;
		for (int i = 0; found < 0 && i < max && hs_check_at(h, i); i++)
			if (strlen(hs_check_at(h, i)->name) == len && !strncmp(hs_check_at(h, i)->name, p, len))
				found = i;
		if (found < 0) {
			err_set(EX_USAGE, "unknown check \"%.*s\"", (int)(len > 64 ? 64 : len), p);
			return err_hint("`mxdba doctor --list` names the checks of this homeserver");
		}
		sel[found] = 1;
		p = e ? e + 1 : p + len;
	}
	return 0;
}

static void list_checks(struct hs *h)
{
	static const char *const head[] = { "CHECK", "SEVERITY", "FIX", "FINDS" };
	struct table *t = g_json ? NULL : table_begin(4, head);
	for (int i = 0; hs_check_at(h, i); i++) {
		const struct hs_check *k = hs_check_at(h, i);
		if (g_json)
			out_json(json_pack("{s:s, s:s, s:b, s:s, s:s, s:s}", "check", k->name, "severity",
					   severity_word(k->severity), "fixable", k->fix[0] != NULL, "finds", k->what, "why",
					   k->why, "repair", k->repair));
		else {
			const char *cells[4] = { k->name, severity_word(k->severity), k->fix[0] ? "--fix" : "report",
						 k->what };
			table_row(t, cells);
		}
	}
	table_end(t);
}

static char *items_text(const struct finding *f)
{
	size_t cap = 64, len = 0;
	char *s = xmalloc(cap);
	s[0] = '\0';
	for (int i = 0; i < f->nitems; i++) {
		size_t n = strlen(f->items[i]) + 8;
		if (len + n >= cap)
			s = xrealloc(s, cap = (len + n) * 2);
		len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? ", " : "", f->items[i]);
	}
	if (f->total > f->nitems) {
		if (len + 32 >= cap)
			s = xrealloc(s, cap = len + 64);
		snprintf(s + len, cap - len, "%s… (%lld more)", len ? ", " : "", f->total - f->nitems);
	}
	return s;
}

static void report(struct table *t, const struct finding *f, int fixing, int dry_run)
{
	const struct hs_check *k = f->check;
	char count[32], fixed[48];
	char *rows = items_text(f);
	snprintf(count, sizeof(count), "%lld", f->found);
	if (!k->fix[0])
		snprintf(fixed, sizeof(fixed), "report only");
	else if (dry_run)
		snprintf(fixed, sizeof(fixed), "would fix %lld", f->fixed);
	else
		snprintf(fixed, sizeof(fixed), "fixed %lld, %lld left", f->fixed, f->total);
	if (g_json) {
		json_t *items = json_array();
		for (int i = 0; i < f->nitems; i++)
			json_array_append_new(items, json_string(f->items[i]));
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:o, s:s, s:s, s:b}", "severity", severity_word(k->severity),
				      "check", k->name, "count", (json_int_t)f->found, "what", k->what, "rows", items, "why",
				      k->why, "repair", k->repair, "fixable", k->fix[0] != NULL);
		if (fixing && k->fix[0]) {
			json_object_set_new(o, dry_run ? "would_fix" : "fixed", json_integer(f->fixed));
			json_object_set_new(o, "left", json_integer(f->total));
		}
		out_json(o);
	} else {
		const char *cells[8] = { severity_word(k->severity), k->name, count, k->what, rows, k->why, k->repair,
					 fixed };
		table_row(t, cells);
	}
	free(rows);
}

/* ---- --fix ---- */

struct fix_ctx {
	struct ctx *c;
	struct hs *h;
	const struct hs_check *check;
};

static int audit_fixed(const char *target, const char *old, const char *new_value, void *user)
{
	struct fix_ctx *x = user;
	return audit_write(x->c, x->h, target, x->check->field, old, new_value);
}

/* Refused before anything is written: accounts another service owns, a
 * running server that caches what a fix changes. */
static int fixes_allowed(struct hs *h, struct finding *f, int n)
{
	for (int i = 0; i < n; i++) {
		const struct hs_check *k = f[i].check;
		if (!f[i].total || !k->fix[0])
			continue;
		if ((k->accounts && hs_accounts_writable(h) < 0) || (k->cached && hs_check_cached_write(h, k->cached) < 0))
			return -1;
	}
	return 0;
}

static int fix_all(struct ctx *c, struct hs *h, struct finding *f, int n)
{
	int any = 0;
	for (int i = 0; i < n; i++)
		any |= f[i].total && f[i].check->fix[0];
	if (!any)
		return 0;
	if (fixes_allowed(h, f, n) < 0 || maybe_backup(c, h, 1) < 0 || write_begin(c, h) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct fix_ctx x = { c, h, f[i].check };
		if (f[i].total && f[i].check->fix[0] && hs_check_fix(h, f[i].check, audit_fixed, &x, &f[i].fixed) < 0)
			return -1;
	}
	return write_end(c, h);
}

/* After a committed fix: how many rows are left of each fixed finding
 * (the rows shown stay those of the first look). */
static int find_again(struct hs *h, struct finding *f, int n)
{
	for (int i = 0; i < n; i++) {
		char *items[MAX_ITEMS];
		int nitems = 0;
		if (!f[i].total || !f[i].check->fix[0])
			continue;
		if (hs_check_find(h, f[i].check, &f[i].total, items, MAX_ITEMS, &nitems) < 0)
			return -1;
		while (nitems > 0)
			free(items[--nitems]);
	}
	return 0;
}

static void summary(const struct finding *f, int n, int nchecks, int fixing, int dry_run)
{
	long long by[3] = { 0, 0, 0 }, fixed = 0;
	for (int i = 0; i < n; i++) {
		by[f[i].check->severity] += f[i].total != 0;
		fixed += f[i].fixed;
	}
	if (fixing && fixed)
		infox("%s %lld row(s)%s", dry_run ? "would fix" : "fixed", fixed, dry_run ? " (dry run: nothing written)" : "");
	if (!by[HS_ERROR] && !by[HS_WARNING] && !by[HS_NOTE])
		infox("no findings (%d check(s))", nchecks);
	else
		infox("%lld error(s), %lld warning(s), %lld note(s) left (%d check(s))", by[HS_ERROR], by[HS_WARNING],
		      by[HS_NOTE], nchecks);
}

int cmd_doctor(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "SEVERITY", "CHECK", "COUNT", "PROBLEM", "ROWS", "WHY", "REPAIR", "FIX" };
	struct opts o;
	struct finding f[MAX_CHECKS];
	char selected[MAX_CHECKS];
	struct hs *h = NULL;
	struct table *t = NULL;
	const char *only;
	int fixing, listing, n = 0, nchecks = 0, errors = 0, ret = -1;

	memset(f, 0, sizeof(f));
	if (opts_parse(c, argc, argv, doctor_opts, &o) < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "doctor takes no arguments");
		err_hint("mxdba doctor [--fix] [--check NAME,…]");
		goto out;
	}
	listing = opt(&o, doctor_opts, "--list") != NULL;
	fixing = opt(&o, doctor_opts, "--fix") != NULL;
	only = opt(&o, doctor_opts, "--check");
	if (listing && (fixing || only)) {
		err_set(EX_USAGE, "--list takes neither --fix nor --check");
		goto out;
	}
	if (only && !*only) {
		err_set(EX_USAGE, "--check needs at least one check name");
		err_hint("`mxdba doctor --list` names the checks of this homeserver");
		goto out;
	}
	if (ctx_config(c) < 0 || !(h = ctx_hs(c, fixing ? HS_WRITE : HS_READ)) ||
	    select_checks(h, only, selected, MAX_CHECKS) < 0)
		goto out;
	if (listing) {
		list_checks(h);
		ret = EX_OK;
		goto out;
	}
	for (int i = 0; i < MAX_CHECKS && hs_check_at(h, i); i++) {
		const struct hs_check *k = hs_check_at(h, i);
		if (!selected[i])
			continue;
		nchecks++;
		f[n].check = k;
		if (hs_check_find(h, k, &f[n].total, f[n].items, MAX_ITEMS, &f[n].nitems) < 0)
			goto out;
		f[n].found = f[n].total;
		n++;
	}
	if (fixing && (fix_all(c, h, f, n) < 0 || (!c->dry_run && find_again(h, f, n) < 0)))
		goto out;
	for (int i = 0; i < n; i++) {
		if (!f[i].found)
			continue;
		if (!g_json && !t)
			t = table_begin(fixing ? 8 : 7, head);
		report(t, &f[i], fixing, c->dry_run);
		errors += f[i].total && f[i].check->severity == HS_ERROR;
	}
	table_end(t);
	t = NULL;
	summary(f, n, nchecks, fixing, c->dry_run);
	if (errors) {
		err_set(EX_FINDINGS, "%d check(s) found errors", errors);
		err_hint("%s", fixing ? "the rest needs a decision: see each finding's repair"
				      : "see each finding's repair; `mxdba doctor --fix` repairs those marked --fix");
	} else
		ret = EX_OK;
out:
	table_end(t);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < f[i].nitems; k++)
			free(f[i].items[k]);
	return cmd_finish(c, h, &o, ret);
}
