/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny unit-test harness: CHECK records a failure and goes on; main ends
 * with the plain "N passed, N failed" line that tests/unit/run adds up. */
#ifndef MXDBA_UNIT_H
#define MXDBA_UNIT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond)                                                                \
			unit_pass++;                                                     \
		else {                                                                   \
			unit_fail++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

/* A scratch folder under $TMPDIR (tests/unit/run gives each binary its own
 * and removes it afterwards, whatever the binary did). */
static inline char *unit_mkdtemp(const char *prefix)
{
	static char buf[4096];
	const char *t = getenv("TMPDIR");
	snprintf(buf, sizeof(buf), "%s/%s-XXXXXX", t && *t ? t : "/tmp", prefix);
	return mkdtemp(buf);
}

#define UNIT_END()                                                                       \
	do {                                                                             \
		printf("%s: %d passed, %d failed\n", __FILE__, unit_pass, unit_fail);   \
		return unit_fail ? 1 : 0;                                                \
	} while (0)
#endif
