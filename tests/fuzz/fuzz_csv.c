/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: `user import`'s CSV as mxdba reads it: records one at
 * a time (quotes, doubled quotes, CRLF), the first as the header, every
 * other line's fields checked as the command checks them before it asks
 * the database anything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/err.h"
#include "core/importrow.h"

#define MAX_FIELDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fields[MAX_FIELDS], why[300];
	int map[C_COUNT], lineno = 0, nf, have_header = 0;
	FILE *f = fmemopen((void *)data, size, "r");
	g_verbosity = -1;
	if (!f)
		return 0;
	while ((nf = csv_record(f, fields, MAX_FIELDS, &lineno, why, sizeof(why))) != 0) {
		if (nf < 0)
			continue; /* refused line: the reader skipped the rest of it */
		if (nf > MAX_FIELDS)
			abort();
		if (!have_header)
			have_header = import_header(fields, nf, map, why, sizeof(why)) == 0;
		else {
			const char *v[C_COUNT];
			struct import_values out;
			for (int k = 0; k < C_COUNT; k++)
				v[k] = map[k] >= 0 && map[k] < nf ? fields[map[k]] : "";
			import_check(v, "example.org", 8, 512, &out, why, sizeof(why));
		}
		for (int i = 0; i < nf; i++)
			free(fields[i]);
		if (!have_header)
			break;
	}
	fclose(f);
	err_clear();
	return 0;
}
