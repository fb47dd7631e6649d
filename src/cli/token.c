/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba token create|list|show|delete`: registration tokens, the shared
 * secrets a homeserver with `registration_requires_token: true` asks new
 * users for (Synapse). Written as its admin API writes them, audited; `show`
 * adds the registrations that used a token (the server's user-interactive
 * auth sessions), which its API does not expose. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/output.h"
#include "core/util.h"
#include "store/store.h"

/* What Synapse's admin API accepts and generates: at most 64 of these. */
#define TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"
#define TOKEN_MAX 64
#define TOKEN_RANDOM_LEN 16

static int token_arg_ok(const char *t)
{
	size_t n = strlen(t);
	if (n >= 1 && n <= TOKEN_MAX && strspn(t, TOKEN_CHARS) == n)
		return 0;
	err_set(EX_USAGE, "\"%.80s\" is not a registration token the server accepts", t);
	err_detail("1 to %d characters of A-Z a-z 0-9 . _ ~ - (Synapse's admin API rule)", TOKEN_MAX);
	return err_hint("leave --token out for a random one of %d characters", TOKEN_RANDOM_LEN);
}

static void token_random(char *out, size_t n)
{
	size_t k = strlen(TOKEN_CHARS);
	for (size_t i = 0; i + 1 < n; i++)
		out[i] = TOKEN_CHARS[randombytes_uniform((uint32_t)k)];
	out[n - 1] = '\0';
}

/* --expires TIME: a date, or a duration from now (7d, 12h, 30m); in the future. */
static int expires_arg(const char *v, long long *ms)
{
	size_t n;
	*ms = -1;
	if (!v)
		return 0;
	n = strlen(v);
	if (parse_when(v, ms) < 0) {
		err_set(EX_USAGE, "--expires \"%.40s\" is not a date (2027-01-31, 2027-01-31T12:00 UTC) or a duration "
			"(7d, 12h, 30m)", v);
		return err_hint("--expires 7d: the token stops working in a week");
	}
	if (n >= 2 && strchr("mhd", v[n - 1]))
		*ms = now_ms() + (now_ms() - *ms); /* parse_when reads an age: the same span ahead */
	if (*ms <= now_ms()) {
		err_set(EX_USAGE, "--expires %s is not in the future", v);
		return err_hint("a date after now, or a duration: --expires 7d");
	}
	return 0;
}

static const char *uses_text(long long uses, char *buf, size_t n)
{
	if (uses <= 0)
		return "unlimited"; /* NULL, or 0, which Synapse also takes as no limit */
	snprintf(buf, n, "%lld", uses);
	return buf;
}

static const char *expiry_text(long long ms, char *buf, int n)
{
	return ms > 0 ? fmt_ms(ms, buf, n) : "never";
}

/* "uses_allowed=5 pending=0 completed=1 expiry_time=…" for the audit log. */
static void token_state(const struct hs_reg_token *t, char *buf, size_t n)
{
	snprintf(buf, n, "uses_allowed=%lld pending=%lld completed=%lld expiry_time=%lld", t->uses_allowed, t->pending,
		 t->completed, t->expiry_ms);
}

static void token_json(struct jw *w, const struct hs_reg_token *t)
{
	jw_str(w, "token", t->token);
	if (t->uses_allowed >= 0)
		jw_int(w, "uses_allowed", t->uses_allowed);
	else
		jw_str(w, "uses_allowed", NULL);
	jw_int(w, "pending", t->pending);
	jw_int(w, "completed", t->completed);
	if (t->expiry_ms >= 0)
		jw_int(w, "expiry_time", t->expiry_ms);
	else
		jw_str(w, "expiry_time", NULL);
	jw_bool(w, "valid", hs_reg_token_valid(t, now_ms()));
}

/* The one TOKEN argument (syntax checked). */
static int one_token_arg(const struct opts *o, const char *usage, const char **token)
{
	if (o->npos != 1) {
		err_set(EX_USAGE, "%s takes one registration token", usage);
		return err_hint("mxdba %s TOKEN (`mxdba token list` lists them)", usage);
	}
	*token = o->pos[0];
	return token_arg_ok(*token);
}

/* ---- one token, read into a copy ---- */

struct found {
	struct hs_reg_token t;
	char token[TOKEN_MAX + 1];
	int n;
};

static int keep_one(const struct hs_reg_token *t, void *user)
{
	struct found *f = user;
	f->t = *t;
	str_copy(f->token, sizeof(f->token), t->token);
	f->t.token = f->token;
	f->n++;
	return 0;
}

static int find_token(struct hs *h, const char *token, struct found *f)
{
	memset(f, 0, sizeof(*f));
	if (hs_reg_tokens(h, token, keep_one, f) < 0)
		return -1;
	if (f->n)
		return 0;
	err_set(EX_NOTFOUND, "no registration token %s", token);
	return err_hint("`mxdba token list` lists the tokens (they are case-sensitive)");
}

/* ---- token create ---- */

static const struct optspec create_opts[] = { { "--token", 1 }, { "--uses", 1 }, { "--expires", 1 }, { 0, 0 } };

static int uses_arg(const char *v, long long *uses)
{
	long n;
	*uses = -1;
	if (!v)
		return 0;
	if (!strcmp(v, "0")) {
		err_set(EX_USAGE, "--uses 0 would make a token with no limit at all");
		err_detail("Synapse takes 0 uses allowed as no limit (its check reads `if uses_allowed and …`)");
		return err_hint("leave --uses out for an unlimited token, or give 1 or more");
	}
	if (parse_int(v, 1, 2147483647L, &n) < 0) {
		err_set(EX_USAGE, "--uses \"%.40s\" is not a whole number from 1", v);
		return err_hint("--uses 5: five registrations, then the token stops working");
	}
	*uses = n;
	return 0;
}

int cmd_token_create(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct hs *h = NULL;
	struct hs_reg_token t;
	char token[TOKEN_MAX + 1], state[160], b1[24], b2[32];
	const char *given;
	int ret = -1;

	memset(&t, 0, sizeof(t));
	if (opts_parse(c, argc, argv, create_opts, &o) < 0 || ctx_needs(c, HS_NEED_REG_TOKENS, "token create") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "token create takes no arguments; the token goes after --token");
		err_hint("mxdba token create --token %s", o.pos[0]);
		goto out;
	}
	if ((given = opt(&o, create_opts, "--token")) && token_arg_ok(given) < 0)
		goto out;
	if (uses_arg(opt(&o, create_opts, "--uses"), &t.uses_allowed) < 0 ||
	    expires_arg(opt(&o, create_opts, "--expires"), &t.expiry_ms) < 0)
		goto out;
	if (given)
		str_copy(token, sizeof(token), given);
	else
		token_random(token, TOKEN_RANDOM_LEN + 1);
	t.token = token;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_accounts_writable(h) < 0)
		goto out;
	token_state(&t, state, sizeof(state));
	if (write_begin(c, h) < 0 || hs_reg_token_create(h, &t) < 0 ||
	    audit_write(c, h, token, "registration_token", NULL, state) < 0 || write_end(c, h) < 0)
		goto out;
	if (g_json) {
		struct jw w = { 0 };
		jw_begin(&w);
		token_json(&w, &t);
		jw_bool(&w, "dry_run", c->dry_run);
		jw_end(&w);
		jw_free(&w);
	} else {
		out_line("%s registration token %s (uses: %s, expires: %s)", c->dry_run ? "would create" : "created", token,
			 uses_text(t.uses_allowed, b1, sizeof(b1)), expiry_text(t.expiry_ms, b2, sizeof(b2)));
		dry_run_note(c);
	}
	ret = EX_OK;
out:
	return cmd_finish(c, h, &o, ret);
}

/* ---- token list ---- */

static int list_row(const struct hs_reg_token *t, void *user)
{
	struct listing *l = user;
	char b[4][32];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		token_json(&l->jw, t);
		jw_end(&l->jw);
		return 0;
	}
	snprintf(b[1], sizeof(b[1]), "%lld", t->pending);
	snprintf(b[2], sizeof(b[2]), "%lld", t->completed);
	{
		const char *cells[6] = { t->token, uses_text(t->uses_allowed, b[0], sizeof(b[0])), b[1], b[2],
					 expiry_text(t->expiry_ms, b[3], sizeof(b[3])),
					 hs_reg_token_valid(t, now_ms()) ? "yes" : "no" };
		table_row(l->t, cells);
	}
	return 0;
}

int cmd_token_list(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "TOKEN", "USES ALLOWED", "PENDING", "COMPLETED", "EXPIRES (UTC)", "VALID" };
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct listing l = { 0 };
	struct hs *h = NULL;
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0 || ctx_needs(c, HS_NEED_REG_TOKENS, "token list") < 0)
		goto out;
	if (o.npos) {
		err_set(EX_USAGE, "token list takes no arguments");
		err_hint("mxdba token show %s", o.pos[0]);
		goto out;
	}
	if (!(h = ctx_hs(c, HS_READ)))
		goto out;
	if (!g_json)
		l.t = table_begin(6, head);
	if (hs_reg_tokens(h, NULL, list_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "registration token(s)");
	return cmd_finish(c, h, &o, ret);
}

/* ---- token show ---- */

static int use_row(const struct hs_reg_use *u, void *user)
{
	struct listing *l = user;
	char when[32];
	l->n++;
	if (g_json) {
		jw_begin(&l->jw);
		jw_str(&l->jw, "session_id", u->session_id);
		jw_int(&l->jw, "started_ts", u->started_ms);
		jw_str(&l->jw, "username", u->username);
		jw_str(&l->jw, "registered_user_id", u->registered);
		jw_str(&l->jw, "state", u->registered ? "completed" : "pending");
		jw_end(&l->jw);
		return 0;
	}
	{
		const char *cells[5] = { u->session_id, fmt_ms(u->started_ms, when, sizeof(when)),
					 u->username ? u->username : "", u->registered ? u->registered : "",
					 u->registered ? "completed" : "pending" };
		table_row(l->t, cells);
	}
	return 0;
}

int cmd_token_show(struct ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "SESSION", "STARTED (UTC)", "USERNAME ASKED", "REGISTERED", "STATE" };
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct listing l = { 0 };
	struct found f;
	struct hs *h = NULL;
	const char *token = NULL;
	char b1[24], b2[32];
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0 || ctx_needs(c, HS_NEED_REG_TOKENS, "token show") < 0 ||
	    one_token_arg(&o, "token show", &token) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_READ)) || find_token(h, token, &f) < 0)
		goto out;
	if (g_json) {
		/* the token's line first, then one line per registration */
		jw_begin(&l.jw);
		token_json(&l.jw, &f.t);
		jw_end(&l.jw);
	} else if (!g_csv) {
		out_kv("token", "%s", f.token);
		out_kv("uses allowed", "%s", uses_text(f.t.uses_allowed, b1, sizeof(b1)));
		out_kv("pending", "%lld", f.t.pending);
		out_kv("completed", "%lld", f.t.completed);
		out_kv("expires", "%s", expiry_text(f.t.expiry_ms, b2, sizeof(b2)));
		out_kv("valid", "%s", hs_reg_token_valid(&f.t, now_ms()) ? "yes" : "no");
		out_line("registrations that used it (the server keeps them 48 hours):");
	}
	if (!g_json)
		l.t = table_begin(5, head); /* --csv: the registrations alone */
	if (hs_reg_token_uses(h, token, use_row, &l) == 0)
		ret = EX_OK;
out:
	listing_end(&l, ret == EX_OK, "registration(s)");
	return cmd_finish(c, h, &o, ret);
}

/* ---- token delete ---- */

int cmd_token_delete(struct ctx *c, int argc, char **argv)
{
	static const struct optspec none[] = { { 0, 0 } };
	struct opts o;
	struct found f;
	struct hs *h = NULL;
	const char *token = NULL;
	char state[160];
	long long n = 0;
	int ret = -1;

	if (opts_parse(c, argc, argv, none, &o) < 0 || ctx_needs(c, HS_NEED_REG_TOKENS, "token delete") < 0 ||
	    one_token_arg(&o, "token delete", &token) < 0)
		goto out;
	if (!(h = ctx_hs(c, HS_WRITE)) || hs_accounts_writable(h) < 0 || write_begin(c, h) < 0 ||
	    find_token(h, token, &f) < 0)
		goto out;
	token_state(&f.t, state, sizeof(state));
	if (hs_reg_token_delete(h, token, &n) < 0 || audit_write(c, h, token, "registration_token", state, NULL) < 0 ||
	    write_end(c, h) < 0)
		goto out;
	if (g_json)
		out_json(json_pack("{s:s, s:I, s:b}", "token", token, "pending", (json_int_t)f.t.pending, "dry_run",
				   c->dry_run));
	else {
		out_line("%s registration token %s", c->dry_run ? "would delete" : "deleted", token);
		dry_run_note(c);
	}
	if (f.t.pending)
		warnx_("%lld registration(s) had already passed the token step with it: they can still finish (the "
		       "server checks a token at that step only)", f.t.pending);
	ret = EX_OK;
out:
	return cmd_finish(c, h, &o, ret);
}
