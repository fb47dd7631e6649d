/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the `--from FILE` ID lists (room delete), read as
 * mxdba reads them, each ID checked as a room ID. */
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/idlist.h"
#include "core/mxid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idlist l = { 0 };
	FILE *f = fmemopen((void *)data, size, "r");
	g_verbosity = -1;
	if (!f)
		return 0;
	idlist_read(f, "fuzz", "room_id", roomid_check, &l);
	fclose(f);
	idlist_free(&l);
	err_clear();
	return 0;
}
