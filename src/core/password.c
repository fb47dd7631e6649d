/* SPDX-License-Identifier: Apache-2.0 */
/* Password input and hashing. Buffers that hold a password come from
 * sodium_malloc (locked, guarded) and are wiped on free. */
#include "password.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
#include <utf8proc.h>

#include "err.h"
#include "output.h"
#include "util.h"

#define PW_BUF 1024 /* longest line read; longer input is refused */

int pw_init(void)
{
	struct rlimit rl = { 0, 0 };
	if (sodium_init() < 0)
		return err_set(EX_FAIL, "libsodium failed to initialise");
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

void pw_free(char *pw)
{
	if (pw)
		sodium_free(pw); /* wipes before freeing */
}

static char *secure_buf(void)
{
	char *b = sodium_malloc(PW_BUF);
	if (!b)
		err_set(EX_FAIL, "cannot allocate locked memory for the password");
	else
		sodium_memzero(b, PW_BUF);
	return b;
}

/* Read one line from FD into B (no stdio: nothing is left in a FILE buffer). */
static int read_line(int fd, char *b, const char *what)
{
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(EX_USAGE, "cannot read the password from %s: %s", what, strerror(errno));
		if (r == 0 || ch == '\n')
			break;
		if (ch == '\0')
			return err_set(EX_USAGE, "the password from %s contains a NUL byte", what);
		if (n >= PW_BUF - 1)
			return err_set(EX_USAGE, "the password from %s is longer than %d bytes", what, PW_BUF - 2);
		b[n++] = ch;
	}
	if (n > 0 && b[n - 1] == '\r')
		n--;
	b[n] = '\0';
	return 0;
}

/* The terminal while a password is typed. Echo goes off before the prompt is
 * written and comes back after the last line is read, and the modes change
 * with TCSANOW, which discards nothing: a password typed or pasted as soon as
 * the prompt shows is neither echoed nor lost (TCSAFLUSH after the prompt did
 * both). A signal that ends or stops the process puts the old modes back
 * first. Typeahead from before mxdba started was echoed by the terminal
 * itself, as for every program; it is kept as the first line. */
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define TTY_NSIG ((int)ARRAY_LEN(tty_signals))
static struct {
	int fd;
	struct termios old, quiet;
	struct sigaction saved[ARRAY_LEN(tty_signals)];
} tty = { .fd = -1 };

static void tty_on_signal(int sig)
{
	int saved_errno = errno, i;
	sigset_t set;
	tcsetattr(tty.fd, TCSANOW, &tty.old);
	for (i = 0; i < TTY_NSIG && tty_signals[i] != sig; i++)
		;
	if (sig != SIGTSTP) {
		/* the old disposition, then the signal again: it is delivered
		 * when this handler returns, as if mxdba had not caught it */
		sigaction(sig, &tty.saved[i], NULL);
		raise(sig);
		errno = saved_errno;
		return;
	}
	/* Ctrl-Z: stop with the terminal as it was, go quiet again on resume */
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGTSTP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGTSTP, tty_on_signal);
	tcsetattr(tty.fd, TCSANOW, &tty.quiet);
	errno = saved_errno;
}

/* Open the terminal and turn echo off (nothing written yet). */
static int tty_quiet(void)
{
	struct sigaction sa;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err_set(EX_USAGE, "no terminal to ask for the password");
		return err_hint("use --password-stdin, --password-file FILE or --random-password");
	}
	if (tcgetattr(fd, &tty.old) < 0) {
		close(fd);
		return err_set(EX_USAGE, "cannot turn off echo on the terminal: %s", strerror(errno));
	}
	tty.quiet = tty.old;
	tty.quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tty.quiet.c_lflag |= ICANON;
	tty.fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < TTY_NSIG; i++)
		sigaction(tty_signals[i], &sa, &tty.saved[i]);
	if (tcsetattr(fd, TCSANOW, &tty.quiet) < 0) {
		int e = errno;
		for (int i = 0; i < TTY_NSIG; i++)
			sigaction(tty_signals[i], &tty.saved[i], NULL);
		close(fd);
		tty.fd = -1;
		return err_set(EX_USAGE, "cannot turn off echo on the terminal: %s", strerror(e));
	}
	return 0;
}

/* Echo back as it was, the signals as they were, the terminal closed. */
static void tty_restore(void)
{
	if (tty.fd < 0)
		return;
	tcsetattr(tty.fd, TCSANOW, &tty.old);
	for (int i = 0; i < TTY_NSIG; i++)
		sigaction(tty_signals[i], &tty.saved[i], NULL);
	close(tty.fd);
	tty.fd = -1;
}

/* Write PROMPT, read one line into B, end the line the user could not see. */
static int tty_ask(const char *prompt, char *b)
{
	int rc;
	if (write(tty.fd, prompt, strlen(prompt)) < 0)
		return err_set(EX_USAGE, "cannot write to the terminal: %s", strerror(errno));
	rc = read_line(tty.fd, b, "the terminal");
	if (write(tty.fd, "\n", 1) < 0 && rc == 0)
		rc = err_set(EX_USAGE, "cannot write to the terminal: %s", strerror(errno));
	return rc;
}

/* A password from the terminal, asked twice when CONFIRM. */
static char *prompt_password(const char *prompt, int confirm)
{
	char *b = secure_buf(), *again = NULL;
	if (!b)
		return NULL;
	if (confirm && !(again = secure_buf()))
		goto fail;
	if (tty_quiet() < 0)
		goto fail;
	if (tty_ask(prompt, b) < 0 || (confirm && tty_ask("Again: ", again) < 0)) {
		tty_restore();
		goto fail;
	}
	tty_restore();
	if (confirm && strcmp(b, again)) {
		err_set(EX_USAGE, "the two passwords do not match");
		err_hint("run the command again");
		goto fail;
	}
	pw_free(again);
	return b;
fail:
	pw_free(again);
	pw_free(b);
	return NULL;
}

static char *random_password(void)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	char *b = secure_buf();
	if (!b)
		return NULL;
	for (int i = 0; i < 24; i++)
		b[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	b[24] = '\0';
	return b;
}

char *pw_read(enum pw_source src, const char *file, int confirm, const char *prompt)
{
	char *b;
	int fd;
	switch (src) {
	case PW_RANDOM:
		return random_password();
	case PW_STDIN:
		if (isatty(0)) {
			err_set(EX_USAGE, "--password-stdin given but standard input is a terminal");
			err_hint("pipe the password in (printf '%%s\\n' \"$PW\" | mxdba …), or leave out --password-stdin to be prompted");
			return NULL;
		}
		if (!(b = secure_buf()))
			return NULL;
		if (read_line(0, b, "standard input") < 0)
			goto fail;
		return b;
	case PW_FILE:
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_set(EX_USAGE, "cannot open password file %s: %s", file, strerror(errno));
			return NULL;
		}
		if (!(b = secure_buf())) {
			close(fd);
			return NULL;
		}
		if (read_line(fd, b, file) < 0) {
			close(fd);
			goto fail;
		}
		close(fd);
		return b;
	case PW_PROMPT:
		return prompt_password(prompt ? prompt : "Password: ", confirm);
	case PW_NONE:
	case PW_HASH:
		break;
	}
	err_set(EX_FAIL, "internal: no password source");
	return NULL;
fail:
	pw_free(b);
	return NULL;
}

/* Unicode characters in valid UTF-8 S (bytes otherwise). */
static size_t characters(const char *s)
{
	size_t n = 0;
	utf8proc_int32_t cp;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s), at = 0, k;
	while (at < len && (k = utf8proc_iterate((const utf8proc_uint8_t *)s + at, len - at, &cp)) > 0) {
		at += k;
		n++;
	}
	return at == len ? n : strlen(s);
}

/* The first rule of S's policy PW breaks, or NULL. */
static const char *policy_broken(const struct pw_scheme *s, const char *pw)
{
	int digit = 0, symbol = 0, lower = 0, upper = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
		digit |= *p >= '0' && *p <= '9';
		lower |= *p >= 'a' && *p <= 'z';
		upper |= *p >= 'A' && *p <= 'Z';
		symbol |= !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
	}
	if (s->need_digit && !digit)
		return "at least one digit";
	if (s->need_symbol && !symbol)
		return "at least one symbol";
	if (s->need_lower && !lower)
		return "at least one lowercase letter";
	if (s->need_upper && !upper)
		return "at least one uppercase letter";
	return NULL;
}

int pw_check_new(const struct pw_scheme *s, const char *pw)
{
	size_t n = s->chars ? characters(pw) : strlen(pw);
	const char *unit = s->chars ? "characters" : "bytes", *broken;
	if (s->disabled) {
		err_set(EX_REFUSED, "%s does not take password logins: %s", s->server, s->disabled);
		return err_hint("log in the way the homeserver is configured for, or change its config first");
	}
	if (n < s->min) {
		err_set(EX_USAGE, "password is %zu %s; %s requires at least %zu", n, unit, s->server, s->min);
		return err_hint("choose a longer password, or use --random-password");
	}
	if (n > s->max) {
		err_set(EX_USAGE, "password is %zu %s; at most %zu can be hashed", n, unit, s->max);
		return err_detail("%s", s->max_detail);
	}
	if ((broken = policy_broken(s, pw))) {
		err_set(EX_USAGE, "the password needs %s", broken);
		err_detail("the password policy in %s", s->policy_source ? s->policy_source : "the homeserver's config");
		return err_hint("choose another password, or use --random-password");
	}
	return 0;
}

/* What bcrypt gets for PW under S: NFKC, the pepper, at most 72 bytes; in
 * locked memory (free with pw_free), or NULL + error. */
static char *prepared(const struct pw_scheme *s, const char *pw)
{
	char *norm = NULL, *out;
	size_t n, np = s->pepper ? strlen(s->pepper) : 0;
	if (s->nfkc) {
		norm = (char *)utf8proc_NFKC((const utf8proc_uint8_t *)pw);
		if (!norm) {
			err_set(EX_USAGE, "the password is not valid UTF-8");
			return NULL;
		}
		pw = norm;
	}
	n = strlen(pw);
	if (!(out = sodium_malloc(n + np + 1))) {
		err_set(EX_FAIL, "cannot allocate locked memory for the password");
	} else {
		memcpy(out, pw, n);
		if (np)
			memcpy(out + n, s->pepper, np);
		out[n + np > 72 ? 72 : n + np] = '\0';
	}
	if (norm) {
		sodium_memzero(norm, strlen(norm));
		free(norm);
	}
	return out;
}

int bcrypt_hash(const char *pw, const char *prefix, int cost, char *out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = 0;
	if (!crypt_gensalt_rn(prefix, cost, NULL, 0, setting, sizeof(setting)))
		return err_set(EX_FAIL, "cannot make a bcrypt salt (cost %d): %s", cost, strerror(errno));
	cd = sodium_malloc(sizeof(*cd));
	if (!cd)
		return err_set(EX_FAIL, "cannot allocate locked memory for hashing");
	sodium_memzero(cd, sizeof(*cd));
	h = crypt_rn(pw, setting, cd, sizeof(*cd));
	if (!h || h[0] == '*' || strlen(h) != 60)
		rc = err_set(EX_FAIL, "bcrypt hashing failed");
	else
		snprintf(out, HASH_MAX, "%s", h);
	sodium_free(cd);
	return rc;
}

int pw_hash(const struct pw_scheme *s, const char *pw, char *out)
{
	char *p = prepared(s, pw);
	int rc = p ? bcrypt_hash(p, s->prefix, s->cost, out) : -1;
	pw_free(p);
	return rc;
}

int argon2id_hash(const char *pw, char *out)
{
	char h[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str_alg(h, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(EX_FAIL, "argon2id hashing failed (out of memory?)");
	snprintf(out, HASH_MAX, "%s", h);
	return 0;
}

int hash_is_bcrypt(const char *h)
{
	/* $2?$NN$ + 53 chars of ./A-Za-z0-9 */
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	if ((h[4] - '0') * 10 + (h[5] - '0') < 4 || (h[4] - '0') * 10 + (h[5] - '0') > 31)
		return 0;
	for (int i = 7; i < 60; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", h[i]))
			return 0;
	return 1;
}

int hash_verify(const char *pw, const char *hash)
{
	if (!hash || !*hash)
		return 0;
	if (hash_is_bcrypt(hash)) {
		struct crypt_data *cd = sodium_malloc(sizeof(*cd));
		const char *h;
		int match;
		if (!cd)
			return err_set(EX_FAIL, "cannot allocate locked memory for hashing");
		sodium_memzero(cd, sizeof(*cd));
		h = crypt_rn(pw, hash, cd, sizeof(*cd));
		match = h && strlen(h) == 60 && sodium_memcmp(h, hash, 60) == 0;
		sodium_free(cd);
		return match;
	}
	if (!strncmp(hash, "$argon2id$", 10))
		return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
	return err_set(EX_REFUSED, "the stored password hash is not bcrypt or argon2id");
}

int pw_verify(const struct pw_scheme *s, const char *pw, const char *hash)
{
	char *p = hash && hash_is_bcrypt(hash) ? prepared(s, pw) : NULL;
	int rc;
	if (hash && hash_is_bcrypt(hash) && !p)
		return -1;
	rc = hash_verify(p ? p : pw, hash);
	pw_free(p);
	if (rc < 0 && s->bad_hash_detail)
		err_detail("%s", s->bad_hash_detail);
	return rc;
}

enum hash_kind hash_kind(const char *hash, char *buf, size_t n)
{
	if (!hash) {
		snprintf(buf, n, "NULL");
		return HASH_NULL;
	}
	if (!*hash) {
		snprintf(buf, n, "none (password login disabled)");
		return HASH_NONE;
	}
	if (hash_is_bcrypt(hash)) {
		snprintf(buf, n, "bcrypt $2%c$ cost %c%c", hash[2], hash[4], hash[5]);
		return HASH_BCRYPT;
	}
	if (!strncmp(hash, "$argon2id$", 10)) {
		snprintf(buf, n, "argon2id");
		return HASH_ARGON2ID;
	}
	snprintf(buf, n, "unknown scheme");
	return HASH_UNKNOWN;
}

struct hash_job {
	const struct pw_scheme *s;
	char *const *pw;
	char (*out)[HASH_MAX];
	int n, next, finished, failed;
	pthread_mutex_t lock;
	struct progress *prog;
};

static void *hash_worker(void *arg)
{
	struct hash_job *j = arg;
	for (;;) {
		int i;
		pthread_mutex_lock(&j->lock);
		i = j->next < j->n && !j->failed ? j->next++ : -1;
		pthread_mutex_unlock(&j->lock);
		if (i < 0)
			return NULL;
		if (pw_hash(j->s, j->pw[i], j->out[i]) < 0) {
			pthread_mutex_lock(&j->lock);
			j->failed = 1;
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		pthread_mutex_lock(&j->lock);
		progress_tick(j->prog, ++j->finished);
		pthread_mutex_unlock(&j->lock);
	}
}

int pw_hash_parallel(const struct pw_scheme *s, char *const *pw, char (*out)[HASH_MAX], int n, const char *label)
{
	struct hash_job j = { s, pw, out, n, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, NULL };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[64];
	int nth = (int)(cores < 1 ? 1 : cores > 64 ? 64 : cores);
	if (n <= 0)
		return 0;
	if (nth > n)
		nth = n;
	j.prog = progress_start(label, n);
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, hash_worker, &j) != 0) {
			nth = i;
			break;
		}
	if (nth == 0)
		hash_worker(&j);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	progress_end(j.prog);
	if (j.failed)
		return err_set(EX_FAIL, "bcrypt hashing failed");
	return 0;
}
