/* Human and JSON output. Never prints secrets; callers pass only what may be shown. */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "util.h"

int g_json;
int g_out_muted;
int g_out_flush_lines;

#define BUFFERED_ROWS 200

struct table {
	int ncols;
	int *width;
	char **head;
	char ***rows;
	int nrows;
	int flushed;
};

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
	t->width = xcalloc((size_t)ncols, sizeof(int));
	t->head = xcalloc((size_t)ncols, sizeof(char *));
	t->rows = xcalloc(BUFFERED_ROWS, sizeof(char **));
	for (int i = 0; i < ncols; i++) {
		t->head[i] = clean(headers[i]);
		t->width[i] = dwidth(t->head[i]);
	}
	return t;
}

static void print_row(const struct table *t, char *const *cells)
{
	for (int i = 0; i < t->ncols; i++) {
		int pad = t->width[i] - dwidth(cells[i]);
		fputs(cells[i], stdout);
		if (i + 1 < t->ncols)
			printf("%*s  ", pad > 0 ? pad : 0, "");
	}
	fputc('\n', stdout);
}

static void flush_buffer(struct table *t)
{
	print_row(t, t->head);
	for (int r = 0; r < t->nrows; r++) {
		print_row(t, t->rows[r]);
		for (int i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	t->nrows = 0;
	t->flushed = 1;
}

void table_row(struct table *t, const char *const *cells)
{
	char **row = xcalloc((size_t)t->ncols, sizeof(char *));
	for (int i = 0; i < t->ncols; i++) {
		row[i] = clean(cells[i]);
		if (!t->flushed && dwidth(row[i]) > t->width[i])
			t->width[i] = dwidth(row[i]);
	}
	if (t->flushed) {
		print_row(t, row);
		for (int i = 0; i < t->ncols; i++)
			free(row[i]);
		free(row);
		return;
	}
	t->rows[t->nrows++] = row;
	if (t->nrows == BUFFERED_ROWS)
		flush_buffer(t);
}

void table_end(struct table *t)
{
	if (!t)
		return;
	if (!t->flushed)
		flush_buffer(t);
	for (int i = 0; i < t->ncols; i++)
		free(t->head[i]);
	free(t->head);
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

void out_json(json_t *o)
{
	if (!o) {
		/* jansson refuses strings that are not UTF-8: say so instead of losing the row quietly */
		if (!g_out_muted) {
			fputs("{\"error\":\"a value in this row is not valid UTF-8; see the human output\"}\n", stdout);
			fflush(stdout);
		}
		return;
	}
	if (g_out_muted) {
		json_decref(o);
		return;
	}
	json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
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
