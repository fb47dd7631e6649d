/* Lookup of embedded named statements. */
#include "sqlreg.h"

#include <string.h>

const char *sql_lookup(const char *backend, const char *name)
{
	for (const struct sql_entry *e = sql_entries; e->name; e++)
		if (!strcmp(e->name, name) && !strcmp(e->backend, backend))
			return e->text;
	return NULL;
}
