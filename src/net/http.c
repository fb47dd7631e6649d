/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl wrapper. Keeps one easy handle so a long queue reuses the
 * connection; never follows redirects (a token must not travel elsewhere).
 * libcurl is loaded with dlopen on first use: it pulls in TLS, SSH, LDAP and
 * more, whose start-up cost every other command would otherwise pay. */
#include "http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

#define MAX_BODY (4 * 1024 * 1024)

static long request_timeout_ms = 60000L;

void http_set_timeout(long seconds)
{
	request_timeout_ms = seconds * 1000L;
}

static CURL *handle;
static void *lib;
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static int load(void)
{
	if (lib)
		return 0;
	if (!(lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL))) {
		err_set(EX_FAIL, "cannot load libcurl: %s", dlerror());
		return err_hint("install the libcurl4 package");
	}
#define SYM(field, name)                                                        \
	do {                                                                    \
		*(void **)&cu.field = dlsym(lib, name);                         \
		if (!cu.field)                                                  \
			return err_set(EX_FAIL, "libcurl lacks %s", name);      \
	} while (0)
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_reset, "curl_easy_reset");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	return 0;
}

int http_init(void)
{
	if (handle)
		return 0;
	if (load() < 0)
		return -1;
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(handle = cu.easy_init()))
		return err_set(EX_FAIL, "cannot initialise libcurl");
	return 0;
}

void http_cleanup(void)
{
	if (handle) {
		cu.easy_cleanup(handle);
		cu.global_cleanup();
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
	cu.easy_reset(handle);
	cu.easy_setopt(handle, CURLOPT_URL, url);
	cu.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
	cu.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	cu.easy_setopt(handle, CURLOPT_TIMEOUT_MS, request_timeout_ms);
	cu.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(handle, CURLOPT_USERAGENT, "mxdba/" MXDBA_VERSION);
	cu.easy_setopt(handle, CURLOPT_ERRORBUFFER, cerr);
	cu.easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
	cu.easy_setopt(handle, CURLOPT_WRITEDATA, r);
	if (token) {
		char *h = xasprintf("Authorization: Bearer %s", token);
		hdr = cu.slist_append(hdr, h);
		free(h);
	}
	if (body) {
		hdr = cu.slist_append(hdr, "Content-Type: application/json");
		cu.easy_setopt(handle, CURLOPT_POSTFIELDS, body);
		cu.easy_setopt(handle, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (!strcmp(method, "GET")) {
		cu.easy_setopt(handle, CURLOPT_HTTPGET, 1L);
	}
	cu.easy_setopt(handle, CURLOPT_HTTPHEADER, hdr);
	debugx("http: %s %s", method, url);
	rc = cu.easy_perform(handle);
	cu.slist_free_all(hdr);
	/* the header list is gone: drop the handle's pointer to it (and to the token) */
	cu.easy_setopt(handle, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", cerr[0] ? cerr : cu.easy_strerror(rc));
		http_resp_free(r);
		return -1;
	}
	cu.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &r->status);
	{
		curl_off_t after = 0;
		if (cu.easy_getinfo(handle, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
			r->retry_after_s = after > 86400 ? 86400 : (long)after;
	}
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
