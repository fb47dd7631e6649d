/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming JSON writer against jansson, the oracle: the same bytes as
 * json_dumpb(JSON_COMPACT | JSON_ENSURE_ASCII) for every control character,
 * quotes, backslashes, 2-, 3- and 4-byte UTF-8, and 20,000 random strings
 * (valid or not: both must refuse the same ones). */
#include <jansson.h>
#include <stdlib.h>

#include "core/jsonw.h"
#include "unit.h"

static unsigned long long seed = 88172645463325252ULL;

static unsigned rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)seed;
}

/* jansson's line for {"k": S, "n": 42, "b": true, "z": null}, or NULL. */
static char *oracle(const char *s)
{
	json_t *o = json_pack("{s:s, s:I, s:b, s:n}", "k", s, "n", (json_int_t)42, "b", 1, "z");
	char *out;
	if (!o)
		return NULL;
	out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return out;
}

static int same(struct jw *w, const char *s)
{
	char *want = oracle(s);
	const char *got;
	int ok;
	jw_begin(w);
	jw_str(w, "k", s);
	jw_int(w, "n", 42);
	jw_bool(w, "b", 1);
	jw_str(w, "z", NULL);
	got = jw_text(w);
	ok = (!want && !got) || (want && got && !strcmp(want, got));
	if (!ok)
		fprintf(stderr, "want %s\n got %s\n", want ? want : "(refused)", got ? got : "(refused)");
	free(want);
	return ok;
}

int main(void)
{
	struct jw w = { 0 };
	char s[64];
	static const char *const fixed[] = { "", "plain", "a\"b\\c/d", "\b\f\n\r\t\x01\x1f\x7f", "é ü ß",
					     "\xe2\x82\xac \xe2\x80\xae", "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
					     "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		CHECK(same(&w, fixed[i]));
	for (int c = 1; c < 0x80; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		CHECK(same(&w, s));
	}
	for (int i = 0; i < 20000; i++) {
		int n = (int)(rnd() % 20);
		for (int j = 0; j < n; j++) {
			unsigned r = rnd();
			/* mostly ASCII, some valid multi-byte, some bytes at random */
			s[j] = (char)(r % 4 ? 0x20 + r % 0x60 : 0x80 + r % 0x80);
			if (r % 16 == 1 && j + 2 < n) {
				s[j++] = (char)0xe2;
				s[j++] = (char)0x82;
				s[j] = (char)0xac;
			}
		}
		s[n] = '\0';
		CHECK(same(&w, s));
	}
	jw_free(&w);
	UNIT_END();
}
