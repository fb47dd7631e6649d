/* SPDX-License-Identifier: Apache-2.0 */
/* Output: aligned tables for people, one JSON object per line for scripts
 * (--json, built with jansson). Tables stream: widths come from the first
 * rows, later rows are printed as they arrive. */
#ifndef MXDBA_OUTPUT_H
#define MXDBA_OUTPUT_H
#include <jansson.h>

extern int g_json;
/* --csv: listings as RFC 4180 CSV (header line, CRLF line ends), streamed. */
extern int g_csv;

/* Set while `mxdba batch` runs its lines: the commands' own output is dropped. */
extern int g_out_muted;
/* Flush stdout after every JSON line (queue apply: a watcher sees each result at once). */
extern int g_out_flush_lines;

struct table;
struct table *table_begin(int ncols, const char *const *headers);
/* CELLS[i] may be NULL (shown as -). Control characters are shown as '?'. */
void table_row(struct table *t, const char *const *cells);
void table_end(struct table *t);
/* table_end, then "N WHAT" on stderr when OK (and not -q). T may be NULL (--json). */
void table_end_count(struct table *t, int ok, long long n, const char *what);

/* Print O as one compact line on stdout and release it. */
/* One JSON line already written (core/jsonw.c), N bytes; NULL: the row had
 * a string that is not valid UTF-8 (an error line is printed instead). */
void out_json_text(const char *text, size_t n);
void out_json(json_t *o);
/* Key/value lines for a single object in human mode: "  key: value". */
void out_kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A plain line on stdout (human mode only; suppressed with --json). */
void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Format Unix milliseconds as UTC "YYYY-MM-DD HH:MM:SS"; "-" for 0. */
const char *fmt_ms(long long ms, char *buf, int n);

/* A progress bar on stderr, only when stderr is a terminal (and not -q). */
struct progress;
struct progress *progress_start(const char *label, long long total);
void progress_tick(struct progress *p, long long done);
void progress_end(struct progress *p);
#endif
