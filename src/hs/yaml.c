/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml document walking for the homeservers' own config files, and
 * appservice registration files (the same format for every homeserver).
 * Only reads; unknown keys are ignored (homeservers have many). */
#include "yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

/* Limits no homeserver config comes near, each checked in one linear pass
 * before libyaml reads the file (hsy_load), because libyaml's own cost is
 * not linear past them:
 * - flow collections ([ and {) nested deeper than HSY_MAX_FLOW_DEPTH: its
 *   parser takes time growing with the square of the nesting (20,000
 *   levels: 0.5 s; 50,000: 3.7 s; 200,000: minutes); configs nest two or
 *   three deep;
 * - more than HSY_MAX_ANCHORS anchors (&name) or HSY_MAX_ALIASES aliases
 *   (*name): each alias is looked up among all anchors one by one (40,000
 *   of each in 1 MB: 12 s, twice that: 81 s); configs have a handful;
 * - files over HSY_MAX_BYTES (a generated homeserver.yaml is 1.4 KB, a
 *   dendrite.yaml 4 KB, the old fully commented samples about 100 KB). */
#define HSY_MAX_FLOW_DEPTH 64
#define HSY_MAX_ANCHORS 1000
#define HSY_MAX_ALIASES 10000
#define HSY_MAX_BYTES (4L * 1024 * 1024)

/* Where a quote or a flow collection may start: after blanks and
 * indicators, never inside a plain scalar ("a[0]", "it's"). */
static int token_start(int prev)
{
	return prev == '\n' || prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ',' || prev == ':' ||
	       prev == '-' || prev == '?';
}

static int too_many(const char *path, size_t line, const char *what, long max)
{
	err_set(EX_CONFIG, "%s:%zu: more than %ld YAML %s", path, line, max, what);
	return err_hint("no homeserver config has that many (and reading them takes time that grows faster than the "
			"file): check that this is the homeserver's own config file");
}

/* One pass over F (linear in its size): its size, and the flow nesting,
 * anchors and aliases outside quoted scalars and comments. 0, or -1 +
 * EX_CONFIG naming the line. */
static int yaml_shape_ok(FILE *f, const char *path)
{
	char buf[65536];
	size_t n, line = 1;
	long total = 0, anchors = 0, aliases = 0;
	int depth = 0, quote = 0, comment = 0, esc = 0, prev = '\n';
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if ((total += (long)n) > HSY_MAX_BYTES) {
			err_set(EX_CONFIG, "%s is larger than %ld MiB", path, HSY_MAX_BYTES >> 20);
			return err_hint("no homeserver config is that large: check that this is the homeserver's own "
					"config file");
		}
		for (size_t i = 0; i < n; prev = (unsigned char)buf[i++]) {
			int ch = (unsigned char)buf[i];
			if (ch == '\n') {
				line++;
				comment = 0;
				continue;
			}
			if (comment)
				continue;
			if (quote == '"') {
				if (esc)
					esc = 0;
				else if (ch == '\\')
					esc = 1;
				else if (ch == '"')
					quote = 0;
			} else if (quote == '\'') {
				if (ch == '\'')
					quote = 0; /* '' (an escaped quote) closes and reopens */
			} else if (ch == '#' && (prev == ' ' || prev == '\t' || prev == '\n'))
				comment = 1;
			else if ((ch == '"' || ch == '\'') && token_start(prev))
				quote = ch;
			else if (ch == '&' && token_start(prev) && ++anchors > HSY_MAX_ANCHORS)
				return too_many(path, line, "anchors (&name)", HSY_MAX_ANCHORS);
			else if (ch == '*' && token_start(prev) && ++aliases > HSY_MAX_ALIASES)
				return too_many(path, line, "aliases (*name)", HSY_MAX_ALIASES);
			else if ((ch == '[' || ch == '{') && (token_start(prev) || depth > 0)) {
				if (++depth > HSY_MAX_FLOW_DEPTH) {
					err_set(EX_CONFIG, "%s:%zu: YAML nested more than %d levels deep ([ and { inside one "
						"another)", path, line, HSY_MAX_FLOW_DEPTH);
					return err_hint("no homeserver config nests that deep (and reading such nesting takes "
							"time that grows with its square): check that this is the homeserver's "
							"own config file");
				}
			} else if ((ch == ']' || ch == '}') && depth > 0)
				depth--;
		}
	}
	if (ferror(f))
		return err_set(EX_CONFIG, "cannot read %s: %s", path, strerror(errno));
	rewind(f);
	return 0;
}

int hsy_load(const char *path, yaml_document_t *doc)
{
	yaml_parser_t p;
	FILE *f = fopen(path, "rb");
	int ok;
	if (!f) {
		err_set(EX_CONFIG, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (yaml_shape_ok(f, path) < 0) {
		fclose(f);
		return -1;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	ok = yaml_parser_load(&p, doc);
	if (!ok) {
		err_set(EX_CONFIG, "%s:%zu: YAML error: %s", path, p.problem_mark.line + 1,
			p.problem ? p.problem : "unknown");
	} else if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		err_set(EX_CONFIG, "%s: the YAML document is empty", path);
		ok = 0;
	}
	yaml_parser_delete(&p);
	fclose(f);
	return ok ? 0 : -1;
}

/* Child of mapping node N under KEY, or NULL. */
yaml_node_t *hsy_get(yaml_document_t *d, yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(d, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, pr->value);
	}
	return NULL;
}

/* Scalar at a dotted PATH below N ("global.server_name"), or NULL. */
const char *hsy_scalar(yaml_document_t *d, yaml_node_t *n, const char *path)
{
	char buf[128], *save = NULL, *part;
	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && n; part = strtok_r(NULL, ".", &save))
		n = hsy_get(d, n, part);
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

char *hsy_dup(const char *s) { return s && *s ? xstrdup(s) : NULL; }

int appservice_load(const char *path, struct as_reg *r)
{
	yaml_document_t doc;
	yaml_node_t *root, *users;
	memset(r, 0, sizeof(*r));
	if (hsy_load(path, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	r->id = hsy_dup(hsy_scalar(&doc, root, "id"));
	r->sender_localpart = hsy_dup(hsy_scalar(&doc, root, "sender_localpart"));
	users = hsy_get(&doc, hsy_get(&doc, root, "namespaces"), "users");
	if (users && users->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = users->data.sequence.items.start; it < users->data.sequence.items.top; it++) {
			yaml_node_t *ns = yaml_document_get_node(&doc, *it);
			const char *ex = hsy_scalar(&doc, ns, "exclusive"), *re = hsy_scalar(&doc, ns, "regex");
			if (!re || !ex || strcmp(ex, "true"))
				continue;
			r->exclusive_users = xrealloc(r->exclusive_users, sizeof(char *) * (size_t)(r->n_exclusive + 1));
			r->exclusive_users[r->n_exclusive++] = xstrdup(re);
		}
	}
	yaml_document_delete(&doc);
	return 0;
}

void appservice_free(struct as_reg *r)
{
	free(r->id);
	free(r->sender_localpart);
	for (int i = 0; i < r->n_exclusive; i++)
		free(r->exclusive_users[i]);
	free(r->exclusive_users);
	memset(r, 0, sizeof(*r));
}
