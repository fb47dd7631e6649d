/* SPDX-License-Identifier: Apache-2.0 */
/* Reading CSV records (RFC 4180) one at a time, with line numbers for errors. */
#include "csv.h"

#include <stdlib.h>

#include "util.h"

/* One CSV record (RFC 4180: quotes, doubled quotes, CRLF) from F into FIELDS.
 * Returns the field count, 0 at EOF, -1 on a malformed record. *lineno advances. */
int csv_record(FILE *f, char **fields, int max, int *lineno, char *why, size_t whylen)
{
	size_t cap = 256, len = 0;
	char *cur = xmalloc(cap);
	int n = 0, quoted = 0, ch, any = 0, was_quoted = 0;
	(*lineno)++;
	for (;;) {
		ch = fgetc(f);
		if (ch == EOF && !any) {
			free(cur);
			return 0;
		}
		any = 1;
		if (ch == '\0') {
			snprintf(why, whylen, "NUL byte");
			goto bad;
		}
		if (quoted) {
			if (ch == EOF) {
				snprintf(why, whylen, "unterminated quoted field");
				goto bad;
			}
			if (ch == '"') {
				int next = fgetc(f);
				if (next == '"')
					ch = '"';
				else {
					if (next != EOF)
						ungetc(next, f);
					quoted = 0;
					continue;
				}
			} else if (ch == '\n')
				(*lineno)++;
		} else if (ch == '"' && len == 0 && !was_quoted) {
			quoted = was_quoted = 1;
			continue;
		} else if (ch == ',' || ch == '\n' || ch == EOF) {
			if (len > 0 && cur[len - 1] == '\r' && ch != ',')
				len--;
			if (n >= max) {
				snprintf(why, whylen, "more than %d fields", max);
				goto bad;
			}
			cur[len] = '\0';
			fields[n++] = xstrdup(cur);
			len = 0;
			was_quoted = 0;
			if (ch != ',')
				break;
			continue;
		}
		if (len + 2 >= cap) {
			if (cap > 1 << 20) {
				snprintf(why, whylen, "field longer than 1 MiB");
				goto bad;
			}
			cur = xrealloc(cur, cap *= 2);
		}
		cur[len++] = (char)ch;
	}
	free(cur);
	return n;
bad:
	free(cur);
	for (int i = 0; i < n; i++)
		free(fields[i]);
	while (ch != EOF && ch != '\n')
		ch = fgetc(f);
	return -1;
}

