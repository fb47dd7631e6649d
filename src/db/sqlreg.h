/* SPDX-License-Identifier: Apache-2.0 */
/* Named SQL statements, embedded at build time (scripts/embed-sql) from
 * sql/NAMESPACE/BACKEND/MODULE.sql: NAMESPACE "common" holds mxdba's own
 * tables and the connection itself, a homeserver profile's name ("dendrite")
 * its tables. The only source of SQL text besides BEGIN/COMMIT. */
#ifndef MXDBA_SQLREG_H
#define MXDBA_SQLREG_H

struct sql_entry {
	const char *ns;      /* "common", or a homeserver profile: "dendrite" */
	const char *backend; /* "postgres" or "sqlite" */
	const char *module;  /* file name without .sql ("migration" for migrations) */
	const char *name;
	const char *text;
};
extern const struct sql_entry sql_entries[];

/* The statement NAME for BACKEND: NS's own if it has one, else the common
 * one; NULL if neither exists. NS may be NULL (common only). */
const char *sql_lookup(const char *ns, const char *backend, const char *name);
/* Is E one of mxdba's own migrations (migrations/BACKEND/) for BACKEND? */
int sql_is_migration(const struct sql_entry *e, const char *backend);
#endif
