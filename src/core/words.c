/* SPDX-License-Identifier: Apache-2.0 */
/* Batch line word splitting. Pure: no I/O, no allocation. */
#include "words.h"

#include "err.h"

int split_words(char *line, char **tok, int max, int *n)
{
	char *p = line, *out;
	*n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			return 0;
		if (*n >= max)
			return err_set(EX_USAGE, "more than %d words", max);
		tok[(*n)++] = out = p;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					*out++ = *p++;
				}
				if (*p != q)
					return err_set(EX_USAGE, "unterminated %c quote", q);
				p++;
			} else
				*out++ = *p++;
		}
		if (*p)
			p++;
		*out = '\0';
	}
}
