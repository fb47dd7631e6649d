/* SPDX-License-Identifier: Apache-2.0 */
/* CSV records (RFC 4180: quotes, doubled quotes, CRLF) read one at a time. */
#ifndef MXDBA_CSV_H
#define MXDBA_CSV_H
#include <stddef.h>
#include <stdio.h>

/* One record from F into FIELDS (at most MAX, each malloc'd). Returns the
 * field count, 0 at EOF, -1 on a malformed record (WHY says what; the rest
 * of its line is skipped). *LINENO advances by the lines it spans. */
int csv_record(FILE *f, char **fields, int max, int *lineno, char *why, size_t whylen);
#endif
