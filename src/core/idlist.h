/* SPDX-License-Identifier: Apache-2.0 */
/* The ID lists of `--from FILE` (room delete): one ID a line, as an admin
 * writes them by hand or `jq -r .room_id` prints them; a JSON object line
 * (the lines `report rooms --json` prints) gives its KEY member. Blank
 * lines and lines starting with # are skipped, blanks around an ID
 * trimmed. Bounded: IDLIST_MAX_LINE bytes a line, IDLIST_MAX_IDS IDs. */
#ifndef MXDBA_IDLIST_H
#define MXDBA_IDLIST_H
#include <stdio.h>

#define IDLIST_MAX_LINE 4096
#define IDLIST_MAX_IDS 1000000

struct idlist {
	char **ids;
	size_t n, cap;
};

/* Append the IDs of F (named NAME in errors) to L, each checked with
 * CHECK (0 good, -1 + error); a JSON line's member KEY. 0, or -1 + an
 * EX_USAGE error naming the file and line. */
int idlist_read(FILE *f, const char *name, const char *key, int (*check)(const char *), struct idlist *l);
void idlist_add(struct idlist *l, const char *id);
void idlist_free(struct idlist *l);
#endif
