/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the INI config parser (through a file, as mxdba reads it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct config *c;
	FILE *f;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/mxdba-fuzz-%d.ini", (int)getpid());
	if (!(f = fopen(path, "w")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	g_verbosity = -1;
	c = config_parse_file(path);
	if (c) {
		struct dbconf dc;
		for (int i = 0; i < COMP_COUNT; i++)
			if (config_db(c, (enum component)i, &dc) == 0)
				dbconf_free(&dc);
		config_free(c);
	}
	err_clear();
	return 0;
}
