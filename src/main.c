/* SPDX-License-Identifier: Apache-2.0 */
/* mxdba entry point: global options, the one command table, dispatch.
 * Reading this table tells the whole command surface of the tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/output.h"
#include "core/password.h"

#ifndef MXDBA_VERSION
#define MXDBA_VERSION "0.2.0"
#endif

#define PW_OPTS                                                                              \
	"--password-stdin\tread the password from the first line of standard input\n"       \
	"--password-file F\tread the password from the first line of file F\n"

#define PW_HASH_OPT "--password-hash H\tstore the bcrypt hash H as it is (from `mxdba hash` or another server)\n"

const struct command commands[] = {
	{ "check", NULL, cmd_check, "",
	  "connect read-only, detect the schema and homeserver version, count accounts, probe for a running server", "",
	  "mxdba check", 0 },
	{ "user", "list", cmd_user_list, "[--admins] [--deactivated] [--shadow-banned] [--ids]", "list accounts (streamed)",
	  "--admins\tonly admins\n--deactivated\tonly deactivated accounts\n"
	  "--shadow-banned\t(Synapse) only shadow-banned accounts (the admin API's user list has no such filter)\n"
	  "--ids\tonly the user IDs, one per line (scripts, shell completion)\n",
	  "mxdba user list --admins", 0 },
	{ "user", "show", cmd_user_show, "USER",
	  "account type, state, hash scheme, created time, profile and devices (whois, offline)", "",
	  "mxdba user show @alice:example.org", 0 },
	{ "user", "create", cmd_user_create,
	  "USER [--admin] [--display-name N] [--password-stdin|--password-file F|--random-password|--password-hash H|--no-password]",
	  "create an account with its profile (asks for the password twice by default)",
	  "--admin\tmake it an admin\n--display-name N\tdisplay name (default: the localpart)\n" PW_OPTS
	  "--random-password\tgenerate a password and print it once\n" PW_HASH_OPT
	  "--no-password\tno password: password login disabled\n",
	  "mxdba user create @root:example.org --admin --random-password", 0 },
	{ "user", "import", cmd_user_import, "FILE [--on-conflict skip|update|fail]",
	  "create or update accounts from a CSV file (header: user, password_hash or password, admin, display_name, "
	  "deactivated) in one transaction",
	  "--on-conflict MODE\tan existing account: fail (default), skip, or update\n",
	  "mxdba --dry-run user import synapse-export.csv --on-conflict skip", 0 },
	{ "user", "promote", cmd_user_promote, "USER…", "make accounts admins; idempotent", "",
	  "mxdba user promote @alice:example.org bob", 0 },
	{ "user", "demote", cmd_user_demote, "USER…",
	  "make admins ordinary users; demoting the last admin asks first", "",
	  "mxdba user demote @alice:example.org", 0 },
	{ "user", "passwd", cmd_user_passwd,
	  "USER [--password-stdin|--password-file F|--random-password|--password-hash H] [--logout-devices] [--scheme S]",
	  "set a new bcrypt password hash (asks twice by default)",
	  PW_OPTS "--random-password\tgenerate a password and print it once\n" PW_HASH_OPT
		  "--logout-devices\talso delete every device (access token) of the user; asks first\n"
		  "--scheme S\tbcrypt (default); argon2id is refused (neither homeserver verifies it)\n",
	  "printf '%s\\n' \"$NEWPW\" | mxdba user passwd @alice:example.org --password-stdin --logout-devices --yes", 0 },
	{ "user", "verify-password", cmd_user_verify_password, "USER [--password-stdin|--password-file F]",
	  "check a password against the stored hash: exit 0 on match, 8 on mismatch", PW_OPTS,
	  "mxdba user verify-password @alice:example.org", 0 },
	{ "user", "deactivate", cmd_user_deactivate, "USER [--erase]",
	  "deactivate as the server's own deactivation: logins refused and every token revoked now, the devices and "
	  "their keys deleted (Synapse: also pushers, 3PIDs, account data and key backup), the leaves of every room, "
	  "invite and knock queued (`queue apply`); audited",
	  "--erase\t(Synapse) also erase the user (GDPR): profile deleted, marked erased, as the admin API's erase does\n",
	  "mxdba user deactivate @mallory:example.org --erase", 0 },
	{ "user", "reactivate", cmd_user_reactivate, "USER",
	  "let a deactivated account log in again (with its password; Synapse: not erased, a blank profile if erased); "
	  "what deactivation deleted (devices, keys, pushers, 3PIDs, rooms left) does not come back",
	  "", "mxdba user reactivate @alice:example.org", 0 },
	{ "user", "lock", cmd_user_lock, "USER",
	  "Synapse: lock the account (every request refused, even leaving a room); Dendrite has no lock", "",
	  "mxdba user lock @mallory:example.org", HS_NEED_LOCK },
	{ "user", "unlock", cmd_user_unlock, "USER", "Synapse: unlock a locked account", "",
	  "mxdba user unlock @mallory:example.org", HS_NEED_LOCK },
	{ "user", "shadow-ban", cmd_user_shadow_ban, "USER",
	  "Synapse: shadow-ban the account: its requests seem to succeed, and what it sends reaches no one; audited, "
	  "`audit undo` or unshadow-ban",
	  "", "mxdba user shadow-ban @spammer:example.org", HS_NEED_SHADOW_BAN },
	{ "user", "unshadow-ban", cmd_user_unshadow_ban, "USER", "Synapse: lift a shadow-ban", "",
	  "mxdba user unshadow-ban @alice:example.org", HS_NEED_SHADOW_BAN },
	{ "user", "3pid add", cmd_user_3pid_add, "USER MEDIUM ADDRESS",
	  "add an email (or msisdn) to the account as the admin API stores it (an email in the server's canonical "
	  "form), so password-reset mails reach it; one owned by another account is refused; audited",
	  "", "mxdba user 3pid add @admin:example.org email admin@example.org", 0 },
	{ "user", "3pid remove", cmd_user_3pid_remove, "USER MEDIUM ADDRESS",
	  "remove an email or msisdn from the account (Synapse: an email's notification pusher too); audited", "",
	  "mxdba user 3pid remove @admin:example.org email old@example.org", 0 },
	{ "user", "ratelimit set", cmd_user_ratelimit_set, "USER [--messages-per-second N] [--burst N]",
	  "Synapse: override the message rate limit (rc_message) of one account, as the admin API's override_ratelimit "
	  "does; audited, `audit undo`",
	  "--messages-per-second N\tmessages a second, 0 or more (default 0)\n"
	  "--burst N\tmessages at once before the limit applies, 0 or more (default 0; 0 and 0: no limit at all)\n",
	  "mxdba user ratelimit set @bridge:example.org --messages-per-second 0 --burst 0", HS_NEED_RATELIMIT },
	{ "user", "ratelimit clear", cmd_user_ratelimit_clear, "USER",
	  "Synapse: remove an account's rate-limit override: the server's rc_message applies again; audited", "",
	  "mxdba user ratelimit clear @bridge:example.org", HS_NEED_RATELIMIT },
	{ "user", "directory rebuild", cmd_user_directory_rebuild, "",
	  "Synapse: schedule its own rebuild of the user directory (as its admin API's regenerate_directory job), "
	  "run at its next start: users made by hand SQL appear in search again",
	  "", "mxdba user directory rebuild", HS_NEED_DIR_REBUILD },
	{ "hash", NULL, cmd_hash, "[--scheme bcrypt|argon2id] [--cost N] [--password-stdin|--password-file F]",
	  "print a password hash (asks twice by default); needs no database",
	  "--scheme S\tbcrypt (default: as the configured homeserver writes it) or argon2id\n--cost N\tbcrypt cost 4-31 "
	  "(default: [passwords] bcrypt_cost, the homeserver's, or 10)\n" PW_OPTS,
	  "mxdba hash --password-stdin < pw.txt", 0 },
	{ "rooms", NULL, cmd_rooms, "USER [--membership join,invite,leave,ban,knock|all] [--include-forgotten]",
	  "a user's memberships, read-only (Dendrite: the roomserver database; Synapse: local_current_membership)",
	  "--membership LIST\tstates to list (default join,invite)\n--include-forgotten\talso rooms the user forgot\n",
	  "mxdba rooms @alice:example.org --membership all", 0 },
	{ "members", NULL, cmd_members, "ROOM [--local] [--membership LIST] [--include-forgotten]",
	  "a room's members, read-only",
	  "--local\tonly users of this homeserver\n--membership LIST\tstates to list (default join,invite)\n"
	  "--include-forgotten\talso memberships the user forgot\n",
	  "mxdba members '!abc:example.org' --local", 0 },
	{ "report", "rooms", cmd_report_rooms, "[--sort KEY] [--limit N] [--no-local-members]",
	  "every room's weight, biggest first: members, state, events and their bytes, state groups, forward "
	  "extremities, last event (read-only, streamed)",
	  "--sort KEY\tevents (default), event_bytes, joined_members, joined_local_members, state_events, state_groups, "
	  "state_group_rows, forward_extremities or last_event_ts; descending\n--limit N\tthe first N rooms\n"
	  "--no-local-members\tonly rooms no local user is joined to (candidates for deletion)\n",
	  "mxdba report rooms --sort event_bytes --limit 20", HS_NEED_ROOM_REPORT },
	{ "report", "media", cmd_report_media, "[--sort bytes|count] [--limit N]",
	  "local media per uploader: files and bytes, biggest first (read-only)",
	  "--sort KEY\tbytes (default) or count; descending\n--limit N\tthe first N uploaders\n",
	  "mxdba report media --limit 20", HS_NEED_MEDIA_REPORT },
	{ "report", "tables", cmd_report_tables, "",
	  "every table of the homeserver's databases: rows (estimated where counting would be slow, and marked) and "
	  "bytes with indexes; SQLite's free pages (read-only)",
	  "", "mxdba report tables", 0 },
	{ "report", "updates", cmd_report_updates, "",
	  "the server's pending background updates: what each waits for, whether it can ever run, its progress "
	  "(read-only)",
	  "", "mxdba report updates", HS_NEED_UPDATES },
	{ "evacuate", NULL, cmd_evacuate, "user USER [--include-invites] [--lock] | room ROOM [--include-invites]",
	  "queue leaves: every room of a user, or every local member of a room (carried out by `queue apply`)",
	  "--include-invites\talso reject pending invites\n--lock\t(user) also deactivate the account and "
	  "revoke every token (device), in the same transaction; nothing else is deleted (see user deactivate)\n",
	  "mxdba evacuate user @mallory:example.org --include-invites --lock", 0 },
	{ "notice", NULL, cmd_notice, "USER TEXT [--as ADMIN]",
	  "queue a server notice to USER, sent by `queue apply` as ADMIN, [server] admin_user, or the only active admin",
	  "--as ADMIN\tthe local admin account that sends it (default: [server] admin_user, else the only active "
	  "admin)\n",
	  "mxdba notice @alice:example.org 'Your password was reset; see your email.'", 0 },
	{ "room", "delete", cmd_room_delete,
	  "ROOM… [--purge|--no-purge] [--block] [--new-room-user USER [--message TEXT]] [--from FILE] [--as ADMIN]",
	  "queue the deletion of rooms through the server's admin API (Synapse: Delete Room API v2, followed to "
	  "completion; Dendrite: purgeRoom, or evacuateRoom alone with --no-purge); checked first against what would make the server fail",
	  "--purge\tremove the room's data from the database (the default)\n"
	  "--no-purge\tonly remove its local members; keep its data\n"
	  "--block\t(Synapse) no one may join it again\n"
	  "--new-room-user USER\t(Synapse) move the local members to a new room made by USER\n"
	  "--message TEXT\t(Synapse) posted in that new room\n"
	  "--from FILE\troom IDs, one a line, or the JSON lines of `report rooms --json` (- : standard input)\n"
	  "--as ADMIN\tthe local admin whose token the API is called with (default: [server] admin_user, else "
	  "the only active admin)\n",
	  "mxdba report rooms --no-local-members --json | mxdba room delete --from - --block", 0 },
	{ "room", "purge-history", cmd_room_purge_history, "ROOM --before TIME [--keep-local] [--as ADMIN]",
	  "Synapse: queue a purge of a room's events older than TIME through the purge history API (followed to "
	  "completion); the newest event always stays",
	  "--before TIME\t2026-11-01, 2026-11-01T12:00 (UTC), or an age: 90d, 12h\n"
	  "--keep-local\tkeep the events sent by this server's users (default: purge them too)\n"
	  "--as ADMIN\tthe local admin the API is called as\n",
	  "mxdba room purge-history '!abc:example.org' --before 90d", HS_NEED_PURGE_HISTORY },
	{ "media", "purge-remote", cmd_media_purge_remote, "--before TIME [--as ADMIN]",
	  "Synapse: queue a purge of the cache of remote media not accessed since TIME (local media is never touched)",
	  "--before TIME\t2026-11-01, 2026-11-01T12:00 (UTC), or an age: 30d\n"
	  "--as ADMIN\tthe local admin the API is called as\n",
	  "mxdba media purge-remote --before 30d", HS_NEED_PURGE_MEDIA },
	{ "token", "create", cmd_token_create, "[--token TOKEN] [--uses N] [--expires TIME]",
	  "Synapse: make a registration token (for registration_requires_token: true), as the admin API does; "
	  "works at once, the server running or not",
	  "--token TOKEN\tthe token: 1-64 of A-Z a-z 0-9 . _ ~ - (default: 16 random ones)\n"
	  "--uses N\tregistrations it allows, 1 or more (default: no limit)\n"
	  "--expires TIME\twhen it stops working: 2027-01-31, 2027-01-31T12:00 (UTC), or from now: 7d, 12h\n",
	  "mxdba token create --uses 10 --expires 7d", HS_NEED_REG_TOKENS },
	{ "token", "list", cmd_token_list, "",
	  "Synapse: every registration token with its uses allowed, pending and completed registrations, expiry, "
	  "and whether the server accepts it now (streamed)",
	  "", "mxdba token list", HS_NEED_REG_TOKENS },
	{ "token", "show", cmd_token_show, "TOKEN",
	  "Synapse: one registration token and the registrations that used it (pending or completed, with the "
	  "user made), which the admin API does not show",
	  "", "mxdba token show Ab3_xY9~kq", HS_NEED_REG_TOKENS },
	{ "token", "delete", cmd_token_delete, "TOKEN", "Synapse: remove a registration token (audited)", "",
	  "mxdba token delete Ab3_xY9~kq", HS_NEED_REG_TOKENS },
	{ "queue", "list", cmd_queue_list, "[--state pending,done,skipped,failed,cancelled]",
	  "queued operations with their state and last result (streamed)", "--state LIST\tonly these states\n",
	  "mxdba queue list --state failed", 0 },
	{ "queue", "cancel", cmd_queue_cancel, "ID… | --all-pending", "cancel pending queued operations",
	  "--all-pending\tcancel every pending operation\n", "mxdba queue cancel 12 13", 0 },
	{ "queue", "apply", cmd_queue_apply,
	  "[--url URL] [--limit N] [--wait SECONDS] [--timeout SECONDS] [--parallel N]",
	  "carry out pending operations through the homeserver's HTTP API; safe to rerun",
	  "--url URL\tthe client API (default: [server] url)\n--limit N\tat most N operations\n"
	  "--wait SECONDS\twait this long for the homeserver to answer (default 30)\n"
	  "--timeout SECONDS\tgive up on one request after this long (default 60); the row stays pending\n"
	  "--parallel N\tcarry out up to N operations at once, 1-32 (default: measured per server and backend: "
	  "Synapse 16; Dendrite 2 on PostgreSQL, 1 on SQLite); each honours the server's "
	  "rate limits\n",
	  "mxdba queue apply --wait 120", 0 },
	{ "audit", "list", cmd_audit_list, "[--user USER] [--since DATE|AGE]",
	  "every change mxdba made: when, who (OS user), the command, old and new value (hashes described)",
	  "--user USER\tonly rows about this user\n--since T\t2026-11-26, 2026-11-26T10:00 (UTC), or an age: 30m, 12h, 7d\n",
	  "mxdba audit list --user @alice:example.org --since 7d", 0 },
	{ "audit", "undo", cmd_audit_undo, "ID",
	  "restore the old value of one audit row (admin, deactivated, password_hash); refused if it changed since",
	  "", "mxdba audit undo 42", 0 },
	{ "doctor", NULL, cmd_doctor, "[--fix] [--check NAME,…] [--list]",
	  "find what crashes, hand edits and half-finished work left in the database; --fix repairs what has one "
	  "right answer (audited, one transaction)",
	  "--fix\trepair the findings marked --fix (a SQLite backup first; --dry-run shows what it would do)\n"
	  "--check NAMES\tonly these checks (comma-separated)\n"
	  "--list\tthe checks of this homeserver: name, severity, whether --fix repairs it, what it finds\n",
	  "mxdba doctor --fix --check synapse-deactivated-tokens", 0 },
	{ "migrate", NULL, cmd_migrate, "[--status]",
	  "create or update mxdba's own tables (mxdba_*) in the homeserver's database; also done on first need",
	  "--status\tlist the migrations and when they were applied\n", "mxdba migrate --status", 0 },
	{ "store", "copy", cmd_store_copy, "--from FILE",
	  "copy mxdba's own rows (audit log, queue, minted tokens) from the old SQLite database after a move "
	  "(synapse_port_db), ids kept, in one transaction",
	  "--from FILE\tthe SQLite file the homeserver used before the move (synapse_port_db's --sqlite-database)\n",
	  "mxdba store copy --from /var/lib/matrix-synapse/homeserver.db", 0 },
	{ "batch", NULL, cmd_batch, "[FILE|-] [--passwords-out FILE]",
	  "run many commands (one per line) in one transaction: all or nothing",
	  "--passwords-out FILE\twhere --random-password lines write their new passwords (created 0600)\n",
	  "mxdba --dry-run batch promote-admins.txt", 0 },
	{ "config", "init", cmd_config_init, "[--from-dendrite PATH | --from-synapse PATH]",
	  "write a commented mxdba.ini (mode 0600) at -c FILE or ./mxdba.ini; never overwrites",
	  "--from-dendrite PATH\tread server_name and databases from Dendrite's dendrite.yaml\n"
	  "--from-synapse PATH\tread them from Synapse's homeserver.yaml (a file, a folder of *.yaml, or a comma list)\n",
	  "mxdba config init --from-dendrite /etc/dendrite/dendrite.yaml", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};

/* The global options: main parses them anywhere on the line, and a batch
 * line refuses them (they belong on the `mxdba batch` command line). */
enum gopt {
	G_CONFIG, G_DRY_RUN, G_JSON, G_CSV, G_BACKUP, G_NO_BACKUP, G_YES, G_WHILE_RUNNING, G_VERBOSE, G_QUIET, G_HELP,
	G_VERSION
};
static const struct global_option {
	const char *name, *alias; /* --long, and -x or NULL */
	int has_arg;
	enum gopt id;
} global_options[] = {
	{ "--config", "-c", 1, G_CONFIG },   { "--dry-run", NULL, 0, G_DRY_RUN },
	{ "--json", NULL, 0, G_JSON },       { "--csv", NULL, 0, G_CSV },
	{ "--backup", NULL, 0, G_BACKUP },   { "--no-backup", NULL, 0, G_NO_BACKUP },
	{ "--yes", "-y", 0, G_YES },         { "--while-running", NULL, 0, G_WHILE_RUNNING },
	{ "--verbose", "-v", 0, G_VERBOSE },
	{ "--quiet", "-q", 0, G_QUIET },     { "--help", "-h", 0, G_HELP },
	{ "--version", NULL, 0, G_VERSION },
};

/* The global option ARG names (--config=FILE too: *VALUE gets FILE), or NULL. */
static const struct global_option *global_option(const char *arg, const char **value)
{
	for (size_t i = 0; i < sizeof(global_options) / sizeof(global_options[0]); i++) {
		const struct global_option *g = &global_options[i];
		size_t n = strlen(g->name);
		if (!strcmp(arg, g->name) || (g->alias && !strcmp(arg, g->alias)))
			return g;
		if (g->has_arg && !strncmp(arg, g->name, n) && arg[n] == '=') {
			if (value)
				*value = arg + n + 1;
			return g;
		}
	}
	return NULL;
}

int is_global_option(const char *arg) { return global_option(arg, NULL) != NULL; }

static const char global_help[] =
	"Global options (anywhere on the line):\n"
	"  -c, --config FILE   config file (default: $MXDBA_CONFIG, ./mxdba.ini, /etc/mxdba/mxdba.ini)\n"
	"  --dry-run           do the work, print what would change, roll back\n"
	"  --json              one JSON object per line on stdout\n"
	"  --csv               listings as CSV with a header line (user list, rooms, members, queue list,\n"
	"                      audit list, migrate --status, doctor, report, token list, token show)\n"
	"  --backup            copy the SQLite userapi file into [safety] backup_dir before writing\n"
	"  --no-backup         no copy, not even before batch or user import (which make one by default)\n"
	"  -y, --yes           answer yes to confirmations (logging out devices, demoting the last admin)\n"
	"  --while-running     write values a running homeserver caches (Synapse: admin, deactivated, locked,\n"
	"                      shadow_banned, rate-limit overrides, tokens) anyway; they take effect when\n"
	"                      every server process restarts\n"
	"  -v, --verbose       more messages on stderr (statement names, transactions)\n"
	"  -q, --quiet         only errors on stderr\n"
	"  -h, --help          help (also: mxdba help COMMAND, mxdba COMMAND --help)\n"
	"  --version           print the version\n";

static const char exit_help[] =
	"Exit codes: 0 ok, 1 internal error, 2 usage, 3 config, 4 not found, 5 conflict,\n"
	"            6 refused by a safety rule, 7 database error, 8 password mismatch,\n"
	"            9 homeserver did not answer, 10 some queued operations failed,\n"
	"            11 doctor found errors\n";

/* Commands whose output is a listing (a table; --csv applies). */
static int is_listing(const struct command *c)
{
	static const char *const names[] = { "user list", "rooms", "members", "queue list", "audit list", "migrate",
					     "doctor", "report rooms", "report media", "report tables", "report updates",
					     "token list", "token show",
					     NULL };
	char buf[64];
	command_name(c, buf, sizeof(buf));
	for (int i = 0; names[i]; i++)
		if (!strcmp(buf, names[i]))
			return 1;
	return 0;
}

static void print_name(const struct command *c)
{
	char buf[64];
	fputs(command_name(c, buf, sizeof(buf)), stdout);
}

static void help_all(void)
{
	printf("mxdba %s: database-direct maintenance for Matrix homeservers (Dendrite v0.10.9 to v0.13.8, Synapse 1.98 to 1.163)\n\n",
	       MXDBA_VERSION);
	printf("Usage: mxdba [GLOBAL OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (const struct command *c = commands; c->group; c++) {
		int w = (int)strlen(c->group) + (c->name ? (int)strlen(c->name) + 1 : 0);
		printf("  ");
		print_name(c);
		printf("%*s%s\n", 24 - w > 1 ? 24 - w : 1, "", c->summary);
	}
	printf("\n%s\n%s\nUSER is @localpart:server_name or a bare localpart.\n", global_help, exit_help);
}

static void help_cmd(const struct command *c)
{
	const char *p = c->options;
	printf("Usage: mxdba ");
	print_name(c);
	printf(" %s\n\n%s\n", c->args, c->summary);
	if (*p) {
		printf("\nOptions:\n");
		while (*p) {
			const char *nl = strchr(p, '\n'), *tab = strchr(p, '\t');
			int n = (int)(tab - p);
			printf("  %.*s%*s%.*s\n", n, p, 22 - n > 1 ? 22 - n : 1, "", (int)(nl - tab - 1), tab + 1);
			p = nl + 1;
		}
	}
	printf("\nHomeservers: ");
	for (int i = 0, n = 0; hs_profile_at(i); i++)
		if (hs_profile_supports(hs_profile_at(i), c->needs))
			printf("%s%s", n++ ? ", " : "", hs_profile_at(i)->display);
	printf("\n\nExample:\n  %s\n\n%s", c->example, global_help);
}

/* Find the command named by ARGV; *used gets how many words it took. */
static const struct command *find_command(int argc, char **argv, int *used)
{
	for (const struct command *c = commands; c->group; c++)
		if ((*used = command_words(c, argc, argv)))
			return c;
	return NULL;
}

/* "set, clear" when GROUP WORD starts commands of three words ("user
 * ratelimit set"), in BUF; NULL otherwise. */
static const char *third_words(const char *group, const char *word, char *buf, size_t n)
{
	size_t len = strlen(word), used = 0;
	buf[0] = '\0';
	for (const struct command *c = commands; c->group; c++)
		if (!strcmp(c->group, group) && c->name && !strncmp(c->name, word, len) && c->name[len] == ' ')
			used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", used ? ", " : "", c->name + len + 1);
	return buf[0] ? buf : NULL;
}

static int unknown_command(int argc, char **argv)
{
	int group = 0;
	char subs[128];
	for (const struct command *c = commands; c->group; c++)
		group |= argc >= 1 && !strcmp(argv[0], c->group);
	if (group && argc >= 2 && third_words(argv[0], argv[1], subs, sizeof(subs))) {
		if (argc >= 3)
			err_set(EX_USAGE, "unknown command: %s %.64s %.64s", argv[0], argv[1], argv[2]);
		else
			err_set(EX_USAGE, "%s %.64s needs a sub-command: %s", argv[0], argv[1], subs);
		return err_hint("run `mxdba help %s %.64s SUB-COMMAND`, e.g. `mxdba help %s %.64s %.*s`", argv[0], argv[1],
				argv[0], argv[1], (int)strcspn(subs, ","), subs);
	}
	if (group && argc >= 2)
		err_set(EX_USAGE, "unknown command: %s %.64s", argv[0], argv[1]);
	else if (group)
		err_set(EX_USAGE, "%s needs a sub-command", argv[0]);
	else
		err_set(EX_USAGE, "unknown command: %.64s", argv[0]);
	return err_hint("run `mxdba --help` for the list of commands");
}

/* Set the global option G (value VAL) in C. 1: handled; 0: --version
 * printed (exit); -1: error. */
static int apply_global(struct ctx *c, const struct global_option *g, const char *val, int *help)
{
	switch (g->id) {
	case G_CONFIG:
		c->config_path = val;
		break;
	case G_DRY_RUN:
		c->dry_run = 1;
		break;
	case G_JSON:
		g_json = 1;
		break;
	case G_CSV:
		g_csv = 1;
		break;
	case G_BACKUP:
		c->backup = 1;
		break;
	case G_NO_BACKUP:
		c->no_backup = 1;
		break;
	case G_YES:
		c->yes = 1;
		break;
	case G_WHILE_RUNNING:
		c->while_running = 1;
		break;
	case G_VERBOSE:
		g_verbosity++;
		break;
	case G_QUIET:
		g_verbosity = -1;
		break;
	case G_HELP:
		*help = 1;
		break;
	case G_VERSION:
		printf("mxdba %s\n", MXDBA_VERSION);
		return 0;
	}
	return 1;
}

/* Take the global options (anywhere before a lone "--") out of ARGV into C;
 * the rest go to REST (*N of them). 1 go on, 0 done (--version), -1 error. */
static int parse_globals(struct ctx *c, int argc, char **argv, char **rest, int *n, int *help)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct global_option *g;
		int rc;
		if (!strcmp(a, "--")) {
			while (i < argc)
				rest[(*n)++] = argv[i++];
			break;
		}
		if (!(g = global_option(a, &val))) {
			rest[(*n)++] = argv[i];
			continue;
		}
		if (g->has_arg && !val) {
			if (i + 1 >= argc)
				return err_set(EX_USAGE, "option %s needs a file name", a);
			val = argv[++i];
		}
		if ((rc = apply_global(c, g, val, help)) <= 0)
			return rc;
	}
	return 1;
}

/* The command's output options are consistent. -1 + EX_USAGE. */
static int check_output_options(const struct command *cmd)
{
	char name[64];
	if (g_csv && g_json) {
		err_set(EX_USAGE, "--csv and --json exclude each other");
		return err_hint("pick one output format");
	}
	if (g_csv && !is_listing(cmd)) {
		err_set(EX_USAGE, "--csv is for listings; %s is not one", command_name(cmd, name, sizeof(name)));
		return err_hint("--csv works with user list, rooms, members, queue list, audit list, migrate --status, "
				"doctor and report; --json works everywhere");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int n = 0, help = 0, used = 0, rc;
	const struct command *cmd;

	if (!rest)
		return EX_FAIL;
	/* listings of millions of rows into a pipe or file: 64 KiB writes, not 4 KiB
	 * (a terminal stays line-buffered) */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if ((rc = parse_globals(&c, argc, argv, rest, &n, &help)) <= 0) {
		free(rest);
		if (rc == 0)
			return EX_OK;
		goto fail_freed;
	}
	if (n > 0 && !strcmp(rest[0], "help")) {
		help = 1;
		memmove(rest, rest + 1, (size_t)n * sizeof(char *));
		n--;
	}
	if (n == 0 && help) {
		help_all();
		free(rest);
		return EX_OK;
	}
	if (n == 0) {
		err_set(EX_USAGE, "no command given");
		err_hint("run `mxdba --help` for the list of commands");
		goto fail;
	}
	if (!(cmd = find_command(n, rest, &used))) {
		unknown_command(n, rest);
		goto fail;
	}
	if (help) {
		help_cmd(cmd);
		free(rest);
		return EX_OK;
	}
	if (check_output_options(cmd) < 0 || pw_init() < 0)
		goto fail;
	c.cmd = cmd;
	c.cmdline = cmdline_join(argc - 1, argv + 1);
	rc = cmd->fn(&c, n - used, rest + used);
	free(c.cmdline);
	config_free(c.cfg);
	free(rest);
	if (rc < 0 || err_pending()) {
		rc = err_code();
		err_print();
	}
	return rc;
fail:
	free(rest);
fail_freed:
	rc = err_code();
	err_print();
	return rc;
}
