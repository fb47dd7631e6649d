/* SPDX-License-Identifier: Apache-2.0 */
/* A streaming writer for one flat JSON object per line, for listings that
 * print millions of rows: no object is built, values are escaped straight
 * into a reused buffer. Its bytes are jansson's (JSON_COMPACT |
 * JSON_ENSURE_ASCII, keys in the order written), so scripts see the same
 * lines as from out_json; tests/unit/test_jsonw.c compares the two. */
#ifndef MXDBA_JSONW_H
#define MXDBA_JSONW_H
#include <stddef.h>

struct jw {
	char *buf;
	size_t len, cap;
	int fields; /* written in this object */
	int bad;    /* a string was not valid UTF-8 */
};

/* Start a line's object (W is reused from line to line; zero it once). */
void jw_begin(struct jw *w);
/* KEY: VALUE (NULL: null). */
void jw_str(struct jw *w, const char *key, const char *value);
void jw_int(struct jw *w, const char *key, long long value);
void jw_bool(struct jw *w, const char *key, int value);
/* End the object and print it as one line (as out_json prints, also when
 * a string was not valid UTF-8: then the error line instead). */
void jw_end(struct jw *w);
/* The finished object's text without printing it (tests): NUL-terminated,
 * or NULL when a string was not valid UTF-8. */
const char *jw_text(struct jw *w);
void jw_free(struct jw *w);

#endif
