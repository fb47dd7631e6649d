/* SPDX-License-Identifier: Apache-2.0 */
/* Splitting a batch line into words, the way a shell would for the simple
 * cases: whitespace separates, '…' and "…" quote, \ escapes inside "…",
 * # at the start of a word begins a comment. */
#ifndef MXDBA_WORDS_H
#define MXDBA_WORDS_H

#define MAX_TOKENS 64

/* Split LINE in place into at most MAX words (pointers into LINE) in TOK;
 * *N gets the count. -1 + EX_USAGE error for an unterminated quote or too many words. */
int split_words(char *line, char **tok, int max, int *n);
#endif
