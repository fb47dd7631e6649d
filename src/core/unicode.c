/* SPDX-License-Identifier: Apache-2.0 */
#include "core/unicode.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/util.h"

/* Letters with a case (Unicode's "cased"), and what lower-casing looks
 * through when it asks what a letter stands beside ("case-ignorable"). */
static int cased(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
}

static int case_ignorable(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_ME || c == UTF8PROC_CATEGORY_CF ||
	       c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_SK || cp == '\'' || cp == '.' || cp == ':' ||
	       cp == 0x2019;
}

/* Is the capital sigma at CPS[I] the last letter of a word (then it
 * lowers to the final form, as Python's str.lower does)? */
static int final_sigma(const utf8proc_int32_t *cps, size_t n, size_t i)
{
	size_t j = i;
	int before = 0, after = 0;
	while (j-- > 0 && case_ignorable(cps[j]))
		;
	before = j < i && cased(cps[j]);
	for (j = i + 1; j < n && case_ignorable(cps[j]); j++)
		;
	after = j < n && cased(cps[j]);
	return before && !after;
}

/* S's code points (NULL if S is not valid UTF-8); *N their count. */
static utf8proc_int32_t *code_points(const char *s, size_t *n)
{
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s), at = 0, k;
	utf8proc_int32_t *cps = xmalloc(((size_t)len + 1) * sizeof(*cps));
	*n = 0;
	while (at < len) {
		if ((k = utf8proc_iterate((const utf8proc_uint8_t *)s + at, len - at, &cps[*n])) <= 0) {
			free(cps);
			return NULL;
		}
		at += k;
		(*n)++;
	}
	return cps;
}

/* S lower-cased as Python's str.lower: simple mappings, plus the two
 * context rules of Unicode's SpecialCasing that apply without a locale
 * (capital I with dot above, final sigma). */
char *unicode_lower(const char *s)
{
	size_t n, len = 0;
	utf8proc_int32_t *cps = code_points(s, &n);
	if (!cps)
		return NULL;
	char *out = xmalloc(8 * n + 1);
	for (size_t i = 0; i < n; i++) {
		utf8proc_int32_t cp = cps[i];
		if (cp == 0x130) { /* İ: i and a combining dot above */
			len += (size_t)utf8proc_encode_char('i', (utf8proc_uint8_t *)out + len);
			cp = 0x307;
		} else if (cp == 0x3A3)
			cp = final_sigma(cps, n, i) ? 0x3C2 : 0x3C3;
		else
			cp = utf8proc_tolower(cp);
		len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out + len);
	}
	out[len] = '\0';
	free(cps);
	return out;
}

char *unicode_lower_nfkc(const char *s)
{
	char *low = unicode_lower(s), *out;
	if (!low)
		return NULL;
	out = (char *)utf8proc_NFKC((const utf8proc_uint8_t *)low);
	free(low);
	return out;
}

char *unicode_casefold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out, UTF8PROC_NULLTERM | UTF8PROC_CASEFOLD) < 0)
		return NULL;
	return (char *)out;
}
