/* SPDX-License-Identifier: Apache-2.0 */
/* Named SQL statements, embedded at build time from sql/<backend>/MODULE.sql
 * (scripts/embed-sql). The only source of SQL text besides BEGIN/COMMIT. */
#ifndef MXDBA_SQLREG_H
#define MXDBA_SQLREG_H

struct sql_entry {
	const char *backend; /* "postgres" or "sqlite" */
	const char *module;  /* file name without .sql */
	const char *name;
	const char *text;
};
extern const struct sql_entry sql_entries[];

/* The statement text for NAME on BACKEND, or NULL if there is none. */
const char *sql_lookup(const char *backend, const char *name);
#endif
