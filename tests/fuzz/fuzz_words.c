/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the batch line word splitter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *tok[MAX_TOKENS];
	int n = 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (split_words(s, tok, MAX_TOKENS, &n) == 0)
		for (int i = 0; i < n; i++)
			if (tok[i] < s || tok[i] > s + size || strlen(tok[i]) > size)
				abort(); /* every word lies inside the line */
	err_clear();
	free(s);
	return 0;
}
