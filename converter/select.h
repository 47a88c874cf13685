/*
 * Which mailboxes a run takes: --user, --domain and --shard K/N, the same
 * for list, export and verify.
 */
#ifndef MDX_SELECT_H
#define MDX_SELECT_H

#include <stdbool.h>

#include "core/conv.h"
#include "options.h"

struct select {
	const struct options *o;
	bool *user_matched;	/* per --user: it named a mailbox of SOURCE */
	bool *domain_matched;	/* per --domain */
};

void select_init(struct select *s, const struct options *o);
void select_release(struct select *s);
/*
 * select_wanted: the run takes this mailbox (--user/--domain, then the
 * shard).  A filter counts as matched even when its mailbox is another
 * shard's, so that "no mailbox" means what it says.
 */
bool select_wanted(struct select *s, const struct mail_box *box);
/*
 * select_shard: the shard (1..n) a mailbox belongs to: the first 8 bytes of
 * the SHA-256 of "mailbox@domain" in ASCII lower case, as a big-endian
 * number, modulo n, plus 1.  Stable across runs, machines and versions.
 */
unsigned select_shard(const struct mail_box *box, unsigned n);
/* select_unmatched: each --user/--domain that named nothing said on stderr; true if any */
bool select_unmatched(const struct select *s);
/* select_parse_shard: "K/N" with 1 <= K <= N <= SELECT_SHARDS_MAX; 0, or -1 */
#define SELECT_SHARDS_MAX 100000u
int select_parse_shard(const char *text, unsigned *k, unsigned *n);

#endif
