/* SPDX-License-Identifier: Apache-2.0 */
/* Lookup of embedded named statements: a hash of (namespace, backend, name),
 * built on first use. A batch looks statements up hundreds of thousands of times. */
#include "sqlreg.h"

#include <stdint.h>
#include <string.h>

#define SLOTS 1024 /* a power of two, well above the number of statements */

static uint32_t mix(uint32_t h, const char *s)
{
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u; /* FNV-1a */
	return (h ^ '/') * 16777619u;
}

static uint32_t hash(const char *ns, const char *backend, const char *name)
{
	return mix(mix(mix(2166136261u, ns), backend), name);
}

static int same(const struct sql_entry *e, const char *ns, const char *backend, const char *name)
{
	return !strcmp(e->name, name) && !strcmp(e->backend, backend) && !strcmp(e->ns, ns);
}

static const struct sql_entry *find(const char *ns, const char *backend, const char *name)
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
			for (i = hash(e->ns, e->backend, e->name) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
				;
			slot[i] = e;
		}
		built = 1;
	}
	if (overflow) {
		for (const struct sql_entry *e = sql_entries; e->name; e++)
			if (same(e, ns, backend, name))
				return e;
		return NULL;
	}
	for (i = hash(ns, backend, name) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
		if (same(slot[i], ns, backend, name))
			return slot[i];
	return NULL;
}

const char *sql_lookup(const char *ns, const char *backend, const char *name)
{
	const struct sql_entry *e = ns ? find(ns, backend, name) : NULL;
	if (!e)
		e = find("common", backend, name);
	return e ? e->text : NULL;
}

int sql_is_migration(const struct sql_entry *e, const char *backend)
{
	return !strcmp(e->ns, "common") && !strcmp(e->module, "migration") && !strcmp(e->backend, backend);
}
