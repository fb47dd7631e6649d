/* SPDX-License-Identifier: Apache-2.0 */
/* Pending-error store and stderr messages. The only place that formats
 * error text for the user. */
#include "err.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int g_verbosity;

static struct {
	int code;
	char msg[2048], detail[2048], hint[1024];
} pending;

static void vset(char *buf, size_t n, const char *fmt, va_list ap)
{
	vsnprintf(buf, n, fmt, ap);
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;
	memset(&pending, 0, sizeof(pending));
	pending.code = code ? code : EX_FAIL;
	va_start(ap, fmt);
	vset(pending.msg, sizeof(pending.msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_detail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(pending.detail, sizeof(pending.detail), fmt, ap);
	va_end(ap);
	return -1;
}

void err_detail_more(const char *text)
{
	size_t n = strlen(pending.detail);
	snprintf(pending.detail + n, sizeof(pending.detail) - n, "%s%s", n ? "; " : "", text);
}

int err_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(pending.hint, sizeof(pending.hint), fmt, ap);
	va_end(ap);
	return -1;
}

void err_prefix(const char *fmt, ...)
{
	char msg[sizeof(pending.msg)];
	size_t n;
	va_list ap;
	if (!pending.code)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, 256, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	memcpy(msg + n, pending.msg, sizeof(msg) - n - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(pending.msg, msg, sizeof(msg));
}

int err_code(void) { return pending.code ? pending.code : EX_FAIL; }
int err_pending(void) { return pending.code != 0; }
void err_clear(void) { memset(&pending, 0, sizeof(pending)); }

void err_print(void)
{
	if (!pending.code)
		return;
	/* messages quote user input: never let it carry control bytes or broken UTF-8 to a terminal */
	text_sanitize(pending.msg);
	text_sanitize(pending.detail);
	text_sanitize(pending.hint);
	if (out_color(2))
		fprintf(stderr, "mxdba: \033[1;31merror:\033[0m %s\n", pending.msg);
	else
		fprintf(stderr, "mxdba: error: %s\n", pending.msg);
	if (pending.detail[0])
		fprintf(stderr, "DETAIL: %s\n", pending.detail);
	if (pending.hint[0])
		fprintf(stderr, "HINT: %s\n", pending.hint);
	fflush(stderr);
	err_clear();
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fputs(prefix, stderr);
	fputs(text_sanitize(buf), stderr);
	fputc('\n', stderr);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg(out_color(2) ? "mxdba: \033[1;33mwarning:\033[0m " : "mxdba: warning: ", fmt, ap);
	va_end(ap);
}

void infox(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("mxdba: ", fmt, ap);
	va_end(ap);
}

void debugx(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("mxdba: debug: ", fmt, ap);
	va_end(ap);
}
