/* libcurl wrapper. Keeps one easy handle so a long queue reuses the
 * connection; never follows redirects (a token must not travel elsewhere). */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

#define MAX_BODY (4 * 1024 * 1024)

static CURL *handle;

int http_init(void)
{
	if (handle)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(handle = curl_easy_init()))
		return err_set(EX_FAIL, "cannot initialise libcurl");
	return 0;
}

void http_cleanup(void)
{
	if (handle) {
		curl_easy_cleanup(handle);
		curl_global_cleanup();
		handle = NULL;
	}
}

static size_t collect(char *data, size_t size, size_t n, void *user)
{
	struct http_resp *r = user;
	size_t add = size * n;
	if (r->len + add > MAX_BODY)
		return 0; /* abort: a homeserver answer is never this large */
	r->body = xrealloc(r->body, r->len + add + 1);
	memcpy(r->body + r->len, data, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

int http_call(const char *method, const char *url, const char *token, const char *body, struct http_resp *r,
	      char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	memset(r, 0, sizeof(*r));
	if (http_init() < 0) {
		snprintf(err, errlen, "libcurl unavailable");
		return -1;
	}
	curl_easy_reset(handle);
	curl_easy_setopt(handle, CURLOPT_URL, url);
	curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(handle, CURLOPT_USERAGENT, "mxdba/" MXDBA_VERSION);
	curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, r);
	if (token) {
		char *h = xasprintf("Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, h);
		free(h);
	}
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hdr);
	debugx("http: %s %s", method, url);
	rc = curl_easy_perform(handle);
	curl_slist_free_all(hdr);
	/* the header list is gone: drop the handle's pointer to it (and to the token) */
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		http_resp_free(r);
		return -1;
	}
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &r->status);
	debugx("http: -> %ld", r->status);
	return 0;
}

void http_resp_free(struct http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

char *url_escape(const char *s)
{
	static const char keep[] = "-._~";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(keep, *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}
