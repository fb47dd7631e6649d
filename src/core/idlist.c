/* SPDX-License-Identifier: Apache-2.0 */
/* `--from FILE` ID lists: one linear pass, each line bounded. */
#include "idlist.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

void idlist_add(struct idlist *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->ids = xrealloc(l->ids, l->cap * sizeof(*l->ids));
	}
	l->ids[l->n++] = xstrdup(id);
}

void idlist_free(struct idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

static char *trim(char *s)
{
	size_t n = strlen(s);
	while (*s == ' ' || *s == '\t')
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* KEY of the JSON object line S, copied to OUT (N bytes): 0, or -1 + why. */
static int json_member(const char *s, const char *key, char *out, size_t n, char *why, size_t wn)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &e);
	const char *v = json_string_value(json_object_get(j, key));
	int rc = 0;
	if (!j)
		snprintf(why, wn, "not JSON: %s", e.text);
	else if (!v)
		snprintf(why, wn, "a JSON line without a \"%s\" string", key);
	if (!j || !v)
		rc = -1;
	else
		str_copy(out, n, v);
	json_decref(j);
	return rc;
}

/* One line of F into BUF (N bytes, NUL-terminated, newline dropped): its
 * length; -1 at the end of F; -2 too long (the rest of the line is not
 * read); -3 a NUL byte in it. */
static long read_line(FILE *f, char *buf, size_t n)
{
	size_t len = 0;
	int ch, nul = 0;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (len + 1 >= n)
			return -2;
		nul |= ch == 0;
		buf[len++] = (char)ch;
	}
	buf[len] = '\0';
	if (ch == EOF && !len)
		return -1;
	return nul ? -3 : (long)len;
}

int idlist_read(FILE *f, const char *name, const char *key, int (*check)(const char *), struct idlist *l)
{
	char buf[IDLIST_MAX_LINE + 1], id[IDLIST_MAX_LINE + 1], why[256];
	long line = 0, len;
	while ((len = read_line(f, buf, sizeof(buf))) != -1) {
		char *s;
		line++;
		if (len == -2) {
			err_set(EX_USAGE, "%s line %ld is longer than %d bytes", name, line, IDLIST_MAX_LINE - 1);
			return err_hint("one ID a line (or one JSON object of `report rooms --json`)");
		}
		if (len == -3) {
			err_set(EX_USAGE, "%s line %ld holds a NUL byte", name, line);
			return err_hint("the list is text: one ID a line");
		}
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		if (*s == '{') {
			if (json_member(s, key, id, sizeof(id), why, sizeof(why)) < 0) {
				err_set(EX_USAGE, "%s line %ld: %s", name, line, why);
				return err_hint("one ID a line, or the JSON lines `mxdba report rooms --json` prints");
			}
			s = id;
		}
		if (check(s) < 0) {
			err_detail("%s line %ld", name, line);
			return -1;
		}
		if (l->n >= IDLIST_MAX_IDS) {
			err_set(EX_USAGE, "%s holds more than %d IDs", name, IDLIST_MAX_IDS);
			return err_hint("split the list and queue it in parts");
		}
		idlist_add(l, s);
	}
	if (ferror(f))
		return err_set(EX_USAGE, "cannot read %s", name);
	return 0;
}
