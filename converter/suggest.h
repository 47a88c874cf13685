/*
 * "Did you mean ...?": the candidate nearest to a word the user mistyped
 * (an option, a command, a format), as git and most Unix tools suggest.
 */
#ifndef MDX_SUGGEST_H
#define MDX_SUGGEST_H

#include <stddef.h>

/*
 * suggest_distance: the optimal-string-alignment distance between a and b,
 * compared case-insensitively (insertions, deletions, substitutions and
 * swaps of two neighbours each cost 1: "fromat" is 1 from "format")
 */
size_t suggest_distance(const char *a, const char *b);

/*
 * suggest_nearest: the candidate nearest to word, or NULL when none is
 * near enough to be what was meant (at most 2 edits, and fewer edits than
 * half the candidate's length); the first of equally near ones wins
 */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

#endif
