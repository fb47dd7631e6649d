/* SPDX-License-Identifier: Apache-2.0 */
/* Checked allocation and tiny string helpers shared by every module. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
	fputs("mxdba: error: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of the valid UTF-8 sequence at P (1-4), or 0 if invalid. */
static int utf8_len(const unsigned char *p)
{
	unsigned c = *p;
	int n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] > 0x8f))
		return 0;
	for (int i = 1; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n + 1;
}

char *text_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		int n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
	return s;
}

size_t str_copy(char *dst, size_t n, const char *src)
{
	size_t len = src ? strlen(src) : 0, k = len < n ? len : n - 1;
	if (k)
		memcpy(dst, src, k);
	dst[k] = '\0';
	return len;
}

char *text_excerpt(char *buf, size_t n, const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0, k = len, room = n > 4 ? n - 4 : 0; /* room for "…" and NUL */
	if (k > max)
		k = max;
	if (k > room)
		k = room;
	while (k < len && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--; /* back to the start of the sequence S[k] is in */
	for (size_t i = 0; i < k; i++)
		buf[i] = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
	buf[k] = '\0';
	text_sanitize(buf); /* escape sequences and broken UTF-8 never reach the terminal */
	if (k < len)
		memcpy(buf + k, "\xe2\x80\xa6", 4); /* … */
	return buf;
}

int text_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n;
		if (*p >= 0x20 && *p < 0x7f) { /* printable ASCII: the common case, no decoding */
			p++;
			continue;
		}
		n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)))
			return 0;
		p += n;
	}
	return 1;
}

int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int out_color(int fd)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	if (nc && *nc)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fd);
}

char *sh_quote(const char *s)
{
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = xmalloc(n), *o = out;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* "2026-11-26", "2026-11-26T10:00[:00]" (UTC) or "30m", "12h", "7d" ago -> ms. */
int parse_when(const char *s, long long *ms)
{
	struct tm tm;
	char unit;
	long v;
	const char *end;
	size_t n = strlen(s);
	if (n >= 2 && strchr("mhd", s[n - 1])) {
		char num[32];
		if (n - 1 >= sizeof(num))
			return -1;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		unit = s[n - 1];
		if (parse_int(num, 0, 100000000L, &v) < 0)
			return -1;
		*ms = now_ms() - (long long)v * 1000 * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(s, "%Y-%m-%d", &tm)))
		return -1;
	if (*end == 'T' || *end == ' ') {
		const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
		if (!e2)
			e2 = strptime(end + 1, "%H:%M", &tm);
		end = e2;
	}
	if (!end || *end)
		return -1;
	*ms = (long long)timegm(&tm) * 1000;
	return 0;
}
