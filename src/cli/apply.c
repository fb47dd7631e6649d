/* SPDX-License-Identifier: Apache-2.0 */
/* `mxdba queue apply`: carry out queued leaves and notices through the
 * homeserver's HTTP API. To act as a user it mints a short-lived token
 * through the profile (recorded in mxdba's registry first, in the same
 * transaction), and always removes it: /logout, or the row when the server
 * is gone.
 * Idempotent: membership is re-checked before every leave, so a rerun after
 * a crash skips what the server already did. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "net/answers.h"
#include "net/http.h"
#include "apply.h"
#include "queue.h"
#include "store/store.h"

#define BATCH 256
#define MAX_RETRIES 30 /* answers 429 to one request */
#define MAX_5XX 4      /* answers 500-599 to one request: 0.5 + 1 + 2 + 4 s of waiting */

volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- devices ---- */

static void random_text(char *out, size_t outlen, size_t nbytes, int variant)
{
	unsigned char b[32];
	randombytes_buf(b, nbytes);
	sodium_bin2base64(out, outlen, b, nbytes, variant);
	sodium_memzero(b, sizeof(b));
}

static int mint(struct applier *ap, const struct hs_account *acct)
{
	db *u = hs_db(ap->h);
	char suffix[16];
	struct minted m;
	random_text(ap->token, sizeof(ap->token), 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	random_text(suffix, sizeof(suffix), 6, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	for (char *p = suffix; *p; p++)
		if (*p == '-' || *p == '_')
			*p = 'X';
	snprintf(ap->device, sizeof(ap->device), "MXDBA%s", suffix);
	m.token = ap->token;
	m.device_id = ap->device;
	m.localpart = acct->localpart;
	m.server = acct->server;
	/* the registry row first: a crash after commit leaves a token the next run finds. Workers of
	 * --parallel may pick the same next token id at once (Synapse on PostgreSQL): the loser tries again */
	for (int tries = 0;; tries++) {
		if (db_begin(u, 1) == 0 && minted_insert(u, &m, now_ms()) == 0 &&
		    hs_token_mint(ap->h, acct, ap->token, ap->device) == 0 && db_commit(u) == 0)
			break;
		db_rollback(u);
		if (tries >= 5 || ap->workers <= 1)
			return -1;
		debugx("minting a device failed (%d); trying again", tries + 1);
		err_clear();
		sleep_ms(10 + (long)randombytes_uniform(90));
	}
	ap->have_token = 1;
	str_copy(ap->cur, sizeof(ap->cur), acct->user_id);
	debugx("minted device %s for %s", ap->device, ap->cur);
	return 0;
}

/* Remove a minted device: through the API when the server answers, else the row. */
static int remove_device(struct applier *ap, const char *token, const char *label)
{
	db *u = hs_db(ap->h);
	int via_db = 1;
	if (!ap->n.gone && !ap->c->dry_run) {
		char *url = xasprintf("%s/_matrix/client/v3/logout", ap->url), err[256];
		struct http_resp r;
		if (http_call("POST", url, token, "{}", &r, err, sizeof(err)) == 0) {
			/* 200: logged out; 401: the token was already gone */
			via_db = !(r.status == 200 || r.status == 401);
			http_resp_free(&r);
		}
		free(url);
	}
	if (db_begin(u, 1) < 0)
		return -1;
	/* the row goes in any case: a server that said 200 but did nothing must not leave a live token */
	if (hs_token_drop(ap->h, token) < 0 || minted_delete(u, token) < 0) {
		db_rollback(u);
		return -1;
	}
	if (db_commit(u) < 0)
		return -1;
	debugx("removed minted device of %s %s", label, via_db ? "from the database" : "with /logout");
	return 0;
}

static int release(struct applier *ap)
{
	int rc = 0;
	if (ap->have_token)
		rc = remove_device(ap, ap->token, ap->cur);
	sodium_memzero(ap->token, sizeof(ap->token));
	ap->have_token = 0;
	ap->cur[0] = '\0';
	return rc;
}

static int cleanup_leftovers(struct applier *ap)
{
	struct minted *m;
	int n = minted_list(hs_db(ap->h), &m), ret = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n && ret == 0; i++) {
		char *who = xasprintf("@%s:%s", m[i].localpart, m[i].server);
		ret = remove_device(ap, m[i].token, who);
		free(who);
	}
	if (n && ret == 0)
		infox("removed %d device(s) left behind by an earlier run", n);
	minted_free(m, n);
	return ret;
}

/* Make sure the minted device belongs to FULL (minting one if needed).
 * 1 ready, 0 the account does not exist (row fails), -1 error. */
int act_as(struct applier *ap, const char *full)
{
	struct mxid id;
	struct hs_account a;
	int rc;
	if (ap->have_token && !strcmp(ap->cur, full))
		return 1;
	if (release(ap) < 0)
		return -1;
	if (mxid_parse(full, ap->c->cfg->server_name, &id) < 0) {
		err_clear();
		return 0;
	}
	if ((rc = hs_account_find(ap->h, &id, &a)) != 1)
		return rc;
	rc = mint(ap, &a);
	hs_account_clear(&a);
	return rc < 0 ? -1 : 1;
}

/* ---- rows ---- */

/* One line for a row carried out: what it was for people (a notice's first
 * words, a leave's room with its alias or name), and how it ended. */
static void report_row(struct applier *ap, const struct queue_row *q, const char *state, long status,
		       const char *errcode, const char *error)
{
	int notice = !strcmp(q->kind, "notice");
	char *name = NULL, *alias = NULL, what[1024];
	if (!notice)
		hs_room_names(ap->h, q->room_id, &name, &alias);
	if (g_json)
		out_json(json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o, s:s?, s:s?, s:b}", "id",
				   (json_int_t)q->id, "kind", q->kind, "user_id", q->user_id, "room_id", q->room_id,
				   "room_name", name, "canonical_alias", alias, "text", notice ? q->body : NULL, "state",
				   state, "http_status", status ? json_integer(status) : json_null(), "errcode", errcode,
				   "error", error, "dry_run", ap->c->dry_run));
	else {
		queue_row_label(what, sizeof(what), q, name, alias);
		out_line("%-7s #%lld %s %s %s%s%s%s", state, q->id, q->kind, q->user_id, what,
			 error || errcode ? ": " : "", errcode ? errcode : "", error ? error : "");
	}
	free(name);
	free(alias);
}

int finish(struct applier *ap, const struct queue_row *q, const char *state, long status, const char *errcode,
	   const char *error)
{
	db *u = hs_db(ap->h);
	if (!ap->c->dry_run) {
		if (db_begin(u, 1) < 0 || queue_finish(u, q->id, state, status, errcode, error, now_ms()) < 0 ||
		    db_commit(u) < 0) {
			db_rollback(u);
			return -1;
		}
	}
	if (!strcmp(state, "pending"))
		; /* --dry-run: what would happen */
	else if (!strcmp(state, "done"))
		ap->n.done++;
	else if (!strcmp(state, "skipped"))
		ap->n.skipped++;
	else
		ap->n.failed++;
	report_row(ap, q, state, status, errcode, error);
	return 0;
}

void note_attempt(struct applier *ap, const struct queue_row *q, const char *why)
{
	db *u = hs_db(ap->h);
	if (db_begin(u, 1) < 0 || queue_attempted(u, q->id, why, now_ms()) < 0 || db_commit(u) < 0) {
		db_rollback(u);
		err_clear();
	}
}

/* errcode / error of a Matrix error body (either may be NULL). */
void matrix_error(const struct http_resp *r, char *errcode, size_t n1, char *error, size_t n2)
{
	answer_error(r->body, r->status, errcode, n1, error, n2);
}

/* GET the homeserver's readiness URL once: the HTTP status, or 0 with the
 * reason in ERR (at least 256 bytes) when nothing answered. */
static long probe_up(struct applier *ap, char *err, size_t errlen)
{
	char *url = xasprintf("%s%s", ap->url, hs_ready_path(ap->h));
	struct http_resp r;
	long status = 0;
	if (http_call("GET", url, NULL, NULL, &r, err, errlen) == 0) {
		status = r.status;
		http_resp_free(&r);
	}
	free(url);
	return status;
}

/* Does the server still answer its readiness URL? */
static int server_up(struct applier *ap)
{
	char err[256];
	return probe_up(ap, err, sizeof(err)) == 200;
}

/* How long to wait before try TRIES+1 of a request answered R (429 or
 * 5xx): the server's Retry-After or retry_after_ms when it gives one (up to
 * a minute), else 0.5 s doubling to 8 s. */
static long retry_wait_ms(const struct http_resp *r, int tries)
{
	long wait = 500L << (tries < 4 ? tries : 4);
	long long ms = answer_retry_after_ms(r->body);
	if (ms > 0)
		wait = ms < 60000 ? (long)ms : 60000;
	else if (r->retry_after_s > 0)
		wait = r->retry_after_s < 60 ? r->retry_after_s * 1000 : 60000;
	return wait;
}

/* Send one request as the minted device, retrying 429 (rate limited) up
 * to MAX_RETRIES times and 5xx up to MAX_5XX times. 0 with R; -1 when
 * there is no answer: the server is gone (ap->n.gone set), or it is up but
 * this one request got no answer (ap->n.gone_why says which; the row stays
 * pending and the run goes on; Dendrite can leave a room's event waiting
 * for a minute when the room's worker stops at that moment). */
int send_as_once(struct applier *ap, const char *method, const char *url, const char *body, struct http_resp *r)
{
	int limited = 0, errors = 0;
	for (;;) {
		char err[256];
		if (http_call(method, url, ap->token, body, r, err, sizeof(err)) < 0) {
			if (server_up(ap)) {
				ap->n.unanswered++;
				snprintf(ap->n.gone_why, sizeof(ap->n.gone_why), "no answer while the server is up: %.200s", err);
				return -1;
			}
			ap->n.gone = 1;
			snprintf(ap->n.gone_why, sizeof(ap->n.gone_why), "%s", err);
			return -1;
		}
		if (r->status == 429 && limited < MAX_RETRIES && !stop_requested) {
			sleep_ms(retry_wait_ms(r, limited++));
		} else if (r->status >= 500 && r->status <= 599 && errors < MAX_5XX && !stop_requested) {
			debugx("HTTP %ld; trying again", r->status);
			sleep_ms(retry_wait_ms(r, errors++));
		} else
			return 0;
		http_resp_free(r);
	}
}

/* Is Q's user still joined or invited? 1 yes, 0 no, -1 error. */
static int still_member(struct applier *ap, const struct queue_row *q)
{
	int st = hs_membership_now(ap->h, q->room_id, q->user_id);
	return st < 0 ? -1 : (st & (MS_JOIN | MS_INVITE | MS_KNOCK)) != 0;
}

/* POST /rooms/ROOM/VERB as the row's user: 1 with the answer in *R; 0 when
 * the server is gone (the attempt noted) or the row is finished (the user has
 * no local account); -1 on error. */
static int room_call(struct applier *ap, const struct queue_row *q, const char *verb, struct http_resp *r)
{
	char *room, *url;
	int ready = act_as(ap, q->user_id);
	if (ready <= 0)
		return ready < 0 || finish(ap, q, "failed", 0, NULL, "no local account for this user") < 0 ? -1 : 0;
	room = url_escape(q->room_id);
	url = xasprintf("%s/_matrix/client/v3/rooms/%s/%s", ap->url, room, verb);
	free(room);
	if (send_as_once(ap, "POST", url, "{}", r) < 0) {
		note_attempt(ap, q, ap->n.gone_why);
		free(url);
		return 0;
	}
	free(url);
	return 1;
}

/* A leave queued by a deactivation (body "forget") also forgets the room,
 * as the server's own deactivation does: the user cannot do it later. The
 * forget is idempotent, so a run killed between the two calls forgets at
 * the next one. NOT_MEMBER: the leave was done before (or by someone else). */
static int do_forget(struct applier *ap, const struct queue_row *q, int not_member)
{
	char errcode[128], error[512];
	struct http_resp r;
	int rc;
	if (ap->c->dry_run)
		return finish(ap, q, "pending", 0, NULL, not_member ? "would forget the room" : "would leave and forget");
	if ((rc = room_call(ap, q, "forget", &r)) <= 0)
		return rc;
	if (r.status == 200)
		rc = finish(ap, q, "done", 200, NULL, NULL);
	else {
		matrix_error(&r, errcode, sizeof(errcode), error, sizeof(error));
		rc = finish(ap, q, not_member ? "skipped" : "failed", r.status, errcode[0] ? errcode : NULL, error);
	}
	http_resp_free(&r);
	return rc;
}

static int do_leave(struct applier *ap, const struct queue_row *q)
{
	char errcode[128], error[512];
	struct http_resp r;
	int member = still_member(ap, q), rc = 0, forget = q->body && !strcmp(q->body, "forget");
	if (member < 0)
		return -1;
	if (!member)
		return forget ? do_forget(ap, q, 1) : finish(ap, q, "skipped", 0, NULL, "not joined or invited any more");
	if (ap->c->dry_run)
		return finish(ap, q, "pending", 0, NULL, "would leave");
	if ((rc = room_call(ap, q, "leave", &r)) <= 0)
		return rc;
	if (r.status == 200) {
		if (answer_is_object(r.body))
			rc = forget ? do_forget(ap, q, 0) : finish(ap, q, "done", 200, NULL, NULL);
		else
			rc = finish(ap, q, "failed", 200, NULL, "the server answered 200 with something that is not JSON");
	} else {
		matrix_error(&r, errcode, sizeof(errcode), error, sizeof(error));
		/* "not joined" means someone (or an earlier run) already did it */
		member = still_member(ap, q);
		if (member < 0)
			rc = -1;
		else if (!member)
			rc = finish(ap, q, "skipped", r.status, errcode[0] ? errcode : NULL, "not joined or invited any more");
		else
			rc = finish(ap, q, "failed", r.status, errcode[0] ? errcode : NULL, error);
	}
	http_resp_free(&r);
	return rc;
}

/* The sender of a notice queued before senders were stored: decided (and
 * any failure said) once per run, as `notice` decides it now. */
static const char *default_sender(struct applier *ap)
{
	if (!ap->admin_tried) {
		ap->admin_tried = 1;
		if (notice_sender(ap->c, ap->h, NULL, &ap->admin) == 0)
			ap->have_admin = 1;
		else {
			warnx_("server notices queued without a sender stay pending:");
			err_print();
			err_clear();
		}
	}
	return ap->have_admin ? ap->admin.full : NULL;
}

static int do_notice(struct applier *ap, const struct queue_row *q)
{
	char *url, errcode[128], error[512], *body;
	struct http_resp r;
	json_t *j;
	int ready, rc;
	const char *sender = q->sender && *q->sender ? q->sender : default_sender(ap);
	if (!sender) {
		ap->n.deferred++;
		return 0; /* stays pending; said once */
	}
	if (ap->c->dry_run)
		return finish(ap, q, "pending", 0, NULL, "would send the notice");
	if ((ready = act_as(ap, sender)) <= 0)
		return ready < 0 ? -1 : finish(ap, q, "failed", 0, NULL, "the sender's account does not exist");
	j = json_pack("{s:s, s:{s:s, s:s}}", "user_id", q->user_id, "content", "msgtype", "m.text", "body", q->body);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	url = xasprintf("%s/_synapse/admin/v1/send_server_notice/mxdba-%lld", ap->url, q->id);
	if (send_as_once(ap, "PUT", url, body, &r) < 0) {
		note_attempt(ap, q, ap->n.gone_why);
		free(url);
		free(body);
		return 0;
	}
	if (r.status == 200)
		rc = finish(ap, q, "done", 200, NULL, NULL);
	else {
		matrix_error(&r, errcode, sizeof(errcode), error, sizeof(error));
		rc = finish(ap, q, "failed", r.status, errcode[0] ? errcode : NULL, error);
	}
	http_resp_free(&r);
	free(url);
	free(body);
	return rc;
}

static int wait_up(struct applier *ap, long wait_s)
{
	char err[256] = "";
	long long deadline = now_ms() + wait_s * 1000;
	long last = 0;
	for (;;) {
		long status = probe_up(ap, err, sizeof(err));
		if (status == 200)
			return 0;
		if (status)
			last = status;
		if (now_ms() >= deadline || stop_requested)
			break;
		sleep_ms(500);
	}
	err_set(EX_SERVER, "the homeserver at %s did not answer within %ld s", ap->url, wait_s);
	if (last)
		err_detail("GET %s%s answered HTTP %ld, not 200", ap->url, hs_ready_path(ap->h), last);
	else
		err_detail("%s", err[0] ? err : "no answer");
	err_hint("start %s (or give --url / [server] url), then run `mxdba queue apply` again; nothing was changed",
		 hs_display(ap->c->cfg));
	return -1;
}

static const struct optspec apply_opts[] = { { "--url", 1 },	 { "--limit", 1 },    { "--wait", 1 },
					     { "--timeout", 1 }, { "--parallel", 1 }, { 0, 0 } };

/* Operations in flight by default: the profile's, for its server and
 * backend (hs_apply_parallel), chosen from `make bench` (BENCHMARKS.md) */
#define MAX_PARALLEL 32

struct apply_args {
	long limit, wait_s, timeout_s, parallel;
};

static int apply_args(struct ctx *c, const struct opts *o, struct apply_args *a, struct applier *ap)
{
	const char *u, *t;
	size_t len;
	a->limit = 0;
	a->wait_s = 30;
	a->timeout_s = 60;
	a->parallel = 0; /* the homeserver's default, once it is opened */
	if (o->npos)
		return err_set(EX_USAGE, "queue apply takes no arguments");
	if (opt(o, apply_opts, "--limit") && parse_int(opt(o, apply_opts, "--limit"), 1, 100000000L, &a->limit) < 0)
		return err_set(EX_USAGE, "--limit must be a whole number from 1");
	if (opt(o, apply_opts, "--wait") && parse_int(opt(o, apply_opts, "--wait"), 0, 86400L, &a->wait_s) < 0)
		return err_set(EX_USAGE, "--wait must be a number of seconds from 0 to 86400");
	if ((t = opt(o, apply_opts, "--timeout"))) {
		if (parse_int(t, 1, 3600L, &a->timeout_s) < 0)
			return err_set(EX_USAGE, "--timeout must be a number of seconds from 1 to 3600");
		http_set_timeout(a->timeout_s);
	}
	if ((t = opt(o, apply_opts, "--parallel")) && parse_int(t, 1, MAX_PARALLEL, &a->parallel) < 0)
		return err_set(EX_USAGE, "--parallel must be a whole number from 1 to %d", MAX_PARALLEL);
	if (c->dry_run)
		a->parallel = 1; /* nothing is sent: the rows in order, in one process */
	if (ctx_config(c) < 0)
		return -1;
	u = opt(o, apply_opts, "--url") ? opt(o, apply_opts, "--url") : c->cfg->server_url;
	len = strlen(u);
	if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) || !text_is_clean(u) || len > 2000)
		return err_set(EX_USAGE, "--url must be an http:// or https:// URL");
	while (len > 0 && u[len - 1] == '/')
		len--;
	ap->url = xstrndup(u, len);
	return 0;
}

/* Open the homeserver, and say whether server notices can be sent.
 * 1 ready, 0 nothing queued (no tables yet), -1 error. */
static int apply_setup(struct ctx *c, struct applier *ap)
{
	if (!(ap->h = hs_open(c->cfg, HS_WRITE_ONLINE)) || hs_rooms_open(ap->h) < 0)
		return -1;
	if (!queue_tables_ready(ap->h)) {
		if (err_pending())
			return -1;
		out_line("nothing queued (mxdba's tables are not created yet)");
		return 0;
	}
	return 1;
}

static int more(const struct applier *ap, long limit)
{
	return !ap->n.gone && !stop_requested && (!limit || ap->n.processed < limit);
}

/* A database error while the server is down is the server's death seen
 * from its files (a server killed mid-write leaves a journal that only a
 * writer may roll back): the run stops as if the server had gone, the row
 * stays pending. 1 when that is what happened (the error dropped), else 0. */
static int db_error_of_a_dead_server(struct applier *ap)
{
	if (err_code() != EX_DB || server_up(ap))
		return 0;
	debugx("a database read failed while the server is down; treated as the server gone");
	err_clear();
	ap->n.gone = 1;
	snprintf(ap->n.gone_why, sizeof(ap->n.gone_why),
		 "it is not up, and its database could not be read (a server killed mid-write leaves it so until it starts again)");
	return 1;
}

/* Every pending row, oldest first, BATCH at a time. */
static int apply_rows(struct applier *ap, long limit)
{
	struct queue_row rows[BATCH];
	long long after = 0;
	int n = 0, ret = 0;
	while (ret == 0 && more(ap, limit)) {
		if ((n = queue_pending(hs_db(ap->h), after, BATCH, ap->workers, ap->worker, rows)) <= 0)
			return n;
		for (int i = 0; i < n && more(ap, limit); i++) {
			int rc = !strcmp(rows[i].kind, "leave")  ? do_leave(ap, &rows[i])
				 : is_room_op(rows[i].kind)      ? do_room_op(ap, &rows[i])
								 : do_notice(ap, &rows[i]);
			if (rc < 0) {
				ret = db_error_of_a_dead_server(ap) ? 0 : -1;
				break;
			}
			after = rows[i].id;
			ap->n.processed++;
		}
		queue_rows_free(rows, n);
	}
	return ret;
}

static void apply_summary(struct ctx *c, const struct applier *ap)
{
	if (g_json)
		out_json(json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:b, s:b}}", "summary", "done", (json_int_t)ap->n.done,
				   "skipped", (json_int_t)ap->n.skipped, "failed", (json_int_t)ap->n.failed, "deferred",
				   (json_int_t)ap->n.deferred, "unanswered", (json_int_t)ap->n.unanswered, "server_gone",
				   ap->n.gone, "dry_run", c->dry_run));
	else if (!c->dry_run)
		infox("done %lld, skipped %lld, failed %lld%s%s", ap->n.done, ap->n.skipped, ap->n.failed,
		      ap->n.deferred ? " (server notices left pending: no sender)" : "",
		      ap->n.unanswered ? "; some requests got no answer (left pending)" : "");
}

/* The run's outcome as an exit code: EX_OK, or -1 with the error set. */
static int apply_outcome(const struct applier *ap, long timeout_s)
{
	if (ap->n.gone) {
		err_set(EX_SERVER, "the homeserver stopped answering: %s", ap->n.gone_why);
		err_detail("the rows not finished are still pending; no minted device was left behind");
		return err_hint("run `mxdba queue apply` again once the server is back");
	}
	if (ap->n.unanswered) {
		err_set(EX_SERVER, "%lld request(s) got no answer within %ld s although the homeserver is up",
			ap->n.unanswered, timeout_s);
		err_detail("those rows stay pending (`mxdba queue list --state pending`); every other row was carried out");
		return err_hint("run `mxdba queue apply` again; rows already done are never repeated");
	}
	if (stop_requested)
		return err_set(EX_FAIL, "interrupted; the rows not finished are still pending");
	if (ap->n.failed) {
		err_set(EX_QUEUE, "%lld queued operation(s) failed", ap->n.failed);
		return err_hint("see `mxdba queue list --state failed`; fix the cause and queue them again");
	}
	return EX_OK;
}

/* ---- --parallel: worker processes ---- */

/* What a worker tells the parent when it ends. */
struct worker_report {
	struct apply_counts n;
	int error;
};

/* In a worker: its own connection and its own minted devices, the rows
 * whose id modulo WORKERS is K; its counts written to FD; never returns. */
static void worker_run(struct ctx *c, struct applier *ap, long limit, int k, int fd)
{
	struct worker_report w;
	int ok;
	memset(&w, 0, sizeof(w));
	ap->h = NULL; /* the parent's handle was closed before the fork */
	ap->worker = k;
	ok = apply_setup(c, ap) > 0 && apply_rows(ap, limit) == 0;
	if (ap->h && release(ap) < 0)
		ok = 0;
	if (!ok && err_pending())
		err_print();
	w.n = ap->n;
	w.error = !ok;
	if (write(fd, &w, sizeof(w)) != (ssize_t)sizeof(w))
		ok = 0;
	if (ap->h)
		hs_close(ap->h);
	http_cleanup();
	fflush(NULL);
	_exit(ok ? 0 : 1);
}

static void counts_add(struct apply_counts *to, const struct apply_counts *n)
{
	to->done += n->done;
	to->skipped += n->skipped;
	to->failed += n->failed;
	to->deferred += n->deferred;
	to->processed += n->processed;
	to->unanswered += n->unanswered;
	if (n->gone && !to->gone) {
		to->gone = 1;
		memcpy(to->gone_why, n->gone_why, sizeof(to->gone_why));
	}
}

/* Pass a SIGINT/SIGTERM the parent got on to every worker, once. */
static void forward_stop(const pid_t *pids, int n, int *forwarded)
{
	if (stop_requested && !*forwarded) {
		*forwarded = 1;
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGTERM);
	}
}

/* How many workers to start for up to N at once: no more than there are
 * rows to do (a worker with nothing to do still opens the database). */
static int workers_for(struct applier *ap, int n)
{
	struct queue_row rows[MAX_PARALLEL];
	int k = queue_pending(hs_db(ap->h), 0, n, 1, 0, rows);
	if (k < 0)
		return -1;
	queue_rows_free(rows, k);
	return k < n ? k : n;
}

/* Run N workers and wait for them all, passing SIGINT/SIGTERM on; their
 * counts summed into AP. 0, or -1 when a worker failed (its error printed). */
static int run_workers(struct ctx *c, struct applier *ap, long limit, int n)
{
	pid_t pids[MAX_PARALLEL];
	int fds[MAX_PARALLEL], started = 0, bad = 0, forwarded = 0;
	pid_t parent = getpid();
	/* the parent's connection and HTTP handle are not shared with children */
	hs_close(ap->h);
	ap->h = NULL;
	http_cleanup();
	fflush(NULL);
	ap->workers = n;
	for (int k = 0; k < n; k++) {
		int p[2];
		/* --limit shared out: worker k takes its part, the first ones one more */
		long lim = limit ? limit / n + (k < limit % n) : 0;
		if (limit && !lim)
			break;
		if (pipe(p) < 0) {
			err_set(EX_FAIL, "pipe: %s", strerror(errno));
			bad = 1; /* the workers started are still waited for */
			break;
		}
		if ((pids[k] = fork()) < 0) {
			close(p[0]);
			close(p[1]);
			err_set(EX_FAIL, "fork: %s", strerror(errno));
			bad = 1;
			break;
		}
		if (pids[k] == 0) {
			/* a worker dies with the parent: a killed apply is one killed
			 * process, its minted tokens left for the next run to delete */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
				_exit(1);
			close(p[0]);
			for (int i = 0; i < k; i++)
				close(fds[i]);
			worker_run(c, ap, lim, k, p[1]);
		}
		close(p[1]);
		fds[k] = p[0];
		started++;
	}
	for (int k = 0; k < started; k++) {
		struct worker_report w;
		int st;
		ssize_t got;
		while ((got = read(fds[k], &w, sizeof(w))) < 0 && errno == EINTR)
			forward_stop(pids, started, &forwarded);
		close(fds[k]);
		while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
			forward_stop(pids, started, &forwarded);
		if (got == (ssize_t)sizeof(w)) {
			counts_add(&ap->n, &w.n);
			bad |= w.error;
		} else
			bad = 1; /* it died before it could report: its rows are still pending */
	}
	if (bad && !err_pending())
		err_set(EX_FAIL, "a queue apply worker failed; the rows it had not finished are still pending");
	return bad ? -1 : 0;
}

int cmd_queue_apply(struct ctx *c, int argc, char **argv)
{
	struct opts o;
	struct applier ap;
	struct apply_args a;
	struct sigaction sa;
	int ret = -1, rc, workers;

	memset(&ap, 0, sizeof(ap));
	memset(&sa, 0, sizeof(sa));
	ap.c = c;
	ap.workers = 1;
	g_out_flush_lines = 1;
	if (opts_parse(c, argc, argv, apply_opts, &o) < 0 || apply_args(c, &o, &a, &ap) < 0 ||
	    (rc = apply_setup(c, &ap)) < 0)
		goto out;
	if (rc == 0) {
		ret = EX_OK;
		goto out;
	}
	if (!c->dry_run && (wait_up(&ap, a.wait_s) < 0 || cleanup_leftovers(&ap) < 0))
		goto out;
	sa.sa_handler = on_signal; /* no SA_RESTART: the parent's reads return to pass the signal on */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!a.parallel)
		a.parallel = c->dry_run ? 1 : hs_apply_parallel(ap.h);
	if ((workers = a.parallel > 1 ? workers_for(&ap, (int)a.parallel) : 1) < 0)
		goto out;
	if (workers > 1) {
		if (run_workers(c, &ap, a.limit, workers) < 0)
			goto out;
	} else {
		if (apply_rows(&ap, a.limit) < 0)
			goto out;
		if (!c->dry_run && release(&ap) < 0)
			goto out;
		db_rollback(hs_db(ap.h));
	}
	apply_summary(c, &ap);
	ret = apply_outcome(&ap, a.timeout_s);
out:
	if (ap.h && !c->dry_run && ret != EX_OK)
		release(&ap); /* a minted token never outlives the run */
	free(ap.url);
	http_cleanup();
	return cmd_finish(c, ap.h, &o, ret);
}
