/* SPDX-License-Identifier: Apache-2.0 */
/* Config parsing: search order, validation with file:line, DSN masking
 * and SQLite path resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/util.h"
#include "hs/hs.h"
#include "unit.h"

static char *dir;

static char *write_ini(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	chmod(p, 0600);
	return p;
}

/* Parse TEXT; return the error code (0 on success) and the message in MSG. */
static int parse(const char *text, char *msg, size_t n)
{
	char *p = write_ini("t.ini", text);
	struct config *c;
	int code = 0;
	FILE *old = stderr;
	char *buf = NULL;
	size_t len = 0;
	stderr = open_memstream(&buf, &len);
	c = config_parse_file(p, hs_config_hooks());
	if (!c) {
		code = err_code();
		err_print();
	}
	fclose(stderr);
	stderr = old;
	snprintf(msg, n, "%s", buf ? buf : "");
	free(buf);
	config_free(c);
	free(p);
	return code;
}

#define HS "[homeserver]\ntype = dendrite\nserver_name = example.org\n"

int main(void)
{
	char msg[2048];
	struct config *c;
	char *p, *m;

	if (!(dir = unit_mkdtemp("mxdba-unit")))
		return 1;
	CHECK(parse(HS "[database]\ndefault = file:userapi.db\n", msg, sizeof(msg)) == 0);
	CHECK(parse(HS "[database]\nbogus = 1\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:5:") && strstr(msg, "unknown key bogus"));
	CHECK(parse(HS "[databse]\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:4:") && strstr(msg, "unknown section [databse]"));
	CHECK(parse("[homeserver]\ntype = dendrite\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "missing required key server_name"));
	CHECK(parse("[homeserver]\nserver_name = example.org\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "missing required key type"));
	CHECK(parse(HS "[passwords]\nbcrypt_cost = 3\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:5:") && strstr(msg, "bcrypt_cost"));
	CHECK(parse(HS "[passwords]\nbcrypt_cost = 32\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(parse(HS "[passwords]\nbcrypt_cost = ten\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(parse(HS "[passwords]\nbcrypt_cost = 12\n", msg, sizeof(msg)) == 0);
	CHECK(parse("[homeserver]\ntype = conduit\nserver_name = x\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:2:") && strstr(msg, "conduit") && strstr(msg, "synapse"));
	CHECK(parse("[homeserver]\ntype = synapse\nserver_name = example.org\n"
		    "[database]\ndefault = file:homeserver.db\n", msg, sizeof(msg)) == 0);
	CHECK(parse("[homeserver]\ntype = synapse\nserver_name = example.org\n"
		    "[database]\nuserapi = file:homeserver.db\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:5:") && strstr(msg, "userapi"));
	CHECK(parse("[homeserver]\ntype = dendrite\nserver_name = example.org\nsynapse_config = /x.yaml\n",
		    msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:4:") && strstr(msg, "synapse_config"));
	CHECK(parse("[homeserver]\ntype = dendrite\nserver_name = bad name\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(parse(HS "server_name = again.org\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "set twice"));
	CHECK(parse(HS "[database]\ndefault = mysql://x\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(parse(HS "[database]\ndefault =\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(parse(HS "not a key value line\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:4:"));
	CHECK(parse("key = outside\n" HS, msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "t.ini:1:"));
	CHECK(parse(HS "[server]\nurl = ftp://x\n", msg, sizeof(msg)) == EX_CONFIG);
	/* a password in a bad DSN is masked in the error */
	CHECK(parse(HS "[database]\ndefault = mysql://u:topsecret@h/db\n", msg, sizeof(msg)) == EX_CONFIG);
	CHECK(strstr(msg, "topsecret") == NULL);

	/* resolution: per-component key wins, relative file: under base_dir */
	p = write_ini("ok.ini", HS "base_dir = /var/lib/dendrite\n[database]\ndefault = postgres://d:pw@localhost/dendrite\n"
				   "userapi = file:dendrite_userapi.db?_busy=1\nroomserver = file:///abs/room.db\n");
	c = config_parse_file(p, hs_config_hooks());
	CHECK(c != NULL);
	if (c) {
		struct hs_component dbs[6];
		CHECK(hs_databases(c, dbs, 6) == 5); /* userapi, roomserver, syncapi, mediaapi, keyserver */
		CHECK_STR(dbs[0].name, "userapi");
		CHECK(dbs[0].conf.kind == DB_SQLITE && !dbs[0].read_only);
		CHECK_STR(dbs[0].conf.target, "/var/lib/dendrite/dendrite_userapi.db");
		CHECK_STR(dbs[1].conf.target, "/abs/room.db");
		CHECK(dbs[1].read_only);
		CHECK(dbs[2].conf.kind == DB_POSTGRES && dbs[2].conf.from_default);
		CHECK_STR(dbs[2].conf.label, "postgres://d:****@localhost/dendrite");
		CHECK_STR(dbs[3].name, "mediaapi");
		CHECK(dbs[3].read_only && dbs[3].conf.from_default);
		CHECK_STR(dbs[4].name, "keyserver");
		CHECK(!dbs[4].read_only && dbs[4].conf.from_default); /* a deactivation writes it */
		for (int i = 0; i < 5; i++)
			dbconf_free(&dbs[i].conf);
		CHECK(c->bcrypt_cost == 10);
		CHECK_STR(c->notices_local_part, "_server");
		config_free(c);
	}
	free(p);

	/* masking */
	m = dsn_mask("postgresql://user:s3cret@db.example.org:5432/dendrite?sslmode=disable");
	CHECK_STR(m, "postgresql://user:****@db.example.org:5432/dendrite?sslmode=disable");
	free(m);
	m = dsn_mask("host=/run/pg dbname=dendrite password=s3cret user=x");
	CHECK_STR(m, "host=/run/pg dbname=dendrite password=**** user=x");
	free(m);
	m = dsn_mask("host=h password='a b\\' c' user=x");
	CHECK_STR(m, "host=h password=**** user=x");
	free(m);
	m = dsn_mask("postgres://u@h/db?password=s3cret&sslmode=disable");
	CHECK_STR(m, "postgres://u@h/db?password=****&sslmode=disable");
	free(m);
	m = dsn_mask("postgres://u@h/db");
	CHECK_STR(m, "postgres://u@h/db");
	free(m);
	/* one-character passwords grow by three bytes each when masked (found by the config fuzzer) */
	m = dsn_mask("postgres://u:p@h/db?password=a&password=b&password=c&password=d&password=e&password=f");
	CHECK_STR(m, "postgres://u:****@h/db?password=****&password=****&password=****&password=****&password=****"
		     "&password=****");
	free(m);
	m = dsn_mask("password=a password=b password=c password=d password=e password=f password=g");
	CHECK_STR(m, "password=**** password=**** password=**** password=**** password=**** password=**** password=****");
	free(m);
	CHECK(dsn_has_password("postgres://u:p@h/db"));
	CHECK(!dsn_has_password("postgres://u@h/db"));
	CHECK(!dsn_has_password("file:x.db"));

	/* search order: $MXDBA_CONFIG before ./mxdba.ini */
	p = write_ini("env.ini", HS);
	setenv("MXDBA_CONFIG", p, 1);
	c = config_load(NULL, hs_config_hooks());
	CHECK(c && !strcmp(c->path, p));
	config_free(c);
	unsetenv("MXDBA_CONFIG");
	CHECK(chdir(dir) == 0);
	free(write_ini("mxdba.ini", HS));
	c = config_load(NULL, hs_config_hooks());
	CHECK(c && !strcmp(c->path, "mxdba.ini"));
	config_free(c);
	c = config_load("/nonexistent/mxdba.ini", hs_config_hooks());
	CHECK(!c && err_code() == EX_CONFIG);
	err_clear();
	free(p);
	UNIT_END();
}
