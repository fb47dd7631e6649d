/* SPDX-License-Identifier: Apache-2.0 */
/* Lookup of embedded named statements: a hash of (backend, name), built on
 * first use. A batch looks statements up hundreds of thousands of times. */
#include "sqlreg.h"

#include <stdint.h>
#include <string.h>

#define SLOTS 1024 /* a power of two, well above the number of statements */

static uint32_t hash(const char *backend, const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = backend; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

const char *sql_lookup(const char *backend, const char *name)
{
	static const struct sql_entry *slot[SLOTS];
	static int built, overflow;
	uint32_t i;
	if (!built) {
		int n = 0;
		for (const struct sql_entry *e = sql_entries; e->name; e++)
			n++;
		overflow = n > SLOTS / 2; /* not with today's ~150 statements; then the plain search */
		for (const struct sql_entry *e = sql_entries; e->name && !overflow; e++) {
			for (i = hash(e->backend, e->name) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
				;
			slot[i] = e;
		}
		built = 1;
	}
	if (overflow) {
		for (const struct sql_entry *e = sql_entries; e->name; e++)
			if (!strcmp(e->name, name) && !strcmp(e->backend, backend))
				return e->text;
		return NULL;
	}
	for (i = hash(backend, name) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
		if (!strcmp(slot[i]->name, name) && !strcmp(slot[i]->backend, backend))
			return slot[i]->text;
	return NULL;
}
