/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers: checked allocation, string building. Out of memory aborts. */
#ifndef MXDBA_UTIL_H
#define MXDBA_UTIL_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copy SRC (NULL: "") into DST (N bytes), cut to fit and always terminated (N > 0).
 * Returns strlen(SRC), so a result >= N means it was cut. */
size_t str_copy(char *dst, size_t n, const char *src);
/* malloc'd printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* S as one POSIX shell word in single quotes (' written as '\''), new string. */
char *sh_quote(const char *s);
/* Milliseconds since the Unix epoch. */
long long now_ms(void);
/* 1 if every byte of s is valid UTF-8 and none is a control character. */
int text_is_clean(const char *s);
/* Make S safe to print: every invalid UTF-8 byte and control character
 * becomes '?', in place. Returns S. */
char *text_sanitize(char *s);
/* The start of S for one line of output, in BUF (N bytes): at most MAX bytes
 * of it, never a UTF-8 sequence cut, line breaks and tabs as spaces, other
 * control characters and invalid bytes as '?' (text_sanitize), and "…" when
 * it was cut. Returns BUF. */
char *text_excerpt(char *buf, size_t n, const char *s, size_t max);
/* Parse a whole decimal integer in [lo, hi]; 0 on success, -1 otherwise. */
int parse_int(const char *s, long lo, long hi, long *out);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Colour on FD: a terminal, NO_COLOR unset or empty, TERM not "dumb". */
int out_color(int fd);
/* A time: "2026-11-26", "2026-11-26T10:00[:00]" (UTC), or an age ago
 * ("30m", "12h", "7d"); *MS in ms since the epoch. 0, or -1 when it is none. */
int parse_when(const char *s, long long *ms);
#endif
