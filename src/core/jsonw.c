/* SPDX-License-Identifier: Apache-2.0 */
#include "core/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/output.h"
#include "core/util.h"

static void grow(struct jw *w, size_t more)
{
	if (w->len + more <= w->cap)
		return;
	w->cap = (w->len + more) * 2 + 256;
	w->buf = xrealloc(w->buf, w->cap);
}

static void put(struct jw *w, const char *s, size_t n)
{
	grow(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static const char hex[] = "0123456789ABCDEF";

static void put_u(struct jw *w, unsigned cp)
{
	char e[6] = { '\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15] };
	put(w, e, 6);
}

/* The code point of the UTF-8 sequence at S (length *N), or -1 when it is
 * not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
static long utf8_decode(const unsigned char *s, size_t *n)
{
	unsigned c = s[0];
	long cp;
	size_t len, i;
	if (c < 0xC2 || c > 0xF4)
		return -1;
	len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	cp = c & (0x3F >> (len - 1));
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*n = len;
	return cp;
}

/* S as a JSON string: ASCII runs copied as they are, the rest escaped. */
static void put_string(struct jw *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;
	put(w, "\"", 1);
	for (;;) {
		unsigned c = *s;
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			s++;
			continue;
		}
		put(w, (const char *)run, (size_t)(s - run));
		if (!c)
			break;
		if (c < 0x80) {
			const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f" :
					c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (e)
				put(w, e, 2);
			else
				put_u(w, c);
			s++;
		} else {
			size_t n;
			long cp = utf8_decode(s, &n);
			if (cp < 0) {
				w->bad = 1;
				return;
			}
			if (cp > 0xFFFF) {
				cp -= 0x10000;
				put_u(w, 0xD800 | (unsigned)(cp >> 10));
				put_u(w, 0xDC00 | (unsigned)(cp & 0x3FF));
			} else
				put_u(w, (unsigned)cp);
			s += n;
		}
		run = s;
	}
	put(w, "\"", 1);
}

static void key(struct jw *w, const char *k)
{
	if (w->fields++)
		put(w, ",", 1);
	put_string(w, k);
	put(w, ":", 1);
}

void jw_begin(struct jw *w)
{
	w->len = 0;
	w->fields = 0;
	w->bad = 0;
	put(w, "{", 1);
}

void jw_str(struct jw *w, const char *k, const char *value)
{
	key(w, k);
	if (value)
		put_string(w, value);
	else
		put(w, "null", 4);
}

void jw_int(struct jw *w, const char *k, long long value)
{
	char n[24];
	int len = snprintf(n, sizeof(n), "%lld", value);
	key(w, k);
	put(w, n, (size_t)len);
}

void jw_bool(struct jw *w, const char *k, int value)
{
	key(w, k);
	if (value)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

const char *jw_text(struct jw *w)
{
	put(w, "}", 1);
	grow(w, 1);
	w->buf[w->len] = '\0';
	return w->bad ? NULL : w->buf;
}

void jw_end(struct jw *w)
{
	const char *text = jw_text(w);
	out_json_text(text, text ? w->len : 0);
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
