/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: user and room ID parsing and Dendrite's localpart rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mxid.h"
#include "hs/hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mxid id;
	memcpy(s, data, size);
	s[size] = '\0';
	if (mxid_parse(s, "example.org", &id) == 0) {
		if (strlen(id.localpart) == 0 || strchr(id.localpart, ':'))
			abort(); /* a parsed localpart is never empty and never holds the separator */
		hs_check_new_localpart(NULL, &id); /* Dendrite's rules */
	}
	roomid_check(s);
	err_clear();
	free(s);
	return 0;
}
