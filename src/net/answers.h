/* SPDX-License-Identifier: Apache-2.0 */
/* What mxdba reads from a homeserver's JSON answers, one function per kind
 * of answer, each taking the body as received (NULL, not JSON, or hostile:
 * never trusted). Strings copied out are bounded and free of control
 * characters. Fuzzed whole by tests/fuzz/fuzz_answers.c. */
#ifndef MXDBA_ANSWERS_H
#define MXDBA_ANSWERS_H
#include <stddef.h>

/* A Matrix error body: ERRCODE ("" when none) and ERROR (its "error" or
 * "message", else "HTTP STATUS: " and the start of a clean text body). */
void answer_error(const char *body, long status, char *errcode, size_t n1, char *error, size_t n2);
/* 1 when BODY is a JSON object (what a successful client call answers). */
int answer_is_object(const char *body);
/* A rate-limit answer's retry_after_ms, or 0 when it gives none. */
long long answer_retry_after_ms(const char *body);
/* The job id under KEY ("delete_id", "purge_id"): malloc'd, or NULL when
 * missing, empty, MAX bytes or longer, or not clean text. */
char *answer_job_id(const char *body, const char *key, size_t max);

/* A job's status answer (Synapse's delete_status, purge_history_status). */
struct job_answer {
	int ended;        /* complete or failed */
	int done;         /* complete */
	int shutdown;     /* it said whom the room's shutdown removed */
	size_t kicked;    /* how many local members it removed */
	int some_failed;  /* some could not be removed */
	char error[320];  /* the failure it gave, clean, one line ("" none) */
};
void answer_job(const char *body, struct job_answer *a);
/* S made one clean line in place: line breaks and tabs become spaces (as
 * in PostgreSQL's DETAIL line); emptied when it is not clean text. */
void answer_clean(char *s);
/* The number of files a media cache purge deleted (0 when it says none). */
long long answer_deleted(const char *body);
#endif
