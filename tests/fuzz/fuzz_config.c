/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the INI config parser (through a file, as mxdba reads it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "hs/hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	struct config *c;
	FILE *f;
	if (!path[0])
		snprintf(path, sizeof(path), "%s/mxdba-fuzz-%d.ini", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	if (!(f = fopen(path, "w")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	g_verbosity = -1;
	c = config_parse_file(path, hs_config_hooks());
	if (c) {
		struct hs_component dbs[8];
		int n = hs_databases(c, dbs, 8);
		for (int i = 0; i < n; i++)
			dbconf_free(&dbs[i].conf);
		config_free(c);
	}
	err_clear();
	return 0;
}
