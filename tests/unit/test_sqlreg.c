/* SPDX-License-Identifier: Apache-2.0 */
/* The named-SQL loader: every statement exists for both backends of its
 * namespace, uses that backend's placeholder style, profiles never shadow
 * common statements, and unknown names are NULL. */
#include "db/sqlreg.h"
#include "unit.h"

int main(void)
{
	int n = 0;
	for (const struct sql_entry *e = sql_entries; e->name; e++) {
		const char *other = strcmp(e->backend, "postgres") ? "postgres" : "sqlite";
		n++;
		CHECK(sql_lookup(e->ns, other, e->name) != NULL);
		CHECK(sql_lookup(e->ns, e->backend, e->name) == e->text);
		if (strcmp(e->ns, "common")) /* a profile never shadows a common statement */
			CHECK(sql_lookup(NULL, e->backend, e->name) == NULL);
		if (!strcmp(e->backend, "sqlite"))
			CHECK(strstr(e->text, "$1") == NULL);
		else
			CHECK(strstr(e->text, "?1") == NULL);
		if (strcmp(e->module, "migration"))
			CHECK(strchr(e->text, ';') == NULL); /* one statement per name */
	}
	CHECK(n > 20);
	CHECK(sql_lookup("dendrite", "postgres", "no_such_statement") == NULL);
	CHECK(sql_lookup("dendrite", "mysql", "account_get") == NULL);
	CHECK(sql_lookup("dendrite", "postgres", "account_get") != NULL);
	CHECK(sql_lookup("dendrite", "sqlite", "account_insert") != NULL);
	/* a profile's statements are its own; the common ones are everyone's */
	CHECK(sql_lookup(NULL, "sqlite", "account_get") == NULL);
	CHECK(sql_lookup("dendrite", "sqlite", "audit_insert") == sql_lookup(NULL, "sqlite", "audit_insert"));
	CHECK(sql_lookup("nosuch", "sqlite", "tx_begin") != NULL);
	/* fragments are pasted in: no {{name}} is left in any statement */
	for (const struct sql_entry *e = sql_entries; e->name; e++)
		CHECK(strstr(e->text, "{{") == NULL);
	UNIT_END();
}
