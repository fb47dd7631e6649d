/* SPDX-License-Identifier: Apache-2.0 */
/* User ID parsing and Dendrite's localpart rules. */
#include "core/err.h"
#include "core/mxid.h"
#include "core/util.h"
#include "hs/hs.h"
#include "unit.h"

static int parse_ok(const char *in, const char *local)
{
	struct mxid id;
	int rc = mxid_parse(in, "example.org", &id);
	err_clear();
	return rc == 0 && !strcmp(id.localpart, local);
}

static int parse_fails(const char *in)
{
	struct mxid id;
	int rc = mxid_parse(in, "example.org", &id);
	int code = err_code();
	err_clear();
	return rc < 0 && code == EX_USAGE;
}

static int new_ok(const char *local)
{
	struct mxid id;
	int rc = mxid_parse(local, "example.org", &id);
	if (rc == 0)
		rc = hs_check_new_localpart(NULL, &id); /* without a config: Dendrite's rules */
	err_clear();
	return rc == 0;
}

/* str_copy: the copy mxid_parse, mxid_lower and the account reads use */
static void test_str_copy(void)
{
	char b[6];
	memset(b, 'x', sizeof(b));
	CHECK(str_copy(b, sizeof(b), "abc") == 3 && !strcmp(b, "abc"));
	CHECK(str_copy(b, sizeof(b), "abcde") == 5 && !strcmp(b, "abcde"));
	CHECK(str_copy(b, sizeof(b), "abcdefgh") == 8 && !strcmp(b, "abcde")); /* cut, terminated */
	CHECK(str_copy(b, sizeof(b), "") == 0 && b[0] == '\0');
	CHECK(str_copy(b, sizeof(b), NULL) == 0 && b[0] == '\0');
	CHECK(str_copy(b, 1, "abc") == 3 && b[0] == '\0');
}

int main(void)
{
	char longid[400];
	struct mxid id;
	test_str_copy();

	CHECK(parse_ok("@alice:example.org", "alice"));
	CHECK(parse_ok("alice", "alice"));
	CHECK(parse_ok("Alice", "Alice")); /* lookups stay lenient */
	CHECK(parse_fails(""));
	CHECK(parse_fails("@alice"));
	CHECK(parse_fails("@alice:other.org"));
	CHECK(parse_fails("@:example.org"));
	CHECK(parse_fails("al:ice"));
	CHECK(parse_fails("ali\x01" "ce"));
	CHECK(parse_fails("\xff\xfe"));
	CHECK(parse_fails("@alice:example.org\n"));
	CHECK(mxid_parse("@bob:example.org", "example.org", &id) == 0);
	CHECK_STR(id.full, "@bob:example.org");
	CHECK_STR(id.server, "example.org");

	/* 254 bytes in all is the limit: "@" + local + ":example.org" */
	memset(longid, 'a', sizeof(longid));
	longid[254 - 13] = '\0';
	CHECK(new_ok(longid));
	longid[254 - 13] = 'a';
	longid[255 - 13] = '\0';
	CHECK(parse_fails(longid));

	CHECK(new_ok("alice"));
	CHECK(new_ok("a.b-c_d=e+f/g"));
	CHECK(new_ok("a1"));
	CHECK(!new_ok("Alice"));
	CHECK(!new_ok("_alice"));
	CHECK(!new_ok("12345"));
	CHECK(!new_ok("al ice"));
	CHECK(!new_ok("al'ice"));
	CHECK(!new_ok("al\"ice"));
	CHECK(!new_ok("alice;drop"));
	CHECK(!new_ok("äl"));

	CHECK(roomid_check("!abc:example.org") == 0);
	err_clear();
	CHECK(roomid_check("#abc:example.org") < 0);
	err_clear();
	/* room version 12: no server part */
	CHECK(roomid_check("!c8JltiozfoihvTKvZ6_g-OFyRLGRkM57zsBe4BtHh04") == 0);
	CHECK(roomid_check("!abc") == 0);
	CHECK(roomid_check("!") < 0);
	err_clear();
	CHECK(roomid_check("!:example.org") < 0);
	err_clear();
	CHECK(roomid_check("!abc:") < 0);
	err_clear();
	CHECK(roomid_check("!a b") < 0);
	err_clear();
	UNIT_END();
}
