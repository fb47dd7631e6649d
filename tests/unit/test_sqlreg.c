/* SPDX-License-Identifier: Apache-2.0 */
/* The named-SQL loader: every statement exists for both backends, uses
 * that backend's placeholder style, and unknown names are NULL. */
#include "db/sqlreg.h"
#include "unit.h"

int main(void)
{
	int n = 0;
	for (const struct sql_entry *e = sql_entries; e->name; e++) {
		const char *other = strcmp(e->backend, "postgres") ? "postgres" : "sqlite";
		n++;
		CHECK(sql_lookup(other, e->name) != NULL);
		CHECK(sql_lookup(e->backend, e->name) == e->text);
		if (!strcmp(e->backend, "sqlite"))
			CHECK(strstr(e->text, "$1") == NULL);
		else
			CHECK(strstr(e->text, "?1") == NULL);
		if (strcmp(e->module, "migration"))
			CHECK(strchr(e->text, ';') == NULL); /* one statement per name */
	}
	CHECK(n > 20);
	CHECK(sql_lookup("postgres", "no_such_statement") == NULL);
	CHECK(sql_lookup("mysql", "account_get") == NULL);
	CHECK(sql_lookup("postgres", "account_get") != NULL);
	CHECK(sql_lookup("sqlite", "account_insert") != NULL);
	UNIT_END();
}
