/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the homeserver's own config as mxdba reads it through
 * its mxdba.ini. The first byte picks the shape: 0 dendrite.yaml, 1
 * homeserver.yaml alone, 2 homeserver.yaml and a conf.d file merged after
 * it (the rest split at the first line "%%"). Files under $TMPDIR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "hs/hs.h"

static char dir[4000];

static int put(const char *name, const uint8_t *data, size_t size)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "w")))
		return -1;
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ini[3] = {
		"[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n",
		"[homeserver]\ntype = synapse\nsynapse_config = homeserver.yaml\n",
		"[homeserver]\ntype = synapse\nsynapse_config = homeserver.yaml,conf.d\n",
	};
	char path[4096];
	struct config *c;
	int shape;
	size_t first = size ? size - 1 : 0;
	if (!size)
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/mxdba-fuzz-yaml-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 (int)getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/conf.d", dir);
		mkdir(path, 0700);
	}
	shape = data[0] % 3;
	data++;
	size--;
	if (shape == 2) {
		const uint8_t *cut = memmem(data, size, "\n%%\n", 4);
		first = cut ? (size_t)(cut - data) + 1 : size;
	} else
		first = size;
	if (put(shape == 0 ? "dendrite.yaml" : "homeserver.yaml", data, first) < 0 ||
	    put("conf.d/50-extra.yaml", shape == 2 && first + 3 <= size ? data + first + 3 : data,
		shape == 2 && first + 3 <= size ? size - first - 3 : 0) < 0 ||
	    put("mxdba.ini", (const uint8_t *)ini[shape], strlen(ini[shape])) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/mxdba.ini", dir);
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
