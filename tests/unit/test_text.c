/* SPDX-License-Identifier: Apache-2.0 */
/* The user-directory fold (expected values from Python 3.11's
 * unicodedata.normalize("NFKC", s.lower()), what Synapse 1.163.2 indexes)
 * and shell quoting of the lines mxdba prints for admins to run. */
#include <stdlib.h>

#include "core/unicode.h"
#include "core/util.h"
#include "unit.h"

static void fold_is(const char *in, const char *want)
{
	char *got = unicode_lower_nfkc(in);
	CHECK(got != NULL);
	if (got) {
		if (strcmp(got, want))
			fprintf(stderr, "fold(%s) = %s, want %s\n", in, got, want);
		CHECK_STR(got, want);
	}
	free(got);
}

/* Synapse's email local part: Python 3.11's str.casefold (full folding) */
static void casefold_is(const char *in, const char *want)
{
	char *got = unicode_casefold(in);
	CHECK(got != NULL);
	if (got)
		CHECK_STR(got, want);
	free(got);
}

static void quoted_is(const char *in, const char *want)
{
	char *got = sh_quote(in);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	fold_is("plain", "plain");
	fold_is("", "");
	fold_is("\xc3\x89" "COLE \xe2\x85\xab \xc7\x85", "\xc3\xa9" "cole xii d\xc5\xbe");  /* ÉCOLE Ⅻ ǅ */
	fold_is("\xef\xbc\xad\xef\xbd\x81\xef\xbd\x84\xef\xbd\x85", "made");                  /* full-width Made */
	fold_is("\xc4\xb0stanbul", "i\xcc\x87stanbul");                                         /* İ: i + dot above */
	/* ΟΔΥΣΣΕΥΣ ΣΑΣ: final sigma at the end of each word only */
	fold_is("\xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x95\xce\xa5\xce\xa3 \xce\xa3\xce\x91\xce\xa3",
		"\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x82 \xcf\x83\xce\xb1\xcf\x82");
	fold_is("\xce\xa3", "\xcf\x83");      /* Σ alone: not final */
	fold_is("A\xce\xa3.", "a\xcf\x82."); /* a full stop is looked through */
	CHECK(unicode_lower_nfkc("bad \xff utf-8") == NULL);

	casefold_is("Stra\xc3\x9f" "e", "strasse");                          /* Straße */
	casefold_is("\xef\xac\x81" "X", "fix");                             /* ﬁ ligature */
	casefold_is("\xce\xa3\xce\x91\xce\xa3", "\xcf\x83\xce\xb1\xcf\x83"); /* ΣΑΣ: no final sigma */
	CHECK(unicode_casefold("bad \xff utf-8") == NULL);

	quoted_is("plain", "'plain'");
	quoted_is("", "''");
	quoted_is("user='postgres' dbname=x", "'user='\\''postgres'\\'' dbname=x'");
	UNIT_END();
}
