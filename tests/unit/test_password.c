/* SPDX-License-Identifier: Apache-2.0 */
/* bcrypt against vectors made by Go's golang.org/x/crypto/bcrypt v0.26.0
 * (the library Dendrite v0.13.8 uses) and the classic crypt_blowfish
 * vectors in $2a$/$2b$/$2y$ form; argon2id round trips; length rules. */
#include <stdlib.h>

#include "core/err.h"
#include "core/password.h"
#include "hs/hs.h"
#include "unit.h"

static const struct {
	const char *pw, *hash;
} go_vectors[] = {
	{ "password", "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy" },
	{ "correct horse battery staple", "$2a$04$4AkXAG7XyuK0mmzC7EPFt.SM5PlA4jDXnQSQAnHXaatuNNKUvtEsS" },
	{ "ünïcødé-pässwörd",
	  "$2a$04$1VoFhiPcFF2YSQzMyAXMfOHFarBECvtBtqxBH1.Rh6ssmpvuU2SMS" },
	{ "password", "$2a$05$FLvSQucs7mDei4urkyGVyOi3Qqmi6yV5P8nSw7y0OVqgBkwFFJ8sy" },
	{ "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
	{ "U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
	{ "U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
};

int main(void)
{
	char h[HASH_MAX], desc[128];
	struct pw_scheme s;

	CHECK(pw_init() == 0);
	hs_password_scheme(NULL, &s); /* without a config: Dendrite's */
	CHECK_STR(s.prefix, "$2a$");
	CHECK(s.cost == 10 && s.min == 8 && s.max == 72);
	for (size_t i = 0; i < sizeof(go_vectors) / sizeof(go_vectors[0]); i++) {
		CHECK(hash_verify(go_vectors[i].pw, go_vectors[i].hash) == 1);
		CHECK(hash_verify("wrong password", go_vectors[i].hash) == 0);
	}
	/* our own hashes: $2a$, configured cost, 60 chars, verifiable */
	CHECK(bcrypt_hash("sekret-password", "$2a$", 4, h) == 0);
	CHECK(strncmp(h, "$2a$04$", 7) == 0);
	CHECK(strlen(h) == 60);
	CHECK(hash_verify("sekret-password", h) == 1);
	CHECK(hash_verify("sekret-passwore", h) == 0);
	CHECK(pw_hash(&s, "sekret-password", h) == 0);
	CHECK(strncmp(h, "$2a$10$", 7) == 0);
	CHECK(hs_describe_hash(NULL, h, desc, sizeof(desc)) == 1);
	CHECK_STR(desc, "bcrypt $2a$ cost 10");
	CHECK(bcrypt_hash("sekret-password", "$2b$", 4, h) == 0 && strncmp(h, "$2b$04$", 7) == 0);

	CHECK(argon2id_hash("sekret-password", h) == 0);
	CHECK(strncmp(h, "$argon2id$", 10) == 0);
	CHECK(hash_verify("sekret-password", h) == 1);
	CHECK(hash_verify("other-password", h) == 0);
	CHECK(hs_describe_hash(NULL, h, desc, sizeof(desc)) == 0);
	CHECK_STR(desc, "argon2id (Dendrite cannot verify it)");

	/* empty and unknown hashes */
	CHECK(hash_verify("anything", "") == 0);
	CHECK(hash_verify("anything", NULL) == 0);
	CHECK(hash_verify("anything", "$1$abc$def") < 0);
	err_clear();
	CHECK(hash_verify("anything", "$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW") < 0);
	err_clear();
	CHECK(hash_kind("", desc, sizeof(desc)) == HASH_NONE && strncmp(desc, "none", 4) == 0);
	CHECK(hash_kind(NULL, desc, sizeof(desc)) == HASH_NULL && strncmp(desc, "NULL", 4) == 0);
	CHECK(hs_describe_hash(NULL, NULL, desc, sizeof(desc)) == 0 && strstr(desc, "logins fail with 500"));
	CHECK(pw_verify(&s, "anything", "$1$abc$def") < 0 && err_code() == EX_REFUSED);
	err_clear();

	/* Dendrite's rules: 8..72 bytes */
	CHECK(pw_check_new(&s, "1234567") < 0);
	CHECK(err_code() == EX_USAGE);
	err_clear();
	CHECK(pw_check_new(&s, "12345678") == 0);
	{
		char p[80];
		memset(p, 'x', sizeof(p));
		p[72] = '\0';
		CHECK(pw_check_new(&s, p) == 0);
		p[72] = 'x';
		p[73] = '\0';
		CHECK(pw_check_new(&s, p) < 0);
		err_clear();
	}
	/* random passwords: 24 characters, different each time */
	{
		char *a = pw_read(PW_RANDOM, NULL, 0, NULL), *b = pw_read(PW_RANDOM, NULL, 0, NULL);
		CHECK(a && b && strlen(a) == 24 && strcmp(a, b) != 0);
		CHECK(a && pw_check_new(&s, a) == 0);
		pw_free(a);
		pw_free(b);
	}
	UNIT_END();
}
