/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the command files: the run context, option parsing, and the
 * confirmation prompt. Each command is `int cmd_x(struct ctx *, int, char **)`
 * returning an exit code (errors recorded with err_set). */
#ifndef MXDBA_CLI_H
#define MXDBA_CLI_H
#include <jansson.h>

#include "core/config.h"
#include "core/jsonw.h"
#include "core/password.h"
#include "hs/hs.h"

struct ctx {
	const char *config_path;
	int dry_run;
	int yes;
	struct config *cfg;
	const struct command *cmd;
	struct hs *batch_hs; /* inside `mxdba batch`: the one shared userapi connection */
	int batch_line;      /* inside `mxdba batch`: the line being run (0 otherwise) */
	char *cmdline;       /* the command as the audit log records it (secrets elided) */
	int backup;          /* --backup: copy the SQLite userapi file before this write */
	int no_backup;       /* --no-backup: not even before a bulk write */
	int backed_up;
	int while_running;   /* --while-running: write values a running server caches anyway */
	int migrations_applied; /* by write_begin, announced by write_end after the commit */
};

struct command {
	const char *group;   /* "user", or the command itself */
	const char *name;    /* sub-command, or NULL */
	int (*fn)(struct ctx *, int, char **);
	const char *args;    /* usage after the command words */
	const char *summary;
	const char *options; /* one option per line: "--flag ARG\tmeaning" */
	const char *example;
	unsigned needs;      /* enum hs_need: what a profile must have (0: every profile runs it) */
};
extern const struct command commands[];
/* 1 if ARG is one of main's global options (-c, --config=F, --dry-run, --csv, …). */
int is_global_option(const char *arg);
/* The words naming command C ("user list", "check"), in BUF of N bytes. */
const char *command_name(const struct command *c, char *buf, size_t n);
/* How many of ARGV's words name command C (its group, then each word of
 * its name: "ratelimit set" is two), or 0 when they do not. */
int command_words(const struct command *c, int argc, char **argv);

/* The audit row's OS user (looked up once). */
const char *os_user_name(void);

#define MAX_OPTS 16
struct optspec {
	const char *name; /* "--admin" */
	int has_arg;
};
struct opts {
	const char *val[MAX_OPTS]; /* argument, or "" for flags; NULL if absent */
	int npos;
	char **pos;
};
/* Parse the command's own options (globals were removed by main). Unknown
 * option or missing argument: -1 + EX_USAGE. */
int opts_parse(struct ctx *c, int argc, char **argv, const struct optspec *spec, struct opts *o);
/* Option lookup by name: its value or NULL. */
const char *opt(const struct opts *o, const struct optspec *spec, const char *name);

/* The homeserver for a command (config loaded first): a new connection, or
 * the batch's shared one. */
struct hs *ctx_hs(struct ctx *c, enum hs_mode mode);
/* Close what ctx_hs gave (the batch's connection stays open). */
void ctx_hs_done(struct ctx *c, struct hs *h);

/* BEGIN a write transaction on the database mxdba writes and apply mxdba's
 * own migrations inside it (announced), so audit and queue tables exist. */
int write_begin(struct ctx *c, struct hs *h);
/* Before a write: on SQLite, copy the database file into [safety] backup_dir
 * when BULK (batch, import) or --backup asks for it, unless --no-backup; keep
 * the newest backup_keep copies. On PostgreSQL --backup is refused with the
 * pg_dump line to run instead. -1 + error. */
int maybe_backup(struct ctx *c, struct hs *h, int bulk);
/* End a write transaction: COMMIT, or ROLLBACK under --dry-run; then say
 * which of mxdba's own migrations it applied (none when refused). */
int write_end(struct ctx *c, struct hs *h);
/* "applied mxdba's own migration(s)" once they are committed (or would be, --dry-run). */
void migrations_note(struct ctx *c, struct hs *h);
/* Every command's epilogue: roll back whatever is still open on H, close H
 * (not the batch's), free O's words. Returns RET. */
int cmd_finish(struct ctx *c, struct hs *h, struct opts *o, int ret);
/* One audit row in the open transaction: TARGET's FIELD went from OLD to
 * NEW (either may be NULL). Never pass a password. Fields are neutral:
 * admin, deactivated, locked (0/1), password_hash, account, devices, queue, state;
 * doctor's repairs also profile, access_token, account_type, pending_deactivation. */
int audit_write(struct ctx *c, struct hs *h, const char *target, const char *field, const char *old,
		const char *new_value);
/* The words of a command joined for the audit log, secrets elided; malloc'd. */
char *cmdline_join(int argc, char **argv);

/* The one USER argument of a command, parsed (config loaded first). */
int one_user_arg(struct ctx *c, const struct opts *o, struct mxid *id);
/* The check `user promote` (ON) / `user demote` makes of account A: 1 it
 * changes, 0 it is so already, -1 refused (error set). */
int admin_change_check(struct hs *h, const struct hs_account *a, int on);

/* Load the config once (EX_CONFIG error on failure). */
int ctx_config(struct ctx *c);
/* The config loaded and its homeserver able to run COMMAND (what struct
 * command.needs says): 0, or -1 + EX_REFUSED naming the homeserver. */
int ctx_needs(struct ctx *c, unsigned needs, const char *command);
/* Ask before a hard-to-undo action: 0 go on, -1 + EX_REFUSED error.
 * --yes and --dry-run answer yes; with no terminal and no --yes it refuses. */
int confirm(struct ctx *c, const char *question);
/* Password source from --password-stdin / --password-file / --random-password
 * (ALLOW_RANDOM), default prompt. -1 + EX_USAGE when several are given. */
int pw_source(struct ctx *c, const struct opts *o, const struct optspec *spec, int allow_random,
	      enum pw_source *src, const char **file);
/* A streamed listing: a table for people (NULL under --json), the JSON line
 * writer, the rows so far. listing_end closes the table with "N WHAT" on
 * stderr when OK and frees the writer. */
struct listing {
	struct table *t;
	struct jw jw;
	long long n;
};
void listing_end(struct listing *l, int ok, const char *what);
/* A rate-limit override as JSON: {messages_per_second, burst_count}, or
 * null when RL has none (user show, user ratelimit). */
json_t *ratelimit_json(const struct hs_ratelimit *rl);

/* Print the "dry run" trailer (human mode). */
void dry_run_note(struct ctx *c);

int cmd_check(struct ctx *, int, char **);
int cmd_store_copy(struct ctx *, int, char **);
int cmd_user_list(struct ctx *, int, char **);
int cmd_user_show(struct ctx *, int, char **);
int cmd_user_create(struct ctx *, int, char **);
int cmd_user_promote(struct ctx *, int, char **);
int cmd_user_demote(struct ctx *, int, char **);
int cmd_user_passwd(struct ctx *, int, char **);
int cmd_user_verify_password(struct ctx *, int, char **);
int cmd_user_deactivate(struct ctx *, int, char **);
int cmd_user_3pid_add(struct ctx *, int, char **);
int cmd_user_3pid_remove(struct ctx *, int, char **);
int cmd_user_reactivate(struct ctx *, int, char **);
int cmd_user_lock(struct ctx *, int, char **);
int cmd_user_unlock(struct ctx *, int, char **);
int cmd_user_shadow_ban(struct ctx *, int, char **);
int cmd_user_unshadow_ban(struct ctx *, int, char **);
int cmd_user_ratelimit_set(struct ctx *, int, char **);
int cmd_user_ratelimit_clear(struct ctx *, int, char **);
int cmd_user_directory_rebuild(struct ctx *, int, char **);
int cmd_hash(struct ctx *, int, char **);
int cmd_config_init(struct ctx *, int, char **);
int cmd_rooms(struct ctx *, int, char **);
int cmd_members(struct ctx *, int, char **);
int cmd_report_rooms(struct ctx *, int, char **);
int cmd_report_media(struct ctx *, int, char **);
int cmd_report_tables(struct ctx *, int, char **);
int cmd_report_updates(struct ctx *, int, char **);
int cmd_evacuate(struct ctx *, int, char **);
int cmd_notice(struct ctx *, int, char **);
int cmd_room_delete(struct ctx *, int, char **);
int cmd_room_purge_history(struct ctx *, int, char **);
int cmd_media_purge_remote(struct ctx *, int, char **);
int cmd_token_create(struct ctx *, int, char **);
int cmd_token_list(struct ctx *, int, char **);
int cmd_token_show(struct ctx *, int, char **);
int cmd_token_delete(struct ctx *, int, char **);
int cmd_queue_list(struct ctx *, int, char **);
int cmd_queue_cancel(struct ctx *, int, char **);
int cmd_queue_apply(struct ctx *, int, char **);
int cmd_migrate(struct ctx *, int, char **);
int cmd_doctor(struct ctx *, int, char **);
int cmd_batch(struct ctx *, int, char **);
int cmd_user_import(struct ctx *, int, char **);
int cmd_audit_list(struct ctx *, int, char **);
int cmd_audit_undo(struct ctx *, int, char **);
#endif
