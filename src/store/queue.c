/* SPDX-License-Identifier: Apache-2.0 */
/* The queue of operations `queue apply` carries out (mxdba_queue), and the
 * registry of the tokens it mints to do so (mxdba_minted): a crash leaves a
 * row the next run finds, so no minted token outlives the work. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

int queue_insert(db *d, const char *kind, const char *user_id, const char *room_id, const char *body, long long ts,
		 const char *by, const char *sender, int *queued)
{
	db_arg a[7] = { DB_ARG_TEXT(kind), DB_ARG_TEXT(user_id), DB_ARG_TEXT(room_id), DB_ARG_TEXT(body),
			DB_ARG_INT(ts),    DB_ARG_TEXT(by),      DB_ARG_TEXT(sender ? sender : "") };
	long long n;
	if (db_exec(d, "queue_insert", a, 7, &n) < 0)
		return -1;
	*queued = n != 0;
	return 0;
}

static void row_view(const db_rows *r, struct queue_row *q)
{
	int st_null;
	q->id = db_int(r, 0, NULL);
	q->kind = db_text(r, 1);
	q->user_id = db_text(r, 2);
	q->room_id = db_text(r, 3);
	q->body = db_text(r, 4);
	q->state = db_text(r, 5);
	q->attempts = db_int(r, 6, NULL);
	q->http_status = (long)db_int(r, 7, &st_null);
	if (st_null)
		q->http_status = 0;
	q->errcode = db_text(r, 8);
	q->error = db_text(r, 9);
	q->created_ts = db_int(r, 10, NULL);
	q->updated_ts = db_int(r, 11, NULL);
	q->sender = db_text(r, 12);
	q->job = db_text(r, 13);
}

int queue_list(db *d, const char *states, int (*fn)(const struct queue_row *, void *), void *user)
{
	db_arg a = DB_ARG_TEXT(states);
	db_rows *r = db_stream(d, "queue_list", &a, 1);
	int rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		struct queue_row q;
		row_view(r, &q);
		if (fn(&q, user) < 0) {
			rc = -1;
			break;
		}
	}
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int queue_state(db *d, long long id, char **state)
{
	db_arg a = DB_ARG_INT(id);
	return db_scalar(d, "queue_get_state", &a, 1, state);
}

int queue_cancel(db *d, long long id, long long ts, long long *n)
{
	db_arg a[2] = { DB_ARG_INT(id), DB_ARG_INT(ts) };
	if (id == 0)
		return db_exec(d, "queue_cancel_all", a + 1, 1, n);
	return db_exec(d, "queue_cancel", a, 2, n);
}

int queue_pending(db *d, long long after, int max, int workers, int worker, struct queue_row *rows)
{
	db_arg a[4] = { DB_ARG_INT(after), DB_ARG_INT(max), DB_ARG_INT(workers > 1 ? workers : 1),
			DB_ARG_INT(workers > 1 ? worker : 0) };
	db_rows *r = db_query(d, "queue_pending_batch", a, 4);
	int n = 0, rc;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1 && n < max) {
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].id = db_int(r, 0, NULL);
		rows[n].kind = xstrdup(db_text(r, 1));
		rows[n].user_id = xstrdup(db_text(r, 2));
		rows[n].room_id = xstrdup(db_text(r, 3));
		rows[n].body = xstrdup(db_text(r, 4));
		rows[n].sender = xstrdup(db_text(r, 5) ? db_text(r, 5) : "");
		rows[n].created_ts = db_int(r, 6, NULL);
		rows[n].job = xstrdup(db_text(r, 7) ? db_text(r, 7) : "");
		n++;
	}
	db_rows_free(r);
	return rc < 0 ? -1 : n;
}

void queue_rows_free(struct queue_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free((char *)rows[i].kind);
		free((char *)rows[i].user_id);
		free((char *)rows[i].room_id);
		free((char *)rows[i].body);
		free((char *)rows[i].sender);
		free((char *)rows[i].job);
	}
}

int queue_finish(db *d, long long id, const char *state, long status, const char *errcode, const char *error,
		 long long ts)
{
	db_arg a[6] = { DB_ARG_TEXT(state), status ? DB_ARG_INT(status) : DB_ARG_NULL,
			errcode ? DB_ARG_TEXT(errcode) : DB_ARG_NULL, error ? DB_ARG_TEXT(error) : DB_ARG_NULL,
			DB_ARG_INT(ts), DB_ARG_INT(id) };
	return db_exec(d, "queue_finish", a, 6, NULL);
}

int queue_pending_for_room(db *d, const char *kind, const char *room_id, long long *id)
{
	db_arg a[2] = { DB_ARG_TEXT(kind), DB_ARG_TEXT(room_id) };
	char *v = NULL;
	int rc = db_scalar(d, "queue_pending_for_room", a, 2, &v);
	*id = rc == 1 && v ? atoll(v) : 0;
	free(v);
	return rc;
}

int queue_set_job(db *d, long long id, const char *job, long long ts)
{
	db_arg a[3] = { DB_ARG_TEXT(job), DB_ARG_INT(ts), DB_ARG_INT(id) };
	return db_exec(d, "queue_set_job", a, 3, NULL);
}

int queue_attempted(db *d, long long id, const char *why, long long ts)
{
	db_arg a[3] = { DB_ARG_TEXT(why), DB_ARG_INT(ts), DB_ARG_INT(id) };
	return db_exec(d, "queue_attempted", a, 3, NULL);
}

int minted_insert(db *d, const struct minted *m, long long ts)
{
	db_arg a[5] = { DB_ARG_TEXT(m->token), DB_ARG_TEXT(m->device_id), DB_ARG_TEXT(m->localpart),
			DB_ARG_TEXT(m->server), DB_ARG_INT(ts) };
	return db_exec_one(d, "minted_insert", a, 5, "recording the minted token");
}

int minted_delete(db *d, const char *token)
{
	db_arg t = DB_ARG_TEXT(token);
	return db_exec(d, "minted_delete", &t, 1, NULL);
}

int minted_list(db *d, struct minted **out)
{
	db_rows *r = db_query(d, "minted_list", NULL, 0);
	struct minted *m = NULL;
	int n = 0, rc;
	*out = NULL;
	if (!r)
		return -1;
	while ((rc = db_step(r)) == 1) {
		m = xrealloc(m, sizeof(*m) * (size_t)(n + 1));
		m[n].token = xstrdup(db_text(r, 0));
		m[n].device_id = xstrdup(db_text(r, 1));
		m[n].localpart = xstrdup(db_text(r, 2));
		m[n].server = xstrdup(db_text(r, 3));
		n++;
	}
	db_rows_free(r);
	*out = m;
	if (rc < 0) {
		minted_free(m, n);
		*out = NULL;
		return -1;
	}
	return n;
}

void minted_free(struct minted *m, int n)
{
	for (int i = 0; i < n; i++) {
		if (m[i].token)
			explicit_bzero((char *)m[i].token, strlen(m[i].token));
		free((char *)m[i].token);
		free((char *)m[i].device_id);
		free((char *)m[i].localpart);
		free((char *)m[i].server);
	}
	free(m);
}
