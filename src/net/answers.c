/* SPDX-License-Identifier: Apache-2.0 */
/* The homeserver's answers as mxdba reads them (answers.h). */
#include "answers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Answers bigger than this are not parsed: none of those read here comes near. */
#define MAX_ANSWER (1 << 20)

static json_t *parse(const char *body)
{
	if (!body || strlen(body) > MAX_ANSWER)
		return NULL;
	return json_loads(body, JSON_REJECT_DUPLICATES, NULL);
}

void answer_clean(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '\n' || *c == '\t' || *c == '\r')
			*c = ' ';
	if (!text_is_clean(s))
		s[0] = '\0';
}

/* S copied to OUT (N bytes, cut on a character boundary), one clean line;
 * "" when S is missing or not clean text. */
static void clean_copy(char *out, size_t n, const char *s)
{
	size_t len;
	if (!n)
		return;
	out[0] = '\0';
	if (!s)
		return;
	len = strlen(s);
	if (len >= n) {
		len = n - 1;
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--; /* not in the middle of a UTF-8 sequence */
	}
	memcpy(out, s, len);
	out[len] = '\0';
	answer_clean(out);
}

void answer_error(const char *body, long status, char *errcode, size_t n1, char *error, size_t n2)
{
	json_t *j = parse(body);
	const char *ec = json_string_value(json_object_get(j, "errcode"));
	const char *em = json_string_value(json_object_get(j, "error"));
	if (!em)
		em = json_string_value(json_object_get(j, "message"));
	clean_copy(errcode, n1, ec);
	clean_copy(error, n2, em);
	if (!error[0])
		snprintf(error, n2, "HTTP %ld: %.120s", status, body && text_is_clean(body) ? body : "(no text)");
	json_decref(j);
}

int answer_is_object(const char *body)
{
	json_t *j = parse(body);
	int ok = json_is_object(j);
	json_decref(j);
	return ok;
}

long long answer_retry_after_ms(const char *body)
{
	json_t *j = parse(body);
	json_int_t ms = json_integer_value(json_object_get(j, "retry_after_ms"));
	json_decref(j);
	return ms > 0 ? (long long)ms : 0;
}

char *answer_job_id(const char *body, const char *key, size_t max)
{
	json_t *j = parse(body);
	const char *v = json_string_value(json_object_get(j, key));
	char *out = v && *v && strlen(v) < max && text_is_clean(v) ? xstrdup(v) : NULL;
	json_decref(j);
	return out;
}

void answer_job(const char *body, struct job_answer *a)
{
	json_t *j = parse(body), *sr;
	const char *state = json_string_value(json_object_get(j, "status"));
	memset(a, 0, sizeof(*a));
	a->ended = state && (!strcmp(state, "complete") || !strcmp(state, "failed"));
	a->done = a->ended && !strcmp(state, "complete");
	sr = json_object_get(j, "shutdown_room");
	if (json_is_object(sr)) {
		a->shutdown = 1;
		a->kicked = json_array_size(json_object_get(sr, "kicked_users"));
		a->some_failed = json_array_size(json_object_get(sr, "failed_to_kick_users")) > 0;
	}
	clean_copy(a->error, sizeof(a->error), json_string_value(json_object_get(j, "error")));
	json_decref(j);
}

long long answer_deleted(const char *body)
{
	json_t *j = parse(body);
	json_int_t n = json_integer_value(json_object_get(j, "deleted"));
	json_decref(j);
	return n > 0 ? (long long)n : 0;
}
