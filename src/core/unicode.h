/* SPDX-License-Identifier: Apache-2.0 */
/* Unicode text the way homeservers index it (utf8proc underneath). */
#ifndef MXDBA_UNICODE_H
#define MXDBA_UNICODE_H

/* S lower-cased code point by code point, then NFKC: what Synapse puts in
 * its user-directory search index for a display name. A new string (free
 * it), or NULL if S is not valid UTF-8. */
char *unicode_lower_nfkc(const char *s);

#endif
