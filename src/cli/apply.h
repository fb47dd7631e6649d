/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by apply.c (the run: rows, workers, minted devices, requests) and
 * apply_rooms.c (queued room maintenance: deletions, purges). */
#ifndef MXDBA_APPLY_H
#define MXDBA_APPLY_H
#include <signal.h>

#include "cli.h"
#include "core/mxid.h"
#include "hs/hs.h"
#include "net/http.h"
#include "store/store.h"

/* What a run counts, and whether the server went away (a worker of
 * --parallel sends its own to the parent, which sums them). */
struct apply_counts {
	long long done, skipped, failed, deferred, processed, unanswered;
	int gone;
	char gone_why[300];
};

struct applier {
	struct ctx *c;
	struct hs *h;
	char *url;
	struct mxid admin; /* the sender of notices queued without one (before 0003) */
	int admin_tried, have_admin;
	char cur[2 * MXID_MAX + 4]; /* user the minted device belongs to */
	char token[64];
	char device[32];
	int have_token;
	struct apply_counts n;
	int workers, worker; /* --parallel: this process takes the rows whose id % workers == worker */
};

/* Set by SIGINT/SIGTERM: finish the row in hand, leave the rest pending. */
extern volatile sig_atomic_t stop_requested;

void sleep_ms(long ms);
/* Make sure the minted device belongs to FULL (minting one if needed).
 * 1 ready, 0 the account does not exist (row fails), -1 error. */
int act_as(struct applier *ap, const char *full);
/* Row Q ends in STATE (done, skipped, failed; "pending" under --dry-run)
 * with the server's answer; one line of output. */
int finish(struct applier *ap, const struct queue_row *q, const char *state, long status, const char *errcode,
	   const char *error);
/* A try of Q that did not finish: it stays pending with WHY. */
void note_attempt(struct applier *ap, const struct queue_row *q, const char *why);
/* errcode / error of a Matrix error body (either may be NULL). */
void matrix_error(const struct http_resp *r, char *errcode, size_t n1, char *error, size_t n2);
/* Send one request as the minted device, retrying 429 and 5xx with
 * backoff (Retry-After, retry_after_ms honoured). 0 with R; -1 when no
 * answer came (ap->n.gone or ap->n.unanswered says which). */
int send_as_once(struct applier *ap, const char *method, const char *url, const char *body, struct http_resp *r);

/* apply_rooms.c: a queued room deletion, history purge or remote media purge */
int is_room_op(const char *kind);
int do_room_op(struct applier *ap, const struct queue_row *q);
#endif
