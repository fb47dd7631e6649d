/* SPDX-License-Identifier: Apache-2.0 */
/* The generic side of the homeserver-profile interface: the table of
 * profiles, opening a homeserver, the dispatch to the profile, and what is
 * the same for every homeserver (membership names, account kinds, the
 * not-found error). No homeserver's table or rule is named here. */
#include "hs_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/unicode.h"
#include "core/util.h"

static const struct hs_profile *const profiles[] = { &hs_dendrite, &hs_synapse };

const struct hs_profile *hs_profile_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(profiles); i++)
		if (!strcmp(profiles[i]->name, name))
			return profiles[i];
	return NULL;
}

/* The single text value of statement NAME on D, "" when none or on error. */
static void identify_text(db *d, const char *name, char *out, size_t n)
{
	char *v = NULL;
	out[0] = 0;
	if (db_scalar(d, name, NULL, 0, &v) == 1 && v)
		str_copy(out, n, v);
	free(v);
	err_clear();
}

const char *hs_identify(db *d, char *what, size_t n)
{
	static const char *const dendrite_parts[] = { "userapi", "roomserver", "syncapi", "mediaapi" };
	int has[6] = { 0 }, rc;
	char ver[64];
	db_rows *r = db_query(d, "identify_tables", NULL, 0);
	if (!r) {
		err_clear();
		return NULL;
	}
	if ((rc = db_step(r)) == 1)
		for (int i = 0; i < 6; i++)
			has[i] = db_int(r, i, NULL) > 0;
	db_rows_free(r);
	err_clear();
	if (rc != 1)
		return NULL;
	if (has[0]) {
		identify_text(d, "identify_synapse_version", ver, sizeof(ver));
		snprintf(what, n, "a Synapse database (schema_version %s)", *ver ? ver : "unknown");
		return "synapse";
	}
	for (int i = 0; i < 4; i++)
		if (has[1 + i]) {
			ver[0] = 0;
			if (has[5])
				identify_text(d, "identify_dendrite_version", ver, sizeof(ver));
			if (*ver)
				snprintf(what, n, "Dendrite's %s database (Dendrite %s%s)", dendrite_parts[i],
					 ver[0] == 'v' ? "" : "v", ver);
			else
				snprintf(what, n, "Dendrite's %s database", dendrite_parts[i]);
			return "dendrite";
		}
	return NULL;
}

int hs_refuse_other_type(struct hs *h)
{
	char what[128];
	const char *type = h->db ? hs_identify(h->db, what, sizeof(what)) : NULL;
	if (!type)
		return 0;
	if (strcmp(type, h->p->name)) {
		err_set(EX_REFUSED, "this is %s; set [homeserver] type = %s", what, type);
		err_detail("[homeserver] type is %s, and %s is not a %s database", h->p->name, h->conf.label,
			   h->p->display);
		return err_hint("with type = %s, mxdba reads the databases from %s's own config "
				"(`mxdba config init --from-%s PATH` writes one); or point [database] at %s's database",
				type, hs_profile_find(type)->display, type, h->p->display);
	}
	err_set(EX_REFUSED, "this is %s, not the one mxdba writes", what);
	err_detail("[homeserver] type is %s; mxdba writes %s's %s", h->p->name, h->p->display, h->p->accounts_table);
	return err_hint("point [database] at the database holding %s (for Dendrite: userapi, "
			"user_api.account_database in dendrite.yaml)", h->p->accounts_table);
}

const struct hs_profile *hs_profile_at(int i)
{
	return i >= 0 && (size_t)i < ARRAY_LEN(profiles) ? profiles[i] : NULL;
}

int hs_profile_supports(const struct hs_profile *p, unsigned needs)
{
	return !((needs & HS_NEED_LOCK) && !p->set_locked) && !((needs & HS_NEED_ROOM_REPORT) && !p->report_rooms) &&
	       !((needs & HS_NEED_MEDIA_REPORT) && !p->report_media) && !((needs & HS_NEED_UPDATES) && !p->report_updates) &&
	       !((needs & HS_NEED_PURGE_HISTORY) && !(p->admin_api && p->admin_api->purge_history_path)) &&
	       !((needs & HS_NEED_PURGE_MEDIA) && !(p->admin_api && p->admin_api->purge_media_path)) &&
	       !((needs & HS_NEED_REG_TOKENS) && !p->reg_tokens) &&
	       !((needs & HS_NEED_SHADOW_BAN) && !p->set_shadow_banned) &&
	       !((needs & HS_NEED_RATELIMIT) && !p->set_ratelimit) &&
	       !((needs & HS_NEED_DIR_REBUILD) && !p->user_dir_rebuild) && !((needs & HS_NEED_ERASE) && !p->erase);
}

const char *hs_profile_names(void)
{
	static char names[128];
	if (!names[0])
		for (size_t i = 0; i < ARRAY_LEN(profiles); i++) {
			size_t n = strlen(names);
			snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", profiles[i]->name);
		}
	return names;
}

/* ---- config hooks ---- */

static const char *hook_keys(const struct hs_profile *p, const char *section)
{
	return strcmp(section, "homeserver") ? p->db_keys : p->hs_keys;
}

static int hook_key(struct config *c, const char *section, const char *name, const char *value, char *msg, size_t n)
{
	return c->profile->config_key(c, section, name, value, msg, n);
}

static int hook_finish(struct config *c) { return c->profile->config_finish(c); }

static void hook_free(struct config *c)
{
	if (c->profile && c->hs)
		c->profile->config_free(c);
}

const struct config_hooks *hs_config_hooks(void)
{
	static const struct config_hooks hooks = { hs_profile_find, hs_profile_names, hook_keys,
						   hook_key,        hook_finish,      hook_free };
	return &hooks;
}

/* ---- one homeserver ---- */

struct hs *hs_open(struct config *c, enum hs_mode mode)
{
	struct hs *h = xcalloc(1, sizeof(*h));
	h->p = c->profile;
	h->cfg = c;
	h->mode = mode;
	if (h->p->open(h, mode) < 0) {
		hs_close(h);
		return NULL;
	}
	return h;
}

void hs_close(struct hs *h)
{
	if (!h)
		return;
	h->p->close(h);
	db_close(h->db);
	dbconf_free(&h->conf);
	free(h);
}

const struct hs_profile *hs_profile(const struct hs *h) { return h->p; }
struct config *hs_config(const struct hs *h) { return h->cfg; }
db *hs_db(struct hs *h) { return h->db; }
const char *hs_db_label(const struct hs *h) { return h->conf.label; }
const char *hs_ready_path(const struct hs *h) { return h->p->ready_path; }
int hs_apply_parallel(const struct hs *h) { return h->p->apply_parallel[h->conf.kind]; }
const struct hs_admin_api *hs_admin_api(const struct hs *h) { return h->p->admin_api; }

int hs_room_job(struct hs *h, const char *room_id, enum hs_job_action action, long long since_ms,
		struct hs_room_job *j)
{
	memset(j, 0, sizeof(*j));
	return h->p->room_job ? h->p->room_job(h, room_id, action, since_ms, j) : 0;
}

int hs_room_delete_blocker(struct hs *h, const char *room_id, struct hs_delete_blocker *b)
{
	memset(b, 0, sizeof(*b));
	return h->p->room_delete_blocker ? h->p->room_delete_blocker(h, room_id, b) : 0;
}

int hs_room_job_running(const struct hs_room_job *j)
{
	return !strcmp(j->state, "scheduled") || !strcmp(j->state, "active");
}

int hs_report(struct hs *h, struct hs_report *r) { return h->p->report(h, r); }
void hs_room_names(struct hs *h, const char *room_id, char **name, char **alias)
{
	static int warned;
	*name = *alias = NULL;
	if (!h->p->room_names || !room_id || !*room_id)
		return;
	if (h->p->room_names(h, room_id, name, alias) < 0) {
		if (!warned++)
			warnx_("room names unavailable; showing room IDs only");
		err_clear();
		free(*name);
		free(*alias);
		*name = *alias = NULL;
	}
}

int hs_probe_running(struct hs *h, db *d, char *who, size_t n) { return h->p->probe_running(h, d, who, n); }

/* ---- accounts ---- */

void hs_account_clear(struct hs_account *a)
{
	free(a->password_hash);
	free(a->appservice_id);
	memset(a, 0, sizeof(*a));
}

int hs_account_find(struct hs *h, const struct mxid *id, struct hs_account *a)
{
	memset(a, 0, sizeof(*a));
	a->shadow_banned = -1; /* a profile with the flag reads it */
	return h->p->account_find(h, id, a);
}

int hs_set_shadow_banned(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	return h->p->set_shadow_banned(h, a, on, changed);
}

int hs_set_ratelimit(struct hs *h, const struct hs_account *a, const struct hs_ratelimit *rl, long long *changed)
{
	return h->p->set_ratelimit(h, a, rl, changed);
}

int hs_leave_limit(struct hs *h, const struct hs_account *a, struct hs_leave_limit *l)
{
	memset(l, 0, sizeof(*l));
	return h->p->leave_limit ? h->p->leave_limit(h, a, l) : 0;
}

int hs_user_dir_rebuild(struct hs *h, int (*fn)(const char *update, void *user), void *user)
{
	return h->p->user_dir_rebuild(h, fn, user);
}

const char *hs_ratelimit_text(const struct hs_ratelimit *rl, char *buf, size_t n)
{
	if (!rl || !rl->set)
		return NULL;
	snprintf(buf, n, "messages_per_second=%lld burst_count=%lld", rl->per_second, rl->burst);
	return buf;
}

int hs_ratelimit_parse(const char *text, struct hs_ratelimit *rl)
{
	int used = -1;
	memset(rl, 0, sizeof(*rl));
	if (!text)
		return 0;
	if (sscanf(text, "messages_per_second=%lld burst_count=%lld%n", &rl->per_second, &rl->burst, &used) != 2 ||
	    used != (int)strlen(text) || rl->per_second < 0 || rl->burst < 0)
		return -1;
	rl->set = 1;
	return 0;
}

int hs_err_not_found(struct hs *h, const struct mxid *id)
{
	err_set(EX_NOTFOUND, "user %s not found in %s", id->full, h->p->accounts_table);
	err_detail("database %s, server_name %s", h->conf.label, h->cfg->server_name);
	return err_hint("list accounts with `mxdba user list`, or check [homeserver] server_name");
}

int hs_find_user(struct hs *h, struct mxid *id, struct hs_account *a)
{
	int rc = hs_account_find(h, id, a);
	if (rc == 0)
		hs_err_not_found(h, id);
	if (rc <= 0)
		return -1;
	str_copy(id->full, sizeof(id->full), a->user_id);
	return 0;
}

int hs_accounts_list(struct hs *h, const struct hs_account_filter *f, hs_account_fn fn, void *user)
{
	return h->p->accounts_list(h, f, fn, user);
}

/* Every profile names the count admins_active_count (its own statement). */
int hs_admins_active(struct hs *h, long long *n)
{
	db_arg sn = DB_ARG_TEXT(h->cfg->server_name);
	return db_count(h->db, "admins_active_count", &sn, 1, n);
}
int hs_create_conflicts(struct hs *h, const struct mxid *id) { return h->p->create_conflicts(h, id); }
int hs_account_create(struct hs *h, const struct hs_new_account *a) { return h->p->account_create(h, a); }

int hs_set_admin(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	return h->p->set_admin(h, a, on, changed);
}

int hs_set_password_hash(struct hs *h, const struct hs_account *a, const char *hash, long long *changed)
{
	return h->p->set_password_hash(h, a, hash, changed);
}

int hs_set_deactivated(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	return h->p->set_deactivated(h, a, on, changed);
}

int hs_set_display_name(struct hs *h, const struct hs_account *a, const char *name)
{
	return h->p->set_display_name(h, a, name);
}

int hs_deactivate(struct hs *h, const struct hs_account *a, struct hs_deactivation *d)
{
	memset(d, 0, sizeof(*d));
	return h->p->deactivate(h, a, d);
}

int hs_after_commit(struct hs *h) { return h->p->after_commit ? h->p->after_commit(h) : 0; }

int hs_erase(struct hs *h, const struct hs_account *a, long long *changed) { return h->p->erase(h, a, changed); }

int hs_set_locked(struct hs *h, const struct hs_account *a, int on, long long *changed)
{
	if (!h->p->set_locked) {
		err_set(EX_REFUSED, "%s has no lock flag: %s cannot be %s", h->p->display, a->user_id,
			on ? "locked" : "unlocked");
		return err_hint("use `mxdba user deactivate` (login refused, every token revoked) and `user reactivate`");
	}
	return h->p->set_locked(h, a, on, changed);
}

int hs_check_notices(struct hs *h) { return h->p->check_notices ? h->p->check_notices(h) : 0; }

int hs_check_cached_write(struct hs *h, const char *what)
{
	return h->p->check_cached_write ? h->p->check_cached_write(h, what, h->while_running) : 0;
}

int hs_accounts_writable(struct hs *h) { return h->p->accounts_writable ? h->p->accounts_writable(h) : 0; }

void hs_set_while_running(struct hs *h, int yes) { h->while_running = yes; }
int hs_revoke_tokens(struct hs *h, const struct hs_account *a, long long *n) { return h->p->revoke_tokens(h, a, n); }

int hs_profile_get(struct hs *h, const struct hs_account *a, char **display_name, char **avatar_url)
{
	*display_name = *avatar_url = NULL;
	return h->p->profile_get(h, a, display_name, avatar_url);
}

int hs_devices(struct hs *h, const struct hs_account *a, hs_device_fn fn, void *user)
{
	return h->p->devices(h, a, fn, user);
}

/* ---- rules ---- */

int hs_admin_kind(const struct hs *h, int on) { return on ? h->p->kind_admin : h->p->kind_user; }

int hs_check_modifiable(struct hs *h, const struct hs_account *a, const char *action)
{
	return h->p->check_modifiable(h, a, action);
}

int hs_check_admin_change(struct hs *h, const struct hs_account *a, const char *verb)
{
	return h->p->check_admin_change(h, a, verb);
}

int hs_check_reserved(struct hs *h, const char *localpart, const char *full, const char *action)
{
	return h->p->check_reserved(h, localpart, full, action);
}

/* Without a config (`mxdba hash` alone) the first profile's rules apply. */
static const struct hs_profile *profile_of(const struct config *c)
{
	return c && c->profile ? c->profile : profiles[0];
}

void hs_password_scheme(const struct config *c, struct pw_scheme *s)
{
	memset(s, 0, sizeof(*s));
	profile_of(c)->password_scheme(c, s);
}

int hs_describe_hash(const struct config *c, const char *hash, char *buf, size_t n)
{
	return profile_of(c)->describe_hash(hash, buf, n);
}

int hs_check_scheme(const struct config *c, const char *scheme) { return profile_of(c)->check_scheme(scheme); }
int hs_check_new_localpart(const struct config *c, const struct mxid *id) { return profile_of(c)->check_new_localpart(id); }
const char *hs_display(const struct config *c) { return profile_of(c)->display; }
const char *hs_version(const struct config *c) { return profile_of(c)->version; }

/* ---- memberships ---- */

static const struct {
	const char *name;
	unsigned flag;
} states[] = { { "join", MS_JOIN }, { "invite", MS_INVITE }, { "leave", MS_LEAVE },
	       { "ban", MS_BAN },   { "knock", MS_KNOCK },   { "all", MS_ALL } };

int membership_parse(const char *list, unsigned *flags)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	*flags = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned f = 0;
		for (size_t i = 0; i < ARRAY_LEN(states); i++)
			if (!strcmp(tok, states[i].name))
				f = states[i].flag;
		if (!f) {
			err_set(EX_USAGE, "unknown membership \"%.32s\"", tok);
			err_hint("use a comma-separated list of join, invite, leave, ban, knock, or all");
			free(copy);
			return -1;
		}
		*flags |= f;
	}
	free(copy);
	if (!*flags)
		return err_set(EX_USAGE, "--membership needs at least one state");
	return 0;
}

unsigned membership_flag(const char *state)
{
	if (!strcmp(state, "leave_or_ban"))
		return MS_LEAVE | MS_BAN;
	for (size_t i = 0; i < ARRAY_LEN(states); i++)
		if (!strcmp(state, states[i].name))
			return states[i].flag;
	return 0;
}

/* A profile without memberships yet says so. */
static int no_rooms(struct hs *h)
{
	err_set(EX_REFUSED, "memberships are not read on %s yet", h->p->display);
	return err_hint("this release reads rooms and members of Dendrite only");
}

int hs_rooms_of_user(struct hs *h, const char *user_id, unsigned flags, int include_forgotten, hs_membership_fn fn,
		     void *user, int *pseudo)
{
	*pseudo = 0;
	if (!h->p->rooms_of_user)
		return no_rooms(h);
	return h->p->rooms_of_user(h, user_id, flags, include_forgotten, fn, user, pseudo);
}

int hs_rooms_open(struct hs *h) { return h->p->rooms_open ? h->p->rooms_open(h) : no_rooms(h); }
int hs_room_known(struct hs *h, const char *room_id) { return h->p->room_known ? h->p->room_known(h, room_id) : no_rooms(h); }

int hs_members_of_room(struct hs *h, const char *room_id, unsigned flags, int local_only, int include_forgotten,
		       hs_membership_fn fn, void *user)
{
	if (!h->p->members_of_room)
		return no_rooms(h);
	return h->p->members_of_room(h, room_id, flags, local_only, include_forgotten, fn, user);
}

int hs_membership_now(struct hs *h, const char *room_id, const char *user_id)
{
	return h->p->membership_now ? h->p->membership_now(h, room_id, user_id) : no_rooms(h);
}

/* ---- tokens ---- */

int hs_token_mint(struct hs *h, const struct hs_account *a, const char *token, const char *device_id)
{
	return h->p->token_mint(h, a, token, device_id);
}

int hs_token_drop(struct hs *h, const char *token) { return h->p->token_drop(h, token); }

/* ---- registration tokens (a command checks HS_NEED_REG_TOKENS first) ---- */

int hs_reg_tokens(struct hs *h, const char *token, hs_reg_token_fn fn, void *user)
{
	return h->p->reg_tokens(h, token, fn, user);
}

int hs_reg_token_create(struct hs *h, const struct hs_reg_token *t) { return h->p->reg_token_create(h, t); }

int hs_reg_token_delete(struct hs *h, const char *token, long long *changed)
{
	return h->p->reg_token_delete(h, token, changed);
}

int hs_reg_token_uses(struct hs *h, const char *token, hs_reg_use_fn fn, void *user)
{
	return h->p->reg_token_uses(h, token, fn, user);
}

/* Synapse's registration_token_is_valid: an expiry in the past, or pending
 * and completed together at the uses allowed, refuse it. It tests both for
 * truth first, so an expiry of 0 never expires and 0 uses allowed is no
 * limit at all (which is why `token create` refuses --uses 0). */
int hs_reg_token_valid(const struct hs_reg_token *t, long long now)
{
	if (t->expiry_ms > 0 && t->expiry_ms < now)
		return 0;
	return !(t->uses_allowed > 0 && t->pending + t->completed >= t->uses_allowed);
}

/* ---- the other databases (check) ---- */

int hs_databases(const struct config *c, struct hs_component *out, int max)
{
	return c->profile->databases(c, out, max);
}

int hs_database_probe(const struct config *c, const struct hs_component *comp, int *running, char *who, size_t n)
{
	db *d = db_open(comp->conf.kind, comp->conf.target, comp->conf.label, 1, c->profile->name);
	if (!d)
		return -1;
	*running = c->profile->probe_running(NULL, d, who, n);
	db_close(d);
	return 0;
}

/* ---- fast paths ---- */

int hs_bulk_set_admin(struct hs *h, struct hs_bulk_admin *b)
{
	if (!h->p->bulk_set_admin)
		return 0;
	return h->p->bulk_set_admin(h, b) < 0 ? -1 : 1;
}

int hs_bulk_taken(struct hs *h, const struct mxid *ids, int n, char *taken)
{
	if (!h->p->bulk_taken)
		return 0;
	return h->p->bulk_taken(h, ids, n, taken) < 0 ? -1 : 1;
}

int hs_bulk_create(struct hs *h, const struct hs_new_account *a, int n)
{
	if (!h->p->bulk_create)
		return 0;
	return h->p->bulk_create(h, a, n) < 0 ? -1 : 1;
}

/* ---- backups ---- */

char *hs_pg_dump_line(const struct hs *h)
{
	char *conn = sh_quote(h->conf.label), *line = xasprintf("pg_dump --format=custom %s %s", h->p->dump_options, conn);
	free(conn);
	return line;
}

const char *hs_backup_name(const struct hs *h) { return h->p->backup_name; }

/* ---- 3PIDs ---- */

int hs_threepids(struct hs *h, const struct hs_account *a, hs_threepid_fn fn, void *user)
{
	return h->p->threepids(h, a, fn, user);
}

int hs_threepid_owner(struct hs *h, const char *medium, const char *address, char **owner)
{
	return h->p->threepid_owner(h, medium, address, owner);
}

int hs_threepid_add(struct hs *h, const struct hs_account *a, const char *medium, const char *address)
{
	return h->p->threepid_add(h, a, medium, address);
}

int hs_threepid_remove(struct hs *h, const struct hs_account *a, const char *medium, const char *address,
		       long long *removed, long long *pushers)
{
	*pushers = 0;
	return h->p->threepid_remove(h, a, medium, address, removed, pushers);
}

int hs_email_canonical(struct hs *h, const char *address, char *buf, size_t n)
{
	const char *end = address + strlen(address), *at;
	char *local, *domain, *folded, *lowered;
	int rc = 0;
	while (*address == ' ' || *address == '\t')
		address++;
	while (end > address && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	at = memchr(address, '@', (size_t)(end - address));
	if (!at || at == address || at + 1 == end || memchr(at + 1, '@', (size_t)(end - at - 1))) {
		err_set(EX_USAGE, "\"%.*s\" is not an email address", (int)(end - address > 80 ? 80 : end - address), address);
		return err_hint("give one address with exactly one @, such as alice@example.org");
	}
	for (const char *p = address; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(EX_USAGE, "the email address contains a control character");
	local = xstrndup(address, (size_t)(at - address));
	domain = xstrndup(at + 1, (size_t)(end - at - 1));
	folded = h->p->email_casefold ? unicode_casefold(local) : xstrdup(local);
	lowered = h->p->email_casefold ? unicode_lower(domain) : xstrdup(domain);
	if (!folded || !lowered)
		rc = err_set(EX_USAGE, "the email address is not valid UTF-8");
	else if ((size_t)snprintf(buf, n, "%s@%s", folded, lowered) >= n)
		rc = err_set(EX_USAGE, "the email address is too long (at most %zu bytes)", n - 1);
	free(local);
	free(domain);
	free(folded);
	free(lowered);
	return rc;
}
