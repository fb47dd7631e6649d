/* SPDX-License-Identifier: Apache-2.0 */
/* A small HTTP client over libcurl for queue apply: one reused handle,
 * bounded timeouts, JSON bodies. Access tokens go in the Authorization
 * header and are never logged. */
#ifndef MXDBA_HTTP_H
#define MXDBA_HTTP_H
#include <stddef.h>

struct http_resp {
	long status;
	char *body; /* NUL-terminated, malloc'd; NULL if none */
	size_t len;
	long retry_after_s; /* the Retry-After header in seconds (a date made relative), 0 when none */
};

int http_init(void);
void http_cleanup(void);
/* METHOD URL with optional bearer TOKEN and JSON BODY. 0: a response came
 * (any status, R filled; free with http_resp_free); -1: transport failure,
 * the reason in ERR (at least 256 bytes). */
int http_call(const char *method, const char *url, const char *token, const char *body, struct http_resp *r,
	      char *err, size_t errlen);
void http_resp_free(struct http_resp *r);
/* Give up on one request after SECONDS (default 60). */
void http_set_timeout(long seconds);
/* Percent-encode S for a URL path segment; malloc'd. */
char *url_escape(const char *s);
#endif
