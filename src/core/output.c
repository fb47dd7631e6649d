/* SPDX-License-Identifier: Apache-2.0 */
/* Human and JSON output. Never prints secrets; callers pass only what may be shown. */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "util.h"

int g_json;
int g_csv;
int g_out_muted;
int g_out_flush_lines;

#define BUFFERED_ROWS 200

#define MIN_COL 6 /* narrowest a column is squeezed to on a narrow terminal */

struct table {
	int ncols;
	int *width;
	int *maxw; /* truncate cells beyond this (terminal width); 0 = no limit */
	char **head;
	char ***rows;
	int nrows;
	int flushed;
};

static int stdout_is_tty(void)
{
	static int cached = -1;
	if (cached < 0)
		cached = isatty(1);
	return cached;
}

/* Columns of the terminal on stdout; 0 when stdout is not a terminal. */
static int term_cols(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	if (!stdout_is_tty())
		return 0;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && atoi(env) > 0)
		return atoi(env);
	return 0;
}

/* RFC 4180: quote when needed, double the quotes. Raw data (scripts read it);
 * control characters are only made safe when a terminal would see them. */
static void csv_cell(const char *s, int last)
{
	char *owned = NULL;
	if (!s)
		s = "";
	if (stdout_is_tty() && !text_is_clean(s))
		s = owned = text_sanitize(xstrdup(s));
	if (strpbrk(s, ",\"\r\n") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' '))) {
		fputc('"', stdout);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', stdout);
			fputc(*s, stdout);
		}
		fputc('"', stdout);
	} else
		fputs(s, stdout);
	fputs(last ? "\r\n" : ",", stdout);
	free(owned);
}

static void csv_row(int ncols, const char *const *cells)
{
	for (int i = 0; i < ncols; i++)
		csv_cell(cells[i], i + 1 == ncols);
}

static char *clean(const char *s)
{
	return text_sanitize(xstrdup(s ? s : "-"));
}

/* Display width: count UTF-8 lead bytes only. */
static int dwidth(const char *s)
{
	int w = 0;
	for (; *s; s++)
		if ((*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct table *table_begin(int ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	if (g_csv) {
		t->flushed = 1;
		if (!g_out_muted)
			for (int i = 0; i < ncols; i++) {
				/* "CREATED (UTC)" -> created_utc: names a script can rely on */
				char name[64];
				int n = 0, gap = 0;
				for (const char *h = headers[i]; *h && n < (int)sizeof(name) - 1; h++) {
					if ((*h >= 'A' && *h <= 'Z') || (*h >= 'a' && *h <= 'z') || (*h >= '0' && *h <= '9')) {
						if (gap && n)
							name[n++] = '_';
						name[n++] = (char)(*h >= 'A' && *h <= 'Z' ? *h + 32 : *h);
						gap = 0;
					} else
						gap = 1;
				}
				name[n] = 0;
				csv_cell(name, i + 1 == ncols);
			}
		return t;
	}
	t->width = xcalloc((size_t)ncols, sizeof(int));
	t->maxw = xcalloc((size_t)ncols, sizeof(int));
	t->head = xcalloc((size_t)ncols, sizeof(char *));
	t->rows = xcalloc(BUFFERED_ROWS, sizeof(char **));
	for (int i = 0; i < ncols; i++) {
		t->head[i] = clean(headers[i]);
		t->width[i] = dwidth(t->head[i]);
	}
	return t;
}

/* Cut S to W display columns, the last one an ellipsis. */
static char *truncate_cell(char *s, int w)
{
	int n = 0;
	char *p = s, *cut = NULL;
	if (w <= 0 || dwidth(s) <= w)
		return s;
	for (; *p; p++)
		if ((*p & 0xc0) != 0x80 && ++n == w) {
			cut = p;
			break;
		}
	if (!cut)
		return s;
	{
		size_t at = (size_t)(cut - s);
		s = xrealloc(s, at + 4);
		memcpy(s + at, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
	}
	return s;
}

/* The length of S if every byte is printable ASCII (so its width too), else -1. */
static int ascii_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return -1;
	return (int)(p - (const unsigned char *)s);
}

static void put_spaces(int n)
{
	static const char sp[] = "                                                                ";
	while (n > 0) {
		int k = n < (int)sizeof(sp) - 1 ? n : (int)sizeof(sp) - 1;
		fwrite_unlocked(sp, 1, (size_t)k, stdout);
		n -= k;
	}
}

/* One table line (HEAD: the header, bold on a terminal). Cells are printed
 * as they are when clean and within their column's limit, and copied only
 * when they must change; the first 200 rows come cleaned from the buffer,
 * later ones straight from the caller. */
static void print_row(const struct table *t, const char *const *cells, int head)
{
	int color = head && out_color(1);
	if (color)
		fputs("\033[1m", stdout);
	for (int i = 0; i < t->ncols; i++) {
		const char *v = cells[i] ? cells[i] : "-";
		char *owned = NULL;
		int w = ascii_len(v);
		size_t len = (size_t)w;
		/* the common case in one pass: printable ASCII (as wide as long) that fits */
		if (w < 0 || (t->maxw[i] && w > t->maxw[i])) {
			if (!text_is_clean(v))
				v = owned = text_sanitize(xstrdup(v));
			w = dwidth(v);
			if (t->maxw[i] && w > t->maxw[i]) {
				if (!owned)
					v = owned = xstrdup(v);
				v = owned = truncate_cell(owned, t->maxw[i]);
				w = dwidth(v);
			}
			len = strlen(v);
		}
		fwrite_unlocked(v, 1, len, stdout);
		if (i + 1 < t->ncols)
			put_spaces((t->width[i] - w > 0 ? t->width[i] - w : 0) + 2);
		free(owned);
	}
	if (color)
		fputs("\033[0m", stdout);
	putc_unlocked('\n', stdout);
}

/* On a terminal, squeeze the last column, then the widest ones, until a
 * line fits; the last column gets what is left. Widths come from the
 * buffered rows. */
static void fit_to_terminal(struct table *t)
{
	int cols = term_cols(), total = 0, last = t->ncols - 1;
	if (cols <= 0)
		return;
	for (int i = 0; i < t->ncols; i++)
		total += t->width[i] + (i < last ? 2 : 0);
	/* the last column (free text: names, messages) gives way first */
	while (total > cols && t->width[last] > MIN_COL) {
		t->width[last]--;
		t->maxw[last] = t->width[last];
		total--;
	}
	while (total > cols) {
		int widest = -1;
		for (int i = 0; i < t->ncols; i++)
			if (t->width[i] > MIN_COL && (widest < 0 || t->width[i] > t->width[widest]))
				widest = i;
		if (widest < 0)
			break;
		t->width[widest]--;
		t->maxw[widest] = t->width[widest];
		total--;
	}
	if (total - t->width[last] < cols)
		t->maxw[last] = cols - (total - t->width[last]);
	if (t->maxw[last] && t->maxw[last] < MIN_COL)
		t->maxw[last] = MIN_COL;
}

static void flush_buffer(struct table *t)
{
	fit_to_terminal(t);
	if (!g_out_muted)
		print_row(t, (const char *const *)t->head, 1);
	for (int r = 0; r < t->nrows; r++) {
		if (!g_out_muted)
			print_row(t, (const char *const *)t->rows[r], 0);
		for (int i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	t->nrows = 0;
	t->flushed = 1;
}

void table_row(struct table *t, const char *const *cells)
{
	char **row;
	if (g_csv) {
		if (!g_out_muted)
			csv_row(t->ncols, cells);
		return;
	}
	if (t->flushed) {
		if (!g_out_muted)
			print_row(t, cells, 0);
		return;
	}
	row = xcalloc((size_t)t->ncols, sizeof(char *));
	for (int i = 0; i < t->ncols; i++) {
		row[i] = clean(cells[i]);
		if (dwidth(row[i]) > t->width[i])
			t->width[i] = dwidth(row[i]);
	}
	t->rows[t->nrows++] = row;
	if (t->nrows == BUFFERED_ROWS)
		flush_buffer(t);
}

void table_end(struct table *t)
{
	if (!t)
		return;
	if (g_csv) {
		free(t);
		fflush(stdout);
		return;
	}
	if (!t->flushed)
		flush_buffer(t);
	for (int i = 0; i < t->ncols; i++)
		free(t->head[i]);
	free(t->head);
	free(t->maxw);
	free(t->width);
	free(t->rows);
	free(t);
	fflush(stdout);
}

void table_end_count(struct table *t, int ok, long long n, const char *what)
{
	if (!t)
		return;
	table_end(t);
	if (ok && g_verbosity >= 0)
		fprintf(stderr, "%lld %s\n", n, what);
}

/* A row that cannot be JSON: said instead of lost quietly. */
static void bad_utf8_row(void)
{
	if (!g_out_muted) {
		fputs("{\"error\":\"a value in this row is not valid UTF-8; see the human output\"}\n", stdout);
		fflush(stdout);
	}
}

void out_json_text(const char *text, size_t n)
{
	if (!text) {
		bad_utf8_row();
		return;
	}
	if (g_out_muted)
		return;
	fwrite_unlocked(text, 1, n, stdout);
	putc_unlocked('\n', stdout);
	if (g_out_flush_lines)
		fflush(stdout);
}

void out_json(json_t *o)
{
	if (!o) {
		/* jansson refuses strings that are not UTF-8 */
		bad_utf8_row();
		return;
	}
	if (g_out_muted) {
		json_decref(o);
		return;
	}
	{
		/* json_dumpf writes token by token (an fwrite each): dump into a buffer, write once */
		char stack[4096], *buf = stack;
		size_t n = json_dumpb(o, stack, sizeof(stack), JSON_COMPACT | JSON_ENSURE_ASCII);
		if (n > sizeof(stack)) {
			buf = xmalloc(n);
			n = json_dumpb(o, buf, n, JSON_COMPACT | JSON_ENSURE_ASCII);
		}
		fwrite_unlocked(buf, 1, n, stdout);
		putc_unlocked('\n', stdout);
		if (buf != stack)
			free(buf);
	}
	json_decref(o);
	if (g_out_flush_lines)
		fflush(stdout); /* listings stay block-buffered: a million rows, not a million writes */
}

void out_kv(const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;
	if (g_json || g_out_muted)
		return;
	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	if (v) {
		char *c = clean(v);
		printf("  %-16s %s\n", key, c);
		free(c);
		free(v);
	}
}

void out_line(const char *fmt, ...)
{
	va_list ap;
	if (g_json || g_out_muted)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

const char *fmt_ms(long long ms, char *buf, int n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, (size_t)n, "-");
		return buf;
	}
	strftime(buf, (size_t)n, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

struct progress {
	const char *label;
	long long total, done;
	long long start_ms, last_ms;
};

struct progress *progress_start(const char *label, long long total)
{
	struct progress *p;
	if (!isatty(2) || g_verbosity < 0 || total <= 0)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->label = label;
	p->total = total;
	p->start_ms = p->last_ms = now_ms();
	return p;
}

static void progress_draw(struct progress *p, long long now)
{
	int width = 30, filled = (int)(p->done * width / p->total);
	double secs = (double)(now - p->start_ms) / 1000.0;
	fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld  %.0f/s ", p->label, filled, "##############################",
		width - filled, "", p->done, p->total, secs > 0 ? (double)p->done / secs : 0.0);
	fflush(stderr);
}

void progress_tick(struct progress *p, long long done)
{
	long long now;
	if (!p)
		return;
	p->done = done > p->total ? p->total : done;
	now = now_ms();
	if (now - p->last_ms >= 100) {
		p->last_ms = now;
		progress_draw(p, now);
	}
}

void progress_end(struct progress *p)
{
	if (!p)
		return;
	progress_draw(p, now_ms());
	fputc('\n', stderr);
	free(p);
}
