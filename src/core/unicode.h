/* SPDX-License-Identifier: Apache-2.0 */
/* Unicode text the way homeservers index it (utf8proc underneath). */
#ifndef MXDBA_UNICODE_H
#define MXDBA_UNICODE_H

/* S lower-cased code point by code point, then NFKC: what Synapse puts in
 * its user-directory search index for a display name. A new string (free
 * it), or NULL if S is not valid UTF-8. */
char *unicode_lower_nfkc(const char *s);
/* S lower-cased as Python's str.lower (simple mappings, dotted capital I,
 * final sigma). A new string, or NULL if S is not valid UTF-8. */
char *unicode_lower(const char *s);
/* S case-folded as Python's str.casefold (full folding: "ß" is "ss"). A
 * new string, or NULL if S is not valid UTF-8. */
char *unicode_casefold(const char *s);

#endif
