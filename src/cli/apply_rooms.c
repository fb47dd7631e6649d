/* SPDX-License-Identifier: Apache-2.0 */
/* `queue apply` for queued room maintenance: a room deletion, a history
 * purge, a purge of the remote media cache, each through the server's own
 * admin API (struct hs_admin_api) as the admin who queued it.
 *
 * A deletion or a history purge on Synapse is a job the server runs on its
 * own: its id (delete_id, purge_id) is committed to the row the moment the
 * server answers it, and the row follows the job's status until it is
 * complete or failed. A run killed before that commit finds the job in the
 * server's own record (hs_room_job: Synapse's scheduled_tasks) and follows
 * it: nothing is started twice. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "core/err.h"
#include "core/output.h"
#include "core/util.h"
#include "net/answers.h"

/* Polling a job: 0.25 s, doubling to 2 s between asks. */
#define POLL_FIRST_MS 250
#define POLL_MAX_MS 2000

int is_room_op(const char *kind)
{
	return !strcmp(kind, "room_delete") || !strcmp(kind, "purge_history") || !strcmp(kind, "purge_remote_media");
}

/* The job fields of each operation on Synapse. */
struct job_kind {
	enum hs_job_action action;
	const char *start_path, *status_path; /* from the hs_admin_api */
	const char *id_key;                   /* the key of the job id in the answer */
	const char *what;                     /* "deletion", for messages */
};

static void job_kind_of(const struct hs_admin_api *api, const struct queue_row *q, struct job_kind *k)
{
	if (!strcmp(q->kind, "room_delete"))
		*k = (struct job_kind){ HS_JOB_DELETE, api->delete_path, api->delete_status_path, "delete_id", "deletion" };
	else
		*k = (struct job_kind){ HS_JOB_PURGE_HISTORY, api->purge_history_path, api->purge_history_status_path,
					"purge_id", "history purge" };
}

static int commit_job(struct applier *ap, const struct queue_row *q, const char *job)
{
	db *u = hs_db(ap->h);
	if (db_begin(u, 1) < 0 || queue_set_job(u, q->id, job, now_ms()) < 0 || db_commit(u) < 0) {
		db_rollback(u);
		return -1;
	}
	debugx("row %lld follows the server's job %s", q->id, job);
	return 0;
}

/* What one status answer of job JOB says: 1 the job ended (*DONE whether
 * it completed; OUT the row's message: the deletion's removed members, or
 * the server's error), 0 it runs on. */
static int job_ended(struct applier *ap, const struct queue_row *q, const struct http_resp *r,
		     const struct job_kind *k, const char *job, int *done, char *out, size_t n)
{
	struct job_answer a;
	struct hs_room_job rec;
	const char *e;
	answer_job(r->body, &a);
	out[0] = '\0';
	*done = a.done;
	if (a.done && a.shutdown)
		snprintf(out, n, "%zu local member(s) removed%s", a.kicked, a.some_failed ? ", some could not be" : "");
	else if (a.ended && !a.done) {
		e = a.error;
		/* Synapse 1.163.2's delete_status has no error: its scheduled_tasks row does */
		if (!*e && hs_room_job(ap->h, q->room_id, k->action, 0, &rec) == 1 && !strcmp(rec.id, job)) {
			answer_clean(rec.error);
			e = rec.error;
		} else if (err_pending())
			err_clear(); /* the reason is a nicety; the state is what counts */
		snprintf(out, n, "the server's %s job %s failed%s%.300s", k->what, job, *e ? ": " : "", e);
	}
	return a.ended;
}

/* The server's URL of admin API PATH (%s: ARG, percent-escaped); malloc'd. */
static char *api_url(const struct applier *ap, const char *path, const char *arg)
{
	char *esc = url_escape(arg), *tmpl = xasprintf("%s%s", ap->url, path), *url = xasprintf(tmpl, esc);
	free(esc);
	free(tmpl);
	return url;
}

/* Follow job JOB of Q until it ends. 0 (row finished, or left pending when
 * the server went away or the run was stopped), -1 error. */
static int follow_job(struct applier *ap, const struct queue_row *q, const struct job_kind *k, const char *job)
{
	char *url = api_url(ap, k->status_path, job);
	long wait = POLL_FIRST_MS;
	int rc = 0;
	for (;;) {
		struct http_resp r;
		char msg[512];
		int done;
		if (send_as_once(ap, "GET", url, NULL, &r) < 0) {
			note_attempt(ap, q, ap->n.gone_why);
			break;
		}
		if (r.status != 200) {
			char errcode[128], error[512], why[700];
			matrix_error(&r, errcode, sizeof(errcode), error, sizeof(error));
			snprintf(why, sizeof(why), "the server no longer knows its %s job %s: %s", k->what, job, error);
			rc = finish(ap, q, "failed", r.status, errcode[0] ? errcode : NULL, why);
			http_resp_free(&r);
			break;
		}
		if (job_ended(ap, q, &r, k, job, &done, msg, sizeof(msg))) {
			http_resp_free(&r);
			rc = finish(ap, q, done ? "done" : "failed", 200, NULL, msg[0] ? msg : NULL);
			break;
		}
		http_resp_free(&r);
		if (stop_requested) {
			note_attempt(ap, q, "stopped while the server's job was running; the next apply follows it");
			break;
		}
		sleep_ms(wait);
		wait = wait * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait * 2;
	}
	free(url);
	return rc;
}

/* The job of Q the server already has: the one stored in the row, else
 * the newest it recorded since Q was queued (a run killed between the
 * server's answer and mxdba's commit); for a "busy" refusal, any running
 * one. Copied to JOB (N bytes): 1 found, 0 none, -1 error. */
static int known_job(struct applier *ap, const struct queue_row *q, const struct job_kind *k, int any_running,
		     char *job, size_t n)
{
	struct hs_room_job j;
	int rc;
	if (q->job && *q->job && !any_running) {
		str_copy(job, n, q->job);
		return 1;
	}
	if ((rc = hs_room_job(ap->h, q->room_id, k->action, any_running ? 0 : q->created_ts, &j)) <= 0)
		return rc;
	if (any_running && !hs_room_job_running(&j))
		return 0;
	str_copy(job, n, j.id);
	return commit_job(ap, q, job) < 0 ? -1 : 1;
}

/* Send METHOD to PATH (%s: Q's room, escaped) with BODY. 1 with the answer
 * in R (the caller frees it), 0 when none came (the row stays pending,
 * the attempt noted). */
static int send_op(struct applier *ap, const struct queue_row *q, const char *method, const char *path,
		   const char *body, struct http_resp *r)
{
	char *url = api_url(ap, path, q->room_id);
	int rc = send_as_once(ap, method, url, body, r);
	free(url);
	if (rc < 0) {
		note_attempt(ap, q, ap->n.gone_why);
		return 0;
	}
	return 1;
}

/* Row Q ends in STATE with the server's error answer R (freed). */
static int end_with(struct applier *ap, const struct queue_row *q, struct http_resp *r, const char *state)
{
	char errcode[128], error[512];
	int rc;
	matrix_error(r, errcode, sizeof(errcode), error, sizeof(error));
	rc = finish(ap, q, state, r->status, errcode[0] ? errcode : NULL, error);
	http_resp_free(r);
	return rc;
}

/* A deletion or history purge on a server that runs it as a job. */
static int job_op(struct applier *ap, const struct queue_row *q)
{
	const struct hs_admin_api *api = hs_admin_api(ap->h);
	struct job_kind k;
	struct http_resp r;
	char job[64];
	int rc;
	job_kind_of(api, q, &k);
	if ((rc = known_job(ap, q, &k, 0, job, sizeof(job))) < 0)
		return -1;
	if (rc == 1)
		return follow_job(ap, q, &k, job);
	if ((rc = send_op(ap, q, !strcmp(q->kind, "room_delete") ? api->delete_method : "POST", k.start_path, q->body,
			  &r)) <= 0)
		return rc;
	if (r.status == 200) {
		char *id = answer_job_id(r.body, k.id_key, sizeof(((struct hs_room_job *)0)->id));
		http_resp_free(&r);
		if (!id)
			return finish(ap, q, "failed", 200, NULL, "the server answered 200 without a job id");
		str_copy(job, sizeof(job), id);
		free(id);
		if (commit_job(ap, q, job) < 0)
			return -1;
		return follow_job(ap, q, &k, job);
	}
	/* 400 "already in progress": someone (another run, another admin) started one; follow it */
	if (r.status == 400 && (rc = known_job(ap, q, &k, 1, job, sizeof(job))) != 0) {
		http_resp_free(&r);
		return rc < 0 ? -1 : follow_job(ap, q, &k, job);
	}
	/* a history purge of a room with nothing older than the cut: nothing to do */
	if (r.status == 404 && k.action == HS_JOB_PURGE_HISTORY && hs_room_known(ap->h, q->room_id) == 0)
		return end_with(ap, q, &r, "skipped");
	err_clear();
	return end_with(ap, q, &r, "failed");
}

/* A deletion on a server that answers when it is done (Dendrite): the
 * purge alone, or with --no-purge the evacuation alone (each local member's
 * own leave). Never both: seen on the real v0.13.8, a purge right after an
 * evacuation makes the sync API meet the leave events of a room whose rows
 * are gone, and Dendrite panics ("roomserver output log: write room event
 * failure") and exits. */
static int sync_delete(struct applier *ap, const struct queue_row *q)
{
	const struct hs_admin_api *api = hs_admin_api(ap->h);
	json_t *opts = json_loads(q->body, 0, NULL);
	int purge = !json_is_false(json_object_get(opts, "purge")), rc;
	struct http_resp r;
	json_decref(opts);
	if (!purge) {
		if (!api->evacuate_path)
			return finish(ap, q, "failed", 0, NULL, "this homeserver cannot remove members without purging");
		if ((rc = send_op(ap, q, "POST", api->evacuate_path, "{}", &r)) <= 0)
			return rc;
		if (r.status != 200)
			return end_with(ap, q, &r, "failed");
		http_resp_free(&r);
		return finish(ap, q, "done", 200, NULL, "local members removed; the room's data kept (--no-purge)");
	}
	if ((rc = send_op(ap, q, api->delete_method, api->delete_path, "{}", &r)) <= 0)
		return rc;
	if (r.status != 200)
		return end_with(ap, q, &r, "failed");
	http_resp_free(&r);
	return finish(ap, q, "done", 200, NULL, NULL);
}

/* The remote media cache purge: one call, safe to repeat. */
static int purge_media(struct applier *ap, const struct queue_row *q)
{
	const struct hs_admin_api *api = hs_admin_api(ap->h);
	json_t *j = json_loads(q->body, 0, NULL);
	long long before = (long long)json_integer_value(json_object_get(j, "before_ts"));
	char *tmpl = xasprintf("%s%s", ap->url, api->purge_media_path), *url = xasprintf(tmpl, before), what[64];
	struct http_resp r;
	int rc;
	json_decref(j);
	free(tmpl);
	rc = send_as_once(ap, "POST", url, "{}", &r);
	free(url);
	if (rc < 0) {
		note_attempt(ap, q, ap->n.gone_why);
		return 0;
	}
	if (r.status != 200)
		return end_with(ap, q, &r, "failed");
	snprintf(what, sizeof(what), "%lld cached remote file(s) deleted", answer_deleted(r.body));
	http_resp_free(&r);
	return finish(ap, q, "done", 200, NULL, what);
}

int do_room_op(struct applier *ap, const struct queue_row *q)
{
	const struct hs_admin_api *api = hs_admin_api(ap->h);
	int ready;
	if (!api || (!strcmp(q->kind, "purge_history") && !api->purge_history_path) ||
	    (!strcmp(q->kind, "purge_remote_media") && !api->purge_media_path))
		return finish(ap, q, "failed", 0, NULL, "this homeserver has no endpoint for it");
	if (ap->c->dry_run)
		return finish(ap, q, "pending", 0, NULL,
			      !strcmp(q->kind, "room_delete")     ? "would delete the room"
			      : !strcmp(q->kind, "purge_history") ? "would purge the room's history"
								  : "would purge the remote media cache");
	if ((ready = act_as(ap, q->user_id)) <= 0)
		return ready < 0 ? -1 : finish(ap, q, "failed", 0, NULL, "the admin's account does not exist");
	if (!strcmp(q->kind, "purge_remote_media"))
		return purge_media(ap, q);
	if (!strcmp(q->kind, "room_delete") && !api->delete_status_path)
		return sync_delete(ap, q);
	return job_op(ap, q);
}
